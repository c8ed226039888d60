"""Writing result tables for people and programs: JSON records, CSV safe to open in a spreadsheet,
and folders of exports that appear whole or not at all.

A text cell that starts with = + - @, a tab or a carriage return is run as a formula by Excel and
LibreOffice; such cells are prefixed with a single quote (OWASP's CSV-injection advice). Only text
columns are touched: a negative gap is a number and stays one.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

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


# Written into every folder atomic_folder makes: a later export may replace such a folder whole.
EXPORT_MARKER = ".trade-mirror-export"


@contextlib.contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """A folder of exports written atomically: yields a temporary folder beside ``target`` (same
    file system, so renames are atomic); when the block ends without error it is renamed into place,
    and when it fails it is removed and ``target`` is as it was. A reader (a dashboard, a sync job)
    never sees half the charts of one run beside half of another's.

    - ``target`` absent (or an empty folder): the temporary folder is renamed to it.
    - ``target`` an earlier export (it holds EXPORT_MARKER): the earlier one is renamed aside, the
      new one renamed in, the earlier one removed (if the second rename fails, the earlier one is
      put back).
    - ``target`` a folder holding other things (a user's own files): each new file replaces its
      namesake there with one atomic rename, and nothing else in the folder is touched.
    """
    target = Path(target).expanduser()
    if target.exists() and not target.is_dir():
        from .errors import OptionError

        raise OptionError(f"{target} is a file, not a folder. Fix: name a folder for the exports (it is created if missing).")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield work
        (work / EXPORT_MARKER).write_text("written by trade-mirror: a later export replaces this folder whole\n",
                                          encoding="utf-8")
        _move_into_place(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _move_into_place(work: Path, target: Path) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.rename(work, target)
        return
    if (target / EXPORT_MARKER).exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        os.rename(target, old)
        try:
            os.rename(work, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    for item in sorted(work.iterdir()):  # a folder of the user's: only our files are replaced
        if item.name != EXPORT_MARKER:
            os.replace(item, target / item.name)
