"""Breaks in reported series: reporting gaps, level shifts (at the sanctions' dates and at unknown
dates) and shocks common to a whole pair.

The canonical case: China's customs reported ~523,000 t of crude oil to the DPRK in 2012, then zero
from 2014, while the pipeline kept running and China's other trade with the DPRK barely moved. That
is a reporting gap. Coal, iron ore, seafood and textiles falling after the 2017 bans are level
shifts explained by the measure. The 2020 border closure is a shock common to every series of the
pair. Short annual series get a known-date, Chow-type F test (OLS with a break dummy), which is far
more powerful there than CUSUM; unknown dates use a sup-F search confirmed by statsmodels' CUSUM test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import breaks_cusumolsresid

from .base import DetectSettings, fmt_amount, pct, severity


def chow_known_date(y: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """F statistic and p-value of a break in level at a known date: OLS of y on a constant and a
    dummy that is 1 from the break on (with one regressor tested, F = t^2)."""
    X = sm.add_constant(after.astype(float), has_constant="add")
    fit = sm.OLS(y.astype(float), X).fit()
    if fit.df_resid <= 0 or not np.isfinite(fit.bse[1]) or fit.bse[1] == 0:
        # a perfect step (no variance on either side) is as significant as it gets
        return (np.inf, 0.0) if abs(fit.params[1]) > 0 else (0.0, 1.0)
    test = fit.f_test(np.array([[0.0, 1.0]]))
    return float(np.squeeze(test.fvalue)), float(np.squeeze(test.pvalue))


def sup_f_break(y: np.ndarray, min_side: int = 2) -> tuple[int | None, float, float]:
    """The most likely break at an unknown date (largest Chow F over candidate dates), and the
    CUSUM test's p-value of the constant-level model on the whole series."""
    n = len(y)
    best, best_f = None, 0.0
    for k in range(min_side, n - min_side + 1):
        after = np.r_[np.zeros(k), np.ones(n - k)]
        f, _ = chow_known_date(y, after)
        if f > best_f:
            best, best_f = k, f
    if best is None:
        return None, 0.0, 1.0
    resid = y - y.mean()
    if np.allclose(resid, 0):
        return best, best_f, 1.0
    _, cusum_p, _ = breaks_cusumolsresid(resid, ddof=1)
    return best, best_f, float(cusum_p)


def _covering_bans(key: tuple, bans: pd.DataFrame, target: str) -> pd.DataFrame:
    """Bans whose codes cover the series' HS code and whose direction matches its flow."""
    reporter, partner, flow, hs = key
    if hs == "TOTAL" or bans.empty:
        return bans.iloc[0:0]
    exports_from = (flow == "import" and partner == target) or (flow == "export" and reporter == target)
    supply_to = (flow == "export" and partner == target) or (flow == "import" and reporter == target)
    covered = bans[[hs.startswith(p) for p in bans.hs_prefix]]  # the series' code lies within the measure's
    direction = covered.direction.map({"exports_from_target": exports_from, "supply_to_target": supply_to})
    return covered[direction.astype(bool)]


def common_shocks(series: pd.DataFrame, s: DetectSettings) -> pd.DataFrame:
    """Periods in which most of a pair's series fell at once: one flag per (reporter, partner, flow,
    period). ``series`` rows: key columns, period, period_start, amount."""
    rows = []
    keys = ["reporter", "partner", "flow", "unit"]
    data = series[series.hs != "TOTAL"].sort_values("period_start")
    data = data.assign(prev=data.groupby(keys + ["hs"]).amount.shift(1))
    data = data[data.prev > 0]
    data = data.assign(change=data.amount / data.prev - 1)
    for (reporter, partner, flow, unit, period), g in data.groupby(keys + ["period"]):
        n = len(g)
        if n < s.shock_min_series:
            continue
        share = float((g.change <= -s.shock_drop).mean())
        if share >= s.shock_share:
            med = float(g.change.median())
            rows.append({
                "detector": "common_shock", "reporter": reporter, "partner": partner, "flow": flow, "hs": "ALL",
                "unit": unit, "period": period, "statistic": "share of the pair's series falling by half or more",
                "score": share, "threshold": s.shock_share, "p_value": np.nan, "severity": "high" if share >= 0.8 else "medium",
                "reason": (f"{share:.0%} of {n} series of {reporter}'s {flow}s {'to' if flow == 'export' else 'from'} "
                           f"{partner} fell by half or more in {period} (median change {pct(med)}): a shock common to "
                           "the whole pair, not a series-specific gap"),
                "explained_by": "common shock", "implied_missing": np.nan, "evidence": f"{n} series"})
    return pd.DataFrame(rows)


def breaks(series: pd.DataFrame, context: pd.DataFrame, estimates: pd.DataFrame, bans: pd.DataFrame,
           shocks: pd.DataFrame, target: str, s: DetectSettings) -> list[dict]:
    """reporting_gap and level_shift flags for every series."""
    flags: list[dict] = []
    shock_keys = set(zip(shocks.get("reporter", []), shocks.get("partner", []), shocks.get("flow", []),
                         shocks.get("period", []), strict=False)) if len(shocks) else set()
    for key, g in series.groupby(["reporter", "partner", "flow", "hs", "unit"], sort=False):
        g = g.sort_values("period_start")
        y = g.amount.to_numpy(dtype=float)
        if len(y) < s.min_history + 1:
            continue
        periods = g.period.to_numpy()
        starts = pd.to_datetime(g.period_start).to_numpy()
        freq = "M" if g.month.notna().any() else "A"
        series_key = key[:4]
        covering = _covering_bans(series_key, bans, target)
        gap = _reporting_gap(key, y, periods, starts, covering, context, estimates, shock_keys, freq, s)
        if gap:
            flags.append(gap)
        explained = {gap["explained_by"]} if gap and gap["explained_by"] else set()
        flags.extend(f for f in _known_date_shifts(key, y, periods, starts, covering, freq, s)
                     if f["explained_by"] not in explained)
        # Unknown dates only for product series: a TOTAL moves with every measure and shock at once.
        if not covering.shape[0] and not gap and key[3] != "TOTAL":
            shift = _unknown_date_shift(key, y, periods, shock_keys, freq, s)
            if shift:
                flags.append(shift)
    return flags


def _pre_level(y: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    history = y[:k][y[:k] > 0][-5:]
    return (float(np.median(history[-3:])) if len(history) else 0.0), history


def _reporting_gap(key, y, periods, starts, covering, context, estimates, shock_keys, freq, s) -> dict | None:
    reporter, partner, flow, hs, unit = key
    zeros = np.flatnonzero(y <= 0)
    if not len(zeros):
        return None
    # the first zero after which the series never recovers
    k = next((int(z) for z in zeros if (y[z:] <= 0).all()), None)
    if k is None:
        return None
    level, history = _pre_level(y, k)
    if len(history) < s.min_history or level <= 0:
        return None
    cv = float(np.std(history) / np.mean(history))
    if cv > s.max_history_cv:
        return None
    break_start = pd.Timestamp(starts[k])
    # A ban explains the drop when it took effect up to a grace window before the first zero (bans let
    # contracts run 30-90 days; a monthly series needs months to reach zero, an annual one a year).
    grace = pd.DateOffset(months=6) if freq == "M" else pd.DateOffset(years=1)
    window_end = break_start + (pd.offsets.MonthEnd(1) if freq == "M" else pd.offsets.YearEnd(1))
    explaining = covering[(covering.effective > break_start - grace) & (covering.effective <= window_end)]
    after = np.r_[np.zeros(k), np.ones(len(y) - k)]
    if len(explaining):
        # classified as a level shift explained by the measure, not a reporting gap
        m = explaining.sort_values("effective").iloc[-1]
        f, p = chow_known_date(y, after)
        verb = "exports to" if flow == "export" else "imports from"
        return {
            "detector": "level_shift", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
            "freq": freq, "period": periods[k], "statistic": "drop to zero; Chow F at the first zero", "score": -1.0,
            "threshold": s.min_shift, "p_value": p, "severity": severity(p, 1.0, 0.9),
            "reason": (f"{reporter}'s reported HS {hs} {verb} {partner} fell from a median of {fmt_amount(level, unit)} "
                       f"to 0 in {periods[k]}, after {m.measure} took effect on {m.effective:%Y-%m-%d} ({m.goods}; "
                       f"Chow F={f:.3g}, p={p:.3g}): explained by the measure, not a reporting gap"),
            "explained_by": m.measure, "implied_missing": np.nan, "evidence": f"history {', '.join(f'{v:,.0f}' for v in history)}"}
    if (reporter, partner, flow, periods[k]) in shock_keys:
        return None  # the whole pair fell: a common shock, reported once for the pair
    exporter, importer = (reporter, partner) if flow == "export" else (partner, reporter)
    other = _other_trade(context, exporter, importer, hs, periods, k)
    if other is not None and other[0] < s.min_other_ratio:
        return None  # the pair's other trade collapsed too
    f, p = chow_known_date(y, after)
    est = estimates[(estimates.reporter == reporter) & (estimates.partner == partner) & (estimates.flow == flow)
                    & (estimates.hs == hs) & (estimates.unit == unit) & (estimates.period == periods[k])]
    est_text = ""
    if len(est):
        e = est.iloc[0]
        est_text = f"; the loaded estimate ({e.publishers}) puts it at {fmt_amount(e.amount, unit)}"
    if other is None:
        other_text = "; the pair's other trade is not in the store, so it cannot be checked"
    else:
        other_text = (f" while {exporter}'s other exports to {importer} moved {pct(other[0] - 1)} "
                      f"({fmt_amount(other[1], 'USD')} vs {fmt_amount(other[2], 'USD')} before, {other[3]} figures)")
    n_after = len(y) - k
    verb = "exports to" if flow == "export" else "imports from"
    return {
        "detector": "reporting_gap", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
        "freq": freq, "period": periods[k], "statistic": "Chow F at the first zero", "score": 1.0,
        "threshold": s.min_other_ratio, "p_value": p, "severity": "high" if other is not None else "medium",
        "reason": (f"{reporter}'s reported HS {hs} {verb} {partner} fell from a median of {fmt_amount(level, unit)} "
                   f"(last {len(history)} reported periods, CV {cv:.2f}) to 0 in {periods[k]} and stayed at 0 for "
                   f"{n_after} period(s){other_text}: reporting gap, not a collapse of trade. Implied missing "
                   f"volume {fmt_amount(level, unit)} per period{est_text}"),
        "explained_by": None, "implied_missing": level,
        "evidence": f"history {', '.join(f'{v:,.0f}' for v in history)}; Chow F={f:.3g}, p={p:.3g}"}


def _other_trade(context: pd.DataFrame, exporter: str, importer: str, hs: str, periods, k: int):
    """(ratio, level at the break, level before, kind) of the pair's trade in other goods, or None."""
    c = context[(context.exporter == exporter) & (context.importer == importer) & (context.hs == "TOTAL")]
    if c.empty:
        return None
    c = c.assign(v=c.reported.fillna(c.estimated)).dropna(subset=["v"])
    one_way = c[~c.two_way]
    c = one_way if len(one_way) else c
    by_period = c.groupby("period").v.median()
    before_periods = [p for p in periods[max(0, k - 3):k] if p in by_period.index]
    at = next((p for p in periods[k:k + 2] if p in by_period.index), None)
    if at is None or not before_periods:
        return None
    before = float(by_period[before_periods].mean())
    now = float(by_period[at])
    if before <= 0:
        return None
    kinds = c[c.period.isin([at, *before_periods])]
    kind = "reported" if kinds.reported.notna().all() else "partly estimated"
    return now / before, now, before, kind


def _known_date_shifts(key, y, periods, starts, covering, freq, s) -> list[dict]:
    reporter, partner, flow, hs, unit = key
    out = []
    for m in covering.drop_duplicates("measure").itertuples():
        eff = np.datetime64(pd.Timestamp(m.effective))
        year_before = (starts < eff) & (starts >= eff - np.timedelta64(366, "D"))
        if year_before.any() and (y[year_before] <= 0).all():
            continue  # nothing was left to ban: an earlier measure already explains the fall
        after = (starts >= eff).astype(float)
        n_after, n_before = int(after.sum()), int(len(after) - after.sum())
        if n_after < 1 or n_before < 2:
            continue
        before_mean = float(y[after == 0].mean())
        after_mean = float(y[after == 1].mean())
        if before_mean <= 0:
            continue
        shift = after_mean / before_mean - 1
        f, p = chow_known_date(y, after)
        if p >= s.alpha or abs(shift) < s.min_shift:
            continue
        first_after = periods[int(np.argmax(after))]
        out.append({
            "detector": "level_shift", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
            "freq": freq, "period": first_after, "statistic": "Chow F at the measure's effective date", "score": shift,
            "threshold": s.min_shift, "p_value": p, "severity": severity(p, abs(shift), 0.9),
            "reason": (f"{reporter}'s reported HS {hs} {'exports to' if flow == 'export' else 'imports from'} {partner} "
                       f"moved {pct(shift)} after {m.effective:%Y-%m-%d} ({fmt_amount(before_mean, unit)} per period "
                       f"before, {fmt_amount(after_mean, unit)} after; Chow F={f:.3g}, p={p:.3g}): explained by "
                       f"{m.measure} ({m.goods}), not a reporting gap"),
            "explained_by": m.measure, "implied_missing": np.nan, "evidence": f"{n_before} periods before, {n_after} after"})
    return out


def _unknown_date_shift(key, y, periods, shock_keys, freq, s) -> dict | None:
    reporter, partner, flow, hs, unit = key
    if len(y) < 6:
        return None
    k, f, cusum_p = sup_f_break(y)
    if k is None:
        return None
    before_mean, after_mean = float(y[:k].mean()), float(y[k:].mean())
    if before_mean <= 0:
        return None
    shift = after_mean / before_mean - 1
    if cusum_p >= s.alpha or abs(shift) < s.min_shift:
        return None
    if (reporter, partner, flow, periods[k]) in shock_keys:
        return None
    return {
        "detector": "level_shift", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
        "freq": freq, "period": periods[k], "statistic": "sup-F break date; CUSUM test", "score": shift,
        "threshold": s.min_shift, "p_value": cusum_p, "severity": severity(cusum_p, abs(shift), 0.9),
        "reason": (f"{reporter}'s reported HS {hs} {'exports to' if flow == 'export' else 'imports from'} {partner} "
                   f"shifted {pct(shift)} from {periods[k]} ({fmt_amount(before_mean, unit)} per period before, "
                   f"{fmt_amount(after_mean, unit)} after; CUSUM p={cusum_p:.3g}); no measure in the register "
                   "covers it: unexplained"),
        "explained_by": None, "implied_missing": np.nan, "evidence": f"sup-F={f:.3g} at {periods[k]}"}
