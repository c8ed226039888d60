"""What `trade-mirror status --json` prints: the store's path and versions, its totals, every
release and every load, as plain JSON values (no NumPy scalars, NaN as null, times as ISO text)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from . import sql
from ._version import __version__
from .schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from .store import Store


def status_dict(store: Store) -> dict:
    totals = sql.frame(store.con, "status_totals").iloc[0].to_dict()
    return {
        "path": str(store.path),
        "mirror_version": __version__,
        "schema_version": SCHEMA_VERSION,
        **{k: _plain(v) for k, v in totals.items()},
        "releases": _records(store.status()),
        "loads": _records(sql.frame(store.con, "manifest")),
    }


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))
