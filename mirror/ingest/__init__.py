"""Readers for every supported source format, and the staging of one file into canonical rows.

A file goes: detect (or --format) -> reader fills the temp table ``raw`` -> the format's staging
query fills ``staged`` (canonical columns) -> validate.sql lists ``problems``. Nothing here
writes to the store; store.Store.load does that, in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..errors import FormatError, LoadError, Problem, allowed
from ..sql import get as get_query
from . import baci, comtrade, generic, public_record, un1718
from .base import RawInfo, first_line, is_gzip

FORMATS: dict[str, str] = {**comtrade.FORMATS, **baci.FORMATS, **public_record.FORMATS, **un1718.FORMATS,
                           **generic.FORMATS}

# The source a format's figures belong to (a release is a vintage of one source).
SOURCE_OF = {name: "comtrade" for name in comtrade.FORMATS} | {
    "baci": "baci", "public-record": "public-record", "un1718": "un1718"}

_MODULES = {**{name: comtrade for name in comtrade.FORMATS}, "baci": baci, "public-record": public_record,
            "un1718": un1718, "csv": generic}


@dataclass
class LoadOptions:
    """How to read one file. ``format`` None = detect from the content."""

    format: str | None = None
    release: str | None = None
    source: str | None = None
    encoding: str = "utf-8"
    mapping: Path | None = None  # generic CSV: the column mapping (TOML)
    extra: dict = field(default_factory=dict)


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
    if not path.exists():
        raise LoadError([Problem(str(path), None, None, None, "no such file", "check the path")])
    if path.is_dir():
        raise LoadError([Problem(str(path), None, None, None, "this is a folder, not a file",
                                 "name the files to load (e.g. folder/*.csv), or use `trade-mirror refresh --from`")])
    if path.stat().st_size == 0:
        raise LoadError([Problem(str(path), 1, None, None, "the file is empty",
                                 "download the file again; a complete export has a header line and data rows")])
    with open(path, "rb") as fh:
        start = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not is_gzip(path) and start[:1] in (b"{", b"["):
        return "comtrade-api-json"
    line = first_line(path) or first_line(path, "latin-1")
    for sniff in (public_record.sniff, comtrade.sniff, baci.sniff, un1718.sniff):
        found = sniff(path, line)
        if found:
            return found
    raise FormatError([Problem(
        str(path), 1, None, line[:200], "cannot tell which format this file is from its header",
        f"name it with --format ({', '.join(FORMATS)}); for a national customs or analyst table use "
        "--format csv --mapping MAPPING.toml (see README, 'Generic CSV')")])


def default_release(path: Path, fmt: str) -> str:
    """A release label when the user gives none: the version in a BACI or bulk file name, else the
    file's modification date. Releases of a source are ordered by load order, not by label."""

    found = baci.release_from_names(path) if fmt == "baci" else None
    if found:
        return found
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return stamp.strftime("%Y-%m-%d")


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> StagedFile:
    """Read and stage one file into the temp tables ``staged`` and ``problems``."""
    path = Path(path)
    fmt = options.format or detect(path)
    if fmt not in _MODULES:
        raise allowed("format", fmt, list(FORMATS))
    release = options.release or default_release(path, fmt)
    if fmt == "csv":  # the generic reader is driven by the user's mapping, which also names the source
        mapping = generic.read_mapping(options.mapping, path)
        source = options.source or mapping.source
        info = generic.read(con, path, mapping, options.encoding)
        generic.stage(con, mapping, source, release)
    else:
        source = options.source or SOURCE_OF[fmt]
        info = _MODULES[fmt].read(con, path, fmt, options.encoding)
        _MODULES[fmt].stage(con, source, release, info)
    if info.rows == 0:
        raise LoadError([Problem(str(path), 2, None, None, "the file has a header but no data rows",
                                 "download the file again, or check the query that produced it")])
    con.execute(get_query("stage_keys").sql)
    con.execute(get_query("stage_problems").sql)
    problems = con.execute("SELECT count(*) FROM problems").fetchall()[0][0]
    notes = info.extra.setdefault("notes", [])
    for currency, figures, first, last in con.execute(get_query("staged_currencies_without_rate").sql).fetchall():
        span = first if first == last else f"{first} to {last}"
        notes.append(f"{figures} figure(s) in {currency} ({span}) have no USD rate in data/exchange_rates.csv: "
                     "kept in their currency and left out of USD comparisons "
                     "(trade-mirror query currencies_without_rate); add the rate to convert them")
    return StagedFile(path, fmt, source, release, info.rows, problems, info)


def problem_list(con: duckdb.DuckDBPyConnection, staged: StagedFile, limit: int = 10) -> tuple[list[Problem], int]:
    """The first problems of the last staged file, with column names as the file spells them."""
    rows = con.execute(get_query("problem_list").sql, {"limit": limit}).fetchall()
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
