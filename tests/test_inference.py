"""Calibrated inference (mirror/detect/inference.py): its pieces against statsmodels, its size on
panels where nothing happened, and what a rise after a ban is called."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.arima_process import arma_acovf

from mirror import simulate_anomalies as sa
from mirror.detect import inference as inf
from mirror.detect import pooled as pooling

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


@pytest.mark.parametrize("rho", [0.0, 0.6, -0.3, 0.95, 1.0])
def test_gls_shift_is_statsmodels_gls_with_the_ar1_covariance(rho):
    # Exact AR(1) GLS of a shift at every split, with a gap (year 4 missing), against statsmodels' GLS
    # with covariance rho^|t_i - t_j| / (1 - rho^2) (sigma_e = 1); a random walk (rho 1, its first
    # observation diffuse) against OLS of the changes (scaled by the gap) on the shift's change.
    rng = np.random.default_rng(8)
    times = np.array([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11], dtype=float)
    y = np.cumsum(rng.normal(size=11)) * 0.3 + 3
    d, v, ssr, ssr0 = pooling.gls_splits(y[None, :], times[None, :], np.array([11]), np.array([rho]))
    for j in range(2, 10):
        D = (np.arange(11) >= j).astype(float)
        if rho < 1:
            cov = rho ** np.abs(times[:, None] - times[None, :]) / (1 - rho ** 2)
            fit = sm.GLS(y, np.c_[np.ones(11), D], sigma=cov).fit()
            ref = (fit.params[1], fit.normalized_cov_params[1, 1], fit.ssr)
        else:
            w = 1 / np.sqrt(np.diff(times))
            fit = sm.OLS(np.diff(y) * w, np.diff(D) * w).fit()
            ref = (fit.params[0], fit.normalized_cov_params[0, 0], fit.ssr)
        assert (d[0, j - 1], v[0, j - 1], ssr[0, j - 1]) == pytest.approx(ref, rel=1e-9)


def test_variance_prior_recovers_the_prior_it_was_drawn_from():
    # Smyth (2004): s^2 = sigma^2 chi2(d) / d with sigma^2 = d0 s0^2 / chi2(d0). 40,000 series, d = 10,
    # d0 = 8, s0^2 = 0.09: the moment estimates within 15% (d0) and 3% (s0^2); equal variances: d0 = inf
    # or very large.
    rng = np.random.default_rng(3)
    sigma2 = 8 * 0.09 / rng.chisquare(8, 40_000)
    s2 = sigma2 * rng.chisquare(10, 40_000) / 10
    d0, s02 = pooling.fit_variance_prior(s2, np.full(40_000, 10.0))
    assert d0 == pytest.approx(8, rel=0.15) and s02 == pytest.approx(0.09, rel=0.03)
    d0, s02 = pooling.fit_variance_prior(0.09 * rng.chisquare(10, 40_000) / 10, np.full(40_000, 10.0))
    assert d0 > 200 and s02 == pytest.approx(0.09, rel=0.02)
    assert pooling.fit_variance_prior(s2[:10], np.full(10, 10.0))[0] == 0  # too few series: nothing borrowed


def test_moderated_scores_are_standard_normal_when_the_prior_holds():
    # The moderated t has a t law with d0 + d degrees of freedom: mapped to normal scores, 5% beyond
    # +-1.96 (within 0.6 points on 40,000 draws), where the plain z with s0 alone would over-reject.
    rng = np.random.default_rng(5)
    k, d0, s02 = 40_000, 8.0, 0.09
    sigma2 = d0 * s02 / rng.chisquare(d0, k)
    ssr = sigma2 * rng.chisquare(10, k)
    d = rng.normal(0, np.sqrt(sigma2 * 0.25))
    z = pooling.moderated_scores(d[:, None], np.full((k, 1), 0.25), ssr[:, None], np.full(k, 12), d0, s02)
    assert abs((np.abs(z) > 1.96).mean() - 0.05) < 0.006
    assert (np.abs(d / np.sqrt(s02 * 0.25)) > 1.96).mean() > 0.07


def _family_pvalues(rhos, length, families=40, size=20, seed=0):
    from mirror.detect import shifts

    rng = np.random.default_rng(seed)
    index, rows = [], []
    for f in range(families):
        for k in range(size):
            rho = rhos[k % len(rhos)]
            rows.append(pooling._ar1_paths(rng, rho, 1, length)[0] * 0.3 + 10)
            index.append((f"R{f}", "PRK", "export", f"{k:04d}", "USD"))
    L, times = np.array(rows), np.arange(length, dtype=float)
    V, T, n = inf.compact(L, times)
    rho, shift, z, sup = inf.search(V, T, n)
    fits = {r: (int(n[r]), float(rho[r]), shift[r], z[r], float(sup[r]), T[r]) for r in range(len(L))}
    pooled = shifts._pooled(index, L, times, list(range(len(L))), fits)
    return np.array([pooled[r]["p"] for r in pooled]), len(L)


@pytest.mark.parametrize("rho", [0.0, 0.7, 1.0])
def test_size_of_the_pooled_path_on_homogeneous_families(rho):
    # 40 families of 20 series of 12 points with one AR(1) coefficient and nothing planted: most are
    # pooled, and the 5% unknown-date test rejects for at most 6.5% of them.
    p, total = _family_pvalues([rho], 12)
    assert len(p) >= 0.8 * total
    assert (p < 0.05).mean() <= 0.065


def test_families_mixing_noise_and_random_walks_are_not_pooled():
    # independent noise, AR(1) 0.7 and random walks in every family (25 points): the homogeneity test
    # sends them to the per-series path
    p, total = _family_pvalues([0.0, 0.7, 1.0], 25)
    assert len(p) <= 0.1 * total


def test_a_rise_through_a_neighbour_after_a_ban_is_possible_evasion(db, tmp_path):
    # Germany's exports of machinery (8429) to China, a neighbour of the DPRK, treble after UNSCR 2397
    # banned supplying the DPRK with machinery (22 December 2017). The ban does not cover Germany-China:
    # it explains nothing there, but the rise is what evasion through China predicts. Its other exports
    # to China (12 headings) do not move.
    rng = np.random.default_rng(4)
    years = list(range(2000, 2024))
    recs = []
    for k, hs in enumerate(["8429", "3304", "9403", "6403", "4202", "3004", "2204", "6104", "6110", "9503", "3923", "4819", "4818"]):
        path = persistent(rng, 5e7 * (1 + k), len(years), sd=0.15, rho=0.3)
        for i, y in enumerate(years):
            recs.append(record("DEU", "CHN", "X", hs, y, round(path[i] * (3 if hs == "8429" and y >= 2018 else 1))))
    db.load(api_json(tmp_path / "deu.json", recs))
    flags = db.flags(country="DEU")
    shift = flags[(flags.detector == "level_shift") & (flags.hs == "8429")]
    assert len(shift) >= 1 and shift.explained_by.isna().all()
    assert shift.reason.str.contains("possible evasion through CHN").any()
    assert not ((flags.detector == "level_shift") & (flags.hs != "8429")).any()


def test_row_medians_are_numpys_nanmedian():
    # the AR(1) fit's medians, taken without numpy's masked arrays: the same numbers, ties, infinities
    # and empty rows included
    rng = np.random.default_rng(5)
    for width in (1, 2, 7, 24):
        x = rng.normal(size=(400, width))
        x[rng.random(x.shape) < 0.3] = np.nan
        x[::9] = np.round(x[::9])
        x[5, :] = np.nan
        x[7, 0] = np.inf
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(x, axis=1)
        assert np.array_equal(inf.nanmedian_rows(x), expected, equal_nan=True)


def test_the_largest_score_is_found_at_the_largest_t():
    # the pooled path's sup over splits, computed at one split per series, equals the sup of every
    # split's score, also where the largest t is beyond floating point (its score is infinite and
    # left out) or no split is kept
    rng = np.random.default_rng(6)
    t = rng.standard_t(5, size=(300, 20)) * 3
    t[0, 4] = 1e300
    t[1, :] = np.nan
    t[2, 3] = np.inf
    df = np.where(rng.random((300, 1)) < 0.2, np.inf, rng.integers(8, 40, (300, 1)).astype(float))
    keep = rng.random((300, 20)) < 0.8
    keep[3] = False
    keep[0, 4] = keep[2, 3] = True
    split, sup, full = pooling.largest_scores(t, df, keep)
    with np.errstate(all="ignore"):
        z = pooling.normal_scores(t, df)
    w = np.where(keep & np.isfinite(z), z ** 2, -1.0)
    assert np.array_equal(sup, w.max(axis=1)) and np.array_equal(split, w.argmax(axis=1))
    assert 0 in full and 2 not in full  # an infinite t is no score; a t beyond the tails' range is


def test_null_tables_kept_on_disk_are_the_simulated_ones(tmp_path, monkeypatch):
    # The tables are simulated from a fixed seed and kept between processes (detect/table_cache):
    # read back they must be the very numbers a simulation gives, and a damaged file is simulated again.
    import numpy as np

    from mirror.detect import inference, pooled, table_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for name, simulate in (("null", inference._simulate_null_table), ("gls", pooled.gls_table_simulated)):
        fresh = simulate(9)
        first = table_cache.kept(name, 9, lambda s=simulate: s(9))
        assert table_cache.path_for(name, 9).exists()
        again = table_cache.kept(name, 9, lambda: pytest.fail("a kept table must not be simulated again"))
        for table in (first, again):
            assert table.keys() == fresh.keys() and table["length"] == fresh["length"] == 9
            for key, value in fresh.items():
                assert np.array_equal(np.asarray(table[key]), np.asarray(value), equal_nan=True), (name, key)
        table_cache.path_for(name, 9).write_bytes(b"not a table")
        assert np.array_equal(table_cache.kept(name, 9, lambda s=simulate: s(9))["sup"], fresh["sup"], equal_nan=True)
