"""Country arguments as people type them: ISO3 (PRK), Comtrade or M49 codes (408), names
("North Korea", "Dem. People's Rep. of Korea"). Unknown input gets the closest matches."""

from __future__ import annotations

import difflib

import duckdb

from .errors import UnknownCountryError
from .sql import get as get_query


def resolve(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    """The ISO3 code for a country argument; None stays None (= all countries)."""
    if text is None:
        return None
    key = str(text).strip().upper()
    rows = con.execute(get_query("country_key").sql, {"key": key}).fetchall()
    if rows:
        return rows[0][0]
    keys = [r[0] for r in con.execute(get_query("country_keys").sql).fetchall()]
    close = difflib.get_close_matches(key, keys, n=5, cutoff=0.6)
    names = []
    for k in close:
        iso = con.execute(get_query("country_key").sql, {"key": k}).fetchall()[0][0]
        label = f"{iso} ({k.title()})" if k != iso else iso
        if label not in names:
            names.append(label)
    raise UnknownCountryError(str(text), names)
