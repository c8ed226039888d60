"""The "Eurasian Roundabout" (Chupilkin, Javorcik and Plekhanov, EBRD 2023): after a ban on supplying
the target, do a third country's exports of the banned goods to the target's neighbours rise beyond
(a) its exports of other goods to them and (b) its exports of the same goods to other destinations?

For each supplier s and supply ban, on the panel of s's exports by product k, destination d, period t
(log values; the mirror's products, HS4 at the default level):

    ln X_kdt = beta (banned_k x neighbour_d x after_t) + a_kd + b_kt + c_dt + e_kdt

The fixed effects absorb every two-way pattern (a product's level at a destination, a product's
world trend, a destination's trend), so beta is the triple difference: the extra growth, in log
points, of banned goods to the neighbours after the ban. Estimated by the Frisch-Waugh-Lovell
route: y and the treatment are demeaned on the three sets of effects by alternating projections
(exact at convergence), then statsmodels OLS of one on the other with standard errors clustered by
product and t inference with G - 1 degrees of freedom (the effects absorbed in a_kd and b_kt are
nested in the product clusters, so no further correction is due). Benjamini-Hochberg across the
suppliers and bans tested. The substitution ratio compares the rise through the neighbours with the
fall of the supplier's direct exports of the banned goods to the target:

    rise = sum over banned k, neighbour d, t after of X_kdt (1 - exp(-beta)), per year
    fall = the supplier's direct exports of banned goods to the target per year before - after

with its interval from beta's 90% confidence bounds (the ratio is monotone in beta).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import NEIGHBOURS, DetectSettings, fmt_amount
from .inference import benjamini_hochberg, record_family
from .panel import SeriesPanel
from .registry import Inputs, step

MIN_PRODUCTS = 4  # clusters on each side of the banned / other split


def _demean(frame: pd.DataFrame, columns: list[str], groups: list[str], tol: float = 1e-10,
            max_iter: int = 500) -> pd.DataFrame:
    """Residuals of ``columns`` on the fixed effects ``groups`` (alternating projections)."""
    out = frame[columns].astype(float).copy()
    codes = [frame[g].astype("category").cat.codes.to_numpy() for g in groups]
    for _ in range(max_iter):
        change = 0.0
        for c in codes:
            means = out.groupby(c).transform("mean")
            out -= means
            change = max(change, float(np.abs(means.to_numpy()).max()))
        if change < tol:
            break
    return out


def did(panel: pd.DataFrame, banned: set[str], neighbours: tuple[str, ...], effective: pd.Timestamp) -> dict | None:
    """beta, its clustered standard error, p-value and 90% interval on one supplier's panel."""
    # a period that straddles the ban's date is neither before nor after: left out
    start, end = pd.to_datetime(panel.period_start), pd.to_datetime(panel.period_end)
    panel = panel[(start >= effective) | (end < effective)]
    p = panel.assign(y=np.log(panel.usd), b=panel.hs.isin(banned).astype(float),
                     n=panel.destination.isin(neighbours).astype(float),
                     a=(pd.to_datetime(panel.period_start) >= effective).astype(float))
    p = p.assign(treat=p.b * p.n * p.a, kd=p.hs + "|" + p.destination, kt=p.hs + "|" + p.period,
                 dt=p.destination + "|" + p.period)
    if p[p.b == 1].hs.nunique() < MIN_PRODUCTS or p[p.b == 0].hs.nunique() < MIN_PRODUCTS:
        return None
    if p.n.nunique() < 2 or p.a.nunique() < 2 or p.treat.sum() == 0:
        return None
    r = _demean(p, ["y", "treat"], ["kd", "kt", "dt"])
    if r.treat.abs().max() < 1e-9:
        return None
    import statsmodels.api as sm  # here, not at the top: most runs stop above (0.4 s of every report)

    groups = p.hs.astype("category").cat.codes.to_numpy()
    fit = sm.OLS(r.y.to_numpy(), r.treat.to_numpy()).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                                         use_t=True)
    beta, se = float(fit.params[0]), float(fit.bse[0])
    lo, hi = (float(v) for v in fit.conf_int(alpha=0.10)[0])
    return {"beta": beta, "se": se, "p": float(fit.pvalues[0]), "lo": lo, "hi": hi, "n": len(p),
            "clusters": int(p.hs.nunique()), "data": p,
            "neighbours": sorted(set(p[p.n == 1].destination))}


def roundabout(panel: pd.DataFrame, direct: SeriesPanel, bans: pd.DataFrame, target: str,
               s: DetectSettings) -> list[dict]:
    """``panel``: rows of detect_roundabout_panel; ``direct``: the run's series (suppliers' exports to
    the target, USD), for the fall of direct trade; ``bans``: the target's bans."""
    neighbours = NEIGHBOURS.get(target, ())
    supply = bans[bans.direction == "supply_to_target"]
    if panel.empty or supply.empty or not neighbours:
        return []
    tests = []
    for measure, m in supply.groupby("measure"):
        effective = pd.Timestamp(m.effective.iloc[0])
        prefixes = tuple(m.hs_prefix)
        for supplier, g in panel.groupby("exporter"):
            banned = {h for h in g.hs.unique() if h.startswith(prefixes)}
            res = did(g, banned, neighbours, effective)
            if res is not None:
                tests.append((measure, effective, prefixes, supplier, res))
    if not tests:
        return []
    q = benjamini_hochberg(np.array([t[4]["p"] for t in tests]))
    record_family("roundabout", len(tests))
    out = []
    for (measure, effective, prefixes, supplier, res), qv in zip(tests, q, strict=True):
        if qv > s.fdr or res["beta"] < s.reroute_min:
            continue
        ratio, ratio_lo, ratio_hi, rise, fall = _substitution(res, direct, supplier, target, prefixes, effective)
        ratio_text = ("no direct exports of these goods to compare with" if not np.isfinite(ratio) else
                      f"substitution ratio {ratio:.2f} (90% interval {ratio_lo:.2f}-{ratio_hi:.2f}): the rise through "
                      f"the neighbours, {fmt_amount(rise, 'USD')} a year, against the fall of direct exports to "
                      f"{target}, {fmt_amount(fall, 'USD')} a year")
        out.append({
            "detector": "rerouting", "reporter": supplier, "partner": "+".join(res["neighbours"]), "flow": "export",
            "hs": " ".join(sorted(set(prefixes)))[:60], "unit": "USD", "freq": "A",
            "period": res["data"][res["data"].a == 1].period.min(),
            "statistic": "triple difference (log points): banned x neighbour x after, FE kd kt dt, clustered by product",
            "score": res["beta"], "threshold": s.reroute_min, "p_value": res["p"], "q_value": qv,
            "severity": "high" if qv <= s.fdr / 5 else "medium",
            "reason": (f"After {measure} ({effective:%Y-%m-%d}) banned supplying {target}, {supplier}'s exports of the "
                       f"banned goods to {target}'s neighbours ({', '.join(res['neighbours'])}) rose {np.expm1(res['beta']):+.0%} "
                       f"beyond its other goods to them and the same goods to other destinations (beta {res['beta']:.2f}, "
                       f"90% interval {res['lo']:.2f} to {res['hi']:.2f}, clustered by product, p={res['p']:.2g}, "
                       f"q={qv:.2g}); {ratio_text}: possible rerouting"),
            "explained_by": measure, "implied_missing": rise if np.isfinite(rise) else np.nan,
            "evidence": f"{res['n']} product-destination-periods, {res['clusters']} products", "missing_data": None})
    return out


def _substitution(res: dict, direct: SeriesPanel, supplier: str, target: str, prefixes: tuple, effective):
    p = res["data"]
    post = p[(p.b == 1) & (p.n == 1) & (p.a == 1)]
    years = max(post.period.nunique(), 1)

    def rise(beta: float) -> float:
        return float((post.usd * (1 - np.exp(-beta))).sum() / years)

    k = direct.keys
    d = direct.rows(((k.reporter == supplier) & (k.partner == target) & (k.flow == "export") & (k.unit == "USD")
                     & (k.hs != "TOTAL") & k.hs.str.startswith(prefixes)).to_numpy(dtype=bool))
    if d.empty:
        return np.nan, np.nan, np.nan, rise(res["beta"]), np.nan
    after = pd.to_datetime(d.period_start) >= effective
    per_year = d.groupby([after, "period"]).amount.sum()
    before_level = per_year.loc[False].mean() if False in per_year.index.get_level_values(0) else np.nan
    after_level = per_year.loc[True].mean() if True in per_year.index.get_level_values(0) else 0.0
    fall = float(before_level - after_level)
    if not np.isfinite(fall) or fall <= 0:
        return np.nan, np.nan, np.nan, rise(res["beta"]), fall
    return rise(res["beta"]) / fall, rise(res["lo"]) / fall, rise(res["hi"]) / fall, rise(res["beta"]), fall


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
@step(produces=("rerouting",), queries=("detect_roundabout_panel", "detect_series", "detect_bans"), order=52)
def _roundabout_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    panel = inputs.query("detect_roundabout_panel", target=inputs.country, neighbours=inputs.neighbours)
    return roundabout(panel, inputs.series, inputs.bans, inputs.country, s)
