"""CIF/FOB margins from geography: the within estimator against statsmodels with dummies, and the
engine's gravity method on a panel whose margins were planted from geography."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from mirror import cif_fob, simulate

# Real codes, so distances and contiguity come from data/geography; AUT, CHE, HUN, CZE are landlocked.
COUNTRIES = ["DEU", "FRA", "ITA", "ESP", "AUT", "CHE", "HUN", "CZE", "POL", "NLD", "USA", "JPN", "CHN", "BRA"]


def planted_obs(seed=3):
    rng = np.random.default_rng(seed)
    eff_e = dict(zip(COUNTRIES, rng.normal(0, 0.02, len(COUNTRIES)), strict=True))
    eff_i = dict(zip(COUNTRIES, rng.normal(0, 0.02, len(COUNTRIES)), strict=True))
    pairs = pd.DataFrame([(e, i) for e in COUNTRIES for i in COUNTRIES if e != i], columns=["exporter", "importer"])
    pairs = pairs.sample(frac=0.8, random_state=seed).reset_index(drop=True)  # an unbalanced panel
    g = cif_fob.with_geography(pairs)
    g["n"] = rng.integers(1, 40, len(g))
    g["r"] = (0.01 + 0.02 * g.ln_distance_km - 0.015 * g.contiguous + g.exporter.map(eff_e) + g.importer.map(eff_i)
              + rng.normal(0, 0.05, len(g)) / np.sqrt(g.n))
    return g


def test_within_estimator_equals_statsmodels_wls_with_dummies():
    g = planted_obs()
    fit = cif_fob.fit_gravity(g[["exporter", "importer", "n", "r"]])
    dummies = pd.get_dummies(g[["exporter", "importer"]], drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([g[["ln_distance_km", "contiguous"]], dummies], axis=1))
    ref = sm.WLS(g.r, X, weights=g.n).fit()
    coefs = fit.coefficients.set_index("term")
    for term in ("ln_distance_km", "contiguous"):
        assert coefs.loc[term, "coef"] == pytest.approx(ref.params[term], abs=1e-9)
        assert coefs.loc[term, "std_error"] == pytest.approx(ref.bse[term], rel=1e-6)
        assert coefs.loc[term, "p_value"] == pytest.approx(ref.pvalues[term], rel=1e-5, abs=1e-12)
    assert fit.fit["df_resid"] == ref.df_resid
    # with each country's own effect, the prediction for an observed pair is the fitted value
    fit.own_effects = True
    pred = fit.predict(g[["exporter", "importer"]]).set_index(["exporter", "importer"]).tau
    fitted = pd.Series(ref.fittedvalues.to_numpy(), index=pd.MultiIndex.from_frame(g[["exporter", "importer"]]))
    assert np.allclose(pred.loc[fitted.index], fitted, atol=1e-9)
    assert coefs.loc["ln_distance_km", "coef"] == pytest.approx(0.02, abs=0.005)  # and it recovers the planted slope


def test_a_country_without_pairs_gets_its_landlocked_prediction():
    g = planted_obs()
    fit = cif_fob.fit_gravity(g[["exporter", "importer", "n", "r"]])
    # Predicted from geography, a country's effect is c + d x landlocked from the second stage, fitted
    # on the estimated effects against their landlocked flags; Mongolia (landlocked) never exports in
    # the sample and gets the same treatment.
    p = fit.predict(pd.DataFrame({"exporter": ["MNG"], "importer": ["DEU"]})).iloc[0]
    c, d = fit.stage2["exporter"]
    eff = fit.exporter_effects
    ll = np.array([1.0 if x in {"AUT", "CHE", "HUN", "CZE"} else 0.0 for x in eff.index])
    w = g.groupby("exporter").n.sum().loc[eff.index].to_numpy()
    Z = np.column_stack([np.ones(len(ll)), ll])
    expected = np.linalg.solve(Z.T @ (w[:, None] * Z), Z.T @ (w * eff.to_numpy()))
    assert (c, d) == pytest.approx(tuple(expected), abs=1e-12)
    lnd = np.log(cif_fob.with_geography(pd.DataFrame({"exporter": ["MNG"], "importer": ["DEU"]})).dist_weighted_km[0])
    ci, _ = fit.stage2["importer"]  # Germany has a coast
    assert p.tau == pytest.approx(fit.beta[0] + fit.beta[1] * lnd + fit.beta[2] * 0 + c + d + ci)
    assert p.tau_se > 0


def test_empirical_bayes_weighs_the_pairs_history_by_its_precision():
    # Prediction g = 0.05 for 12 pairs; their medians m = 0.05 +- 0.02 alternating (so t2 = 0.02^2 -
    # sampling part), n = 30 flows each and MAD 0.0674 (s = 1.4826 MAD = 0.1: a median's variance
    # (pi/2) 0.01 / 30 = 5.236e-4). Pair X is the same but n = 3000 (variance 5.236e-6): its history wins.
    pairs = [(f"E{k}", "IMP") for k in range(12)] + [("X", "IMP")]
    pred = pd.DataFrame({"exporter": [e for e, _ in pairs], "importer": "IMP", "tau": 0.05, "tau_se": 0.0,
                         "label": "gravity estimate"})
    r = [0.05 + (0.02 if k % 2 else -0.02) for k in range(12)] + [0.09]
    obs = pd.DataFrame({"exporter": [e for e, _ in pairs], "importer": "IMP", "n": [30] * 12 + [3000], "r": r,
                        "mad": 0.1 / 1.4826})
    out, prior = cif_fob.combine(pred, obs)
    v = np.array([np.pi / 2 * 0.01 / 30] * 12 + [np.pi / 2 * 0.01 / 3000])
    dev2 = (np.array(r) - 0.05) ** 2
    t2 = np.average(dev2 - v, weights=1 / v)
    assert prior["t2"] == pytest.approx(t2)
    w = t2 / (t2 + v)
    assert out.tau.to_numpy() == pytest.approx(w * np.array(r) + (1 - w) * 0.05)
    assert out.set_index("exporter").tau["X"] == pytest.approx(0.09, abs=0.002)  # the long history decides
    assert set(out.label) == {"gravity estimate, with the pair's history"}


def test_gravity_method_in_the_engine_recovers_geography(db):
    p = simulate.panel(countries=24, products=60, years=range(2016, 2019), seed=9, margins="geography", noisy_share=0)
    p.to_store(db)
    m = db.mirror(level="6", cif_fob="gravity")
    assert set(m[m.reported_by == "both"].cif_fob_method) <= {"gravity estimate", "gravity estimate, clipped to 0.20",
                                                              "gravity estimate, below zero: not adjusted"}
    eb = db.mirror(level="6", cif_fob="gravity-pair")
    assert "gravity estimate, with the pair's history" in set(eb.cif_fob_method)
    assert db.cif_fob_model(level="6", cif_fob="gravity-pair").set_index("term").loc["prior worth (flows)", "coef"] > 0

    model = db.cif_fob_model(level="6").set_index("term")
    # planted: tau = 0.05 + 0.02 (ln d - ln 5000) - 0.02 contig + ... (mirror/simulate.py)
    assert model.loc["ln_distance_km", "coef"] == pytest.approx(0.02, abs=0.006)
    assert model.loc["pairs", "coef"] > 200 and model.loc["clipped to [0, max]", "coef"] == 0.20
    est = db.cif_fob_estimates(level="6", cif_fob="gravity").set_index(["exporter", "importer"]).tau
    truth = p.pairs.set_index(["exporter", "importer"]).tau
    both = pd.concat([est.rename("est"), truth], axis=1, join="inner")
    assert (both.est.clip(0, 0.2) - both.tau).abs().median() < 0.01  # geography predicts each pair's margin


def test_too_few_pairs_fall_back_to_the_fixed_factor(db, tmp_path):
    from mirror.errors import StoreError

    from .helpers import load_rows, row

    # two pairs only: no model can be fitted, so the default method uses the IMF's 1.06 and says so
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106),
                             row("DEU", "FRA", "X", "8703", 50), row("FRA", "DEU", "M", "8703", 53)])
    m = db.mirror(level="4")
    assert set(m.cif_fob_method) == {"fixed 1.060"} and set(m.cif_fob_factor.round(10)) == {1.06}
    with pytest.raises(StoreError, match="at least 10 pairs"):
        db.cif_fob_model(level="4")


def test_the_methods_say_the_models_coefficients_and_fit(db, tmp_path):
    from mirror.cif_fob import methods_summary

    p = simulate.panel(countries=24, products=60, years=range(2016, 2019), seed=9, margins="geography", noisy_share=0)
    p.to_store(db)
    table, words = methods_summary(db, level="6")
    model = db.cif_fob_model(level="6").set_index("term")
    row = table.set_index("term").loc["ln distance (km, population-weighted)"]
    assert row.estimate == model.loc["ln_distance_km", "coef"] and row.std_error == model.loc["ln_distance_km", "std_error"]
    assert f"{model.loc['ln_distance_km', 'coef']:.4f} ln distance" in words
    assert f"{model.loc['pairs', 'coef']:,.0f} pairs" in words and "empirical Bayes" in words  # the default: gravity-pair
    assert set(table.kind) == {"coefficient", "fit"} and table.estimate.notna().all()
    db.configure(cif_fob="fixed")
    table, words = methods_summary(db, level="6")
    assert table.empty and "fixed factor of 1.06" in words


def test_the_methods_say_why_no_model_was_fitted(db, tmp_path):
    from mirror.cif_fob import methods_summary

    from .helpers import load_rows, row

    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106)])
    table, words = methods_summary(db)
    assert table.empty and "fewer than 10 pairs" in words and "1.06" in words
