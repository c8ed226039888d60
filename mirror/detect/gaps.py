"""Series that stop: a drop to zero for good, judged against the bans covering the series (the ban
obeyed: a level shift it explains) or as a reporting gap (a stable history, the pair's other trade
going on). The canonical gap: China's customs reported ~523,000 t of crude oil to the DPRK in 2012,
then zero from 2014, while the pipeline kept running and China's other trade barely moved.

The stopped series of a run are found on the matrix at once (the break: the period after the last
positive value), their Chow tests are one array call, and Python writes the sentences: a panel
where a ban stops tens of thousands of series pays for the sentences, not for scalar tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import fdtrc  # f.sf, without scipy.stats' 0.5 s import

from .base import DetectSettings, fmt_amount, pct, severity, verb


def chow_known_date(y: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """F statistic and p-value of a break in level at a known date: the OLS of y on a constant and
    a dummy that is 1 from the break on, in closed form (F = (SSR0 - SSR1) / (SSR1 / (n - 2))),
    which equals statsmodels' OLS F test (checked by the tests) at a fraction of the cost."""
    y = np.asarray(y, dtype=float)
    after = np.asarray(after, dtype=bool)
    f = _chow_f(len(y), after.sum(), y[~after].sum(), y[after].sum(), (y[~after] ** 2).sum(), (y[after] ** 2).sum())
    return float(f), float(_f_pvalue(f, len(y)))


def _chow_f(n, n2, s1, s2, q1, q2):
    """Vectorised mean-shift F from counts, sums and sums of squares before (1) and after (2)."""
    n, n2 = np.asarray(n, dtype=float), np.asarray(n2, dtype=float)
    n1 = n - n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ssr1 = (q1 - s1 ** 2 / n1) + (q2 - s2 ** 2 / n2)
        ssr0 = (q1 + q2) - (s1 + s2) ** 2 / n
        ssr1 = np.maximum(ssr1, 0.0)
        gain = np.maximum(ssr0 - ssr1, 0.0)
        f = np.where(ssr1 > 1e-12 * np.maximum(ssr0, 1e-300), gain / (ssr1 / (n - 2)), np.where(gain > 0, np.inf, 0.0))
    return np.where((n1 >= 1) & (n2 >= 1) & (n > 2), f, 0.0)


def _f_pvalue(f, n):
    return fdtrc(1, np.maximum(np.asarray(n, dtype=float) - 2, 1), f)



HISTORY = 5  # positive periods a history's stability is judged on
MAX_LOG_SD = 1.0  # beyond this no history is stable, however erratic its siblings


def _typical_spread(index: list[tuple], Y: np.ndarray) -> dict[tuple, float]:
    """(reporter, flow, unit) -> the 90% point, over the family's series with at least HISTORY positive
    periods, of the standard deviation of the logs of their last HISTORY positive values: how erratic
    a steady series of this reporter is (families of at least five such series)."""
    L = np.where(np.nan_to_num(Y) > 0, np.log(np.where(np.nan_to_num(Y) > 0, Y, 1.0)), np.nan)
    ok = np.isfinite(L)
    rank = np.cumsum(ok[:, ::-1], axis=1)[:, ::-1]  # 1 = the last positive period
    last = np.where(ok & (rank <= HISTORY), L, np.nan)
    enough = ok.sum(axis=1) >= HISTORY
    with np.errstate(all="ignore"):
        sd = np.nanstd(last, axis=1)
    groups: dict[tuple, list[float]] = {}
    for i in np.flatnonzero(enough):
        reporter, _partner, flow, hs, unit = index[i]
        if hs != "TOTAL":
            groups.setdefault((reporter, flow, unit), []).append(float(sd[i]))
    return {k: float(np.quantile(v, 0.9)) for k, v in groups.items() if len(v) >= 5}




@dataclass
class _Stop:
    """A stopped series to be flagged, before its Chow test."""
    row: int
    y: np.ndarray  # its observed values in time order
    k: int  # the break: the first of the zeros that never end
    fields: dict  # the flag's fields that do not depend on the test
    tested: Callable[[float, float], dict]  # (F, p) -> the fields that do


def stopped_series(index: list[tuple], Y: np.ndarray, labels: np.ndarray, starts: np.ndarray, implicit: np.ndarray,
                   freq: str, covered_by: dict[int, list], context: dict, estimates: dict, shock_keys: set,
                   s: DetectSettings) -> list[tuple[int, dict]]:
    """(row, flag) for every series flagged for dropping to zero for good after at least min_history
    positive periods: level_shift where a ban covering it (``covered_by``) took effect up to a grace
    window before the first zero (explained_by the ban), reporting_gap where its history was stable
    and the pair's other trade went on. ``context``, ``estimates``: the run's frames by key."""
    valid = ~np.isnan(Y)
    n_pos = (np.nan_to_num(Y) > 0).sum(axis=1)
    last = np.where(valid.any(axis=1), Y.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    candidates = np.flatnonzero((Y[np.arange(len(Y)), last] <= 0) & (n_pos >= s.min_history))
    if not len(candidates):
        return []
    # A ban explains the drop when it took effect up to a grace window before the first zero (bans let
    # contracts run 30-90 days; a monthly series needs months to reach zero, an annual one a year):
    # each period column's window, computed once
    grace = pd.DateOffset(months=6) if freq == "M" else pd.DateOffset(years=1)
    end = pd.offsets.MonthEnd(1) if freq == "M" else pd.offsets.YearEnd(1)
    window = [(t - grace, t + end) for t in (pd.Timestamp(x) for x in starts)]
    usd_row = {k[:4]: i for i, k in enumerate(index) if k[4] == "USD"}
    typical_sd = _typical_spread(index, Y)
    stops = []
    for i in candidates:
        m = valid[i]
        y, cols, key = Y[i][m], np.flatnonzero(m), index[i]
        positive = np.flatnonzero(y > 0)
        k = int(positive[-1]) + 1 if len(positive) else 0  # the first zero after which it never recovers
        level, history = _pre_level(y, k)
        if len(history) < s.min_history or level <= 0:
            continue
        lo, hi = window[cols[k]]
        explaining = [b for b in covered_by.get(i, []) if lo < b.effective <= hi]
        if explaining:
            stops.append(_Stop(i, y, k, *_explained(key, labels[cols[k]], explaining, level, history, freq, s)))
            continue
        twin = usd_row.get(key[:4])  # the same flow's USD series (a kg series' total is in USD)
        own = {lab: v for lab, v in zip(labels, Y[twin], strict=True) if np.isfinite(v)} if twin is not None else None
        gap = _reporting_gap(key, y, k, level, history, labels[cols], context, estimates, shock_keys, freq, s,
                             implicit[i][m], own, typical_sd.get((key[0], key[2], key[4])))
        if gap is not None:
            stops.append(_Stop(i, y, k, *gap))
    if not stops:
        return []
    # every stop's Chow F at once, from the sums chow_known_date takes
    sums = np.array([(len(t.y), len(t.y) - t.k, t.y[:t.k].sum(), t.y[t.k:].sum(), (t.y[:t.k] ** 2).sum(),
                      (t.y[t.k:] ** 2).sum()) for t in stops])
    f = _chow_f(*sums.T)
    p = _f_pvalue(f, sums[:, 0])
    return [(t.row, {**t.fields, **t.tested(float(fk), float(pk))}) for t, fk, pk in zip(stops, f, p, strict=True)]


def _explained(key, period, explaining, level, history, freq, s) -> tuple[dict, Callable]:
    """A drop to zero classified as a level shift explained by the measure, not a reporting gap."""
    reporter, partner, flow, hs, unit = key
    m = max(explaining, key=lambda b: b.effective)
    fields = {
        "detector": "level_shift", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
        "freq": freq, "period": period, "statistic": "drop to zero; Chow F at the first zero", "score": -1.0,
        "threshold": s.min_shift}
    fell = f"{reporter}'s reported HS {hs} {verb(flow)} {partner} fell from a median of {fmt_amount(level, unit)} "

    def tested(f: float, p: float) -> dict:
        return {"p_value": p, "severity": severity(p, 1.0, 0.9),
                "reason": (f"{fell}to 0 in {period}, after {m.measure} took effect on {m.effective:%Y-%m-%d} ({m.goods}; "
                           f"Chow F={f:.3g}, p={p:.3g}): explained by the measure, not a reporting gap"),
                "explained_by": m.measure, "implied_missing": np.nan, "evidence": _history(history)}
    return fields, tested


def _history(history: np.ndarray) -> str:
    return f"history {', '.join(f'{v:,.0f}' for v in history)}"


def _pre_level(y: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    history = y[:k][y[:k] > 0][-5:]
    return (float(np.median(history[-3:])) if len(history) else 0.0), history


def _reporting_gap(key, y, k, level, history, periods, context, estimates, shock_keys, freq, s,
                   implicit: np.ndarray | None = None, own_usd: dict | None = None,
                   typical_sd: float | None = None) -> tuple[dict, Callable] | None:
    reporter, partner, flow, hs, unit = key
    cv = float(np.std(history) / np.mean(history))
    # A stop that a ban explains needs no stable history (trade that stops for good when a ban takes
    # effect is the ban obeyed, however noisy it was); a reporting gap claims more, and needs it.
    # Stable: a CV of at most max_history_cv, or - for a reporter whose steady series are all noisy -
    # no more erratic than nine in ten of its series in the same direction (log sd of their last five
    # positive values), and never beyond a log sd of 1.
    log_sd = float(np.std(np.log(history)))
    stable_for_kind = typical_sd is not None and log_sd <= min(typical_sd, MAX_LOG_SD)
    if cv > s.max_history_cv and not stable_for_kind:
        return None
    stability = (f"CV {cv:.2f}" if cv <= s.max_history_cv else
                 f"CV {cv:.2f}, above {s.max_history_cv:g} but no more erratic than nine in ten of {reporter}'s "
                 f"{flow}s (log sd {log_sd:.2f}, their 90% point {typical_sd:.2f})")
    if (reporter, partner, flow, periods[k]) in shock_keys:
        return None  # the whole pair fell: a common shock, reported once for the pair
    exporter, importer = (reporter, partner) if flow == "export" else (partner, reporter)
    other = _other_trade(context, exporter, importer, hs, periods, k, own_usd)
    if other is not None and other[0] < s.min_other_ratio:
        return None  # the pair's other trade collapsed too
    est = estimates.get((reporter, partner, flow, hs, unit, periods[k]), pd.DataFrame())
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
    implicit_after = int(implicit[k:].sum()) if implicit is not None else 0
    zero_text = (f" (no figure published, while {reporter} published its other {verb(flow)} {partner}: an implicit zero"
                 f"{'' if implicit_after == n_after else f' in {implicit_after} of them'})" if implicit_after else "")
    fields = {
        "detector": "reporting_gap", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
        "freq": freq, "period": periods[k], "statistic": "Chow F at the first zero", "score": 1.0,
        "threshold": s.min_other_ratio}
    reason = (f"{reporter}'s reported HS {hs} {verb(flow)} {partner} fell from a median of {fmt_amount(level, unit)} "
              f"(last {len(history)} reported periods, {stability}) to 0 in {periods[k]} and stayed at 0 for "
              f"{n_after} period(s){zero_text}{other_text}: reporting gap, not a collapse of trade. Implied missing "
              f"volume {fmt_amount(level, unit)} per period{est_text}")

    def tested(f: float, p: float) -> dict:
        return {"p_value": p, "severity": "high" if other is not None else "medium", "reason": reason,
                "explained_by": None, "implied_missing": level,
                "evidence": f"{_history(history)}; Chow F={f:.3g}, p={p:.3g}",
                "missing_data": "the pair's other trade is not in the store" if other is None else None}
    return fields, tested


def _other_trade(context: pd.DataFrame, exporter: str, importer: str, hs: str, periods, k: int,
                 own_usd: dict | None = None):
    """(ratio, level at the break, level before, kind) of the pair's trade in other goods, or None.
    ``own_usd``: the series' own USD values by period, taken out of the pair's total first: a stop in
    reporting lowers the published total by what stopped (China's total exports to the DPRK fell by
    the crude it stopped recording), and that is not a fall of the other trade."""
    c = context.get((exporter, importer))
    if c is None or c.empty:
        return None
    c = c.assign(v=c.reported.fillna(c.estimated)).dropna(subset=["v"])
    one_way = c[~c.two_way]
    c = one_way if len(one_way) else c
    by_period = c.groupby("period").v.median()
    if own_usd:
        by_period = by_period - pd.Series(own_usd).reindex(by_period.index).fillna(0.0)
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

