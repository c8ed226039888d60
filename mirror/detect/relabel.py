"""Relabelling where it can be seen: the target's own banned products at HS6, in tonnes.

In 2017, 35,038 t of North Korean coal and pig iron reached South Korea through Russian ports with
forged Russian origin. Inside Korea's imports of all coal (about 10 Mt a year) that is invisible;
inside its imports of Russian anthracite (270111: a few hundred thousand tonnes) it is a clear
excess of the importer's tonnes "from Russia" over Russia's own reported exports of the same HS6 to
Korea. So the test compares, for each neighbour -> third-country pair and HS6 code the target's
export bans cover, the log ratio of the two reports' tonnes r = ln(M_kg / X_kg) after the ban
with the pair's own history (at least three periods before the first ban on the code, or the
pair's prior is unknown and nothing is said):

    t = (r - mean_others) / (sd_others sqrt(1 + 1/n)),   one-sided, t distribution with n - 1 df

where the mean and sd are over the pair's other periods, before and after the ban (relabelling is
episodic; leaving the tested period out makes this an exact prediction test under normal errors:
is this period's ratio outside what the pair's ratio does otherwise); sd is floored at 0.01, since
two customs offices weighing bulk cargo seldom agree to better than a percent. A
neighbour that published the period for the importer without the code reported nothing: then all
of the importer's tonnes are the excess. Benjamini-Hochberg over every test; the flag gives the
excess in tonnes beyond the pair's usual ratio and in USD at the importer's unit value. Monthly
figures are tested the same way where loaded (the excess is then concentrated in the months the
shipments arrived).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtr  # t.sf(x, df) = stdtr(df, -x), without scipy.stats' import

from .base import DetectSettings, fmt_amount
from .inference import benjamini_hochberg, record_family
from .registry import Inputs, step

SD_FLOOR = 0.01
MIN_BEFORE = 3


def relabelling_tonnes(pairs: pd.DataFrame, bans: pd.DataFrame, target: str, freq: str, s: DetectSettings) -> list[dict]:
    """``pairs``: rows of detect_relabel_pairs; ``bans``: the target's bans (exports_from_target)."""
    export_bans = bans[bans.direction == "exports_from_target"]
    if pairs.empty or export_bans.empty:
        return []
    pairs = pairs.assign(end=pd.to_datetime(pairs.period_end))
    export_bans = export_bans.drop_duplicates(["measure", "hs_prefix"])
    # Each pair-code-period is tested once: against the pair's history before the first ban on the
    # code (its clean history), attributed to the latest ban in force by the period's end (several
    # bans cover coal: 2270, then 2371).
    tests = []
    for (exporter, importer, hs), g in pairs.groupby(["exporter", "importer", "hs"]):
        covering = export_bans[[hs.startswith(p) for p in export_bans.hs_prefix]]
        if covering.empty:
            continue
        first = pd.Timestamp(covering.effective.min())
        both = g[g.kg_exporter > 0]
        ratios = pd.Series(np.log(both.kg_importer / both.kg_exporter).to_numpy(), index=both.period)
        if (both.end < first).sum() < MIN_BEFORE:
            continue  # no history of the pair before the ban: an unknown prior is never evidence
        for row in g[(g.end >= first) & g.kg_exporter.notna()].itertuples(index=False):
            in_force = covering[pd.to_datetime(covering.effective) <= row.end].sort_values("effective").iloc[-1]
            # the pair's usual ratio from all its other periods (an exact prediction test under
            # normal errors: the period left out is independent of the mean and sd it is judged by)
            others = ratios.drop(row.period, errors="ignore").to_numpy()
            n = len(others)
            if n < MIN_BEFORE:
                continue
            mean = float(others.mean())
            sd = max(float(others.std(ddof=1)), SD_FLOOR)
            if row.kg_exporter > 0:
                r = float(np.log(row.kg_importer / row.kg_exporter))
                stat = (r - mean) / (sd * np.sqrt(1 + 1 / n))
                p = float(stdtr(n - 1, -stat))
            else:  # the neighbour reported no such exports to the importer at all
                stat, p = np.inf, 0.0
            tests.append({"measure": in_force.measure, "effective": pd.Timestamp(in_force.effective),
                          "exporter": exporter, "importer": importer, "hs": hs, "row": row, "p": p, "stat": stat,
                          "excess_kg": row.kg_importer - row.kg_exporter * np.exp(mean), "mean": mean, "sd": sd,
                          "n": n})
    if not tests:
        return []
    qv = benjamini_hochberg(np.array([t["p"] for t in tests]))
    record_family("relabelling in tonnes", len(tests))
    return [_flag({**t, "q": q}, target, freq, s) for t, q in zip(tests, qv, strict=True)
            if q <= s.fdr and t["excess_kg"] > 0]


def _flag(t: dict, target: str, freq: str, s: DetectSettings) -> dict:
    row = t["row"]
    uv = row.usd_importer / row.kg_importer if row.usd_importer and row.kg_importer else np.nan
    excess_usd = t["excess_kg"] * uv if np.isfinite(uv) else np.nan
    exporter_text = (f"{t['exporter']} reports {fmt_amount(row.kg_exporter, 'kg')} to {t['importer']}"
                     if row.kg_exporter > 0 else f"{t['exporter']} reports no such exports to {t['importer']}")
    stat = "" if not np.isfinite(t["stat"]) else f"t={t['stat']:.2f}, "
    value_text = "" if not np.isfinite(excess_usd) else f" ({fmt_amount(excess_usd, 'USD')} at the importer's unit value)"
    return {
        "detector": "rerouting", "reporter": t["importer"], "partner": t["exporter"], "flow": "import", "hs": t["hs"],
        "unit": "kg", "freq": freq, "period": row.period,
        "statistic": "importer's tonnes beyond the exporter's, against the pair's history (prediction t test)",
        "score": float(t["excess_kg"]), "threshold": 0.0, "p_value": t["p"], "q_value": t["q"],
        "severity": "high" if t["q"] <= s.fdr / 5 else "medium",
        "reason": (f"{t['importer']} reports {fmt_amount(row.kg_importer, 'kg')} of HS {t['hs']} imported from "
                   f"{t['exporter']} in {row.period}; {exporter_text}. Before {t['measure']} ({t['effective']:%Y-%m-%d}) "
                   f"and after it, {t['importer']}'s tonnes ran at {np.exp(t['mean']):.3f}x {t['exporter']}'s (mean of {t['n']} "
                   f"other periods, sd of the log ratio {t['sd']:.3f}); the excess of {fmt_amount(t['excess_kg'], 'kg')}"
                   f"{value_text} is beyond that history ({stat}p={t['p']:.2g}, q={t['q']:.2g}): goods of {target} banned by "
                   f"{t['measure']} may be relabelled as {t['exporter']}'s"),
        "explained_by": t["measure"], "implied_missing": float(t["excess_kg"]),
        "evidence": f"HS6 tonnes, {t['n']} other periods of the pair", "missing_data": None}


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
@step(produces=("rerouting",), queries=("detect_relabel_pairs", "detect_bans"), order=51)
def _relabelling_tonnes_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    bans = inputs.bans
    export_codes = sorted(set(bans[bans.direction == "exports_from_target"].hs_prefix))
    tonnes = inputs.query("detect_relabel_pairs", freq=inputs.freq, exporters=inputs.neighbours, target=inputs.country,
                          prefixes=export_codes)
    return relabelling_tonnes(tonnes, bans, inputs.country, inputs.freq, s)
