"""Files in UN Comtrade's own layouts, written as Comtrade publishes them: one row per traded code,
never a zero row. Tests describe the trade (reporter, partner, flow, code, year, value, weight) and
get a real API JSON reply or a real bulk file (gzip, tab-separated, no ISO columns)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

# Comtrade codes of the countries the tests use (Comtrade's own numbering: USA 842, not 840).
CODES = {"CHN": (156, "China"), "PRK": (408, "Dem. People's Rep. of Korea"), "RUS": (643, "Russian Federation"),
         "KOR": (410, "Rep. of Korea"), "JPN": (392, "Japan"), "USA": (842, "USA"), "DEU": (276, "Germany"),
         "THA": (764, "Thailand"), "IND": (699, "India"), "VNM": (704, "Viet Nam"), "FRA": (251, "France"),
         "W00": (0, "World")}
FLOWS = {"X": "Export", "M": "Import", "RX": "Re-export", "RM": "Re-import"}
BULK_FIELDS = ["datasetCode", "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode",
               "flowCode", "partnerCode", "partner2Code", "classificationCode", "classificationSearchCode",
               "isOriginalClassification", "cmdCode", "customsCode", "mosCode", "motCode", "qtyUnitCode", "qty",
               "isQtyEstimated", "altQtyUnitCode", "altQty", "isAltQtyEstimated", "netWgt", "isNetWgtEstimated",
               "grossWgt", "isGrossWgtEstimated", "CIFValue", "FOBValue", "primaryValue", "legacyEstimationFlag",
               "isReported", "isAggregate"]


def record(reporter: str, partner: str, flow: str, cmd: str, year: int, value: float, kg: float | None = None,
           month: int | None = None) -> dict:
    """One final-data record with every field of the API, as the API sends it."""
    rcode, rdesc = CODES[reporter]
    pcode, pdesc = CODES[partner]
    level = 0 if cmd == "TOTAL" else len(cmd)
    imp = flow in ("M", "RM")
    return {
        "typeCode": "C", "freqCode": "M" if month else "A", "refPeriodId": int(f"{year}{month or 1:02d}01"),
        "refYear": year, "refMonth": month or 52, "period": f"{year}{month:02d}" if month else str(year),
        "reporterCode": rcode, "reporterISO": reporter, "reporterDesc": rdesc, "flowCode": flow,
        "flowDesc": FLOWS[flow], "partnerCode": pcode, "partnerISO": partner, "partnerDesc": pdesc,
        "partner2Code": 0, "partner2ISO": "W00", "partner2Desc": "World", "classificationCode": "H4",
        "classificationSearchCode": "HS", "isOriginalClassification": True, "cmdCode": cmd,
        "cmdDesc": "All Commodities" if cmd == "TOTAL" else f"HS {cmd}", "aggrLevel": level, "isLeaf": level == 6,
        "customsCode": "C00", "customsDesc": "TOTAL CPC", "mosCode": "0", "motCode": 0, "motDesc": "TOTAL MOT",
        "qtyUnitCode": 8 if kg else -1, "qtyUnitAbbr": "kg" if kg else "N/A", "qty": kg or 0.0,
        "isQtyEstimated": False, "altQtyUnitCode": -1, "altQtyUnitAbbr": "N/A", "altQty": 0.0,
        "isAltQtyEstimated": False, "netWgt": kg, "isNetWgtEstimated": False, "grossWgt": None,
        "isGrossWgtEstimated": False, "cifvalue": value if imp else None, "fobvalue": None if imp else value,
        "primaryValue": value, "legacyEstimationFlag": 0, "isReported": True, "isAggregate": level == 0,
    }


def api_json(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps({"elapsedTime": "0.4 secs", "count": len(records), "data": records, "error": ""}))
    return path


def bulk_gz(path: Path, records: list[dict]) -> Path:
    """A bulk final file: gzip, tab-separated, the bulk columns (no ISO codes or descriptions)."""
    def text(v):
        return "" if v is None else ("True" if v is True else "False" if v is False else str(v))

    lines = ["\t".join(BULK_FIELDS)]
    for rec in records:
        row = dict(rec, datasetCode=f"C:A:H4:{rec['reporterCode']}:{rec['refYear']}", CIFValue=rec["cifvalue"],
                   FOBValue=rec["fobvalue"])
        lines.append("\t".join(text(row[f]) for f in BULK_FIELDS))
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


def persistent(rng: np.random.Generator, level: float, years: int, sd: float = 0.35, rho: float = 0.6) -> np.ndarray:
    """A series as real bilateral trade behaves: log level with AR(1) deviations (sd of the log
    changes about `sd`), so that tests do not run on implausibly smooth data."""
    # Var(e_t - e_t-1) = 2 s^2 / (1 + rho) for innovations of sd s: solve for s; start stationary.
    s = sd * np.sqrt((1 + rho) / 2)
    e = np.zeros(years)
    e[0] = rng.normal(0, s / np.sqrt(1 - rho ** 2))
    for t in range(1, years):
        e[t] = rho * e[t - 1] + rng.normal(0, s)
    return level * np.exp(e)
