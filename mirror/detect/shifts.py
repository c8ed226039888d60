"""Level shifts in log values, with honest size (mirror/detect/inference.py): at an unknown date
(unexplained) and at the dates bans took effect (one-sided: the measure predicts a fall; a rise is
possible evasion, never "explained" by the ban). Benjamini-Hochberg across every test of a run.

A series enters with its positive values only: a fall to zero is the reporting-gap / ban path
(breaks.py), which a log test cannot see. Series in nominal USD are tested as such, and their
reasons say so and give the price-neutral variants (price_neutral.py: the shift deflated by the
product's unit value, and the flow's kg series, tested on its own where weights are reported).

Two paths: where a family of series (one reporter, flow and unit) shares one persistence, the
pooled path (_pooled; inference.py: GLS at the family's rho, moderated variances); otherwise each
series on its own (inference.search / sup_pvalue / known_date_pvalue). A third country's trade with
a ban target's neighbours in the banned goods is tested at the ban's date for a rise only
(breaks._routes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from . import inference as inf
from . import pooled as pooling
from .base import DetectSettings, fmt_amount, pct, verb

MIN_OBS = 8  # positive observations a series needs for a shift test (two per side after trimming)
CHUNK = 4000  # series per block (memory: rows x periods^2 floats)


def _unit_text(unit: str) -> str:
    return "in nominal USD (prices included: see the price-neutral variant below)" \
        if unit == "USD" else "in tonnes (price-neutral)"


def shift_tests(index: list[tuple], Y: np.ndarray, times: np.ndarray, labels: np.ndarray, starts: np.ndarray,
                unknown_rows: np.ndarray, known: list[tuple[int, object]], freq: str, s: DetectSettings) -> list[dict]:
    """``unknown_rows``: rows searched for a break at an unknown date; ``known``: (row, ban) pairs
    tested at the ban's effective date. Returns the flags whose BH q-value is at most s.fdr and
    whose shift moves the level by at least s.min_shift."""
    L = np.where(Y > 0, np.log(np.where(Y > 0, Y, 1.0)), np.nan)
    n_obs = np.isfinite(L).sum(axis=1)
    wanted = sorted({int(r) for r in unknown_rows if n_obs[r] >= MIN_OBS} | {r for r, _, _ in known if n_obs[r] >= MIN_OBS})
    if not wanted:
        return []
    # first the persistence estimates around each series' best split (cheap: what the pooling needs),
    # then the per-series path's full search only for the series no family takes
    fits = {}
    for lo in range(0, len(wanted), CHUNK):
        rows = np.array(wanted[lo:lo + CHUNK])
        V, T, n = inf.compact(L[rows], times)
        with np.errstate(all="ignore"):
            rho, _ = inf.ar1(V, T, n, inf.best_split(V, n), scale=False)
        for k, r in enumerate(rows):
            fits[int(r)] = (int(n[k]), float(rho[k]), None, None, np.nan, T[k])
    pooled = _pooled(index, L, times, wanted, fits, {r for r, _, _ in known})
    alone = [r for r in wanted if r not in pooled]
    for lo in range(0, len(alone), CHUNK):
        rows = np.array(alone[lo:lo + CHUNK])
        V, T, n = inf.compact(L[rows], times)
        with np.errstate(all="ignore"):
            rho, shift, z, sup = inf.search(V, T, n)
        for k, r in enumerate(rows):
            fits[int(r)] = (int(n[k]), float(rho[k]), shift[k], z[k], float(sup[k]), T[k])
    tests = []  # (kind, row, ban, split, p, shift, statistic)
    for r in unknown_rows:
        r = int(r)
        if r in pooled:
            P = pooled[r]
            tests.append(("unknown", r, None, P["split"], P["p"], P["shift"][P["split"] - 1], P["sup"]))
            continue
        if r not in fits or not np.isfinite(fits[r][4]):
            continue
        n, rho, shift, z, sup, T = fits[r]
        keep = inf.trimmed(np.array([n]), len(shift) + 1)[0]
        j = int(np.nanargmax(np.where(keep & np.isfinite(z), z ** 2, -1.0))) + 1
        tests.append(("unknown", r, None, j, inf.sup_pvalue(n, rho, sup), float(shift[j - 1]), sup))
    for r, ban, via in known:
        if r not in fits:
            continue
        n, rho, shift, z, sup, T = fits[r]
        t_eff = _time_of(np.datetime64(ban.effective), freq)
        j = int(np.sum(T[:n] < t_eff))
        if j < 2 or n - j < 2 or not np.isfinite((pooled[r]["zwork"] if r in pooled else z)[j - 1]):
            continue
        for direction in ("rise",) if via else ("fall", "rise"):
            if r in pooled:  # each split's moderated score is standard normal at the true rho
                zg = pooled[r]["z"][:, j - 1]  # (ndtr: norm.cdf without its per-call checks, the same numbers)
                p = float(np.max(ndtr(zg) if direction == "fall" else ndtr(-zg)))
                tests.append((direction, r, (ban, via), j, p, float(pooled[r]["shift"][j - 1]), float(pooled[r]["zwork"][j - 1])))
                continue
            p = inf.known_date_pvalue(n, j, rho, float(z[j - 1]), direction)
            tests.append((direction, r, (ban, via), j, p, float(shift[j - 1]), float(z[j - 1])))
    if not tests:
        return []
    q = inf.benjamini_hochberg(np.array([t[4] for t in tests]))
    inf.record_family("level shifts", len(tests))
    found = {}  # (row, kind) -> the test kept: several ban dates on one series give one flag, the strongest
    for (kind, r, ban, j, p, shift, stat), qv in zip(tests, q, strict=True):
        moved = np.expm1(shift)
        if qv > s.fdr or abs(moved) < s.min_shift or (kind == "fall" and shift > 0) or (kind == "rise" and shift < 0):
            continue
        best = found.get((r, kind))
        if best is None or (p, -abs(stat)) < (best[4], -abs(best[6])):
            found[(r, kind)] = (kind, r, ban, j, p, shift, stat, qv)
    out = []
    for kind, r, ban, j, p, shift, stat, qv in found.values():
        n, rho, _, _, _, T = fits[r]
        method = pooled[r]["text"] if r in pooled else f"AR(1) rho {rho:.2f} (the series' own estimate)"
        out.append(_flag(kind, index[r], ban, L[r], times, labels, j, T, n, p, qv, shift, stat, method, len(tests), freq, s))
    return out


def _time_of(date: np.datetime64, freq: str) -> float:
    ts = pd.Timestamp(date)
    return ts.year * 12 + ts.month - 1 if freq == "M" else ts.year + (0.0 if (ts.month, ts.day) == (1, 1) else 0.5)


def period_times(starts: np.ndarray, freq: str) -> np.ndarray:
    """A time index per period column: years, or months counted from year 0 (consecutive = 1 apart)."""
    idx = pd.DatetimeIndex(starts)
    return (idx.year * 12 + idx.month - 1).to_numpy(dtype=float) if freq == "M" else idx.year.to_numpy(dtype=float)


def _flag(kind, key, ban_via, logs, times, labels, j, T, n, p, q, shift, stat, rho, tests, freq, s) -> dict:
    reporter, partner, flow, hs, unit = key
    ban, via = ban_via if ban_via is not None else (None, None)
    first_time = T[j]
    period = labels[int(np.flatnonzero(times == first_time)[0])]
    observed = logs[np.isfinite(logs)]
    before, after = float(np.exp(observed[:j].mean())), float(np.exp(observed[j:n].mean()))
    level_text = (f"{fmt_amount(before, unit)} per period before, {fmt_amount(after, unit)} after (geometric means)")
    common = {"reporter": reporter, "partner": partner, "flow": flow, "hs": hs, "unit": unit, "freq": freq,
              "period": period, "score": float(np.expm1(shift)), "threshold": s.min_shift, "p_value": p,
              "q_value": q, "implied_missing": np.nan, "missing_data": None,
              "evidence": f"{n} positive periods; {rho}; {tests} tests in this run (BH)"}
    what = f"{reporter}'s reported HS {hs} {verb(flow)} {partner}, {_unit_text(unit)},"
    if kind == "unknown":
        return {**common, "detector": "level_shift", "statistic": "sup-W of a log-level shift (AR(1) null, bootstrap)",
                "severity": "high" if q <= s.fdr / 5 else "medium", "explained_by": None,
                "reason": (f"{what} shifted {pct(np.expm1(shift))} from {period} ({level_text}; sup-W={stat:.1f}, "
                           f"p={p:.2g}, q={q:.2g}); no measure in the register covers it: unexplained")}
    eff = pd.Timestamp(ban.effective)
    if kind == "fall":
        return {**common, "detector": "level_shift", "statistic": "one-sided fall at the measure's effective date",
                "severity": "high" if q <= s.fdr / 5 else "medium", "explained_by": ban.measure,
                "reason": (f"{what} fell {pct(np.expm1(shift))} after {eff:%Y-%m-%d} ({level_text}; z={stat:.2f}, "
                           f"one-sided p={p:.2g}, q={q:.2g}): explained by {ban.measure} ({ban.goods}), not a "
                           "reporting gap")}
    if via:
        return {**common, "detector": "level_shift", "statistic": "one-sided rise after a ban on the neighbour's route",
                "severity": "medium", "explained_by": None,
                "reason": (f"{what} rose {pct(np.expm1(shift))} after {ban.measure} banned this trade with {ban.target} "
                           f"on {eff:%Y-%m-%d} ({level_text}; z={stat:.2f}, one-sided p={p:.2g}, q={q:.2g}): possible "
                           f"evasion through {via}, a neighbour of {ban.target} - the ban does not cover this pair, "
                           "so it explains nothing here; a screening flag: the pair's growth is not controlled for "
                           "(the roundabout test compares other goods and destinations)")}
    return {**common, "detector": "level_shift", "statistic": "one-sided rise after a ban: possible evasion",
            "severity": "high", "explained_by": None,
            "reason": (f"{what} rose {pct(np.expm1(shift))} after {ban.measure} banned this trade on {eff:%Y-%m-%d} "
                       f"({level_text}; z={stat:.2f}, one-sided p={p:.2g}, q={q:.2g}): possible evasion - a rise "
                       "is not what the ban explains")}


def _pooled(index: list[tuple], L: np.ndarray, times: np.ndarray, wanted: list[int], fits: dict,
            known: set[int] | None = None) -> dict:
    """The pooled path (inference.py): for each family of series (one reporter, flow and unit) whose
    persistence estimates are compatible with one AR(1) coefficient, every series' GLS shift at each
    coefficient of the family's interval, with its variance moderated toward a prior fitted over all
    pooled series of the run. Returns row -> p-value of the unknown-date test (maximised over the
    interval), its split and sup-W, the scores at every split for each coefficient (known dates),
    and the shift at every split at the family's working coefficient. The scores at every split are
    kept for the rows in ``known`` (tested at a ban's date; None: every row), None for the others."""
    families: dict[tuple, list[int]] = {}
    for r in wanted:
        if r in fits:
            families.setdefault((index[r][0], index[r][2], index[r][4]), []).append(r)
    chosen = []
    for (reporter, flow, unit), rows in families.items():
        if len(rows) < pooling.POOL_MIN_SERIES:
            continue
        V, T, n = inf.compact(L[np.array(rows)], times)
        with np.errstate(all="ignore"):
            r_own, _ = inf.ar1(V, T, n, scale=False)
        found = pooling.pooled_rho(r_own, np.array([fits[r][1] for r in rows]), n)
        if found is None:
            continue
        grid, est, p_hom = found
        r_split = np.array([fits[r][1] for r in rows])
        if pooling.persistent_excess(r_split, n, grid) < pooling.HOMOGENEITY_ALPHA:
            continue
        inside = pooling.fits_pool(r_split, n, grid)
        if inside.sum() < pooling.POOL_MIN_SERIES:
            continue
        rows = [r for r, k in zip(rows, inside, strict=True) if k]
        V, T, n = V[inside], T[inside], n[inside]
        work = int(grid[np.argmin(np.abs(pooling.PGRID[grid] - est))])
        chosen.append((rows, grid, work, est, p_hom, V, T, n, f"{reporter}'s {flow}s in {unit}"))
    if not chosen:
        return {}
    # the variance prior, over every pooled series: residual variance without a shift at the working rho
    s2, df = [], []
    for rows, _grid, work, _est, _p, V, T, n, _ in chosen:
        _, _, _, ssr0 = pooling.gls_splits(V, T, n, np.full(len(rows), pooling.PGRID[work]))
        s2.append(ssr0 / (n - 1))
        df.append(n - 1)
    d0, s02 = pooling.fit_variance_prior(np.concatenate(s2), np.concatenate(df).astype(float))
    out = {}
    for rows, grid, work, est, p_hom, V, T, n, name in chosen:
        keep = inf.trimmed(n, V.shape[1])
        zs, p = [], np.zeros(len(rows))
        # every split's score only for the series tested at a known date; for the others, the largest
        need = np.array([known is None or r in known for r in rows], dtype=bool)
        _, _, ssr_w, _ = pooling.gls_splits(V, T, n, np.full(len(rows), pooling.PGRID[work]))
        s2_best = np.nanmin(np.where(keep, ssr_w, np.nan), axis=1) / (n - 2)  # a shift's own variance
        for g in grid:
            d, v, ssr, _ = pooling.gls_splits(V, T, n, np.full(len(rows), pooling.PGRID[g]))
            t, df = pooling.moderated_t(d, v, ssr, n, d0, s02, s2_best)
            split, sup, _ = pooling.largest_scores(t, df, keep)
            p = np.maximum(p, pooling.gls_sup_pvalues(n, int(g), sup))
            zs.append(pooling.normal_scores(t[need], df[need]))
            if g == work:
                z_work, d_work, sup_work, split_work = zs[-1], d, sup, split
        prior = "no variance prior" if d0 == 0 else ("variance shared" if np.isinf(d0) else f"variance prior df {d0:.0f}")
        text = (f"AR(1) rho {est:.2f} pooled over {len(rows)} series ({name}; homogeneity p={p_hom:.2f}), "
                f"GLS at rho {pooling.PGRID[grid[0]]:g}-{pooling.PGRID[grid[-1]]:g}, {prior}")
        Z = np.stack(zs, axis=1)  # rows tested at a known date x grid x splits
        at = np.cumsum(need) - 1  # a row's place among them
        for k, r in enumerate(rows):
            out[r] = {"p": float(p[k]), "split": int(split_work[k]) + 1, "sup": float(sup_work[k]),
                      "z": Z[at[k]] if need[k] else None, "zwork": z_work[at[k]] if need[k] else None,
                      "shift": d_work[k], "text": text}
    return out
