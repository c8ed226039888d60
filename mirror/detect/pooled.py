"""The pooled path: persistence shared by a family of series, variances moderated.

On 12 annual points the persistence of one series is barely known (its estimate's 95% range under
rho 0.6 runs from -0.5 to 0.8, and a random walk is never excluded), and its noise variance rests on
ten residuals. Both are properties of how a reporter's statistics move, shared by its series. Where
the series of a family - one reporter's flows in one direction and unit - are compatible with one
AR(1) coefficient (a homogeneity test on their estimates), the family's pooled coefficient's 95%
interval replaces each series' own, the shift is estimated by exact AR(1) GLS at each coefficient of
that interval, and each series' residual variance is shrunk toward a prior fitted over the run's
series (empirical Bayes, Smyth 2004). A family that fails the homogeneity test (iid, AR(1) and
random-walk series mixed) takes the per-series path (inference.py).

The per-series path, its null tables and Benjamini-Hochberg are in inference.py."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.special import bdtrc, chdtrc, chdtri, fdtri, ndtr, ndtri, stdtr  # not scipy.stats (0.5 s)

from . import table_cache
from .inference import MAX_SIMULATED_LENGTH, RHO_GRID, ar1, best_split, null_table, trimmed

POOL_MIN_SERIES = 6  # series a family needs before its persistence is pooled
HOMOGENEITY_ALPHA = 0.05  # a family whose estimates reject one common rho at this level is not pooled
PRIOR_MIN_SERIES = 20  # series the variance prior is fitted on (fewer: no moderation)


def gls_splits(V: np.ndarray, T: np.ndarray, n: np.ndarray, rho: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact GLS of y_t = mu + d 1(t >= split) + u_t with AR(1) errors of coefficient ``rho`` (per row;
    1 = random walk, its first observation diffuse), at every split at once. The Prais-Winsten
    transform handles gaps exactly: an observation g periods after the previous one is quasi-
    differenced with rho^g and scaled by (sum_i<g rho^2i)^-1/2, the first by (1 - rho^2)^1/2, so the
    transformed errors are iid with variance sigma_e^2. Returns, rows x (columns - 1) (split j: the
    first j observations before): d, v = Var(d) / sigma_e^2, the residual sum of squares; and the
    residual sum of squares without a shift (rows). NaN where a side has fewer than two observations.
    Equals statsmodels' GLS with covariance R_ij = rho^|t_i - t_j| (checked by the tests). Computed
    in blocks of rows (each row's arithmetic is its own: the same numbers at any block size), which
    keeps the temporaries in cache: the null tables run it on 20,000 rows per coefficient."""
    rho = np.broadcast_to(np.asarray(rho, dtype=float), (len(V),))
    if len(V) <= GLS_BLOCK:
        return _gls_block(V, T, n, rho)
    parts = [_gls_block(V[lo:lo + GLS_BLOCK], T[lo:lo + GLS_BLOCK], n[lo:lo + GLS_BLOCK], rho[lo:lo + GLS_BLOCK])
             for lo in range(0, len(V), GLS_BLOCK)]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


GLS_BLOCK = 1024  # rows per block of gls_splits


def _gls_block(V: np.ndarray, T: np.ndarray, n: np.ndarray, rho: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows, width = V.shape
    idx = np.arange(width)[None, :]
    valid = idx < n[:, None]
    r = np.minimum(np.asarray(rho, dtype=float), 1.0)[:, None]
    y = np.where(valid, V, 0.0)
    gap = np.ones((rows, width))
    gap[:, 1:] = np.where(valid[:, 1:], np.nan_to_num(T[:, 1:] - T[:, :-1], nan=1.0), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if (gap == 1).all():  # consecutive periods (the usual case): the powers once per row, not per cell
            rg = np.broadcast_to(r, gap.shape)
            spread = np.where(np.abs(r) < 1, (1 - r ** np.full_like(r, 2.0)) / (1 - r ** 2), 1.0)
            a = np.broadcast_to(1 / np.sqrt(spread), gap.shape)
        else:
            rg = r ** gap
            spread = np.where(np.abs(r) < 1, (1 - r ** (2 * gap)) / (1 - r ** 2), gap)
            a = 1 / np.sqrt(spread)
    w0 = np.sqrt(np.maximum(1 - r[:, 0] ** 2, 0.0))
    ys = np.empty_like(y)
    ys[:, 0] = w0 * y[:, 0]
    ys[:, 1:] = a[:, 1:] * (y[:, 1:] - rg[:, 1:] * y[:, :-1])
    x1 = np.empty_like(y)
    x1[:, 0] = w0
    x1[:, 1:] = a[:, 1:] * (1 - rg[:, 1:])
    ys, x1, a = ys * valid, x1 * valid, a * valid
    s11, s1y, syy = (x1 ** 2).sum(1), (x1 * ys).sum(1), (ys ** 2).sum(1)
    # suffix sums over t > j, for j = 1 .. width - 1
    suf11 = np.cumsum((x1 ** 2)[:, ::-1], axis=1)[:, ::-1]
    suf1y = np.cumsum((x1 * ys)[:, ::-1], axis=1)[:, ::-1]
    nxt = np.concatenate([suf11[:, 1:], np.zeros((rows, 1))], axis=1)
    nxty = np.concatenate([suf1y[:, 1:], np.zeros((rows, 1))], axis=1)
    j = slice(1, width)
    s22 = a[:, j] ** 2 + nxt[:, j]
    s12 = x1[:, j] * a[:, j] + nxt[:, j]
    s2y = a[:, j] * ys[:, j] + nxty[:, j]
    level = (s11 > 1e-12)[:, None]  # False for a random walk: its level is the first observation's
    with np.errstate(divide="ignore", invalid="ignore"):
        c11 = np.where(level, s11[:, None], 1.0)
        den = np.where(level, s22 - s12 ** 2 / c11, s22)
        num = np.where(level, s2y - s12 * s1y[:, None] / c11, s2y)
        d = num / den
        v = 1 / den
        base = np.where(level[:, 0], syy - s1y ** 2 / np.where(level[:, 0], s11, 1.0), syy)
        ssr = np.maximum(base[:, None] - num ** 2 / den, 0.0)
    jj = np.arange(1, width)[None, :]
    ok = (jj >= 2) & (n[:, None] - jj >= 2)
    nan = np.nan
    return np.where(ok, d, nan), np.where(ok, v, nan), np.where(ok, ssr, nan), np.maximum(base, 0.0)


def _trigamma_inverse(x: np.ndarray | float) -> np.ndarray:
    """The y with trigamma(y) = x, by Newton's method as limma's trigammaInverse does."""
    from scipy.special import polygamma

    x = np.asarray(x, dtype=float)
    y = 0.5 + 1 / x
    for _ in range(50):
        tri = polygamma(1, y)
        step = tri * (1 - tri / x) / polygamma(2, y)
        y = y + step
        if np.all(-step / y < 1e-8):
            break
    return y


def fit_variance_prior(s2: np.ndarray, df: np.ndarray) -> tuple[float, float]:
    """(d0, s0^2) of the scaled inverse-chi-square prior of the series' residual variances, by the
    moments of log s^2 (Smyth 2004; limma's fitFDist without covariates). d0 = inf: every series has
    the same variance; 0: nothing to borrow (fewer than PRIOR_MIN_SERIES series)."""
    from scipy.special import digamma, polygamma

    ok = np.isfinite(s2) & (s2 > 0) & (df > 0)
    s2, df = np.asarray(s2, dtype=float)[ok], np.asarray(df, dtype=float)[ok]
    if len(s2) < PRIOR_MIN_SERIES:
        return 0.0, float(np.median(s2)) if len(s2) else 1.0
    e = np.log(s2) - digamma(df / 2) + np.log(df / 2)
    mean = e.mean()
    excess = e.var(ddof=1) - polygamma(1, df / 2).mean()
    if excess <= 0:
        return float("inf"), float(np.exp(mean))
    d0 = float(2 * _trigamma_inverse(excess))
    return d0, float(np.exp(mean + digamma(d0 / 2) - np.log(d0 / 2)))


def moderated_scores(d: np.ndarray, v: np.ndarray, ssr: np.ndarray, n: np.ndarray, d0: float, s02: float,
                     s2_own: np.ndarray | None = None) -> np.ndarray:
    """Normal scores of the moderated t of each shift: t = d / (s~ v^1/2), s~^2 = (d0 s0^2 + (n - 2) s^2)
    / (d0 + n - 2), which has a t law with d0 + n - 2 degrees of freedom under the null (Smyth 2004);
    mapped through that law to a standard normal score with the same tail probability. A series whose
    residual variance at its best split (``s2_own``) is beyond the prior's 99% point (an F test
    against s0^2: a one-off spike, a different kind of series) is not moderated: its own t with n - 2
    degrees of freedom (as limma's robust option gives outlying variances their own)."""
    return normal_scores(*moderated_t(d, v, ssr, n, d0, s02, s2_own))


def moderated_t(d: np.ndarray, v: np.ndarray, ssr: np.ndarray, n: np.ndarray, d0: float, s02: float,
                s2_own: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The moderated t of each shift and its degrees of freedom (rows x 1): see moderated_scores."""

    k = (n - 2).astype(float)[:, None]
    own = np.zeros(len(n), dtype=bool)
    if s2_own is not None and d0 > 0:
        limit = fdtri(n - 2, d0, 0.99) if np.isfinite(d0) else chi2_ppf(0.99, n - 2) / (n - 2)
        own = s2_own / s02 > limit
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ssr / k
        if d0 == 0:
            mod = s2
        elif np.isinf(d0):
            mod = np.where(own[:, None], s2, s02)
        else:
            mod = np.where(own[:, None], s2, (d0 * s02 + k * s2) / (d0 + k))
        t = d / np.sqrt(mod * v)
        df = np.where(own[:, None] | (d0 == 0), k, d0 + k)
    return t, df


def normal_scores(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """The standard normal score with the tail probability of t under a t law with ``df`` degrees of
    freedom (a normal law where df is infinite). Increasing in |t| for each df."""

    tail = np.where(np.isinf(df), ndtr(-np.abs(t)), stdtr(np.where(np.isinf(df), 1.0, df), -np.abs(t)))
    return np.sign(t) * -ndtri(tail)


def largest_scores(t: np.ndarray, df: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the split of the largest finite squared normal score among the ``keep`` splits and that
    square (-1 where there is none), computing the score at one split per row: the score grows with
    |t|, so its largest finite value is at the largest |t| - unless that score is infinite (a tail
    beyond floating point), where the row's scores are computed at every split. Returns (split index,
    sup of z^2, rows computed in full)."""
    at = np.where(keep & np.isfinite(t), np.abs(t), -1.0)
    j = np.argmax(at, axis=1)
    rows = np.arange(len(t))
    z = normal_scores(t[rows, j], df[:, 0])
    sup = np.where(at[rows, j] >= 0, z ** 2, -1.0)
    full = np.flatnonzero((at[rows, j] >= 0) & ~np.isfinite(z))
    if len(full):
        zf = normal_scores(t[full], df[full])
        w = np.where(keep[full] & np.isfinite(zf), zf ** 2, -1.0)
        j[full], sup[full] = np.argmax(w, axis=1), np.max(w, axis=1)
    return j, sup, full


def chi2_ppf(q: float, df) -> np.ndarray:
    return chdtri(df, 1 - q)


PGRID = np.round(np.arange(-0.3, 1.0001, 0.05), 2)  # the pooled path's rho grid (its tables are cheap)
PREPS = 20_000  # simulated series per rho of the pooled path's tables


@cache
def gls_table(length: int) -> dict:
    """gls_table_simulated, kept on disk between processes (table_cache)."""
    return table_cache.kept("gls", length, lambda: gls_table_simulated(length))


def gls_table_simulated(length: int) -> dict:
    """Null laws of the pooled path for series of ``length`` observations, for each rho of PGRID: the
    mean and variance of ar1's estimate (each series demeaned as one; and around its best split, as
    search estimates it), and the sorted sup over
    trimmed splits of z^2, z the GLS shift over its standard error at the true rho and variance (each
    split's z is exactly standard normal; the sup's law is simulated)."""
    m = min(length, MAX_SIMULATED_LENGTH)
    rng = np.random.default_rng(19_930_704 + m)
    times = np.broadcast_to(np.arange(m, dtype=float), (PREPS, m)).copy()
    n = np.full(PREPS, m)
    keep = trimmed(n, m)
    sups, means, var = [], [], []
    for rho in PGRID:
        y = _ar1_paths(rng, rho, PREPS, m)
        r, _ = ar1(y, times, n, scale=False)
        rs, _ = ar1(y, times, n, best_split(y, n), scale=False)
        means.append([r.mean(), rs.mean()])
        var.append([r.var(), rs.var()])
        d, v, _, _ = gls_splits(y, times, n, np.full(PREPS, rho))
        w = np.where(keep, d ** 2 / v, -1.0)
        sups.append(np.sort(np.nanmax(np.nan_to_num(w, nan=-1.0), axis=1)))
    means, var = np.array(means), np.array(var)
    return {"sup": np.array(sups), "mean": means[:, 0], "var": var[:, 0], "mean_split": means[:, 1],
            "var_split": var[:, 1], "length": m}


def _ar1_paths(rng: np.random.Generator, rho: float, reps: int, m: int) -> np.ndarray:
    e = rng.normal(size=(reps, m))
    y = np.empty_like(e)
    y[:, 0] = e[:, 0] / np.sqrt(1 - rho ** 2) if rho < 1 else e[:, 0]
    for t in range(1, m):
        y[:, t] = rho * y[:, t - 1] + e[:, t]
    return y


def gls_sup_pvalue(length: int, grid_index: int, sup_w: float) -> float:
    """P(sup-W >= observed) at rho PGRID[grid_index] (the pooled path's law)."""
    table = gls_table(int(length))
    return float((PREPS - np.searchsorted(table["sup"][grid_index], sup_w, side="left") + 1) / (PREPS + 1))


def gls_sup_pvalues(lengths: np.ndarray, grid_index: int, sup_w: np.ndarray) -> np.ndarray:
    """gls_sup_pvalue of many series at once (one table look-up per length)."""
    out = np.empty(len(lengths))
    for m in np.unique(lengths):
        sel = lengths == m
        law = gls_table(int(m))["sup"][grid_index]
        out[sel] = (PREPS - np.searchsorted(law, sup_w[sel], side="left") + 1) / (PREPS + 1)
    return out


def pooled_rho(r: np.ndarray, r_split: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """The grid values of rho compatible with a family's estimates taken as draws with one common rho,
    or None when they are not (homogeneity rejected at HOMOGENEITY_ALPHA) or the family is too small.
    ``r``: each series' ar1 estimate, demeaned as one (four times the information of the estimate
    around the best split on 12 points; a shifted series looks more persistent, so the few that
    shifted make the family's interval conservative, never liberal); ``r_split``: the estimates
    around each series' best split (search's), on which homogeneity is tested - a shift does not
    make a series look persistent there, so a family with a few real shifts is still pooled, while
    one that mixes independent noise and random walks is not; ``n``: their lengths. Under
    rho, r_i has the simulated mean m(rho, n_i) and variance s2(rho, n_i) (null_table); the family
    mean r-bar has mean h(rho) = mean m(rho, n_i) and variance mean s2(rho, n_i) / F. Returned: the
    grid values inside {rho: |r-bar - h(rho)| <= 1.96 sd} and the two bracketing it, the point
    estimate, and the homogeneity test's p-value (chi-square with F - 1 degrees of freedom)."""
    ok = np.isfinite(r) & np.isfinite(r_split)
    r, r_split, n = r[ok], r_split[ok], n[ok]
    if len(r) < POOL_MIN_SERIES:
        return None
    lengths, inverse = np.unique(n, return_inverse=True)
    means = np.array([gls_table(int(m))["mean"] for m in lengths])[inverse]  # series x grid
    var = np.array([gls_table(int(m))["var"] for m in lengths])[inverse]
    means_s = np.array([gls_table(int(m))["mean_split"] for m in lengths])[inverse]
    fine = np.linspace(PGRID[0], PGRID[-1], 261)
    h = np.interp(fine, PGRID, means.mean(axis=0))
    sd = np.sqrt(np.interp(fine, PGRID, var.mean(axis=0)) / len(r))
    rbar = r.mean()
    inside = np.abs(rbar - h) <= 1.96 * sd
    est = float(fine[np.argmin(np.abs(rbar - h))])
    # homogeneity at the point estimate (of the estimates around each series' best split)
    fine_s = np.interp(fine, PGRID, means_s.mean(axis=0))
    est_s = float(fine[np.argmin(np.abs(r_split.mean() - fine_s))])
    # (each length's table interpolated once: the series of one length share it)
    m_i = np.array([np.interp(est_s, PGRID, gls_table(int(m))["mean_split"]) for m in lengths])[inverse]
    v_i = np.array([np.interp(est_s, PGRID, gls_table(int(m))["var_split"]) for m in lengths])[inverse]
    q = float(((r_split - m_i) ** 2 / v_i).sum())
    p_hom = float(chdtrc(len(r) - 1, q))
    if p_hom < HOMOGENEITY_ALPHA:
        return None
    if inside.any():
        lo, hi = fine[inside].min(), fine[inside].max()
    else:
        lo = hi = est
    below = PGRID[lo >= PGRID]
    above = PGRID[hi <= PGRID]
    lo_g = below.max() if len(below) else PGRID[0]
    hi_g = above.min() if len(above) else PGRID[-1]
    grid = np.flatnonzero((lo_g <= PGRID) & (hi_g >= PGRID))
    return grid, est, p_hom


def fits_pool(r_split: np.ndarray, n: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per series: is its own estimate (around its best split) inside the simulated 2.5-97.5% range
    of the estimate at some rho of the family's interval (PGRID[grid])? A series that is not (a random
    walk in a family of AR(1) series with rho 0.7) is judged on its own, by the per-series path."""
    out = np.zeros(len(r_split), dtype=bool)
    for m in np.unique(n):
        table = null_table(int(m))
        lo = np.interp(PGRID[grid], RHO_GRID, table["lo"])
        hi = np.interp(PGRID[grid], RHO_GRID, table["hi"])
        sel = n == m
        out[sel] = ((lo[None, :] <= r_split[sel, None]) & (r_split[sel, None] <= hi[None, :])).any(axis=1)
    return out


def persistent_excess(r_split: np.ndarray, n: np.ndarray, grid: np.ndarray) -> float:
    """One-sided binomial p-value of the number of series whose estimate (around the best split) is
    above the simulated 97.5% point at the top of the family's interval: a minority of random walks
    in a family of AR(1) series shows there first, and a family where it does is not pooled."""

    above = 0
    for m in np.unique(n):
        hi = float(np.interp(PGRID[grid[-1]], RHO_GRID, null_table(int(m))["hi"]))
        above += int((r_split[n == m] > hi).sum())
    return float(bdtrc(above - 1, len(r_split), 0.025)) if above else 1.0
