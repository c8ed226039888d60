"""What every reader shares: matching a file's header to known columns, reading delimited text
into the temporary view ``raw`` with DuckDB's CSV reader, and turning parser failures into
errors that name the file, the line, the value and the fix.

A reader's job ends with the temporary view ``raw`` (complete_raw, over the rows read into
``raw_read``): one VARCHAR column per known field, named by trade-mirror (never by the file), plus
``source_row`` (the line number in the file). The
format's staging query then turns ``raw`` into canonical rows.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
from duckdb import ColumnExpression, ConstantExpression

from .. import sql
from ..errors import FormatError, InternalError, LoadError, Problem
from . import text
from .text import is_gzip, open_text


@dataclass
class LoadOptions:
    """How to read one file. ``format`` None = detect from the content."""

    format: str | None = None
    release: str | None = None
    source: str | None = None
    encoding: str = "utf-8"
    mapping: Path | None = None  # generic CSV: the column mapping (TOML)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Header:
    """A file's header matched to internal field names."""

    columns: list[str]  # as written in the file
    fields: list[str]  # internal name per column ("_ignored_N" for columns we do not use)

    def column_for(self, internal: str) -> str | None:
        for col, name in zip(self.columns, self.fields, strict=True):
            if name == internal:
                return col
        return None

    def has(self, internal: str) -> bool:
        return internal in self.fields


@dataclass
class RawInfo:
    """What a reader learned while reading: used for messages and the manifest."""

    format: str
    header: Header | None
    rows: int
    columns_for_fields: dict[str, str] = field(default_factory=dict)  # canonical field -> file column(s)
    extra: dict[str, object] = field(default_factory=dict)  # JSON-able: kept in the load's manifest row
    source: str | None = None  # the source the file names for itself (a generic CSV's mapping)
    stage_params: dict[str, object] = field(default_factory=dict)  # what the format's staging view needs
    # staged columns that hold one value for the whole file (literals of the format's staging):
    # stored once, not per row (stage_keys)
    constants: tuple[str, ...] = ()


class Reader(Protocol):
    """One source format family (a module of mirror/ingest). ``FORMATS`` names the formats it reads
    (format -> description) and ``SOURCE`` the source their figures belong to (None: the file's
    mapping names it); ``ORDER`` and ``DETECT`` its place in listings and in detection. ``sniff`` tells one of its formats from a header line (None: not ours);
    ``read`` fills the temp view ``raw`` (VARCHAR fields + source_row, the physical line);
    ``stage`` defines the view ``staged_rows`` over it in canonical columns."""

    FORMATS: dict[str, str]
    SOURCE: str | None
    ORDER: int  # its place in `trade-mirror formats` (and --format's choices)
    DETECT: int | None  # its turn when a file's format is detected; None: never detected

    def sniff(self, path: Path, first: str) -> str | None: ...

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo: ...

    def stage(self, con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None: ...


def squash(name: str) -> str:
    """Compare column names the way people mistype them: case, spaces, _ and punctuation ignored."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def match_header(path: Path, columns: list[str], aliases: dict[str, str], *, format_name: str,
                 required: list[tuple[str, ...]], fix: str, display: dict[str, str] | None = None) -> Header:
    """Map file columns to internal names via ``aliases`` (squashed spelling -> internal name).

    ``required`` lists alternatives: each tuple needs at least one of its fields present.
    Missing fields give a FormatError that names what is missing and the closest column present
    (a renamed column is the usual cause)."""
    fields = []
    seen: dict[str, int] = {}
    problems = []
    for i, col in enumerate(columns):
        internal = aliases.get(squash(col))
        if internal is not None and internal in seen:
            # two columns for one field: which one holds the figure cannot be told, so neither is used
            first = seen[internal]
            problems.append(Problem(str(path), 1, col, None,
                                    f"the file has the field twice (columns {first + 1} and {i + 1}: "
                                    f"{columns[first]!r} and {col!r})",
                                    "keep one of the two columns (a table joined or exported twice often repeats one)"))
        if internal is None or internal in seen:
            internal = f"_ignored_{i}"
        seen.setdefault(internal, i)
        fields.append(internal)
    for alternatives in required:
        if not any(a in seen for a in alternatives):
            wanted = [(display or {}).get(a, a) for a in alternatives]
            close = difflib.get_close_matches(squash(wanted[0]) if wanted else alternatives[0],
                                              [squash(c) for c in columns], n=1, cutoff=0.6)
            near = ""
            if close:
                original = next(c for c in columns if squash(c) == close[0])
                near = f" The file has {original!r}: if that is it, rename the column to {wanted[0]!r}."
            problems.append(Problem(str(path), 1, " or ".join(wanted or alternatives), None,
                                    f"required column missing for format {format_name}", (near.strip() or fix)))
    if problems:
        raise FormatError(problems, hint=f"Columns found: {', '.join(columns)}")
    return Header(columns, fields)


def first_line(path: Path, encoding: str = "utf-8") -> str:
    try:
        with open_text(path, encoding) as fh:
            return fh.readline().lstrip("\ufeff").rstrip("\r\n")
    except (UnicodeError, OSError, EOFError, gzip.BadGzipFile):
        return ""


def read_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    check_encoding(path, encoding)
    with open_text(path, encoding) as fh:
        line = fh.readline().lstrip("\ufeff")
    if not line.strip():
        raise FormatError([Problem(str(path), 1, None, None, "the file is empty (no header line)",
                                   "download the file again; a complete export starts with a header line")])
    return next(csv.reader([line], delimiter=delimiter))


def duplicate_columns(path: Path, columns: list[str], used: set[str]) -> None:
    """Refuse a header that names a column it uses twice: which of the two holds the figure cannot
    be told (a reader would silently take the first)."""
    problems = []
    for name in sorted(set(columns) & used):
        places = [i + 1 for i, c in enumerate(columns) if c == name]
        if len(places) > 1:
            problems.append(Problem(str(path), 1, name, None,
                                    f"the header has this column twice (columns {' and '.join(map(str, places))})",
                                    "rename or remove one of them, so that the mapping names exactly one column"))
    if problems:
        raise FormatError(problems)


def check_encoding(path: Path, encoding: str) -> None:
    """Fail early, naming the line, when a file is not in the encoding it is read with."""
    if encoding.lower().replace("-", "") not in {"utf8", "utf8sig"}:
        return
    bad = first_non_utf8_line(path)
    if bad:
        line_no, byte, guess = bad
        raise LoadError([Problem(
            str(path), line_no, None, guess,
            f"byte 0x{byte} is not UTF-8: the file looks Latin-1 (ISO-8859-1/Windows-1252) encoded",
            "load it with --encoding latin-1 (Python: encoding='latin-1'), or save it as UTF-8",
        )])


def duckdb_encoding(encoding: str) -> str:
    """DuckDB's name for an encoding users give (utf-8, latin-1 or utf-16; see text.ENCODINGS)."""
    return text.encoding_name(encoding)


def first_non_utf8_line(path: Path) -> tuple[int, str, str] | None:
    """(line number, offending byte in hex, the line read as Latin-1) of the first line that is not
    UTF-8, or None when the whole file is UTF-8 (text.scan tells, on its one pass over the bytes);
    only a file with a bad byte is gone through line by line, to name the line."""
    return None if text.scan(path).utf8 else _first_bad_line(path)


def _first_bad_line(path: Path) -> tuple[int, str, str] | None:
    with (gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")) as fh:
        for line_no, raw_line in enumerate(fh, start=1):
            try:
                raw_line.decode("utf-8")
            except UnicodeDecodeError as err:
                return line_no, raw_line[err.start:err.start + 1].hex(), raw_line.decode("latin-1").rstrip("\r\n")
    return None


def read_delimited(con: duckdb.DuckDBPyConnection, path: Path, header: Header, *, delimiter: str = ",",
                   encoding: str = "utf-8", types: dict[str, str] | None = None) -> tuple[int, list[int] | None]:
    """Read a delimited text file into the temp table ``raw_read`` with DuckDB's CSV reader. Returns the
    number of rows and, when rows and physical lines differ, the line each row starts on (for
    ``complete_raw``; None when row n is line n + 1).

    Every column is read as text; casting happens in the staging SQL so that a bad cell is
    reported with its line and column instead of failing the whole read. Lines the parser
    cannot split (an unquoted comma in a name, a missing field) are collected with
    ``store_rejects`` and reported; none is skipped silently. A quoted cell holding a line break
    (Excel's multi-line cells) is read as one cell, and messages give the physical line; a blank
    line between rows is refused (the reader would skip it silently, and it often marks two
    files joined into one).

    ``types`` (field -> DuckDB type): measures a format's staging can take typed (read_typed); the
    other fields, and every field of a file the typed read does not fit, are read as text."""
    duck_encoding = duckdb_encoding(encoding)
    scanned = text.scan(path)  # a damaged gzip stream is named before the parser sees it
    sql.script(con, "drop_raw")
    sql.script(con, "clear_read_rejects")
    if types and read_typed(con, path, header, types, delimiter=delimiter, encoding=encoding):
        return _checked_rows(con, path, header, scanned, delimiter, encoding, rejects=[])
    try:
        sql.run(con, "read_delimited", path=str(path), names=header.fields, delim=delimiter, encoding=duck_encoding)
    except duckdb.Error as err:
        raise _unreadable(path, err, delimiter) from None
    return _checked_rows(con, path, header, scanned, delimiter, encoding, rejects=sql.run(con, "read_rejects").fetchall())


def _unreadable(path: Path, err: duckdb.Error, delimiter: str) -> FormatError:
    return FormatError([Problem(str(path), _line_of(err), None, None,
                                f"the file cannot be read as {'tab' if delimiter == chr(9) else 'comma'}-separated text "
                                f"({_error_summary(err)})",
                                "check that the file is the format you named (--format) and is not truncated")])


# What the typed read's first look at a file tells apart: a missing-value token (define_ingest_macros'
# is_missing_token: NA, NaN, NULL, ., #N/A) or other text where a number is typed.
_HEAD_ROWS = 200
_TOKENS = {"NA", "NAN", "NULL", ".", "#N/A"}


def read_typed(con: duckdb.DuckDBPyConnection, path: Path, header: Header, types: dict[str, str], *,
               delimiter: str, encoding: str) -> bool:
    """Read the file into raw_read with the fields of ``types`` typed (DuckDB parses the numbers
    while it splits the lines; the other fields as text), and say whether that read stands: every
    value parsed (no reject) and every typed number is one the staging takes as it is (finite,
    not negative, within the smallest plausible bound). Otherwise raw_read is dropped and the
    caller reads every field as text, so that a file with a token (NA), a number written with a
    comma, an infinity, a negative or huge figure, or a line the parser refuses gets exactly the
    error, naming the value as written, and the figures it gets read as text. A file whose first
    rows already hold such a value is read as text straight away (R's NA in every empty field)."""
    typed = {name: kind for name, kind in types.items() if name in header.fields}
    if not typed or not _head_fits_types(path, header, typed, delimiter, encoding):
        return False
    columns = {name: typed.get(name, "VARCHAR") for name in header.fields}
    try:
        sql.run(con, "read_delimited_typed", path=str(path), names=header.fields, types=columns, delim=delimiter,
                encoding=duckdb_encoding(encoding))
    except duckdb.Error as err:  # the text read would fail the same way: the file's bytes, not a value
        raise _unreadable(path, err, delimiter) from None
    doubles = [name for name, kind in typed.items() if kind == "DOUBLE"]
    if sql.scalar(con, "read_reject_count") or (doubles and any(
            sql.run(con, "typed_measures_out_of_range", doubles=doubles).fetchone())):
        sql.script(con, "drop_raw")
        sql.script(con, "clear_read_rejects")
        return False
    return True


def _head_fits_types(path: Path, header: Header, typed: dict[str, str], delimiter: str, encoding: str) -> bool:
    """Whether the first rows' typed fields are empty or numbers (a cheap look: the typed read
    decides), so that a file whose measures are written as R's NA is not read twice."""
    where = [i for i, name in enumerate(header.fields) if name in typed]
    try:
        with open_text(path, encoding) as fh:
            reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
            next(reader, None)
            for number, row in enumerate(reader):
                if number >= _HEAD_ROWS:
                    break
                for i in where:
                    value = row[i].strip() if i < len(row) else ""
                    if value and (value.upper() in _TOKENS or not _is_number(value, typed[header.fields[i]])):
                        return False
    except (csv.Error, UnicodeError, OSError, EOFError, gzip.BadGzipFile):
        return False
    return True


def _is_number(value: str, kind: str) -> bool:
    if kind == "BOOLEAN":
        return value.lower() in {"true", "false", "t", "f", "1", "0", "yes", "no", "y", "n"}
    try:
        float(value)
    except ValueError:
        return False
    return True


def _checked_rows(con: duckdb.DuckDBPyConnection, path: Path, header: Header, scanned: text.Scan, delimiter: str,
                  encoding: str, rejects: list[tuple]) -> tuple[int, list[int] | None]:
    """After a read into raw_read: the lines the parser refused (``rejects``) or that DuckDB's
    reader read silently wrong (an extra trailing field, blank lines, rows that are not lines) as
    a FormatError; else the row count and each row's physical line where rows and lines differ."""
    duck_encoding = duckdb_encoding(encoding)
    rows = sql.scalar(con, "raw_count")
    ncols = len(header.columns)
    found = None
    if encoding == "utf-16" or scanned.lines != rows + 1:
        try:
            found = text.records(path, delimiter, encoding, ncols)
        except csv.Error as err:
            raise FormatError([Problem(str(path), None, None, None, f"the file cannot be split into rows ({err})",
                                       "check that the file is the format you named and is not truncated")]) from None
    if found is not None and rejects:  # DuckDB counts rows; say the physical line
        rejects = [(_physical(found, line), *rest) for line, *rest in rejects]
    if found is not None and found.blank:
        more = f" (and {len(found.blank) - 1} more blank line(s), the last on line {found.blank[-1]})" if len(found.blank) > 1 else ""
        raise FormatError([Problem(str(path), found.blank[0], None, None, f"a blank line between rows{more}",
                                   "remove the blank lines; a blank line inside a table often marks two files joined "
                                   "into one, so check that nothing is missing or repeated around it")])
    if not rejects and found is not None:
        rejects = [(line, None, "TOO MANY COLUMNS", row_text, f"Found: {count}") for line, count, row_text in found.long]
    elif not rejects and _may_end_in_delimiter(path, delimiter):
        args = {"path": str(path), "delim": delimiter, "encoding": duck_encoding, "expected": ncols}
        if sql.scalar(con, "any_line_with_extra_fields", **args):
            extra = sql.run(con, "lines_with_extra_fields", **args).fetchall()
            rejects = [(line, None, "TOO MANY COLUMNS", row_text, "") for line, row_text in extra]
    if rejects:
        problems = [Problem(str(path), int(line), col, csv_line,
                            _describe_csv_error(kind, message, ncols, csv_line or ""), _fix_csv_error(kind))
                    for line, col, kind, csv_line, message in rejects]
        raise FormatError(problems, total=len(problems))
    if found is not None and len(found.starts) != rows:
        raise FormatError([Problem(str(path), None, None, None,
                                   f"the file's rows cannot be told apart: {rows} by DuckDB's reader, "
                                   f"{len(found.starts)} by Python's csv module (a stray quote character?)",
                                   "check the quoting of text fields, or re-export the file with quoting on")])
    return rows, (found.starts if found is not None and found.starts != list(range(2, rows + 2)) else None)


def _physical(found: text.Records, row_line: int) -> int:
    """The physical line of the row DuckDB numbers ``row_line`` (header = 1)."""
    index = int(row_line) - 2
    return found.starts[index] if 0 <= index < len(found.starts) else int(row_line)


def _may_end_in_delimiter(path: Path, delimiter: str) -> bool:
    """Whether some line ends in the delimiter: only such a line can hide an extra field that
    DuckDB's reader drops. text.scan looks at the byte before every line break on its pass over
    the bytes, far cheaper than the line-by-line check, which then runs only when needed; gzip
    files always get it."""
    if is_gzip(path) or path.stat().st_size == 0:
        return True
    end = delimiter.encode()
    if len(end) == 1 and end in text.LINE_END_DELIMITERS:
        return end in text.scan(path).line_end_delimiters
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(end + b"\n") >= 0 or data.find(end + b"\r\n") >= 0 or data[-1:] == end


def _describe_csv_error(kind: str, message: str, ncols: int, line: str = "") -> str:
    if kind == "TOO MANY COLUMNS":
        found = re.search(r"Found:\s*(\d+)", message)
        count = found.group(1) if found else str(next(csv.reader([line])).__len__() if line else "more")
        return f"the line has {count} fields but the header has {ncols}"
    if kind == "MISSING COLUMNS":
        found = re.search(r"Found:\s*(\d+)", message)
        return f"the line has {found.group(1) if found else 'fewer'} fields but the header has {ncols}"
    if kind == "UNQUOTED VALUE":
        return "a quote character appears inside an unquoted field"
    return f"{kind.lower()}: {message}"


def _fix_csv_error(kind: str) -> str:
    if kind == "TOO MANY COLUMNS":
        return ("a text field contains the delimiter without quotes (e.g. a name like \"Africa CAMEU region, nes\"); "
                "put such fields in double quotes, or re-export the file with quoting on")
    if kind == "MISSING COLUMNS":
        return "the line is cut short: re-download the file or fill the missing fields"
    return "correct the line, or re-export the file from its source"


def _line_of(err: Exception) -> int | None:
    m = re.search(r"Line:\s*(\d+)", str(err))
    return int(m.group(1)) if m else None


def _error_summary(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def replace_temp_table(con: duckdb.DuckDBPyConnection, name: str, relation: duckdb.DuckDBPyRelation) -> None:
    """Materialise a relation as a TEMP table. (Relation.create() and create_view() would write
    into the store file itself.) ``name`` is one of trade-mirror's own table names."""
    con.register("_relation", relation)
    try:
        sql.script(con, f"materialise_{name}")
    finally:
        con.unregister("_relation")


def complete_raw(con: duckdb.DuckDBPyConnection, fields: list[str], present: list[str], first_row: int = 2,
                 lines: list[int] | None = None, types: dict[str, str] | None = None) -> bool:
    """Put the view ``raw`` over the rows a reader left in ``raw_read``: exactly the fields a staging
    query reads, as text (absent optional ones as NULL: bulk files have no ISO columns; user
    extracts have a handful of fields), and ``source_row``: the line number in the file
    (``first_row`` for the first data row), from the table's insertion order, which DuckDB keeps
    equal to file order; ``lines`` gives each row's physical line where rows and lines differ
    (read_delimited). The rows read are not copied (a second copy of a million rows cost more than
    half a second) unless some field is not text or ``lines`` renumbers them.

    ``types``: the fields read_delimited may have read typed. Returns True when raw_read holds them
    typed (absent ones are then NULLs of their type), False when every field is text."""
    # Inside a transaction DuckDB numbers new rows from a large base (2**55): take the first rowid
    # as line `first_row`. Rows are numbered contiguously in insertion order, checked here.
    low, high, count = sql.run(con, "raw_rowids").fetchall()[0]
    if count and high - low + 1 != count:
        raise InternalError(f"raw rowids are not contiguous ({low}..{high} for {count} rows)")
    offset = first_row - (low or 0)
    table = con.table("raw_read")
    read = [name for name in table.columns if name in fields]
    kinds = dict(zip(table.columns, map(str, table.types), strict=True))
    typed = bool(types) and any(kinds.get(name, "VARCHAR") != "VARCHAR" for name in types)
    want = {name: (types or {}).get(name, "VARCHAR") if typed else "VARCHAR" for name in fields}
    if lines is None and len(read) == len(table.columns) and all(kinds[name] == want[name] for name in read):
        absent = con.values(offset).select(
            ColumnExpression("col0").cast(duckdb.sqltype("BIGINT")).alias("row_offset"),
            *[ConstantExpression(None).cast(duckdb.sqltype(want[name])).alias(name) for name in fields
              if name not in read])
        replace_temp_table(con, "raw_absent", absent)
        sql.script(con, "define_raw_view")
        return typed
    exprs = [(ColumnExpression("rowid") + ConstantExpression(offset)).alias("source_row")]
    for name in fields:
        value = ColumnExpression(name) if name in present else ConstantExpression(None)
        exprs.append(value.cast(duckdb.sqltype(want[name])).alias(name))
    replace_temp_table(con, "raw_read", table.select(*exprs))
    if lines is not None:  # rows that start on other lines than row + 1 (multi-line cells)
        con.register("_line_map", pd.DataFrame({"row_line": range(first_row, first_row + len(lines)), "line": lines}))
        try:
            sql.run(con, "remap_source_rows")
        finally:
            con.unregister("_line_map")
    sql.script(con, "define_raw_view_numbered")
    return typed


def stage_keys(con: duckdb.DuckDBPyConnection, constants: tuple[str, ...] = ()) -> None:
    """Materialise the format's staged_rows view as ``staged``, with each row's figure_key: the
    columns that vary per row are stored, the load's source and release and the format's other
    ``constants`` once (queries/ingest/validate.sql: stage_constants, stage_keys, define_staged).
    A million Comtrade rows hold a dozen such columns: about 100 MB less in memory."""
    names = ["source", "release", *constants]
    sql.run(con, "stage_constants", constants=names).fetchall()
    sql.run(con, "stage_keys", constants=names).fetchall()
    sql.script(con, "define_staged")
    sql.script(con, "drop_raw")  # every later step reads `staged`: the rows as read are not kept beside it


def run_staging(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object], macros: str | None = None) -> None:
    """Define the format's staging view over ``raw``. A view takes no parameters, so the load's
    parameters go first into the one-row temp table ``load_params`` that the view reads.
    ``macros``: a block of the format's own macros the view binds (after the shared ones)."""
    sql.script(con, "define_ingest_macros")
    if macros:
        sql.script(con, macros)
    sql.script(con, "define_country_years")
    sql.run(con, f"params_{name}", **params)
    sql.script(con, name)
