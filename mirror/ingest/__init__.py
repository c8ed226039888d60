"""Readers for every supported source format, and the staging of one file into canonical rows.

A file goes: checks of its bytes (text.py: there, readable, whole gzip, encoding) -> detect (or
--format) -> its reader (READERS) fills the view ``raw`` -> the format's staging query
fills ``staged`` (canonical columns) -> validate.sql lists ``problems``. Nothing here writes to
the store; mirror/load.py does that, in one transaction.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .. import sql
from ..errors import FormatError, LoadError, OptionError, Problem, allowed
from . import text
from .base import LoadOptions, RawInfo, Reader, first_line, stage_keys
from .text import is_gzip


def _readers() -> list[Reader]:
    """Every module of this package that is a Reader (it has FORMATS, sniff, read and stage), in
    its ORDER: a new format is its own module here, found without editing this file."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        candidate = importlib.import_module(f"{__name__}.{module.name}")
        if all(hasattr(candidate, name) for name in ("FORMATS", "SOURCE", "sniff", "read", "stage")):
            found.append(candidate)
    return sorted(found, key=lambda reader: reader.ORDER)


# The one registry of readers, format -> reader, in the order `trade-mirror formats` lists them
# (each reader's ORDER). Detection tries them by DETECT (the public record's header also has
# Comtrade-like names, so it is tried before Comtrade's layouts); a reader with DETECT None is
# never detected (the generic reader needs a mapping).
READERS: dict[str, Reader] = {fmt: reader for reader in _readers() for fmt in reader.FORMATS}
_DETECTION_ORDER: tuple[Reader, ...] = tuple(sorted({r for r in READERS.values() if r.DETECT is not None},
                                                    key=lambda r: r.DETECT))
FORMATS: dict[str, str] = {fmt: reader.FORMATS[fmt] for fmt, reader in READERS.items()}

# Source names that belong to trade-mirror's own readers: a file of another format may not claim
# one (a generic CSV calling itself "comtrade" would outrank, and be revised as, real Comtrade data).
RESERVED_SOURCES = {reader.SOURCE for reader in READERS.values() if reader.SOURCE} | {"simulated"}

__all__ = ["FORMATS", "READERS", "LoadOptions", "RawInfo", "Reader", "StagedFile", "default_release", "detect",
           "options_json", "problem_list", "stage_file"]


@dataclass
class StagedFile:
    path: Path
    format: str
    source: str
    release: str
    rows_read: int
    problems: int
    info: RawInfo


def detect(path: Path) -> str:
    """The format of a file, from its first bytes and header line."""
    text.check_file(path)
    start = text.head_bytes(path, 64)
    for bom in (b"\xef\xbb\xbf", *text.UTF16_BOMS):
        start = start.removeprefix(bom)
    start = start.replace(b"\x00", b"").lstrip(b" \t\r\n")
    if not is_gzip(path) and start[:1] in (b"{", b"["):
        return "comtrade-api-json"
    encoding = "utf-16" if text.head_bytes(path, 2) in text.UTF16_BOMS else "utf-8"
    line = first_line(path, encoding) or first_line(path, "latin-1")
    for reader in _DETECTION_ORDER:
        found = reader.sniff(path, line)
        if found:
            return found
    raise FormatError([Problem(
        str(path), 1, None, line[:200], "cannot tell which format this file is from its header",
        f"name it with --format ({', '.join(FORMATS)}); for a national customs or analyst table use "
        "--format csv --mapping MAPPING.toml (see README, 'Generic CSV')")])


def default_release(path: Path, fmt: str) -> str:
    """A release label when the user gives none: the version in a BACI or bulk file name, else the
    file's modification date. Releases of a source are ordered by load order, not by label."""

    from_names = getattr(READERS[fmt], "release_from_names", None)  # a reader whose file names carry one
    found = from_names(path) if from_names else None
    if found:
        return found
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return stamp.strftime("%Y-%m-%d")


def _source(options: LoadOptions, info: RawInfo, reader: Reader) -> str:
    """The source the figures belong to: --source, else the mapping's, else the reader's. A name
    reserved for one of trade-mirror's readers is refused for any other."""
    source = options.source or info.source or reader.SOURCE
    owner = reader.SOURCE
    claimed = next((r for r in RESERVED_SOURCES if base_squash(r) == base_squash(source)), None)
    if claimed is not None and claimed != owner:
        fix = "name the figures' own source (e.g. gacc, kotra, my-estimates)"
        if options.source:
            raise OptionError(f"--source {options.source!r} is reserved for trade-mirror's {claimed} reader. Fix: {fix}.")
        raise LoadError([Problem(str(info.extra.get("mapping") or options.mapping), None, "source", str(source),
                                 f"the source name is reserved for trade-mirror's {claimed} reader", fix,
                                 column_kind="setting")])
    return str(source)


def base_squash(name: object) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> StagedFile:
    """Read and stage one file into the temp tables ``staged`` and ``problems``."""
    path = Path(path)
    encoding = text.encoding_name(options.encoding)
    if options.format is not None and options.format not in READERS:
        raise allowed("format", options.format, list(FORMATS))
    text.check_file(path)
    fmt = options.format or detect(path)
    reader = READERS[fmt]
    notes: list[str] = []
    if fmt != "comtrade-api-json":
        text.scan(path)  # a gzip stream cut short or with bytes after its end is named before anything reads it
        encoding = text.file_encoding(path, encoding, notes)
    release = options.release or default_release(path, fmt)
    read_options = LoadOptions(format=fmt, release=release, source=options.source, encoding=encoding,
                               mapping=options.mapping, extra=options.extra)
    info = reader.read(con, path, fmt, read_options)
    source = _source(options, info, reader)
    reader.stage(con, source, release, info)
    if info.rows == 0:
        raise LoadError([Problem(str(path), 2, None, None, "the file has a header but no data rows",
                                 "download the file again, or check the query that produced it")])
    stage_keys(con, info.constants)
    sql.script(con, "stage_problems")
    problems = sql.scalar(con, "problem_count")
    info.extra["notes"] = notes + list(info.extra.get("notes", []))
    for currency, figures, first, last in sql.run(con, "staged_currencies_without_rate").fetchall():
        span = first if first == last else f"{first} to {last}"
        info.extra["notes"].append(
            f"{figures} figure(s) in {currency} ({span}) have no USD rate in data/exchange_rates.csv: "
            "kept in their currency and left out of USD comparisons "
            "(trade-mirror query currencies_without_rate); add the rate to convert them")
    return StagedFile(path, fmt, source, release, info.rows, problems, info)


def problem_list(con: duckdb.DuckDBPyConnection, staged: StagedFile, limit: int = 10) -> tuple[list[Problem], int]:
    """The first problems of the last staged file, with column names as the file spells them."""
    rows = sql.run(con, "problem_list", limit=limit).fetchall()
    names = staged.info.columns_for_fields
    unit = str(staged.info.extra.get("row_unit", "line"))
    out = [Problem(str(staged.path), line, None if fieldname == "row" else names.get(fieldname, fieldname), value,
                   reason, fix, unit)
           for line, fieldname, value, reason, fix, _ in rows]
    total = rows[0][5] if rows else 0
    return out, total


def options_json(options: LoadOptions, staged: StagedFile) -> str:
    return json.dumps({"encoding": options.encoding, "format_given": options.format,
                       "mapping": str(options.mapping) if options.mapping else None, **staged.info.extra},
                      sort_keys=True)
