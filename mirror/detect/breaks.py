"""Breaks in reported series: reporting gaps, level shifts (at the sanctions' dates and at unknown
dates) and shocks common to a whole pair.

The canonical case: China's customs reported ~523,000 t of crude oil to the DPRK in 2012, then zero
from 2014, while the pipeline kept running and China's other trade with the DPRK barely moved. That
is a reporting gap. Coal, iron ore, seafood and textiles falling after the 2017 bans are level
shifts explained by the measure. The 2020 border closure is a shock common to every series of the
pair. A series that stops (drops to zero for good) is judged here; shifts in the level of positive
values are tested in logs with honest size on persistent series (shifts.py, inference.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import binom
from scipy.stats import f as fdist

from .base import NEIGHBOURS, DetectSettings, fmt_amount, pct, severity, verb
from .inference import benjamini_hochberg, record_family
from .price_neutral import price_neutral
from .registry import Inputs, detector, step
from .shifts import period_times, shift_tests


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
    return fdist.sf(f, 1, np.maximum(np.asarray(n, dtype=float) - 2, 1))


def common_shocks(series: pd.DataFrame, s: DetectSettings) -> pd.DataFrame:
    """Periods in which most of a pair's series fell at once: one flag per (reporter, partner, flow,
    unit, period). Test: the number of the pair's series falling by shock_drop or more in the period
    against a binomial with the pair's own rate of such falls in its other periods (Laplace-smoothed),
    one-sided; Benjamini-Hochberg over every pair-period tested. Flagged when q <= fdr and at least
    shock_share of at least shock_min_series series fell: noisy series fall by half now and then,
    and several of them in one year is not yet a shock to the pair."""
    keys = ["reporter", "partner", "flow", "unit"]
    data = series[series.hs != "TOTAL"].sort_values("period_start")
    data = data.assign(prev=data.groupby(keys + ["hs"]).amount.shift(1))
    data = data[data.prev > 0]
    data = data.assign(change=data.amount / data.prev - 1)
    data = data.assign(fell=data.change <= -s.shock_drop)
    cells = data.groupby(keys + ["period"], as_index=False).agg(n=("fell", "size"), k=("fell", "sum"),
                                                              median=("change", "median"))
    pair = cells.groupby(keys)[["n", "k"]].transform("sum")
    p0 = (pair.k - cells.k + 1) / (pair.n - cells.n + 2)  # the pair's rate of falls elsewhere
    cells = cells.assign(p0=p0, p=binom.sf(cells.k - 1, cells.n, p0), share=cells.k / cells.n)
    cells = cells[cells.n >= s.shock_min_series]
    if cells.empty:
        return pd.DataFrame()
    cells = cells.assign(q=benjamini_hochberg(cells.p.to_numpy()))
    record_family("common shocks", len(cells))
    hits = cells[(cells.q <= s.fdr) & (cells.share >= s.shock_share)]
    rows = []
    for r in hits.itertuples(index=False):
        rows.append({
            "detector": "common_shock", "reporter": r.reporter, "partner": r.partner, "flow": r.flow, "hs": "ALL",
            "unit": r.unit, "period": r.period, "statistic": "series falling by half or more vs the pair's own rate",
            "score": r.share, "threshold": s.shock_share, "p_value": r.p, "q_value": r.q,
            "severity": "high" if r.share >= 0.8 else "medium",
            "reason": (f"{r.k} of {r.n} series of {r.reporter}'s {r.flow}s {'to' if r.flow == 'export' else 'from'} "
                       f"{r.partner} fell by half or more in {r.period} (median change {pct(r.median)}; in its other "
                       f"periods {r.p0:.0%} of its series' changes were such falls; binomial p={r.p:.2g}, q={r.q:.2g}): "
                       "a shock common to the whole pair, not a series-specific gap"),
            "explained_by": "common shock", "implied_missing": np.nan, "evidence": f"{r.n} series"})
    return pd.DataFrame(rows)


def breaks(series: pd.DataFrame, context: pd.DataFrame, estimates: pd.DataFrame, bans: pd.DataFrame,
           shocks: pd.DataFrame, target: str, s: DetectSettings,
           world_unit_values: Callable[[set[str]], pd.DataFrame] | None = None) -> list[dict]:
    """reporting_gap and level_shift flags for every series. The series are screened together as a
    matrix (series x periods) with prefix sums, so that the per-series work (statsmodels' CUSUM test,
    the reasons) is done only for the few that can break."""
    flags: list[dict] = []
    if series.empty:
        return flags
    shock_keys = set(zip(shocks.get("reporter", []), shocks.get("partner", []), shocks.get("flow", []),
                         shocks.get("period", []), strict=False)) if len(shocks) else set()
    keys = ["reporter", "partner", "flow", "hs", "unit"]
    # the series as a matrix (series x periods, NaN where unreported), built with integer codes
    row_codes, row_keys = pd.MultiIndex.from_frame(series[keys]).factorize()
    col_codes, col_starts = pd.factorize(series.period_start, sort=True)
    Y = np.full((len(row_keys), len(col_starts)), np.nan)
    Y[row_codes, col_codes] = series.amount.to_numpy(dtype=float)
    # implicit zeros: periods the reporter published for the pair with no figure for the code
    implicit = np.zeros(Y.shape, dtype=bool)
    implicit[row_codes, col_codes] = (series.figures.to_numpy() == 0) if "figures" in series else False
    label = series.drop_duplicates("period_start").set_index("period_start").period
    starts = np.asarray(col_starts, dtype="datetime64[ns]")
    labels = label.reindex(col_starts).to_numpy()
    freq = "M" if series.month.notna().any() else "A"
    valid = ~np.isnan(Y)
    index = list(row_keys)
    positive = (np.nan_to_num(Y) > 0)
    n_pos = positive.sum(axis=1)
    last = np.where(valid.any(axis=1), Y.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    last_value = Y[np.arange(len(Y)), last]
    covered_by = _coverage(index, bans, target)
    # lookups by key instead of filtering frames per series
    estimates = {k: g for k, g in estimates.groupby(["reporter", "partner", "flow", "hs", "unit", "period"])} \
        if len(estimates) else {}
    context = {k: g for k, g in context[context.hs == "TOTAL"].groupby(["exporter", "importer"])} if len(context) else {}

    gap_rows = set()
    usd_row = {k[:4]: i for i, k in enumerate(index) if k[4] == "USD"}
    typical_sd = _typical_spread(index, Y)
    for i in np.flatnonzero((last_value <= 0) & (n_pos >= s.min_history)):
        key = index[i]
        m = valid[i]
        covering = covered_by.get(i, [])
        twin = usd_row.get(key[:4])  # the same flow's USD series (a kg series' total is in USD)
        own = {lab: v for lab, v in zip(labels, Y[twin], strict=True) if np.isfinite(v)} if twin is not None else None
        gap = _reporting_gap(key, Y[i][m], labels[m], starts[m], covering, context, estimates, shock_keys, freq, s,
                             implicit[i][m], own, typical_sd.get((key[0], key[2], key[4])))
        if gap:
            flags.append(gap)
            gap_rows.add(i)
            if gap["explained_by"]:
                covered_by[i] = [b for b in covering if b.measure != gap["explained_by"]]
    # Level shifts in logs, calibrated (shifts.py): at ban dates for covered series, at an unknown date
    # for the others (not TOTAL, not a series already explained or a gap); a break in a period of a
    # common shock is the shock's, reported once for the pair.
    # A third country's trade with the target's neighbours in the target's banned goods (the routes
    # of the Eurasian Roundabout and of relabelled origin) is tested at the ban's date for a rise only:
    # the ban does not cover the pair, so it explains nothing there, but a rise after it is what
    # evasion through the neighbour predicts (DOMAIN sections 6 and 8).
    routes = _routes(index, bans)
    skip = set(covered_by) | gap_rows | set(routes)
    unknown = np.array([i for i in range(len(index)) if i not in skip and index[i][3] != "TOTAL"], dtype=int)
    known = [(i, ban, None) for i, covering in covered_by.items() for ban in covering]
    known += [(i, ban, via) for i, found in routes.items() for ban, via in found]
    shifted = []
    for flag in shift_tests(index, Y, period_times(starts, freq), labels, starts, unknown, known, freq, s):
        if flag["explained_by"] is None and (flag["reporter"], flag["partner"], flag["flow"], flag["period"]) in shock_keys:
            continue
        shifted.append(flag)
    return flags + price_neutral(shifted, index, Y, labels, world_unit_values)


def _coverage(index: list[tuple], bans: pd.DataFrame, target: str) -> dict[int, list]:
    """Row number -> the bans covering that series (code within the ban's codes, direction matching,
    the ban's target one side of the series). Computed once per (HS code, target, direction) and
    shared: a panel has far fewer codes than series. ``target``: the country asked for (the bans'
    targets are read from ``bans``; a frame without a target column is all about ``target``).
    Each series gets a list of the bans' rows (named tuples): a panel has hundreds of thousands of
    series, and filtering a small frame per series costs more than the tests."""
    out: dict[int, list] = {}
    if bans.empty:
        return out
    targets = list(bans.target) if "target" in bans else [target] * len(bans)
    prefixes = list(bans.hs_prefix)
    directions = list(bans.direction)
    sanctioned = set(targets)
    cache: dict[tuple, list] = {}
    for i, (reporter, partner, flow, hs, _unit) in enumerate(index):
        if hs == "TOTAL":
            continue
        for tgt in {reporter, partner} & sanctioned:
            exports_from = (flow == "import" and partner == tgt) or (flow == "export" and reporter == tgt)
            role = "exports_from_target" if exports_from else "supply_to_target"
            key = (hs, tgt, role)
            if key not in cache:
                rows = [j for j, (t, p, d) in enumerate(zip(targets, prefixes, directions, strict=True))
                        if t == tgt and d == role and hs.startswith(p)]
                cache[key] = list(bans.iloc[rows].drop_duplicates("measure").itertuples(index=False)) if rows else []
            if cache[key]:
                out[i] = cache[key] if i not in out else out[i] + cache[key]
    return out


def _routes(index: list[tuple], bans: pd.DataFrame) -> dict[int, list[tuple]]:
    """Row number -> [(ban, neighbour)]: series between a third country and a neighbour of a ban's
    target (NEIGHBOURS) in the banned codes, in the direction the route runs - a supply ban's goods
    exported to the neighbour (or the neighbour's imports of them), a ban on the target's exports:
    the goods imported from the neighbour (or its exports of them)."""
    out: dict[int, list[tuple]] = {}
    if bans.empty or "target" not in bans:
        return out
    cache: dict[tuple, list] = {}
    for i, (reporter, partner, flow, hs, _unit) in enumerate(index):
        if hs == "TOTAL":
            continue
        for tgt, neighbours in NEIGHBOURS.items():
            if tgt in (reporter, partner):
                continue
            for via in {reporter, partner} & set(neighbours):
                to_neighbour = (flow == "export") == (partner == via)  # goods moving toward the neighbour
                role = "supply_to_target" if to_neighbour else "exports_from_target"
                key = (hs, tgt, role)
                if key not in cache:
                    hit = bans[(bans.target == tgt) & (bans.direction == role)
                               & bans.hs_prefix.map(lambda p, h=hs: bool(p) and h.startswith(p))]
                    cache[key] = list(hit.drop_duplicates("measure").itertuples(index=False))
                if cache[key]:
                    out.setdefault(i, []).extend((b, via) for b in cache[key])
    return out


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


def _pre_level(y: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    history = y[:k][y[:k] > 0][-5:]
    return (float(np.median(history[-3:])) if len(history) else 0.0), history


def _reporting_gap(key, y, periods, starts, covering, context, estimates, shock_keys, freq, s,
                   implicit: np.ndarray | None = None, own_usd: dict | None = None,
                   typical_sd: float | None = None) -> dict | None:
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
    break_start = pd.Timestamp(starts[k])
    # A ban explains the drop when it took effect up to a grace window before the first zero (bans let
    # contracts run 30-90 days; a monthly series needs months to reach zero, an annual one a year).
    grace = pd.DateOffset(months=6) if freq == "M" else pd.DateOffset(years=1)
    window_end = break_start + (pd.offsets.MonthEnd(1) if freq == "M" else pd.offsets.YearEnd(1))
    explaining = [b for b in covering if break_start - grace < b.effective <= window_end]
    after = np.r_[np.zeros(k), np.ones(len(y) - k)]
    if len(explaining):
        # classified as a level shift explained by the measure, not a reporting gap
        m = max(explaining, key=lambda b: b.effective)
        f, p = chow_known_date(y, after)
        return {
            "detector": "level_shift", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
            "freq": freq, "period": periods[k], "statistic": "drop to zero; Chow F at the first zero", "score": -1.0,
            "threshold": s.min_shift, "p_value": p, "severity": severity(p, 1.0, 0.9),
            "reason": (f"{reporter}'s reported HS {hs} {verb(flow)} {partner} fell from a median of {fmt_amount(level, unit)} "
                       f"to 0 in {periods[k]}, after {m.measure} took effect on {m.effective:%Y-%m-%d} ({m.goods}; "
                       f"Chow F={f:.3g}, p={p:.3g}): explained by the measure, not a reporting gap"),
            "explained_by": m.measure, "implied_missing": np.nan, "evidence": f"history {', '.join(f'{v:,.0f}' for v in history)}"}
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
    f, p = chow_known_date(y, after)
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
    return {
        "detector": "reporting_gap", "reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit,
        "freq": freq, "period": periods[k], "statistic": "Chow F at the first zero", "score": 1.0,
        "threshold": s.min_other_ratio, "p_value": p, "severity": "high" if other is not None else "medium",
        "reason": (f"{reporter}'s reported HS {hs} {verb(flow)} {partner} fell from a median of {fmt_amount(level, unit)} "
                   f"(last {len(history)} reported periods, {stability}) to 0 in {periods[k]} and stayed at 0 for "
                   f"{n_after} period(s){zero_text}{other_text}: reporting gap, not a collapse of trade. Implied missing "
                   f"volume {fmt_amount(level, unit)} per period{est_text}"),
        "explained_by": None, "implied_missing": level,
        "evidence": f"history {', '.join(f'{v:,.0f}' for v in history)}; Chow F={f:.3g}, p={p:.3g}",
        "missing_data": "the pair's other trade is not in the store" if other is None else None}


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


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
detector("reporting_gap", "a series with a stable positive history that stops (zero for good) while the pair's "
         "other trade goes on, with the trade that implies is missing", headline_rank=0)
detector("level_shift", "a shift in the log level of a series: at a ban's date (a fall explained by it; a rise "
         "possible evasion) or at an unknown date (unexplained)")
detector("common_shock", "a period in which most of a pair's series fell at once (reported once for the pair; "
         "not counted as gaps)")


@step(produces=("common_shock",), queries=("detect_series",), order=10)
def _common_shock_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    shocks = common_shocks(inputs.series, s)
    return [{**r, "freq": inputs.freq} for r in shocks.to_dict("records")] if len(shocks) else []


@step(produces=("reporting_gap", "level_shift"), order=20,
      queries=("detect_series", "detect_context", "detect_estimates", "detect_bans", "detect_world_unit_values"))
def _breaks_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    def world(codes: set[str]) -> pd.DataFrame:  # the deflators of the USD shifts found, over the whole store
        return inputs.query("detect_world_unit_values", freq=inputs.freq, codes=sorted(codes))

    return breaks(inputs.series, inputs.context, inputs.estimates, inputs.all_bans, inputs.flags_of("common_shock"),
                  inputs.country, s, world)
