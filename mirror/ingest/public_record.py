"""The cited public-record format: one published figure per row, with its source URL and quote.

Columns: series_id, reporter_iso3, partner_iso3, flow (X, M, N notified, E estimate, T two-way),
hs, period, value, unit, source_publisher, source_url, quote, note. The direction of analyst
estimates (flow E) is not in the row: it comes from series.csv (series_id, flow, apart_reason),
taken from beside the file when present, else trade-mirror's bundled one. A series listed there
with an apart_reason (shares, balances, rates) is kept apart from the flows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .. import sql
from ..paths import data_dir
from .base import LoadOptions, RawInfo, complete_raw, match_header, read_delimited, read_header, run_staging, squash

FIELDS = ["series_id", "reporter_iso3", "partner_iso3", "flow", "hs", "period", "value", "unit",
          "source_publisher", "source_url", "quote", "note"]
ALIASES = {squash(f): f for f in FIELDS}
ALIASES.update({"reporter": "reporter_iso3", "partner": "partner_iso3", "publisher": "source_publisher",
                "url": "source_url"})
REQUIRED = [(f,) for f in FIELDS if f != "note"]
CANONICAL_SOURCES = {"period": "period", "reporter": "reporter_iso3", "partner": "partner_iso3", "flow": "flow",
                     "hs": "hs", "value": "value", "net_weight_kg": "value", "quantity": "value"}

FORMATS = {"public-record": "cited public-record table (a published figure per row, with URL and quote)"}
SOURCE = "public-record"
ORDER, DETECT = 30, 10  # its place in `trade-mirror formats`; in detection (None: never detected)


def sniff(path: Path, first: str) -> str | None:
    cols = {squash(c.strip().strip('"')) for c in first.split(",")}
    return "public-record" if {"seriesid", "sourceurl", "quote"} <= cols else None


def series_file(path: Path) -> Path:
    beside = path.with_name("series.csv")
    return beside if beside.exists() else data_dir() / "public_record" / "series.csv"


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo:
    columns = read_header(path, ",", options.encoding)
    header = match_header(path, columns, ALIASES, format_name=fmt, required=REQUIRED,
                          fix="the public-record layout is described in data/README.md")
    rows, lines = read_delimited(con, path, header, encoding=options.encoding)
    complete_raw(con, FIELDS, header.fields, lines=lines)  # note is optional
    series = series_file(path)
    sql.run(con, "read_series", path=str(series))
    names = {k: header.column_for(v) or v for k, v in CANONICAL_SOURCES.items()}
    return RawInfo(fmt, header, rows, names, extra={"series_file": str(series)})


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    run_staging(con, "stage_public_record", {"source": source, "release": release})
