"""Tiny explicit trade tables for engine tests, loaded through the real reader (comtrade-r-csv)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

COLUMNS = ["freq_code", "ref_year", "ref_month", "reporter_iso", "partner_iso", "flow_code", "cmd_code",
           "classification_code", "primary_value", "net_wgt", "cifvalue", "fobvalue"]
_counter = itertools.count()


def row(reporter, partner, flow, hs, value, year=2018, month=None, kg=None, valuation=None):
    """One reported figure. flow: X/M/RX/RM. valuation 'FOB' on an import marks an FOB-reporting importer."""
    cif = fob = ""
    if valuation == "FOB":
        fob = value
    return {"freq_code": "M" if month else "A", "ref_year": year, "ref_month": month or 52,
            "reporter_iso": reporter, "partner_iso": partner, "flow_code": flow, "cmd_code": hs,
            "classification_code": "H5", "primary_value": value, "net_wgt": "" if kg is None else kg,
            "cifvalue": cif, "fobvalue": fob}


def load_rows(db, tmp_path: Path, rows: list[dict], **load_options):
    path = Path(tmp_path) / f"rows_{next(_counter)}.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return db.load(path, format="comtrade-r-csv", **load_options)
