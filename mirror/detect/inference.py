"""Tests with honest size on persistent series, for thousands of series at once.

Bilateral HS4/HS6 series are noisy and persistent: their log levels behave like AR(1) processes
with high coefficients, or random walks (DOMAIN section 8). A mean-shift test that assumes
independent errors rejects for 26% of AR(1) series with rho 0.7 and half of all random walks. So:

- The test is on log values (zeros take the reporting-gap / ban path: a log test cannot see them).
- Model. y_t = mu + d 1(t >= k) + u_t, u_t = rho u_t-1 + e_t (AR(1); rho = 1 is a random walk).
  The shift at a split is the difference of the means after and before, a contrast c'y whose
  variance under the null is sigma_u^2 c'R(rho)c with R_ij = rho^|t_i - t_j|: the exact variance of
  the contrast for an AR(1), where the iid formula would be 1/n_before + 1/n_after.
- Estimates. rho by least squares on consecutive demeaned pairs, bias-corrected as Kendall (1954)
  (rho + (1 + 3 rho) / n), capped at 0.99; sigma_e from the median absolute deviation of the AR
  residuals (robust to the one spike a level shift puts there).
- Unknown date: W = sup over splits of (shift^2 / variance), splits trimmed to the middle 70% of
  the observations (Andrews 1993's 15%), at least two observations on each side.
- Null distributions by parametric bootstrap, done once per series length, not per series: the
  whole procedure (estimate rho and sigma, compute every split's z and the sup) is run on simulated
  Gaussian AR(1) series for rho on a grid from 0 to 1 (random walk). The p-value of a series is
  the largest tail probability over the rho values its estimate is compatible with (those whose
  simulated estimates' 2.5-97.5% range holds it) - the nuisance parameter maximised over a
  confidence set (Berger and Boos 1994), so a random walk mistaken for rho 0.85 does not pass as a
  break. Known dates use the simulated law of z at that split, one-sided.
- Across series: Benjamini-Hochberg over every test of a run; each flag carries its q-value.

Size, measured by benchmarks/bench_detect_quality.py on panels with nothing planted (iid, AR(1)
rho 0.7, random walks; log changes of sd 0.3 and 0.6): see the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import numpy as np
from scipy.special import ndtr  # the normal law, without scipy.stats' 0.5 s import

from . import table_cache

TRIM = 0.15
RHO_CAP = 0.99
RHO_GRID = np.array([-0.3, 0.0, 0.2, 0.4, 0.55, 0.7, 0.8, 0.88, 0.94, 0.97, 1.0])
REPS = 3000
MAX_SIMULATED_LENGTH = 60  # longer series use the table of 60 (the sup's law settles as n grows)


def compact(Y: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's observed (finite) values moved to the left, in time order: values, times (NaN and
    -1 beyond the row's count), counts. ``Y``: series x periods; ``times``: the periods' time index."""
    ok = np.isfinite(Y)
    n = ok.sum(axis=1)
    order = np.argsort(~ok, axis=1, kind="stable")  # observed columns first, in time order
    V = np.take_along_axis(np.where(ok, Y, np.nan), order, axis=1)
    T = np.take_along_axis(np.broadcast_to(times, Y.shape).astype(float), order, axis=1)
    T[np.arange(Y.shape[1])[None, :] >= n[:, None]] = np.nan
    return V, T, n


def ar1(V: np.ndarray, T: np.ndarray, n: np.ndarray, split: np.ndarray | None = None, scale: bool = True
        ) -> tuple[np.ndarray, np.ndarray | None]:
    """Bias-corrected AR(1) coefficient and the stationary variance of u, per row (see module doc).
    ``split``: per row, the number of observations before a break the residuals are taken around
    (each side demeaned on its own, the pair across the break left out): under a shift, a series
    demeaned as one looks like a random walk, and the test would lose all its power. ``scale``:
    False when only the coefficient is wanted (the variance, two medians per row, is then None)."""
    mask = np.isfinite(V)
    width = V.shape[1]
    if split is None:
        split = np.zeros(len(V), dtype=int)
    before = np.arange(width)[None, :] < split[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        m_before = np.nansum(np.where(mask & before, V, 0.0), axis=1) / (mask & before).sum(axis=1)
        m_after = np.nansum(np.where(mask & ~before, V, 0.0), axis=1) / (mask & ~before).sum(axis=1)
    mean = np.where(before, m_before[:, None], m_after[:, None])
    u = np.where(mask, V - mean, 0.0)
    consecutive = mask[:, 1:] & mask[:, :-1] & (np.nan_to_num(T[:, 1:] - T[:, :-1], nan=0) == 1)
    consecutive &= before[:, 1:] == before[:, :-1]
    num = (u[:, 1:] * u[:, :-1] * consecutive).sum(axis=1)
    den = (u[:, :-1] ** 2 * consecutive).sum(axis=1)
    pairs = consecutive.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(den > 0, num / den, 0.0)
        rho = rho + (1 + 3 * rho) / np.maximum(pairs, 1)
    rho = np.clip(rho, -0.5, RHO_CAP)
    if not scale:
        return rho, None
    e = np.where(consecutive, u[:, 1:] - rho[:, None] * u[:, :-1], np.nan)
    med = nanmedian_rows(e)[:, None]
    sigma_e = 1.4826 * nanmedian_rows(np.abs(e - med))
    sigma_e = np.where(np.isfinite(sigma_e) & (sigma_e > 0), sigma_e, np.nan)
    var_u = sigma_e ** 2 / (1 - rho ** 2)
    return rho, var_u


def nanmedian_rows(x: np.ndarray) -> np.ndarray:
    """np.nanmedian(x, axis=1), the same numbers (the mean of the two middle values of each row's
    sorted non-NaN values; NaN for a row without any) without the masked arrays numpy takes that
    path through, which cost more than the rest of the AR(1) fit."""
    s = np.sort(x, axis=1)  # NaN last
    k = (~np.isnan(x)).sum(axis=1)
    h = k // 2
    lo = np.where(k % 2 == 1, h, h - 1)
    width = max(x.shape[1] - 1, 0)
    low = np.take_along_axis(s, np.clip(lo, 0, width)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(s, np.clip(h, 0, width)[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        return np.where(k > 0, (low + high) / 2.0, np.nan)


def split_stats(V: np.ndarray, T: np.ndarray, n: np.ndarray, rho: np.ndarray, var_u: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Shift (mean after - mean before) and its z for every split j (before = the first j
    observations), rows x (columns - 1); NaN where a side has fewer than two observations."""
    rows, width = V.shape
    mask = np.isfinite(V)
    v = np.where(mask, V, 0.0)
    s = np.concatenate([np.zeros((rows, 1)), np.cumsum(v, axis=1)], axis=1)
    j = np.arange(1, width)[None, :]
    nb, na = j.astype(float), (n[:, None] - j).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = (s[np.arange(rows)[:, None], n[:, None]] - s[:, 1:width]) / na - s[:, 1:width] / nb
    # c'R c from 2-D prefix sums of R = rho^|t_i - t_j| over observed points
    tt = np.where(mask, T, 0.0)
    gap = np.abs(tt[:, :, None] - tt[:, None, :])
    R = np.where(mask[:, :, None] & mask[:, None, :], _powers(rho, gap), 0.0)
    P = np.zeros((rows, width + 1, width + 1))
    P[:, 1:, 1:] = R.cumsum(axis=1).cumsum(axis=2)
    idx = np.arange(rows)[:, None]
    jj = np.arange(1, width)
    bb = P[:, jj, jj]
    bn = P[idx, jj[None, :], n[:, None]]
    nn = P[np.arange(rows), n, n][:, None]
    ba = bn - bb
    aa = nn - 2 * bn + bb
    with np.errstate(divide="ignore", invalid="ignore"):
        quad = bb / nb ** 2 - 2 * ba / (nb * na) + aa / na ** 2
        z = shift / np.sqrt(var_u[:, None] * quad)
    valid = (nb >= 2) & (na >= 2)
    return np.where(valid, shift, np.nan), np.where(valid & np.isfinite(z), z, np.nan)


def _powers(rho: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """rho[:, None, None] ** gap. Gaps between periods are whole numbers: each row's powers are then
    computed once per distinct gap and looked up (the same numbers, a fraction of the pow calls)."""
    top = int(gap.max()) if gap.size else 0
    if gap.size == 0 or top > 4 * gap.shape[-1] + 1000 or not np.array_equal(gap, np.floor(gap)):
        return rho[:, None, None] ** gap
    table = rho[:, None] ** np.broadcast_to(np.arange(top + 1, dtype=float), (len(rho), top + 1))
    flat = np.take_along_axis(table, gap.reshape(len(rho), -1).astype(np.int64), axis=1)
    return flat.reshape(gap.shape)


def best_split(V: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per row, the trimmed split with the largest ordinary mean-shift F (the first step of search)."""
    width = V.shape[1]
    v = np.where(np.isfinite(V), V, 0.0)
    s = np.concatenate([np.zeros((len(V), 1)), np.cumsum(v, axis=1)], axis=1)
    j = np.arange(1, width)[None, :]
    nb, na = j.astype(float), (n[:, None] - j).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (s[np.arange(len(V))[:, None], n[:, None]] - s[:, 1:width]) / na - s[:, 1:width] / nb
        f = d ** 2 * nb * na
    keep = trimmed(n, width)
    return np.argmax(np.where(keep, np.nan_to_num(f, nan=-1.0), -1.0), axis=1) + 1


def search(V: np.ndarray, T: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The whole unknown-date procedure, rows at once: (1) the split with the largest ordinary
    mean-shift F (trimmed); (2) rho and sigma from the residuals around it; (3) every split's shift
    and z with that AR(1) variance. Returns rho, shift and z (rows x splits), and sup-W (trimmed)."""
    rho, var_u = ar1(V, T, n, best_split(V, n))
    shift, z = split_stats(V, T, n, rho, var_u)
    keep = trimmed(n, V.shape[1])
    w = np.where(keep, z ** 2, np.nan)
    with np.errstate(invalid="ignore"):
        sup = np.where(keep.any(axis=1), np.nanmax(np.where(np.isfinite(w), w, -1.0), axis=1), np.nan)
    return rho, shift, z, np.where(sup >= 0, sup, np.nan)


def trimmed(n: np.ndarray, width: int) -> np.ndarray:
    """rows x (width - 1): the splits searched for an unknown date (15% trimming, two each side)."""
    j = np.arange(1, width)[None, :]
    lo = np.maximum(np.ceil(TRIM * n), 2)[:, None]
    return (j >= lo) & (j <= (n[:, None] - lo))


@cache
def null_table(length: int) -> dict:
    """The procedure run on simulated Gaussian AR(1) series of ``length`` observations for each rho
    of RHO_GRID: the estimates' 2.5 and 97.5% quantiles, the sorted sup-W, and z at every split.
    Kept on disk between processes (table_cache)."""
    return table_cache.kept("null", length, lambda: _simulate_null_table(length))


def _simulate_null_table(length: int) -> dict:
    m = min(length, MAX_SIMULATED_LENGTH)
    rng = np.random.default_rng(20_231_993 + m)  # fixed: the same p-values on every run
    out = {"lo": [], "hi": [], "mean": [], "var": [], "sup": [], "z": []}
    times = np.arange(m, dtype=float)
    for rho in RHO_GRID:
        e = rng.normal(size=(REPS, m))
        y = np.empty_like(e)
        y[:, 0] = e[:, 0] / np.sqrt(1 - rho ** 2) if rho < 1 else e[:, 0]
        for t in range(1, m):
            y[:, t] = rho * y[:, t - 1] + e[:, t]
        T = np.broadcast_to(times, y.shape).copy()
        n = np.full(REPS, m)
        r, _, z, sup = search(y, T, n)
        out["lo"].append(np.quantile(r, 0.025))
        out["hi"].append(np.quantile(r, 0.975))
        out["mean"].append(r.mean())
        out["var"].append(r.var())
        out["sup"].append(np.sort(np.nan_to_num(sup, nan=0.0)))
        out["z"].append(np.sort(z, axis=0))  # per split: the null law of z, sorted
    return {"lo": np.array(out["lo"]), "hi": np.array(out["hi"]), "mean": np.array(out["mean"]),
            "var": np.array(out["var"]), "sup": np.array(out["sup"]), "z": np.array(out["z"]), "length": m}


def _compatible(table: dict, rho: float) -> np.ndarray:
    ok = (table["lo"] <= rho) & (rho <= table["hi"])
    if not ok.any():  # beyond every range: the nearest grid value
        ok = np.zeros(len(RHO_GRID), dtype=bool)
        ok[np.argmin(np.minimum(np.abs(table["lo"] - rho), np.abs(table["hi"] - rho)))] = True
    return ok


def sup_pvalue(length: int, rho: float, sup_w: float) -> float:
    """P(sup-W >= observed) under the null, maximised over the compatible rho values."""
    table = null_table(int(length))
    ok = _compatible(table, rho)
    tails = [(REPS - np.searchsorted(table["sup"][g], sup_w, side="left") + 1) / (REPS + 1)
             for g in np.flatnonzero(ok)]
    return float(max(tails))


def known_date_pvalue(length: int, split: int, rho: float, z: float, direction: str) -> float:
    """One-sided p-value of a shift at a known split: 'fall' (the measure predicts a fall: small when
    z is very negative) or 'rise'. Simulated law of z at that split, maximised over compatible rho."""
    table = null_table(int(length))
    m = table["length"]
    j = int(round(split * m / length)) if length > m else split
    j = min(max(j, 2), m - 2) - 1  # column of split j (before = first j observations)
    ok = _compatible(table, rho)
    tails = []
    for g in np.flatnonzero(ok):
        law = table["z"][g][:, j]
        law = law[np.isfinite(law)]
        if not len(law):
            return float(ndtr(z) if direction == "fall" else ndtr(-z))
        below = np.searchsorted(law, z, side="right") if direction == "fall" else len(law) - np.searchsorted(law, z, side="left")
        tails.append((below + 1) / (len(law) + 1))
    return float(max(tails))


_FAMILIES: ContextVar[dict | None] = ContextVar("trade_mirror_test_families", default=None)


@contextmanager
def families() -> Iterator[dict]:
    """Count the tests of each Benjamini-Hochberg family run inside (a detection run), so that the
    report can say how many were run: {'level shifts': 12345, ...}."""
    token = _FAMILIES.set({})
    try:
        yield _FAMILIES.get()
    finally:
        _FAMILIES.reset(token)


def record_family(name: str, tests: int) -> None:
    counts = _FAMILIES.get()
    if counts is not None:
        counts[name] = counts.get(name, 0) + int(tests)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values (BH step-up adjusted p-values) of a family of tests; NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if not m:
        return q
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    q[ok] = out
    return q
