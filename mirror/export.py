"""Writing result tables for people and programs: JSON records, CSV safe to open in a spreadsheet.

A text cell that starts with = + - @, a tab or a carriage return is run as a formula by Excel and
LibreOffice; such cells are prefixed with a single quote (OWASP's CSV-injection advice). Only text
columns are touched: a negative gap is a number and stays one.
"""

from __future__ import annotations

import io
import json
import math
from datetime import date, datetime

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def to_csv(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    neutralise_text(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _jsonable(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if value is pd.NaT or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """A list of row objects with plain JSON types (NaN/NA -> null, timestamps -> ISO text)."""
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def to_json(obj: object) -> str:
    if isinstance(obj, pd.DataFrame):
        obj = records(obj)
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_jsonable)


def to_excel(tables: dict[str, pd.DataFrame], path: str) -> None:
    """One workbook, a sheet per table (names cut to Excel's 31 characters), text cells
    neutralised as in CSV; needs openpyxl (the ``report`` extra)."""
    try:
        import openpyxl  # noqa: F401 - pandas' engine, checked here for a clear message
    except ImportError:
        from .errors import OptionError

        raise OptionError("Excel export needs openpyxl. Fix: pip install 'trade-mirror[report]'.") from None
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        used: set[str] = set()
        for name, frame in tables.items():
            sheet = name[:31]
            n = 2
            while sheet in used:  # two long names may cut to the same 31 characters
                sheet = f"{name[:28]}~{n}"
                n += 1
            used.add(sheet)
            _excel_safe(neutralise_text(frame)).to_excel(writer, sheet_name=sheet, index=False)


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: timestamps with one are written in UTC without it."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
    return out
