"""Country arguments as people type them: ISO3 (PRK), ISO2 (KP), Comtrade codes current and
historical (408, 381), M49 codes, Comtrade's ISO-like codes (S19), official, short and common
names ("North Korea", "DPRK", "Korea, Dem. People's Rep.", "Türkiye" or "Turkey", "Côte d'Ivoire"
with or without accents). Unknown input gets the closest matches, each country once, by its name.

The names come from data/countries.csv (UN Comtrade's lists, the UN/ISO table and the World Bank's
names; see data/README.md). A library such as country_converter was considered and not used: it
does not know Comtrade's own codes (490 "Other Asia, nes", 842, 381) and 1.3.2 fails under pandas 3
(Namibia's code NA is read as missing).
"""

from __future__ import annotations

import difflib
import unicodedata

import duckdb

from . import sql
from .errors import UnknownCountryError


def normalise(text: str) -> str:
    """Upper case, single spaces, plain apostrophes: the form the lookup keys are stored in."""
    text = " ".join(str(text).replace("\u2019", "'").replace("\u2018", "'").split())
    return text.upper()


def fold(text: str) -> str:
    """Without accents (COTE D'IVOIRE for CÔTE D'IVOIRE)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def resolve(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    """The ISO3 code for a country argument; None stays None (= all countries)."""
    if text is None:
        return None
    key = normalise(text)
    for candidate in dict.fromkeys([key, fold(key)]):
        rows = sql.run(con, "country_resolve", key=candidate).fetchall()
        if rows:
            return rows[0][0]
    raise UnknownCountryError(str(text), suggest(con, key))


def suggest(con: duckdb.DuckDBPyConnection, key: str, n: int = 5) -> list[str]:
    """The countries closest to a misspelt key, as 'Name (ISO3)', each country once."""
    rows = sql.run(con, "country_suggestion_keys").fetchall()
    by_key = {fold(k): (iso3, name) for k, iso3, name in rows}
    out: dict[str, str] = {}
    for k in difflib.get_close_matches(fold(key), list(by_key), n=4 * n, cutoff=0.6):
        iso3, name = by_key[k]
        out.setdefault(iso3, f"{name} ({iso3})")
        if len(out) == n:
            break
    return list(out.values())
