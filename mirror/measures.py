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
        self._competing: dict[tuple, bool] = {}  # (country, freq, data state) -> any competing figures

    def _dedupe(self, iso3: str, freq: str) -> bool:
        """Whether any flow with the country as partner has figures from several publishers (then one
        is chosen by source_order): counted once per country, frequency and state of the data."""
        key = (iso3, freq, tuple(sql.run(self.con, "data_state").fetchone()))
        if key not in self._competing:
            self._competing[key] = sql.scalar(self.con, "sanctioned_competing_figures", country=iso3, freq=freq) > 0
        return self._competing[key]

    def sanctioned_trade(self, settings: Settings, iso3: str, *, freq: str = "A", measure: str | None = None,
                         include_before: bool = False) -> pd.DataFrame:
        freq = check_freq(freq)
        return sql.frame(self.con, "sanctioned_trade_rows", country=iso3, freq=freq,
                         source_order=list(settings.source_order), dedupe=self._dedupe(iso3, freq), measure=measure,
                         include_before=include_before)

    def summary(self, settings: Settings, iso3: str, *, freq: str = "A") -> pd.DataFrame:
        freq = check_freq(freq)
        return sql.frame(self.con, "sanctioned_trade_summary", country=iso3, freq=freq,
                         source_order=list(settings.source_order), dedupe=self._dedupe(iso3, freq))
