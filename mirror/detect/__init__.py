"""Anomaly detection on built frames, one module per family (breaks, outliers, rerouting,
sanctions), statsmodels for the statistics, one tidy flags table with a reason per row.

    flags = db.flags()                       # DataFrame, one row per flag
    db.flags(detector="reporting_gap")
"""

from __future__ import annotations

import pandas as pd

from .. import sql
from .base import DETECTORS, FLAG_COLUMNS, NEIGHBOURS, DetectSettings, flags_frame
from .breaks import breaks, common_shocks
from .conflicts import conflicting_figures
from .inference import families
from .outliers import mirror_outliers, unit_value_outliers
from .relabel import relabelling_tonnes
from .rerouting import relabelling
from .roundabout import roundabout
from .sanctions import cap_exceeded, sanctioned_trade

__all__ = ["DETECTORS", "FLAG_COLUMNS", "DetectSettings", "run"]

_ORDER = {"high": 0, "medium": 1, "low": 2}
FOR_TARGET = ("rerouting", "cap_exceeded")  # detectors whose flags concern the target through third countries


def run(store, country: str = "PRK", freq: str = "A", level: str = "4",
        settings: DetectSettings | None = None) -> pd.DataFrame:
    """Every detector on the store's current data; returns the flags, most severe first, with
    ``flags.attrs["tests"]``: the number of tests in each Benjamini-Hochberg family of the run."""
    with families() as tests:
        flags = _run(store, country, freq, level, settings or DetectSettings())
    flags.attrs["tests"] = dict(tests)
    return flags


def _run(store, country: str, freq: str, level: str, s: DetectSettings) -> pd.DataFrame:
    con = store.con
    # the country's trade and its neighbours' (rerouting, outliers' cross-sections): not the whole world
    countries = [country, *NEIGHBOURS.get(country, ())]
    series = sql.frame(con, "detect_series", freq=freq, countries=countries, include_estimated=s.uv_include_estimated)
    estimated_kg = 0 if s.uv_include_estimated else \
        sql.run(con, "detect_estimated_weights", freq=freq, countries=countries).fetchall()[0][0]
    context = sql.frame(con, "detect_context", freq=freq)
    estimates = sql.frame(con, "detect_estimates", freq=freq)
    # every register measure: a series of the country's neighbour with a sanctioned target (DEU-PRK
    # when the country asked for is DEU) is judged against the target's bans too
    all_bans = sql.frame(con, "detect_bans", country=None)
    all_bans["effective"] = pd.to_datetime(all_bans.effective)
    bans = all_bans[all_bans.target == country].reset_index(drop=True)
    series["period_start"] = pd.to_datetime(series.period_start)
    series["period"] = series.period.astype(str)
    context["period"] = context.period.astype(str)

    shocks = common_shocks(series, s)
    rows = list(shocks.to_dict("records")) if len(shocks) else []
    for r in rows:
        r["freq"] = freq
    rows += breaks(series, context, estimates, all_bans, shocks, country, s)
    rows += conflicting_figures(series, s)
    store.engine.build(store.settings, level, freq)
    pairs = sql.frame(con, "detect_mirror_pairs", neighbours=list(NEIGHBOURS.get(country, ())), countries=countries)
    rows += mirror_outliers(sql.frame(con, "detect_mirror_outliers", min_history=s.outlier_min_history,
                                      z=s.outlier_z, min_ratio=s.outlier_min_ratio), s)
    rows += unit_value_outliers(sql.frame(con, "detect_unit_values", freq=freq, z=s.uv_z, min_ratio=s.uv_min_ratio,
                                          include_estimated=s.uv_include_estimated), s)
    rows += relabelling(pairs, bans, country, s)
    export_codes = sorted(set(bans[bans.direction == "exports_from_target"].hs_prefix))
    tonnes = sql.frame(con, "detect_relabel_pairs", freq=freq, exporters=list(NEIGHBOURS.get(country, ())),
                       target=country, prefixes=export_codes)
    rows += relabelling_tonnes(tonnes, bans, country, freq, s)
    rows += roundabout(sql.frame(con, "detect_roundabout_panel", target=country,
                                 neighbours=list(NEIGHBOURS.get(country, ()))), series, bans, country, s)
    rows += sanctioned_trade(store.sanctioned_trade(country, freq=freq, summary=True), freq)
    if freq == "A":
        rows += cap_exceeded(store.caps(country, kind=None), store.caps(country, kind=None, monthly=True))
    flags = flags_frame(rows)
    if estimated_kg and len(flags):
        # the tonnes series were built without the weights Comtrade estimated: each kg flag says so
        kg = flags.unit == "kg"
        flags.loc[kg, "evidence"] = flags.loc[kg, "evidence"].fillna("") + \
            f"; {estimated_kg:,} estimated weights of this trade left out (DetectSettings.uv_include_estimated)"
    # Only the country's own series: outliers are screened over the whole store and the country's
    # neighbours are read for context, but their flags with others are not the country's. Kept too:
    # what is computed for the country itself - its goods relabelled or rerouted through its
    # neighbours (rerouting) and the caps on supplying it (cap_exceeded).
    own = (flags.reporter == country) | (flags.partner == country) | flags.detector.isin(FOR_TARGET)
    flags = flags[own].reset_index(drop=True)
    if flags.empty:
        return flags
    flags["freq"] = flags["freq"].fillna(freq)
    flags = flags.assign(_o=flags.severity.map(_ORDER)).sort_values(["_o", "detector", "reporter", "period"])
    return flags.drop(columns="_o").reset_index(drop=True)
