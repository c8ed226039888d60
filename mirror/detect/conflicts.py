"""Conflicting figures: publishers that disagree about one flow. A median of two sources is neither's
number (2016 coal becomes the midpoint of two press reports), so a disagreement beyond a tolerance
is a finding of its own, naming each source and its figure; the break tests run on the median and
their evidence carries the range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import DetectSettings, fmt_amount, verb
from .registry import Inputs, detector, step


def conflicting_figures(versions: pd.DataFrame, s: DetectSettings) -> list[dict]:
    """One flag per (series, period) whose highest figure exceeds its lowest by more than
    s.conflict_tolerance. ``versions``: rows of detect_figure_versions (low, high, versions)."""
    if versions.empty:
        return []
    c = versions[versions.versions.notna() & (versions.low > 0)]
    c = c[c.high / c.low - 1 > s.conflict_tolerance]
    out = []
    for r in c.itertuples(index=False):
        apart = r.high / r.low - 1
        out.append({
            "detector": "conflicting_figures", "reporter": r.reporter, "partner": r.partner, "flow": r.flow,
            "hs": r.hs, "unit": r.unit, "period": r.period, "statistic": "highest / lowest figure - 1",
            "score": float(apart), "threshold": s.conflict_tolerance, "p_value": np.nan, "q_value": np.nan,
            "severity": "medium" if apart < 1 else "high",
            "reason": (f"Sources disagree on {r.reporter}'s reported HS {r.hs} "
                       f"{verb(r.flow)} {r.partner} in {r.period}: {r.versions} ({r.unit}); the highest is {apart:.0%} above the lowest. The break "
                       f"tests use the median ({fmt_amount(r.amount, r.unit)}) and this range; check the sources"),
            "explained_by": None, "implied_missing": np.nan, "evidence": r.versions, "missing_data": None})
    return out


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
detector("conflicting_figures", "publishers that disagree on one flow beyond conflict_tolerance, each source and "
         "its figure named")


@step(produces=("conflicting_figures",), queries=("detect_series", "detect_figure_versions"), order=30)
def _conflicts_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    # the versions are read only for the series a run found several figures for (most have one)
    panel = inputs.series
    several = (panel.figures > 1).any(axis=1)
    if not several.any():
        return []
    keys = panel.keys[several]
    versions = inputs.query("detect_figure_versions", freq=inputs.freq, countries=inputs.countries,
                            include_estimated=s.uv_include_estimated, reporters=sorted(set(keys.reporter)),
                            codes=sorted(set(keys.hs)))
    return conflicting_figures(versions, s)
