"""Analytic intervals for reconciled values, reliability weights and totals.

Model (the reliability model's, made explicit): a report is the true value times a log-normal
error, ln X = ln v + e_x, ln M_fob = ln v + e_m + (tau - tau_hat), with e_x ~ N(0, s2x_i) for
exporter i and e_m ~ N(0, s2m_j) for importer j, independent across flows, and tau - tau_hat the
error of the CIF/FOB margin applied, common to every flow of a pair.

- s2x_i + s2m_j is identified from each pair's within-pair variance of d = ln(X / M_fob)
  (the margin's error is constant within the pair and drops out): E[SS_ij / (n_ij - 1)] =
  s2x_i + s2m_j, fitted by backfitting weighted by the inverse of each estimate's chi-square
  variance, (n_ij - 1) / (s2x_i + s2m_j)^2, iterated; the exporter/importer split is
  fixed by giving the median exporter and the median importer the same variance.
- The margin's error: per pair, the estimate's own standard error where the method has one
  (the pair median's, the gravity prediction's), plus the spread of pairs' mean d that the noise
  does not explain (between-pair variance): what the margin applied misses systematically.
- A reconciled value V = w X + (1 - w) M_fob has, to first order, ln V - ln v = sx e_x + sm (e_m +
  tau error) with sx = w X / V and sm = 1 - sx; the interval is V exp(-+ z se), z = Phi^-1((1+level)/2).
- A total over flows adds the flows' values unbiased in levels (V / E[excess], the log-normal
  retransformation), their independent variances in levels and, per pair, the square of the
  pair's importer-side value times its margin's variance (those errors do not average out).
- A reliability weight w = V_m / (V_x + V_m): delta method on logit w = ln V_m - ln V_x from the
  standard errors of the two countries' effects in BACI's regression.
- A reporter's persistent misreporting of one product (product_bias): its mean d for the
  product against the product's centre (the median of its reporters' means), tested cell by cell with the same noise model and
  Benjamini-Hochberg over the cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special  # the distributions' functions without scipy.stats' 0.5 s import


def z_value(level: float) -> float:
    return float(special.ndtri((1 + level) / 2))


def _backfit_additive(y: np.ndarray, e: np.ndarray, i: np.ndarray, w: np.ndarray, iterations: int = 500):
    ne, ni = e.max() + 1, i.max() + 1
    a, b = np.zeros(ne), np.zeros(ni)
    we, wi = np.bincount(e, w, ne), np.bincount(i, w, ni)
    for _ in range(iterations):
        a_new = np.bincount(e, w * (y - b[i]), ne) / np.where(we > 0, we, 1)
        b_new = np.bincount(i, w * (y - a_new[e]), ni) / np.where(wi > 0, wi, 1)
        done = max(np.abs(a_new - a).max(), np.abs(b_new - b).max()) < 1e-12
        a, b = a_new, b_new
        if done:
            break
    return a, b


def fit_noise(cells: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """cells: exporter, importer, n, sum_s (sum of ln(X/M_fob)), sum_d2 (sum of its square); one row
    per pair (the engine's reliability_pairs) or several (per year: summed per pair first). Returns (per role and country: s2, the log variance of its reports) and the between-pair
    variance of the margin's error."""
    pairs = cells.groupby(["exporter", "importer"], as_index=False)[["n", "sum_s", "sum_d2"]].sum()
    pairs = pairs[pairs.n >= 2].reset_index(drop=True)
    if pairs.empty:
        return pd.DataFrame(columns=["role", "country", "s2"]), 0.0
    ss = np.maximum(pairs.sum_d2 - pairs.sum_s**2 / pairs.n, 0).to_numpy()
    df = (pairs.n - 1).to_numpy(dtype=float)
    ex_codes, e = np.unique(pairs.exporter.to_numpy(), return_inverse=True)
    im_codes, i = np.unique(pairs.importer.to_numpy(), return_inverse=True)
    # SS / df has variance 2 (s2x + s2m)^2 / df (chi-square): weight by its inverse, iterated, or a
    # noisy partner's pairs drown a careful reporter's small variance
    y, weights = ss / df, df
    for _ in range(4):
        a, b = _backfit_additive(y, e, i, weights)
        fitted = np.maximum(a[e] + b[i], max(np.median(y), 1e-6) * 0.05)
        weights = df / fitted**2
    # The split between the roles is not identified (s2x_i + c, s2m_j - c fit as well): the typical
    # exporter and the typical importer are taken to be equally careful (equal medians; BACI equates
    # flow-weighted means, which a few very noisy countries decide)
    shift = (np.median(a) - np.median(b)) / 2
    a, b = np.maximum(a - shift, 1e-6), np.maximum(b + shift, 1e-6)
    noise = pd.concat([pd.DataFrame({"role": "exporter", "country": ex_codes, "s2": a}),
                       pd.DataFrame({"role": "importer", "country": im_codes, "s2": b})], ignore_index=True)
    # between pairs: a pair's mean d has variance (s2x + s2m) / n from noise, the rest is its margin's error
    n = pairs.n.to_numpy(dtype=float)
    mean_d = pairs.sum_s.to_numpy() / n
    excess = mean_d**2 - (a[e] + b[i]) / n
    between = max(float(np.average(excess, weights=n)), 0.0)
    return noise, between


def effect_errors(residuals: pd.DataFrame) -> pd.DataFrame:
    """Standard errors of BACI's exporter and importer effects: the residual s.d. of |d| around the
    fitted cell value over the country's flows, divided by the square root of its flow count.
    residuals: role, country, rss (the residual sum of squares over its cells), n (its flows)."""
    n = residuals.n.to_numpy(dtype=float)
    se = np.sqrt(residuals.rss.to_numpy(dtype=float) / np.maximum(n - 1, 1)) / np.sqrt(n)
    return pd.DataFrame({"role": residuals.role.to_numpy(), "country": residuals.country.to_numpy(), "effect_se": se})


def total_interval(frame: pd.DataFrame, by: list[str], level: float = 0.90) -> pd.DataFrame:
    """Totals of a mirror frame's reconciled values by ``by`` with their interval. frame: the
    columns of db.mirror() (value_reconciled_mean_usd or value_reconciled_usd, reconciled_log_se_noise,
    reconciled_share_importer, cif_fob_se, exporter, importer).

    A total adds each flow's value unbiased in levels (value_reconciled_mean_usd: BACI's value
    divided by its log-normal excess, the retransformation a sum of log-model estimates needs);
    the flows' own value_reconciled_usd stays unbiased in logs, the better estimate of one flow."""
    z = z_value(level)
    v = (frame.value_reconciled_mean_usd if "value_reconciled_mean_usd" in frame else frame.value_reconciled_usd).fillna(0)
    f = frame.assign(
        _v=v,
        _indep=v**2 * np.expm1(frame.reconciled_log_se_noise.fillna(0) ** 2),
        _sys=v * frame.reconciled_share_importer.fillna(0))
    per_pair = f.groupby([*by, "exporter", "importer"] if not {"exporter", "importer"} <= set(by) else by, dropna=False)
    pp = per_pair.agg(v=("_v", "sum"), indep=("_indep", "sum"), sys=("_sys", "sum"), tau_se=("cif_fob_se", "max"))
    pp["var"] = pp.indep + (pp.sys * pp.tau_se.fillna(0)) ** 2
    tot = pp.groupby(level=list(range(len(by)))).agg(total=("v", "sum"), var=("var", "sum")).reset_index()
    se_ln = np.sqrt(tot["var"]) / tot.total.where(tot.total > 0)
    tot["total_low"] = tot.total * np.exp(-z * se_ln)
    tot["total_high"] = tot.total * np.exp(z * se_ln)
    return tot.drop(columns="var")


def product_bias(tests: pd.DataFrame, fdr: float = 0.05) -> pd.DataFrame:
    """The reporter-product cells found misreported: tests (role, country, hs, n, bias, se, tests: a
    reporter's mean ln(X/M_fob) for a product less the product's centre, its standard error, and the
    number of cells tested; the rows may be only those with p <= fdr) with z = bias / se, the
    two-sided normal p-value, and Benjamini-Hochberg at ``fdr`` over all the cells tested (few
    reporters misreport a good to everyone: a sparse correction, so at most about ``fdr`` of the
    corrections are false and, where nothing is misreported, almost none is made). Returns the
    rejected rows."""
    cols = ["role", "country", "hs", "n", "bias", "se", "z", "p_value"]
    t = tests[(tests.se > 0) & tests.bias.notna()].copy()
    if t.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("bias", "se", "z", "p_value") else
                                          ("int64" if c == "n" else object)) for c in cols})
    m = int(t.tests.max()) if "tests" in t else len(t)
    t["z"] = t.bias / t.se
    t["p_value"] = 2 * special.ndtr(-t.z.abs())
    t = t.sort_values("p_value").reset_index(drop=True)
    passed = np.flatnonzero(t.p_value.to_numpy() <= fdr * np.arange(1, len(t) + 1) / m)
    return t.iloc[: passed.max() + 1 if len(passed) else 0][cols].reset_index(drop=True)
