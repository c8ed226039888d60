"""Oil to and from a country in tonnes and barrels, and deliveries against the UN caps
(queries/oil): every published figure - customs reports, 1718 Committee notifications, estimates -
converted with a named factor set, the caps' periods and amounts, and the notifications beside
customs. The Store's oil(), caps(), cap_periods() ... are these, with the country resolved."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import options, sql
from .errors import allowed

# Factor sets are named with their edition (bp2021: BP Statistical Review of World Energy 2021); the
# bare name of a publisher means its latest bundled edition.
FACTOR_SET_ALIASES = {"bp": "bp2021"}


def check_factor_set(con: duckdb.DuckDBPyConnection, factor_set: str) -> str:
    """The factor set's name as stored (an alias resolved); an unknown set is an error listing the sets."""
    name = FACTOR_SET_ALIASES.get(factor_set, factor_set)
    sets = [r[0] for r in sql.run(con, "factor_sets").fetchall()]
    if name not in sets:
        raise allowed("factor_set", factor_set, sets + [f"{a} (= {b})" for a, b in FACTOR_SET_ALIASES.items()])
    return name


class Oil:
    """Oil figures in tonnes and barrels (queries/oil/oil.sql)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def oil(self, iso3: str, *, factor_set: str = "unsd", kind: options.OilKind | None = None,
            years: tuple[int, int] | None = None) -> pd.DataFrame:
        factor_set = check_factor_set(self.con, factor_set)
        if kind is not None:
            options.check("kind", kind, options.OilKind)
        year_from, year_to = years or (None, None)
        return sql.frame(self.con, "oil_rows", country=iso3, factor_set=factor_set, kind=kind,
                         year_from=year_from, year_to=year_to)

    def conversions(self, iso3: str, *, factor_set: str = "unsd") -> pd.DataFrame:
        """Deliveries published in both tonnes and barrels: the implied barrels per tonne, flagged when
        outside the product's plausible range or far from the factor used."""
        return sql.frame(self.con, "oil_conversions", country=iso3, factor_set=check_factor_set(self.con, factor_set))


class Caps:
    """Deliveries against the UN caps and the notifications beside customs (queries/oil/oil.sql)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def caps(self, iso3: str, *, factor_set: str = "unsd", kind: options.CapKind | None = "notified",
             monthly: bool = False) -> pd.DataFrame:
        """kind: notified / reported / estimated, None for all kinds (one row each), or 'side-by-side'
        for one row per cap year and supplier with the three kinds as columns."""
        factor_set = check_factor_set(self.con, factor_set)
        if kind is not None:
            options.check("kind", kind, ("notified", "reported", "estimated", "side-by-side"), note="or None: all kinds")
        if monthly:
            if kind == "side-by-side":
                raise allowed("kind", kind, ["notified", "reported", "estimated", "None (all kinds)"])
            return sql.frame(self.con, "cap_running_totals", country=iso3, factor_set=factor_set, kind=kind)
        sql.run(self.con, "build_cap_deliveries", country=iso3, factor_set=factor_set).fetchall()
        side_by_side = kind == "side-by-side"
        sql.run(self.con, "build_cap_rows", kind=None if side_by_side else kind).fetchall()
        if side_by_side:
            return sql.frame(self.con, "cap_table", factor_set=factor_set)
        return sql.frame(self.con, "cap_rows")

    def periods(self) -> pd.DataFrame:
        """Every cap period with its amount, unit, citation and verification note."""
        return sql.frame(self.con, "cap_period_rows")

    def notifications_vs_customs(self, iso3: str, *, factor_set: str = "unsd", unit: options.Unit = "t") -> pd.DataFrame:
        factor_set = check_factor_set(self.con, factor_set)
        options.check("unit", unit, options.Unit)
        return sql.frame(self.con, "notifications_vs_customs", country=iso3, factor_set=factor_set, unit=unit)
