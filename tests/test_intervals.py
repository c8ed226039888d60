"""Intervals: the noise model recovers planted variances, totals combine flows as stated, and on a
simulated panel the 90% intervals cover the truth about 90% of the time."""

import numpy as np
import pandas as pd
import pytest

from mirror import intervals, simulate


def test_noise_model_recovers_planted_variances_and_the_margins_spread():
    # 16 countries, 3 of them noisy (s = 0.4 in both roles, s2 = 0.16), the others s = 0.05 (0.0025);
    # every pair has a margin error of its own (s.d. 0.03: between-pair variance 0.0009).
    rng = np.random.default_rng(1)
    codes = [f"C{k:02d}" for k in range(16)]
    s2 = {c: (0.16 if k < 3 else 0.0025) for k, c in enumerate(codes)}
    rows = []
    for e in codes:
        for i in codes:
            if e == i:
                continue
            offset = rng.normal(0, 0.03)
            for year in (2018, 2019):
                n = 40
                d = rng.normal(0, np.sqrt(s2[e]), n) - rng.normal(0, np.sqrt(s2[i]), n) + offset
                rows.append((e, i, year, n, np.abs(d).sum(), d.sum(), (d**2).sum()))
    cells = pd.DataFrame(rows, columns=["exporter", "importer", "year", "n", "sum_abs", "sum_s", "sum_d2"])
    noise, between = intervals.fit_noise(cells)
    est = noise.set_index(["role", "country"]).s2
    for role in ("exporter", "importer"):
        for c in codes:
            assert est[(role, c)] == pytest.approx(s2[c], rel=0.3), (role, c)
    assert between == pytest.approx(0.03**2, rel=0.5)


def test_total_interval_adds_noise_and_counts_a_pairs_margin_error_whole():
    # Two flows of pair A->B (100 and 300, all from the importer's report, margin s.e. 0.02) and one
    # exporter-only flow A->C (200, log s.e. 0.1). Level variances: 100^2 (e^0.01 - 1) + 300^2 (e^0.01 - 1)
    # + 200^2 (e^0.01 - 1) from noise, plus (100 + 300)^2 x 0.02^2 from B's margin.
    f = pd.DataFrame({"exporter": ["A", "A", "A"], "importer": ["B", "B", "C"], "year": 2018,
                      "value_reconciled_usd": [100.0, 300.0, 200.0], "reconciled_log_se_noise": [0.1, 0.1, 0.1],
                      "reconciled_share_importer": [1.0, 1.0, 0.0], "cif_fob_se": [0.02, 0.02, 0.0]})
    t = intervals.total_interval(f, by=["exporter", "year"]).iloc[0]
    var = (100**2 + 300**2 + 200**2) * np.expm1(0.01) + 400**2 * 0.02**2
    z = 1.6448536269514722
    assert t.total == 600
    assert t.total_low == pytest.approx(600 * np.exp(-z * np.sqrt(var) / 600))
    assert t.total_high == pytest.approx(600 * np.exp(z * np.sqrt(var) / 600))


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory):
    import mirror

    p = simulate.panel(countries=20, products=60, years=range(2016, 2019), seed=21)
    db = mirror.open(tmp_path_factory.mktemp("iv") / "s.duckdb")
    p.to_store(db)
    yield p, db
    db.close()


def test_flow_intervals_cover_about_ninety_percent(sim_store):
    p, db = sim_store
    m = db.mirror(level="6", cif_fob="pair")
    t = m.set_index(["year", "exporter", "importer", "hs"]).join(
        p.flows.set_index(["year", "exporter", "importer", "hs"]).value_true, how="inner")
    hit = (t.value_true >= t.value_reconciled_low_usd) & (t.value_true <= t.value_reconciled_high_usd)
    assert 0.85 <= hit.mean() <= 0.95
    assert (m.value_reconciled_low_usd <= m.value_reconciled_usd).all()
    assert (m.value_reconciled_usd <= m.value_reconciled_high_usd).all()
    both = m[m.reported_by == "both"]
    assert (both.weight_exporter_low <= both.weight_exporter + 1e-12).all()
    assert (both.weight_exporter <= both.weight_exporter_high + 1e-12).all()
    # the noisy exporters' weights are below one half with their whole interval
    noisy = set(p.countries[p.countries.noisy].iso3)
    quiet_importer = both[both.exporter.isin(noisy) & ~both.importer.isin(noisy)]
    assert len(quiet_importer) and (quiet_importer.weight_exporter_high < 0.5).mean() > 0.95
    rel = db.reliability(level="6", cif_fob="pair").set_index(["role", "country"])
    assert (rel.effect_se > 0).all() and (rel.effect_se < rel.effect.abs().max()).all()
    for c in noisy:  # the noisy reporters' log variance is near the planted 0.5^2, the others' near 0.05^2
        assert rel.loc[("exporter", c), "log_variance"] == pytest.approx(0.25, rel=0.35)
    quiet = rel[~rel.index.get_level_values("country").isin(noisy)].log_variance
    assert quiet.median() == pytest.approx(0.05**2, rel=0.5)


def test_reconstructed_totals_have_intervals_that_add_up(sim_store):
    p, db = sim_store
    country = p.countries.iso3.iloc[0]
    by_partner = db.reconstruct(country, by="partner")
    by_period = db.reconstruct(country, by="period").set_index("period")
    z = 1.6448536269514722
    for side in ("imports", "exports"):
        got = by_partner.dropna(subset=[f"{side}_usd"])
        assert (got[f"{side}_usd_low"] <= got[f"{side}_usd"]).all() and (got[f"{side}_usd"] <= got[f"{side}_usd_high"]).all()
        # a period's variance is the sum of its partners' (independent partners)
        se_ln = np.log(got[f"{side}_usd_high"] / got[f"{side}_usd"]) / z
        var = (got[f"{side}_usd"] * se_ln) ** 2
        for period, part in got.assign(var=var).groupby("period"):
            total = by_period.loc[period, f"{side}_usd"]
            expected_high = total * np.exp(z * np.sqrt(part["var"].sum()) / total)
            assert by_period.loc[period, f"{side}_usd_high"] == pytest.approx(expected_high, rel=1e-9)


def test_totals_add_the_flows_values_unbiased_in_levels(sim_store):
    # A log-normal report overstates its true value on average by e^(s2/2): a flow's value divided by
    # its excess is value_reconciled_mean_usd, and totals add that (the flows keep BACI's value, unbiased
    # in logs). Checked by hand on one flow and on the totals of the simulated world: the mean over
    # country-years of total / truth - 1 is within three of its standard errors of zero (0.24 points on
    # this small world), and every total is below the sum of BACI's values.
    p, db = sim_store
    m = db.mirror(level="6")
    r = m[m.reported_by == "both"].iloc[0]
    sig = db.con.execute("SELECT role, country, s2 FROM mp_sigma").df().set_index(["role", "country"]).s2
    s = r.reconciled_share_importer
    excess = (1 - s) * np.exp(sig[("exporter", r.exporter)] / 2) + s * np.exp(sig[("importer", r.importer)] / 2)
    assert r.value_reconciled_mean_usd == pytest.approx(r.value_reconciled_usd / excess, rel=1e-9)
    t = m.set_index(["year", "exporter", "importer", "hs"]).join(
        p.flows.set_index(["year", "exporter", "importer", "hs"]).value_true, how="inner").reset_index()
    tot = intervals.total_interval(t, by=["exporter", "year"]).set_index(["exporter", "year"])
    truth = t.groupby(["exporter", "year"]).value_true.sum()
    summed = t.groupby(["exporter", "year"]).value_reconciled_usd.sum()
    rel = tot.total / truth - 1
    assert abs(rel.mean()) < 3 * rel.std() / np.sqrt(len(rel))
    assert (tot.total < summed).all()
