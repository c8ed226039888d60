"""What every reader shares: matching a file's header to known columns, reading delimited text
into the temporary ``raw`` table with DuckDB's CSV reader, and turning parser failures into
errors that name the file, the line, the value and the fix.

A reader's job ends with a temporary table ``raw``: one VARCHAR column per known field, named
by trade-mirror (never by the file), plus ``source_row`` (the line number in the file). The
format's staging query then turns ``raw`` into canonical rows.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from duckdb import ColumnExpression, ConstantExpression

from ..errors import FormatError, LoadError, Problem
from ..sql import get as get_query


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
    extra: dict[str, object] = field(default_factory=dict)


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
    seen: set[str] = set()
    for i, col in enumerate(columns):
        internal = aliases.get(squash(col))
        if internal is None or internal in seen:
            internal = f"_ignored_{i}"
        seen.add(internal)
        fields.append(internal)
    problems = []
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


def open_text(path: Path, encoding: str = "utf-8") -> io.TextIOBase:
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def first_line(path: Path, encoding: str = "utf-8") -> str:
    try:
        with open_text(path, encoding) as fh:
            return fh.readline().lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        return ""


def read_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    check_encoding(path, encoding)
    with open_text(path, encoding) as fh:
        line = fh.readline().lstrip("\ufeff")
    if not line.strip():
        raise FormatError([Problem(str(path), 1, None, None, "the file is empty (no header line)",
                                   "download the file again; a complete export starts with a header line")])
    return next(csv.reader([line], delimiter=delimiter))


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
    """DuckDB's name for an encoding users give: latin-1 for every Latin-1/Windows-1252 spelling."""
    latin = {"latin1", "iso88591", "cp1252", "windows1252"}
    return "latin-1" if encoding.lower().replace("-", "").replace("_", "") in latin else "utf-8"


def first_non_utf8_line(path: Path) -> tuple[int, str, str] | None:
    """(line number, offending byte in hex, the line read as Latin-1) of the first line that is not
    UTF-8, or None when the whole file is UTF-8."""
    with (gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")) as fh:
        for line_no, raw_line in enumerate(fh, start=1):
            try:
                raw_line.decode("utf-8")
            except UnicodeDecodeError as err:
                return line_no, raw_line[err.start:err.start + 1].hex(), raw_line.decode("latin-1").rstrip("\r\n")
    return None


def read_delimited(con: duckdb.DuckDBPyConnection, path: Path, header: Header, *, delimiter: str = ",",
                   encoding: str = "utf-8") -> int:
    """Read a delimited text file into the temp table ``raw`` with DuckDB's CSV reader.

    Every column is read as text; casting happens in the staging SQL so that a bad cell is
    reported with its line and column instead of failing the whole read. Lines the parser
    cannot split (an unquoted comma in a name, a missing field) are collected with
    ``store_rejects`` and reported; none is skipped silently."""
    duck_encoding = duckdb_encoding(encoding)
    con.execute("DROP TABLE IF EXISTS raw")
    con.execute(get_query("clear_read_rejects").sql)
    try:
        con.execute(get_query("read_delimited").sql, {
            "path": str(path), "names": header.fields, "delim": delimiter, "encoding": duck_encoding,
        })
    except duckdb.Error as err:
        raise FormatError([Problem(str(path), _line_of(err), None, None,
                                   f"the file cannot be read as {'tab' if delimiter == chr(9) else 'comma'}-separated text "
                                   f"({_error_summary(err)})",
                                   "check that the file is the format you named (--format) and is not truncated")]) from None
    rejects = con.execute(get_query("read_rejects").sql).fetchall()
    if not rejects and _may_end_in_delimiter(path, delimiter):
        args = {"path": str(path), "delim": delimiter, "encoding": duck_encoding, "expected": len(header.columns)}
        if con.execute(get_query("any_line_with_extra_fields").sql, args).fetchall()[0][0]:
            extra = con.execute(get_query("lines_with_extra_fields").sql, args).fetchall()
            rejects = [(line, None, "TOO MANY COLUMNS", text, "") for line, text in extra]
    if rejects:
        problems = [Problem(str(path), int(line), col, csv_line,
                            _describe_csv_error(kind, message, len(header.columns), csv_line or ""), _fix_csv_error(kind))
                    for line, col, kind, csv_line, message in rejects]
        raise FormatError(problems, total=len(problems))
    return con.execute("SELECT count(*) FROM raw").fetchall()[0][0]


def _may_end_in_delimiter(path: Path, delimiter: str) -> bool:
    """Whether some line ends in the delimiter: only such a line can hide an extra field that
    DuckDB's reader drops. A byte search over the file (memory-mapped, no decoding) is far cheaper
    than the line-by-line check, which then runs only when needed; gzip files always get it."""
    if is_gzip(path) or path.stat().st_size == 0:
        return True
    end = delimiter.encode()
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
        con.execute(get_query(f"materialise_{name}").sql)
    finally:
        con.unregister("_relation")


def complete_raw(con: duckdb.DuckDBPyConnection, fields: list[str], present: list[str], first_row: int = 2) -> None:
    """Give ``raw`` exactly the fields a staging query reads, as text (absent optional ones as
    NULL: bulk files have no ISO columns; user extracts have a handful of fields), and
    ``source_row``: the line number in the file (``first_row`` for the first data row), from the
    table's insertion order, which DuckDB keeps equal to file order."""
    text = duckdb.sqltype("VARCHAR")
    # Inside a transaction DuckDB numbers new rows from a large base (2**55): take the first rowid
    # as line `first_row`. Rows are numbered contiguously in insertion order, checked here.
    low, high, count = con.execute(get_query("raw_rowids").sql).fetchall()[0]
    if count and high - low + 1 != count:
        raise RuntimeError(f"raw rowids are not contiguous ({low}..{high} for {count} rows)")
    offset = first_row - (low or 0)
    exprs = [(ColumnExpression("rowid") + ConstantExpression(offset)).alias("source_row")]
    for name in fields:
        value = ColumnExpression(name) if name in present else ConstantExpression(None)
        exprs.append(value.cast(text).alias(name))
    replace_temp_table(con, "raw", con.table("raw").select(*exprs))


def run_staging(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> None:
    """Define the format's staging view over ``raw``. A view takes no parameters, so the load's
    parameters go first into the one-row temp table ``load_params`` that the view reads."""
    con.execute(get_query("define_ingest_macros").sql)
    con.execute(get_query("define_country_years").sql)
    query = get_query(f"params_{name}")
    con.execute(query.sql, query.bind(params))
    con.execute(get_query(name).sql)
