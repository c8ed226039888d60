"""CIF/FOB margins from geography (the Harvard Growth Lab's specification, CEPII BACI's variables).

Model, for each exporter-importer pair (i, j) with flows both report:

    r_ij = b0 + b1 ln d_ij + b2 contig_ij + a_i + g_j + u_ij

r_ij is the pair's median of ln(M / X) over its flows (robust to a few misreported products), d
the population-weighted distance in km and contig 1 for land neighbours (data/geography, built
by tools/build_geography.py from GeoNames), a and g exporter and importer effects (each centred
on zero, flow-weighted), weights n_ij (flows behind the median). Assumptions: the margin is
log-linear in distance, the same for every product, and constant over the panel; u_ij is
independent across pairs with constant variance per flow of weight. Landlocked flags are
constant within a country, so the country effects absorb them; they return in a second stage,
effect_i = c + d landlocked_i, which predicts the effect of a country without observed pairs
(North Korea as exporter, say). The prediction e^tau is clipped to [1, e^max_margin] by the engine.

The fit is the within (two-way fixed effects) estimator: the variables are demeaned by
alternating weighted projections on the two sets of effects (Frisch-Waugh-Lovell), so 230
countries need no 460-column dummy matrix; tests check it against statsmodels WLS with dummies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special  # the distributions' functions without scipy.stats' 0.5 s import

from .paths import data_dir

TERMS = ("intercept", "ln_distance_km", "contiguous")


@lru_cache(maxsize=1)
def geography() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(countries, pairs): countries with their landlocked flag; pairs in both orders with the
    population-weighted distance (km) and contiguity."""
    folder = data_dir() / "geography"
    countries = pd.read_csv(folder / "countries.csv", keep_default_na=False)
    countries["landlocked"] = countries.landlocked.astype(str).str.lower().eq("true")
    d = pd.read_csv(folder / "distances.csv", keep_default_na=False)
    d["contiguous"] = d.contiguous.astype(str).str.lower().eq("true")
    both = pd.concat([d, d.rename(columns={"iso3_a": "iso3_b", "iso3_b": "iso3_a"})], ignore_index=True)
    both = both.rename(columns={"iso3_a": "exporter", "iso3_b": "importer"})
    return countries[["iso3", "landlocked"]], both[["exporter", "importer", "dist_weighted_km", "dist_capital_km",
                                                    "contiguous"]]


def with_geography(pairs: pd.DataFrame) -> pd.DataFrame:
    """pairs (exporter, importer, ...) with ln_distance_km, contiguous, landlocked_exporter/importer
    and has_geography (False where a country is not in the table: distance left missing)."""
    countries, dist = geography()
    out = pairs.merge(dist, on=["exporter", "importer"], how="left")
    ll = countries.set_index("iso3").landlocked
    out["ln_distance_km"] = np.log(out.dist_weighted_km)
    out["contiguous"] = out.contiguous.fillna(False).astype(float)
    out["landlocked_exporter"] = out.exporter.map(ll).fillna(False).astype(float)
    out["landlocked_importer"] = out.importer.map(ll).fillna(False).astype(float)
    out["has_geography"] = out.dist_weighted_km.notna()
    return out


def _group_mean(values: np.ndarray, groups: np.ndarray, w: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(groups, w * values, n_groups) / np.bincount(groups, w, n_groups)


def demean_two_way(v: np.ndarray, e: np.ndarray, i: np.ndarray, w: np.ndarray, tol: float = 1e-11,
                   max_iter: int = 5000) -> np.ndarray:
    """v less its weighted projection on exporter and importer dummies (alternating projections)."""
    ne, ni = e.max() + 1, i.max() + 1
    x = v.astype(float).copy()
    for _ in range(max_iter):
        step_e = _group_mean(x, e, w, ne)[e]
        x -= step_e
        step_i = _group_mean(x, i, w, ni)[i]
        x -= step_i
        if max(np.abs(step_e).max(), np.abs(step_i).max()) < tol:
            break
    return x


@dataclass
class GravityFit:
    coefficients: pd.DataFrame  # term, coef, std_error, t, p_value (second-stage terms included)
    exporter_effects: pd.Series
    importer_effects: pd.Series
    cov: np.ndarray  # of (b1, b2)
    beta: np.ndarray  # b0, b1, b2
    sigma: float  # residual s.d. per unit weight
    stage2: dict = field(default_factory=dict)  # role -> (c, d) of effect = c + d landlocked
    fit: dict = field(default_factory=dict)
    own_effects: bool = False

    def predict(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """tau (ln margin, unclipped) and its standard error for each (exporter, importer): the
        geography part, each country's effect (or its landlocked prediction), and u's spread."""
        g = with_geography(pairs[["exporter", "importer"]].drop_duplicates())
        lnd = g.ln_distance_km.fillna(self.fit["mean_ln_distance_km"]).to_numpy()
        contig = g.contiguous.to_numpy()
        ce, de = self.stage2["exporter"]
        ci, di = self.stage2["importer"]
        # Each country's own effect holds its persistent misreporting as well as its freight costs:
        # predicted from geography, a country's effect is its landlocked prediction (own_effects=False)
        a = g.exporter.map(self.exporter_effects) if self.own_effects else pd.Series(np.nan, index=g.index)
        b = g.importer.map(self.importer_effects) if self.own_effects else pd.Series(np.nan, index=g.index)
        a_known, b_known = a.notna().to_numpy(), b.notna().to_numpy()
        a = a.fillna(pd.Series(ce + de * g.landlocked_exporter, index=g.index)).to_numpy()
        b = b.fillna(pd.Series(ci + di * g.landlocked_importer, index=g.index)).to_numpy()
        tau = self.beta[0] + self.beta[1] * lnd + self.beta[2] * contig + a + b
        x = np.column_stack([lnd - self.fit["mean_ln_distance_km"], contig - self.fit["mean_contiguous"]])
        var_geo = np.einsum("ij,jk,ik->i", x, self.cov, x)
        # an effect not estimated is as uncertain as the spread of the estimated ones
        var_a = np.where(a_known, g.exporter.map(self.fit["exporter_effect_var"]).fillna(0), self.fit["effect_sd"][0] ** 2)
        var_b = np.where(b_known, g.importer.map(self.fit["importer_effect_var"]).fillna(0), self.fit["effect_sd"][1] ** 2)
        # the pair's own deviation from the model is added by the interval model (between-pair variance)
        se = np.sqrt(var_geo + var_a + var_b)
        label = np.where(g.has_geography, "gravity estimate", "gravity estimate (no distance: mean distance)")
        return pd.DataFrame({"exporter": g.exporter, "importer": g.importer, "tau": tau, "tau_se": se,
                             "ln_distance_km": g.ln_distance_km, "contiguous": contig.astype(bool), "label": label})


def fit_gravity(obs: pd.DataFrame) -> GravityFit:
    """Fit the model on pair observations: exporter, importer, n (flows), r (median ln(M/X))."""
    g = with_geography(obs[obs.n > 0])
    g = g[g.has_geography & np.isfinite(g.r)].reset_index(drop=True)
    if len(g) < 10 or g.exporter.nunique() < 2 or g.importer.nunique() < 2:
        raise ValueError(f"the gravity CIF/FOB model needs pairs with geography and flows both report: {len(g)} found")
    e_codes, e = np.unique(g.exporter.to_numpy(), return_inverse=True)
    i_codes, i = np.unique(g.importer.to_numpy(), return_inverse=True)
    w = g.n.to_numpy(dtype=float)
    y = g.r.to_numpy()
    X = g[["ln_distance_km", "contiguous"]].to_numpy()
    y_dm = demean_two_way(y, e, i, w)
    X_dm = np.column_stack([demean_two_way(X[:, k], e, i, w) for k in range(X.shape[1])])
    keep = X_dm.std(axis=0) > 1e-9  # contiguity may not vary once the effects are taken out
    Xk = X_dm[:, keep]
    xtwx = Xk.T @ (w[:, None] * Xk)
    b = np.linalg.solve(xtwx, Xk.T @ (w * y_dm))
    slopes = np.zeros(X.shape[1])
    slopes[keep] = b
    resid = y_dm - X_dm @ slopes
    n_obs, k = len(y), int(keep.sum())
    df_resid = n_obs - k - len(e_codes) - len(i_codes) + 1
    if df_resid <= 0:
        raise ValueError(f"the gravity CIF/FOB model has no residual degrees of freedom ({n_obs} pairs)")
    sigma2 = float((w * resid**2).sum() / df_resid)
    cov = np.zeros((X.shape[1], X.shape[1]))
    cov[np.ix_(keep, keep)] = sigma2 * np.linalg.inv(xtwx)
    # effects by backfitting on what geography leaves, centred (flow-weighted) on zero
    u = y - X @ slopes
    a, c = np.zeros(len(e_codes)), np.zeros(len(i_codes))
    for _ in range(5000):
        a_new = _group_mean(u - c[i], e, w, len(e_codes))
        c_new = _group_mean(u - a_new[e], i, w, len(i_codes))
        done = max(np.abs(a_new - a).max(), np.abs(c_new - c).max()) < 1e-12
        a, c = a_new, c_new
        if done:
            break
    a_mean, c_mean = np.average(a[e], weights=w), np.average(c[i], weights=w)
    a, c = a - a_mean, c - c_mean
    b0 = a_mean + c_mean
    beta = np.array([b0, *slopes])
    ss_tot = float((w * (y - np.average(y, weights=w)) ** 2).sum())
    w_e, w_i = np.bincount(e, w), np.bincount(i, w)
    countries, _ = geography()
    ll = countries.set_index("iso3").landlocked
    stage2, rows2 = {}, []
    for role, codes, eff, wt in (("exporter", e_codes, a, w_e), ("importer", i_codes, c, w_i)):
        flag = pd.Series(codes).map(ll).fillna(False).to_numpy(dtype=float)
        if 0 < flag.sum() < len(flag) - 1:
            Z = np.column_stack([np.ones(len(flag)), flag])
            coef = np.linalg.solve(Z.T @ (wt[:, None] * Z), Z.T @ (wt * eff))
            res = eff - Z @ coef
            s2 = (wt * res**2).sum() / (len(flag) - 2)
            se = np.sqrt(np.diag(s2 * np.linalg.inv(Z.T @ (wt[:, None] * Z))))
            stage2[role] = (float(coef[0]), float(coef[1]))
            rows2.append((f"landlocked {role} (on {role} effects)", coef[1], se[1], len(flag) - 2))
        else:
            stage2[role] = (float(np.average(eff, weights=wt)), 0.0)
    se = np.sqrt(np.diag(cov))
    rows = [("intercept", b0, np.nan, df_resid)] + [
        (t, slopes[n], se[n] if keep[n] else np.nan, df_resid) for n, t in enumerate(TERMS[1:])] + rows2
    coefs = pd.DataFrame(rows, columns=["term", "coef", "std_error", "df"])
    coefs["t"] = coefs.coef / coefs.std_error
    coefs["p_value"] = 2 * special.stdtr(coefs.df, -coefs.t.abs())
    pair_sd = float(np.sqrt(sigma2 / np.average(w, weights=w)))  # a typical pair's residual s.d.
    fit = {
        "pairs": n_obs, "flows": int(w.sum()), "exporters": len(e_codes), "importers": len(i_codes),
        "df_resid": df_resid, "sigma": float(np.sqrt(sigma2)), "pair_sd": pair_sd,
        "r2": 1 - float((w * (u - b0 - a[e] - c[i]) ** 2).sum()) / ss_tot if ss_tot > 0 else np.nan,
        "r2_within": 1 - float((w * resid**2).sum() / (w * y_dm**2).sum()) if (w * y_dm**2).sum() > 0 else np.nan,
        "mean_ln_distance_km": float(np.average(X[:, 0], weights=w)), "mean_contiguous": float(np.average(X[:, 1], weights=w)),
        "exporter_effect_var": pd.Series(sigma2 / w_e, index=e_codes),
        "importer_effect_var": pd.Series(sigma2 / w_i, index=i_codes),
        "effect_sd": (float(np.sqrt(np.average(a**2, weights=w_e))), float(np.sqrt(np.average(c**2, weights=w_i)))),
    }
    return GravityFit(coefs[["term", "coef", "std_error", "t", "p_value"]], pd.Series(a, index=e_codes),
                      pd.Series(c, index=i_codes), cov, beta, float(np.sqrt(sigma2)), stage2, fit)


def combine(pred: pd.DataFrame, obs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Empirical Bayes: each pair's margin is the geography prediction g_ij shrunk toward the pair's
    own median m_ij as far as its history can tell them apart,

        tau_ij = (n_ij m_ij + k g_ij) / (n_ij + k),   k = s2 / t2,

    with s2_ij the variance of one flow's ln(M/X) about its pair's margin (the pair's MAD: the
    median's variance is (pi/2) s2 / n) and t2 the variance of the true margins about the
    prediction (the precision-weighted spread of m - g less its sampling part); k varies by pair. Where margins follow geography
    (t2 small) the prediction wins, and a pair's persistent misreporting is not taken for freight;
    where pairs differ for reasons geography misses, long histories win."""
    p = pred.merge(obs[["exporter", "importer", "n", "r", "mad"]], on=["exporter", "importer"], how="left")
    have = (p.n.fillna(0).to_numpy() > 0) & p.mad.notna().to_numpy()
    n = p.n.fillna(0).to_numpy(dtype=float)
    # each pair's own flow variance: a noisy reporter's pairs know their margin less well
    s2 = np.where(have, (1.4826 * p.mad.fillna(0).to_numpy()) ** 2, np.nan)
    s2 = np.where(have, np.maximum(s2, max(np.nanmedian(s2) * 0.1, 1e-8) if have.any() else 1e-8), np.nan)
    v_med = np.where(have, np.pi / 2 * s2 / np.maximum(n, 1), np.nan)  # the median's variance
    dev = (p.r - p.tau).to_numpy()
    t2 = np.nan
    if have.sum() >= 10:
        wt = 1 / v_med[have]
        t2 = max(float(np.average(dev[have] ** 2 - v_med[have], weights=wt)), 1e-6)
    if not np.isfinite(t2):
        return p.drop(columns=["n", "r", "mad"]), {"k": np.inf, "t2": t2}
    w = np.where(have, t2 / (t2 + np.nan_to_num(v_med, nan=1.0)), 0.0)  # the history's weight
    p["tau"] = np.where(have, w * p.r.fillna(0) + (1 - w) * p.tau, p.tau)
    # posterior s.d.: precision of the prediction (1 / t2) plus that of the median (1 / v_med)
    p["tau_se"] = np.where(have, np.sqrt(p.tau_se**2 * (1 - w) ** 2 + 1 / (1 / t2 + 1 / np.nan_to_num(v_med, nan=np.inf))),
                           np.sqrt(p.tau_se**2 + t2))
    k = float(np.nanmedian(np.pi / 2 * s2 / t2)) if have.any() else np.inf
    p["label"] = np.where(have, p.label + ", with the pair's history", p.label)
    return p.drop(columns=["n", "r", "mad"]), {"k": k, "t2": t2}


def describe(fit: GravityFit, tau_max: float) -> pd.DataFrame:
    """The fit as rows for the report's methods: coefficients, then fit statistics as terms."""
    extra = [("pairs", fit.fit["pairs"]), ("flows", fit.fit["flows"]), ("exporter effects", fit.fit["exporters"]),
             ("importer effects", fit.fit["importers"]), ("R2", fit.fit["r2"]), ("within R2", fit.fit["r2_within"]),
             ("residual s.d. of a pair's margin", fit.fit["pair_sd"]),
             ("s.d. of true margins about the prediction", np.sqrt(fit.fit.get("t2", np.nan))),
             ("prior worth (flows)", fit.fit.get("k", np.nan)), ("clipped to [0, max]", tau_max)]
    stats_rows = pd.DataFrame({"term": [t for t, _ in extra], "coef": [float(v) for _, v in extra]})
    return pd.concat([fit.coefficients.assign(kind="coefficient"), stats_rows.assign(kind="fit")], ignore_index=True)


TERM_WORDS = {
    "intercept": "intercept (ln margin at 1 km, mean country effects)",
    "ln_distance_km": "ln distance (km, population-weighted)",
    "contiguous": "land neighbours",
    "landlocked exporter (on exporter effects)": "landlocked exporter (on the exporter effects)",
    "landlocked importer (on importer effects)": "landlocked importer (on the importer effects)",
    "pairs": "pairs fitted", "flows": "flows both report behind them", "exporter effects": "exporter effects",
    "importer effects": "importer effects", "R2": "R²", "within R2": "within R² (geography alone)",
    "residual s.d. of a pair's margin": "residual s.d. of a pair's ln margin",
    "s.d. of true margins about the prediction": "s.d. of pairs' margins about the prediction (empirical Bayes)",
    "prior worth (flows)": "the prediction's weight, in flows of a pair's history (median)",
    "clipped to [0, max]": "largest margin applied (ln)",
}


def methods_summary(db, level: str = "TOTAL", freq: str = "A") -> tuple[pd.DataFrame, str]:
    """What a report's methods say about the CIF/FOB conversion of ``db``'s mirror at its settings:
    (a table: term in words, estimate, std_error, p_value, kind 'coefficient' or 'fit'; and one
    sentence). The table is empty where no margin model is used (fixed factor, or fewer than 10
    pairs both report), and the sentence says which factor was used instead."""
    from .errors import StoreError

    s = db.settings
    empty = pd.DataFrame(columns=["term", "estimate", "std_error", "p_value", "kind"])
    factor = f"a fixed factor of {s.cif_fob_factor:.2f} (the IMF Direction of Trade Statistics' margin)"
    if s.cif_fob == "fixed":
        return empty, f"CIF imports are converted to FOB with {factor}."
    if not s.cif_fob.startswith("gravity"):
        basis = "unit values" if s.cif_fob == "unit-value" else "values"
        return empty, (f"CIF imports are converted to FOB with each pair's own median ln(M/X) of {basis}, shrunk "
                       f"toward the median of all pairs with a prior worth {s.shrinkage:g} flows, clipped to "
                       f"[0, {s.max_margin:.2f}].")
    try:
        model = db.cif_fob_model(level=level, freq=freq)
    except StoreError:
        return empty, (f"CIF imports are converted to FOB with {factor}: the store has fewer than 10 pairs that "
                       "both sides report, too few to fit the margin model.")
    m = model.set_index("term")
    coef = m.coef
    table = pd.DataFrame({"term": [TERM_WORDS.get(t, t) for t in model.term], "estimate": model.coef.to_numpy(),
                          "std_error": model.std_error.to_numpy(), "p_value": model.p_value.to_numpy(),
                          "kind": model.kind.to_numpy()})
    table = table[table.estimate.notna()].reset_index(drop=True)
    history = ""
    if s.cif_fob == "gravity-pair" and np.isfinite(coef.get("s.d. of true margins about the prediction", np.nan)):
        history = (f" Each pair's margin combines that prediction with the pair's own median ln(M/X) by empirical "
                   f"Bayes: pairs' margins spread {coef['s.d. of true margins about the prediction']:.3f} about the "
                   f"prediction, which weighs as much as {coef['prior worth (flows)']:.0f} flows of a pair's history.")
    sentence = (f"CIF/FOB margins from geography (the Harvard Growth Lab's model): ln(M/X) = "
                f"{coef['intercept']:.3f} + {coef['ln_distance_km']:.4f} ln distance "
                f"{'-' if coef['contiguous'] < 0 else '+'} {abs(coef['contiguous']):.4f} contiguity + exporter and "
                f"importer effects, fitted by weighted least "
                f"squares on {coef['pairs']:,.0f} pairs' median ln(M/X) ({coef['flows']:,.0f} flows both report); "
                f"R² {coef['R2']:.2f}, within R² {coef['within R2']:.2f}; country effects predicted from the "
                f"landlocked flags; margins clipped to [0, {coef['clipped to [0, max]']:.2f}].{history}")
    return table, sentence
