"""Trade in goods a sanctions measure bans (queries/sanctions): partner-reported figures in the
banned direction from each measure's effective date, row by row or summed per measure and
reporter. The register itself (bundled UN measures and the user's own) is read by Store.measures()."""

from __future__ import annotations

import duckdb
import pandas as pd

from . import sql
from .settings import Settings, check_freq


class Measures:
    """Banned-direction trade after each measure of the register."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _dedupe(self, freq: str) -> bool:
        """Whether any flow has figures from several publishers (then one is chosen by source_order)."""
        return sql.scalar(self.con, "competing_figures", freq=freq, level=None, year_from=None,
                          year_to=None) > 0

    def sanctioned_trade(self, settings: Settings, iso3: str, *, freq: str = "A", measure: str | None = None,
                         include_before: bool = False) -> pd.DataFrame:
        freq = check_freq(freq)
        return sql.frame(self.con, "sanctioned_trade_rows", country=iso3, freq=freq,
                         source_order=list(settings.source_order), dedupe=self._dedupe(freq), measure=measure,
                         include_before=include_before)

    def summary(self, settings: Settings, iso3: str, *, freq: str = "A") -> pd.DataFrame:
        freq = check_freq(freq)
        return sql.frame(self.con, "sanctioned_trade_summary", country=iso3, freq=freq,
                         source_order=list(settings.source_order), dedupe=self._dedupe(freq))
