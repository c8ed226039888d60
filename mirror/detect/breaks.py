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
from scipy.special import bdtrc  # binom.sf, without scipy.stats' 0.5 s import

from .base import NEIGHBOURS, DetectSettings, pct
from .gaps import stopped_series
from .inference import benjamini_hochberg, record_family
from .panel import SeriesPanel
from .price_neutral import price_neutral
from .registry import Inputs, detector, step
from .shifts import period_times, shift_tests


def common_shocks(panel: SeriesPanel, s: DetectSettings) -> pd.DataFrame:
    """Periods in which most of a pair's series fell at once: one flag per (reporter, partner, flow,
    unit, period). Test: the number of the pair's series falling by shock_drop or more in the period
    against a binomial with the pair's own rate of such falls in its other periods (Laplace-smoothed),
    one-sided; Benjamini-Hochberg over every pair-period tested. Flagged when q <= fdr and at least
    shock_share of at least shock_min_series series fell: noisy series fall by half now and then,
    and several of them in one year is not yet a shock to the pair. On the matrix: each amount
    against the series' previous one, counted per (pair, period) cell."""
    keys = ["reporter", "partner", "flow", "unit"]
    rows = np.flatnonzero((panel.keys.hs != "TOTAL").to_numpy(dtype=bool))
    if not len(rows) or not panel.Y.shape[1]:
        return pd.DataFrame()
    Y = panel.Y[rows]
    present = ~np.isnan(Y)
    # the series' previous row (the last period before with a row, not the period before)
    seen = np.where(present, np.arange(Y.shape[1])[None, :], -1)
    before = np.concatenate([np.full((len(Y), 1), -1), np.maximum.accumulate(seen, axis=1)[:, :-1]], axis=1)
    prev = np.where(before >= 0, np.take_along_axis(Y, np.maximum(before, 0), axis=1), np.nan)
    counted = present & (prev > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(counted, Y / prev - 1, np.nan)
    fell = counted & (change <= -s.shock_drop)
    pair_codes, pairs = pd.MultiIndex.from_frame(panel.keys.iloc[rows][keys]).factorize()
    width = Y.shape[1]
    cell = (pair_codes[:, None] * width + np.arange(width)[None, :])
    n = np.bincount(cell[counted], minlength=len(pairs) * width)
    k = np.bincount(cell[fell], minlength=len(pairs) * width)
    pair_n, pair_k = n.reshape(-1, width).sum(axis=1), k.reshape(-1, width).sum(axis=1)
    which = np.flatnonzero(n > 0)  # the cells with a counted change, as groupby has them
    pair_of, col_of = which // width, which % width
    cells = pd.DataFrame(list(pairs[pair_of]), columns=keys).assign(
        period=panel.labels[col_of], n=n[which], k=k[which], _pair=pair_of, _col=col_of)
    cells = cells.sort_values(keys + ["period"]).reset_index(drop=True)
    p0 = (pair_k[cells._pair] - cells.k + 1) / (pair_n[cells._pair] - cells.n + 2)  # the pair's rate of falls elsewhere
    cells = cells.assign(p0=p0, p=bdtrc(cells.k - 1, cells.n, p0), share=cells.k / cells.n)
    cells = cells[cells.n >= s.shock_min_series]
    if cells.empty:
        return pd.DataFrame()
    cells = cells.assign(q=benjamini_hochberg(cells.p.to_numpy()))
    record_family("common shocks", len(cells))
    hits = cells[(cells.q <= s.fdr) & (cells.share >= s.shock_share)]
    # the median change of a cell is only written in a flag's reason: computed for the flagged cells
    median = [_median(change[(pair_codes == pair) & counted[:, col], col]) for pair, col in zip(hits._pair, hits._col, strict=True)]
    hits = hits.assign(median=median)
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


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else np.nan


def breaks(panel: SeriesPanel, context: pd.DataFrame, estimates: pd.DataFrame, bans: pd.DataFrame,
           shocks: pd.DataFrame, target: str, s: DetectSettings,
           world_unit_values: Callable[[set[str]], pd.DataFrame] | None = None) -> list[dict]:
    """reporting_gap and level_shift flags for every series. The series are screened together as a
    matrix (series x periods) with prefix sums, so that the per-series work (statsmodels' CUSUM test,
    the reasons) is done only for the few that can break."""
    flags: list[dict] = []
    if panel.empty:
        return flags
    shock_keys = set(zip(shocks.get("reporter", []), shocks.get("partner", []), shocks.get("flow", []),
                         shocks.get("period", []), strict=False)) if len(shocks) else set()
    Y, starts, labels, freq = panel.Y, panel.starts, panel.labels, panel.freq
    index = panel.index
    covered_by = _coverage(panel.keys, bans, target)
    # lookups by key instead of filtering frames per series
    estimates = {k: g for k, g in estimates.groupby(["reporter", "partner", "flow", "hs", "unit", "period"])} \
        if len(estimates) else {}
    context = {k: g for k, g in context[context.hs == "TOTAL"].groupby(["exporter", "importer"])} if len(context) else {}
    gap_rows = set()
    for i, gap in stopped_series(index, Y, labels, starts, panel.implicit, freq, covered_by, context, estimates,
                                 shock_keys, s):
        flags.append(gap)
        gap_rows.add(i)
        if gap["explained_by"]:
            covered_by[i] = [b for b in covered_by[i] if b.measure != gap["explained_by"]]
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


def _coverage(keys: pd.DataFrame, bans: pd.DataFrame, target: str) -> dict[int, list]:
    """Row number -> the bans covering that series (code within the ban's codes, direction matching,
    the ban's target one side of the series). Computed once per (HS code, target, direction) and
    shared: a panel has far fewer codes than series. ``keys``: the series' keys (panel.keys);
    ``target``: the country asked for (the bans' targets are read from ``bans``; a frame without a
    target column is all about ``target``). Each series gets a list of the bans' rows (named
    tuples): a panel has hundreds of thousands of series, and filtering a small frame per series
    costs more than the tests."""
    out: dict[int, list] = {}
    if bans.empty or keys.empty:
        return out
    targets = list(bans.target) if "target" in bans else [target] * len(bans)
    prefixes = list(bans.hs_prefix)
    directions = list(bans.direction)
    coded = keys.hs != "TOTAL"
    for tgt in sorted(set(targets)):  # a series between two targets is judged against both's bans
        side = np.flatnonzero((coded & ((keys.reporter == tgt) | (keys.partner == tgt))).to_numpy(dtype=bool))
        if not len(side):
            continue
        k = keys.iloc[side]
        exports_from = ((k.flow == "import") & (k.partner == tgt)) | ((k.flow == "export") & (k.reporter == tgt))
        for (hs, from_target), rows in pd.Series(side).groupby([k.hs.to_numpy(), exports_from.to_numpy()]):
            role = "exports_from_target" if from_target else "supply_to_target"
            hit = [j for j, (t, p, d) in enumerate(zip(targets, prefixes, directions, strict=True))
                   if t == tgt and d == role and hs.startswith(p)]
            if not hit:
                continue
            found = list(bans.iloc[hit].drop_duplicates("measure").itertuples(index=False))
            for i in rows.to_numpy().tolist():
                out[i] = found if i not in out else out[i] + found
    return dict(sorted(out.items()))  # in row order: the order the tests and their flags come in


def _routes(index: list[tuple], bans: pd.DataFrame) -> dict[int, list[tuple]]:
    """Row number -> [(ban, neighbour)]: series between a third country and a neighbour of a ban's
    target (NEIGHBOURS) in the banned codes, in the direction the route runs - a supply ban's goods
    exported to the neighbour (or the neighbour's imports of them), a ban on the target's exports:
    the goods imported from the neighbour (or its exports of them). A code's bans are looked up by
    its prefixes (one dictionary probe per prefix length the bans use), not by filtering the ban
    table per code: a neighbour such as China has tens of thousands of series."""
    out: dict[int, list[tuple]] = {}
    if bans.empty or "target" not in bans:
        return out
    rows = list(bans.itertuples(index=False))
    by_prefix: dict[tuple, list[int]] = {}
    for j, (tgt, role, prefix) in enumerate(zip(bans.target, bans.direction, bans.hs_prefix, strict=True)):
        if prefix:
            by_prefix.setdefault((tgt, role, prefix), []).append(j)
    lengths = sorted({len(p) for _, _, p in by_prefix})
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
                    hit = sorted(j for n in lengths if n <= len(hs) for j in by_prefix.get((tgt, role, hs[:n]), ()))
                    seen: set = set()
                    cache[key] = [rows[j] for j in hit if not (rows[j].measure in seen or seen.add(rows[j].measure))]
                if cache[key]:
                    out.setdefault(i, []).extend((b, via) for b in cache[key])
    return out


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
