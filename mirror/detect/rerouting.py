"""Rerouting after a ban, two ways it shows in mirror data:

- relabelling: an importer reports imports of the banned goods "from" one of the target's
  neighbours far beyond what that neighbour reports exporting to it, after the ban, where the pair
  agreed before (DPRK coal declared Russian in 2017: Korean imports "from Russia" above Russia's
  reported exports);
- the "Eurasian Roundabout" difference in differences is in roundabout.py; the same goods in
  tonnes at HS6 in relabel.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import NEIGHBOURS, DetectSettings, fmt_amount
from .registry import Inputs, detector, step


def _covered(hs: pd.Series, prefixes: list[str]) -> pd.Series:
    return hs.map(lambda h: h != "TOTAL" and any(h.startswith(p) for p in prefixes))


def relabelling(pairs: pd.DataFrame, bans: pd.DataFrame, target: str, s: DetectSettings) -> list[dict]:
    out = []
    neighbours = NEIGHBOURS.get(target, ())
    export_bans = bans[bans.direction == "exports_from_target"]
    if pairs.empty or export_bans.empty or not neighbours:
        return out
    p = pairs[pairs.exporter.isin(neighbours) & (pairs.importer != target)].copy()
    for measure, m in export_bans.groupby("measure"):
        effective = pd.Timestamp(m.effective.iloc[0])
        q = p[_covered(p.hs, list(m.hs_prefix))]
        if q.empty:
            continue
        q = q.assign(start=pd.to_datetime(q.period.str[:4] + "-01-01"),
                     ratio=q.value_importer_fob_usd / q.value_exporter_usd.replace(0, np.nan))
        before = q[q.start + pd.offsets.YearEnd(0) < effective].groupby(["exporter", "importer", "hs"]).ratio.median()
        for r in q[q.start >= effective.replace(month=1, day=1)].itertuples():
            excess = r.value_importer_fob_usd - r.value_exporter_usd  # exporter side known (0 if it reported nothing)
            ratio = np.inf if pd.isna(r.ratio) else r.ratio
            prior = before.get((r.exporter, r.importer, r.hs), np.nan)
            # The pair must have agreed before the ban: an unknown prior ratio is never evidence.
            if not (ratio >= s.relabel_min_ratio and excess > 0) or pd.isna(prior) or prior >= s.relabel_min_ratio / 1.6:
                continue
            out.append({
                "detector": "rerouting", "reporter": r.importer, "partner": r.exporter, "flow": "import", "hs": r.hs,
                "unit": "USD", "freq": r.freq, "period": r.period, "statistic": "importer/exporter ratio after the ban",
                "score": float(min(ratio, 1e6)), "threshold": s.relabel_min_ratio, "p_value": np.nan, "severity": "high",
                "reason": (f"{r.importer} reports {fmt_amount(r.value_importer_fob_usd, 'USD')} (FOB) of HS {r.hs} imported "
                           f"from {r.exporter} in {r.period}, but {r.exporter} reports "
                           f"{fmt_amount(r.value_exporter_usd, 'USD') if r.value_exporter_usd > 0 else 'no such exports'}"
                           f" ({'no ratio' if not np.isfinite(ratio) else f'{ratio:.1f}x'}; before {measure} the pair's ratio was "
                           f"{prior:.2f}): goods of {target} banned by {measure} "
                           f"may be relabelled as {r.exporter}'s"),
                "explained_by": measure, "implied_missing": float(excess), "evidence": "mirror pair after the ban",
                "_effective": effective})
    # Several bans cover coal (2270, then 2371): a finding is attributed once, to the latest in force.
    latest: dict[tuple, dict] = {}
    for f in out:
        key = (f["reporter"], f["partner"], f["hs"], f["period"])
        if key not in latest or f["_effective"] > latest[key]["_effective"]:
            latest[key] = f
    return [{k: v for k, v in f.items() if k != "_effective"} for f in latest.values()]


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
detector("rerouting", "the target's banned goods relabelled or rerouted through its neighbours: in tonnes at HS6, "
         "in values after a ban, and the third countries' roundabout", headline_rank=3)


@step(produces=("rerouting",), queries=("detect_mirror_pairs", "detect_bans"), order=50)
def _relabelling_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    inputs.mirror_built()
    pairs = inputs.query("detect_mirror_pairs", neighbours=inputs.neighbours, countries=inputs.countries)
    return relabelling(pairs, inputs.bans, inputs.country, s)
