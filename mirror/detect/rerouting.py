"""Rerouting after a ban, two ways it shows in mirror data:

- relabelling: an importer reports imports of the banned goods "from" one of the target's
  neighbours far beyond what that neighbour reports exporting to it, after the ban, where the pair
  agreed before (DPRK coal declared Russian in 2017: Korean imports "from Russia" above Russia's
  reported exports);
- a difference in differences in the spirit of Chupilkin, Javorcik and Plekhanov's "Eurasian
  Roundabout" (2023): after a ban on supplying the target, a third country's exports of the banned
  goods to the target's neighbours rise beyond its exports of other goods to them
  (OLS of log value on banned, after and banned x after; the interaction is the effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from .base import NEIGHBOURS, DetectSettings, fmt_amount


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


def roundabout(series: pd.DataFrame, bans: pd.DataFrame, target: str, s: DetectSettings) -> list[dict]:
    out = []
    neighbours = NEIGHBOURS.get(target, ())
    supply_bans = bans[bans.direction == "supply_to_target"]
    data = series[(series.unit == "USD") & (series.flow == "export") & series.partner.isin(neighbours)
                  & ~series.reporter.isin((target, *neighbours)) & (series.hs != "TOTAL")]
    if data.empty or supply_bans.empty:
        return out
    data = data.assign(start=pd.to_datetime(data.period_start))
    for measure, m in supply_bans.groupby("measure"):
        effective = pd.Timestamp(m.effective.iloc[0])
        d = data.assign(banned=_covered(data.hs, list(m.hs_prefix)).astype(int),
                        after=(data.start >= effective).astype(int))
        for (reporter, partner), g in d.groupby(["reporter", "partner"]):
            if g.banned.nunique() < 2:
                continue
            panel = g.groupby(["period", "banned", "after"], as_index=False).amount.sum()
            panel = panel[panel.amount > 0]
            counts = panel.groupby(["banned", "after"]).size()
            if len(counts) < 4 or counts.min() < 2:
                continue
            panel = panel.assign(log_value=np.log(panel.amount))
            fit = smf.ols("log_value ~ banned * after", data=panel).fit()
            effect, p = float(fit.params["banned:after"]), float(fit.pvalues["banned:after"])
            if effect < s.reroute_min or p >= s.alpha:
                continue
            out.append({
                "detector": "rerouting", "reporter": reporter, "partner": partner, "flow": "export",
                "hs": " ".join(sorted(set(m.hs_prefix)))[:60], "unit": "USD", "freq": "A",
                "period": panel[panel.after == 1].period.min(), "statistic": "difference in differences (log points)",
                "score": effect, "threshold": s.reroute_min, "p_value": p, "severity": "high" if p < 0.01 else "medium",
                "reason": (f"After {measure} ({effective:%Y-%m-%d}) banned supplying {target}, {reporter}'s exports of "
                           f"the banned goods to {partner}, a neighbour of {target}, rose {np.expm1(effect):+.0%} beyond its "
                           f"exports of other goods to {partner} (difference in differences {effect:.2f}, p={p:.3g}): "
                           "possible rerouting"),
                "explained_by": measure, "implied_missing": np.nan, "evidence": f"{len(panel)} period-group totals"})
    return out
