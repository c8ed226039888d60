"""Calibrated inference (mirror/detect/inference.py): its pieces against statsmodels, its size on
panels where nothing happened, and what a rise after a ban is called."""

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.arima_process import arma_acovf

from mirror import simulate_anomalies as sa
from mirror.detect import inference as inf

from .comtrade_files import api_json, persistent, record


def test_contrast_variance_is_the_exact_ar1_variance():
    # Var(mean after - mean before) of an AR(1) with rho 0.6, innovations of sd 0.5, a gap in the
    # observations (year 4 missing), against the autocovariances statsmodels computes.
    rho, sd = 0.6, 0.5
    times = np.array([0, 1, 2, 3, 5, 6, 7, 8, 9, 10], dtype=float)
    V = np.full((1, 10), 1.0)
    T = times[None, :].copy()
    n = np.array([10])
    var_u = sd ** 2 / (1 - rho ** 2)
    shift, z = inf.split_stats(V + np.linspace(0, 1, 10), T, n, np.array([rho]), np.array([var_u]))
    acov = arma_acovf([1, -rho], [1], nobs=12, sigma2=sd ** 2)
    for j in range(2, 9):
        c = np.r_[-np.ones(j) / j, np.ones(10 - j) / (10 - j)]
        cov = acov[np.abs(times[:, None] - times[None, :]).astype(int)]
        expected = c @ cov @ c
        got = (shift[0, j - 1] / z[0, j - 1]) ** 2
        assert got == pytest.approx(expected, rel=1e-10)


def test_ar1_estimate_is_ols_on_consecutive_pairs_with_kendalls_correction():
    rng = np.random.default_rng(4)
    y = np.cumsum(rng.normal(size=30)) * 0.2 + 5
    V, T, n = inf.compact(y[None, :], np.arange(30.0))
    rho, _ = inf.ar1(V, T, n)
    u = y - y.mean()
    ols = sm.OLS(u[1:], u[:-1]).fit().params[0]
    assert rho[0] == pytest.approx(min(ols + (1 + 3 * ols) / 29, inf.RHO_CAP), rel=1e-12)


def test_benjamini_hochberg_matches_statsmodels():
    p = np.random.default_rng(2).uniform(size=200) ** 3
    assert np.allclose(inf.benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], atol=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.7, 1.0])
def test_size_of_the_unknown_date_test_on_single_series(rho):
    # 600 Gaussian series of 25 years with no break: the 5% test rejects for at most ~6% of them,
    # whether the series are independent noise, AR(1) with rho 0.7 or random walks.
    rng = np.random.default_rng(int(rho * 10) + 1)
    e = rng.normal(0, 0.3, size=(600, 25))
    y = np.empty_like(e)
    y[:, 0] = e[:, 0]
    for t in range(1, 25):
        y[:, t] = rho * y[:, t - 1] + e[:, t]
    V, T, n = inf.compact(y + 10, np.arange(25.0))
    r, _, _, sup = inf.search(V, T, n)
    p = np.array([inf.sup_pvalue(25, r[i], sup[i]) for i in range(len(y))])
    assert (p < 0.05).mean() <= 0.065


def test_no_flags_on_panels_where_nothing_happened(db):
    # iid, AR(1) and random-walk HS4 series of third countries' exports to PRK, 25 years, log
    # changes of sd 0.45: nothing planted, so nothing may be flagged beyond 1% of the series.
    import pandas as pd

    reports = pd.concat([sa.null_panel(kind, 0.45, series=120, seed=i) for i, kind in
                         enumerate(("iid", "ar1", "random-walk"))], ignore_index=True)
    reports = reports.drop_duplicates(["reporter", "partner", "flow", "hs", "year"])
    sa.to_store(sa.AnomalyPanel(reports, pd.DataFrame()), db)
    flags = db.flags(country="PRK")
    series = reports[reports.hs != "TOTAL"].groupby(["reporter", "hs"]).ngroups
    assert len(flags.drop_duplicates(["reporter", "hs"])) <= 0.01 * series, flags[["detector", "reporter", "hs", "reason"]]


def test_a_banned_good_that_rises_after_its_ban_is_possible_evasion(db, tmp_path):
    # China's imports of seafood (0306) from the DPRK quadruple after UNSCR 2371 (5 August 2017) instead
    # of stopping; its other imports from the DPRK go on. That is what the ban forbids, not what it
    # explains. (A steady series - log changes of sd 0.15: against a possible random walk, 24 years
    # cannot tell a tripling of a series with changes of sd 0.3 from drift, and the test says so.)
    rng = np.random.default_rng(21)
    years = list(range(2000, 2024))
    seafood = persistent(rng, 8e7, len(years), sd=0.15, rho=0.3)
    total = persistent(rng, 2e9, len(years), sd=0.2)
    recs = []
    for i, y in enumerate(years):
        recs.append(record("CHN", "PRK", "M", "TOTAL", y, round(total[i])))
        recs.append(record("CHN", "PRK", "M", "0306", y, round(seafood[i] * (4 if y >= 2018 else 1))))
    db.load(api_json(tmp_path / "seafood.json", recs))
    flags = db.flags(country="PRK")
    seafood_flags = flags[(flags.hs == "0306") & (flags.detector == "level_shift")]
    assert len(seafood_flags) >= 1
    assert seafood_flags.explained_by.isna().all()
    assert seafood_flags.reason.str.contains("possible evasion").any()
    assert (seafood_flags.q_value <= 0.05).all()


def test_two_publishers_40_percent_apart_are_a_finding_naming_both(db, tmp_path):
    # China customs' 2016 coal imports from the DPRK as two publishers give them: 1,000 and 1,400
    # (million USD), 40% apart. The median (1,200) is neither's number: the flag names both figures.
    for name, who, value in (("a", "China customs via Yonhap", 1.0e9), ("b", "China customs via KITA", 1.4e9)):
        table = tmp_path / f"{name}.csv"
        table.write_text(f"Year,HS,Value\n2015,2701,1100000000\n2016,2701,{value:.0f}\n")
        mapping = tmp_path / f"{name}.toml"
        mapping.write_text(f'source = "press-{name}"\npublisher = "{who}"\n[columns]\nyear = "Year"\nhs = "HS"\n'
                           'value = "Value"\n[constants]\nreporter = "CHN"\npartner = "PRK"\nflow = "import"\n')
        db.load(table, format="csv", mapping=mapping)
    flags = db.flags(detector="conflicting_figures", country="PRK")
    assert len(flags) == 1
    f = flags.iloc[0]
    assert (f.hs, f.period, f.unit) == ("2701", "2016", "USD") and f.score == pytest.approx(0.4)
    assert "China customs via Yonhap: 1,000,000,000" in f.reason and "China customs via KITA: 1,400,000,000" in f.reason


def test_every_run_says_how_many_tests_each_family_held(db):
    # What the report's methods state: the size of each Benjamini-Hochberg family of the run.
    panel = sa.anomaly_panel(7)
    sa.to_store(panel, db)
    tests = db.flags(detector="level_shift").attrs["tests"]
    assert tests["level shifts"] > 100 and tests["common shocks"] > 50
    assert {"relabelling in tonnes", "roundabout"} <= set(tests)
