"""The simulator: seeded, real codes, known truth, in a real format or straight into a store; and
the engine recovers what was planted."""

import numpy as np
import pandas as pd
import pytest

import mirror
from mirror import simulate


def test_seeded_and_shaped():
    a = simulate.panel(countries=12, products=30, years=[2019, 2020], seed=5)
    b = simulate.panel(countries=12, products=30, years=[2019, 2020], seed=5)
    pd.testing.assert_frame_equal(a.flows, b.flows)
    f = a.flows
    assert set(f.year) == {2019, 2020}
    assert (f.exporter != f.importer).all()
    assert not f.duplicated(["year", "exporter", "importer", "hs"]).any()
    assert f.x.notna().mean() == pytest.approx(0.92, abs=0.05) and f.m.notna().mean() == pytest.approx(0.92, abs=0.05)
    assert (f.x.notna() | f.m.notna()).all()  # every flow reported by at least one side
    assert a.pairs.tau.between(0, 0.20).all()


def test_written_files_load_through_the_real_reader(tmp_path):
    p = simulate.panel(countries=10, products=20, years=[2018, 2019], seed=2)
    files = p.write_comtrade_csv(tmp_path / "csv")
    with mirror.open(tmp_path / "a.duckdb") as db_files, mirror.open(tmp_path / "b.duckdb") as db_direct:
        loaded = db_files.load(files)
        assert list(loaded.format) == ["comtrade-api-csv"] * 2
        p.to_store(db_direct)
        q = "SELECT reporter_iso3, partner_iso3, flow, hs, year, round(value, 2), net_weight_kg FROM flows ORDER BY ALL"
        assert db_files.con.execute(q).fetchall() == db_direct.con.execute(q).fetchall()
        assert p.to_store(db_direct).status.tolist() == ["skipped", "skipped"]  # idempotent


def test_engine_recovers_planted_margins_and_noisy_reporters(tmp_path):
    p = simulate.panel(countries=15, products=60, years=range(2015, 2020), seed=11, noisy_share=0.2,
                       margin_sd=0.04)
    with mirror.open(tmp_path / "s.duckdb") as db:
        p.to_store(db)
        est = db.cif_fob_estimates(level="6", shrinkage=2).set_index(["exporter", "importer"]).tau
        truth = p.pairs.set_index(["exporter", "importer"]).tau
        both = pd.concat([est.rename("estimated"), truth], axis=1, join="inner")
        noisy = set(p.countries[p.countries.noisy].iso3)
        quiet = both[[e not in noisy and i not in noisy for e, i in both.index]]
        assert quiet.corr().iloc[0, 1] > 0.8  # between reliable reporters, estimates track the planted margins
        assert (quiet.estimated - quiet.tau).abs().median() < 0.02
        rel = db.reliability(level="6")
        top = set(rel[rel.role == "exporter"].nlargest(len(noisy), "variance").country)
        assert top == noisy  # the noisy reporters are found


def test_memory_limit_option(tmp_path, monkeypatch):
    with mirror.open(tmp_path / "m.duckdb", memory_limit="300MB") as db:
        assert db.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0].startswith("286")
    monkeypatch.setenv("MIRROR_MEMORY_LIMIT", "lots")
    from mirror.errors import StoreError

    with pytest.raises(StoreError, match="memory limit 'lots' not understood"):
        mirror.open(tmp_path / "m.duckdb")


def test_the_harder_world_breaks_the_reliability_models_assumptions_as_stated():
    import numpy as np

    from mirror.cif_fob import with_geography

    p = simulate.panel(countries=25, products=80, years=[2019, 2020], seed=8, hard=True)
    f = p.flows
    assert "HKG" in set(p.countries.iso3)  # the hub trades in the world it serves
    # routed through the hub: about 3% of flows, never the hub's own; the exporter reports none of them
    assert f.via_hub.mean() == pytest.approx(0.03, abs=0.01)
    hub = f[f.via_hub]
    assert not ((hub.exporter == "HKG") | (hub.importer == "HKG")).any() and hub.x.isna().all()
    # misreported exporter-products: the same shortfall for every partner and year
    mis = f[f.misreported > 0]
    assert (f.misreported > 0).mean() == pytest.approx(0.05, abs=0.02)
    assert mis.misreported.between(0.1, 0.5).all()
    assert (mis.groupby(["exporter", "hs"]).misreported.nunique() == 1).all()
    # whole reporter-years missing: some country publishes no export report at all in some year
    reported = f.assign(has_x=f.x.notna()).groupby(["year", "exporter"]).has_x.any()
    assert (~reported).any()
    # margins grow with distance (planted slope 0.02 per ln km)
    g = with_geography(p.pairs)
    g = g[g.has_geography]
    slope = np.polyfit(g.ln_distance_km, g.tau, 1)[0]
    assert slope == pytest.approx(0.02, abs=0.007)
    # noise by product: products differ in how far reports stray from the truth
    quiet = f[~f.via_hub & (f.misreported == 0) & f.x.notna()]
    spread = np.log(quiet.x / quiet.value_true).groupby(quiet.hs).std()
    assert spread.quantile(0.9) / spread.quantile(0.1) > 2
    # the default world is drawn exactly as before the harder options existed (no extra columns)
    assert "via_hub" not in simulate.panel(countries=10, products=20, seed=2).flows


def test_the_hub_reports_its_reexports_by_origin(tmp_path):
    # The harder world routes 3% of flows and a quarter of China's through Hong Kong: the exporter
    # reports none of them, the importer the hub's price (15% above), and Hong Kong a re-export to
    # the importer with the origin as second partner (Comtrade's partner2 rows), which the store keeps
    # as breakdowns and the Hong Kong adjustment reads (China's only).
    p = simulate.panel(countries=20, products=60, years=[2017, 2018], seed=3, hard=True)
    routed = p.flows[p.flows.via_hub]
    assert "CHN" in set(p.countries.iso3) and p.flows[p.flows.exporter == "CHN"].via_hub.mean() > 0.15
    assert routed.x.isna().all()
    rx = p.reexports.merge(routed, left_on=["year", "partner", "origin", "hs"],
                           right_on=["year", "importer", "exporter", "hs"])
    assert len(rx) == len(p.reexports) and len(rx) > 0.9 * len(routed)  # none in a year the hub publishes nothing
    assert np.exp(np.log(rx.value / rx.value_true / 1.15).median()) == pytest.approx(1, abs=0.02)
    files = p.write_comtrade_csv(tmp_path / "csv")
    with mirror.open(tmp_path / "a.duckdb") as db_files, mirror.open(tmp_path / "b.duckdb") as db_direct:
        db_files.load(files)
        p.to_store(db_direct)
        q = "SELECT breakdown, partner_iso3, hs, year, round(value, 2) FROM breakdowns ORDER BY ALL"
        assert db_files.con.execute(q).fetchall() == db_direct.con.execute(q).fetchall()
        china = p.reexports[p.reexports.origin == "CHN"]
        got = db_direct.con.execute("SELECT count(*), sum(value) FROM breakdowns WHERE breakdown = 'partner2=156'").fetchone()
        assert got[0] == len(china) and got[1] == pytest.approx(china.value.sum())
        m = db_direct.mirror(level="6", exporter="CHN", hk_adjust=True)
        rows = set(zip(m.year, m.importer, m.hs, strict=True))  # routed flows the importer reported
        adjusted = set(zip(*(m[m.hk_reexports_usd.notna()][c] for c in ("year", "importer", "hs")), strict=True))
        assert adjusted and adjusted == set(zip(china.year, china.partner, china.hs, strict=True)) & rows
    assert simulate.panel(countries=12, products=30, years=[2019], seed=5).reexports.empty  # the default world: none
