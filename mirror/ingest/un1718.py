"""UN 1718 Committee notifications of refined petroleum deliveries to the DPRK.

Resolution 2397 (2017) requires every supplier to notify the Committee each month of the refined
petroleum products it delivered; the Committee's web page tabulates them per supplier and month,
in tonnes and/or barrels. The reader takes that table saved as CSV, with columns such as
"Member State", "Month" ("January 2018", "Jan 2018", "2018-01" or "01/2018"), "Amount (tonnes)"
and "Amount (barrels)". Rows become figures of kind 'notified': the supplier's exports of HS 2710
to PRK, with the tonnes as net weight and the barrels as quantity (unit bbl).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import LoadOptions, RawInfo, complete_raw, match_header, read_delimited, read_header, run_staging, squash

FIELDS = ["supplier", "month", "tonnes", "barrels", "notified_on", "note"]
ALIASES = {
    "memberstate": "supplier", "supplier": "supplier", "reportingstate": "supplier", "country": "supplier",
    "supplyingstate": "supplier", "state": "supplier",
    "month": "month", "monthofdelivery": "month", "deliverymonth": "month", "period": "month",
    "tonnes": "tonnes", "amounttonnes": "tonnes", "quantitytonnes": "tonnes", "quantityt": "tonnes",
    "amountt": "tonnes", "metrictons": "tonnes", "quantitymetrictons": "tonnes", "tons": "tonnes",
    "barrels": "barrels", "amountbarrels": "barrels", "quantitybarrels": "barrels", "quantitybbl": "barrels",
    "amountbbl": "barrels", "bbl": "barrels",
    "dateofnotification": "notified_on", "notificationdate": "notified_on", "notifiedon": "notified_on",
    "note": "note", "notes": "note", "remarks": "note",
}
REQUIRED = [("supplier",), ("month",), ("tonnes", "barrels")]
FORMATS = {"un1718": "UN 1718 Committee table of refined petroleum notifications (supplier, month, tonnes/barrels)"}
SOURCE = "un1718"
ORDER, DETECT = 40, 40  # its place in `trade-mirror formats`; in detection (None: never detected)
CANONICAL_SOURCES = {"reporter": "supplier", "period": "month", "net_weight_kg": "tonnes", "quantity": "barrels"}


def sniff(path: Path, first: str) -> str | None:
    fields = {ALIASES.get(squash(c.strip().strip('"'))) for c in first.split(",")}
    return "un1718" if {"supplier", "month"} <= fields and fields & {"tonnes", "barrels"} else None


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo:
    columns = read_header(path, ",", options.encoding)
    header = match_header(path, columns, ALIASES, format_name=fmt, required=REQUIRED,
                          fix="the table needs a supplier (Member State), a month and tonnes and/or barrels")
    rows, lines = read_delimited(con, path, header, encoding=options.encoding)
    complete_raw(con, FIELDS, header.fields, lines=lines)
    names = {k: header.column_for(v) or v for k, v in CANONICAL_SOURCES.items()}
    return RawInfo(fmt, header, rows, names)


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    run_staging(con, "stage_un1718", {"source": source, "release": release})
