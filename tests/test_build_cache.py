"""Builds kept on disk beside the store (mirror/build_cache.py): a later process reads the same
tables a build would make, and never a build of other data, settings or code."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import mirror
from mirror import build_cache, simulate
from mirror.store import insert_canonical


@pytest.fixture
def keep_every_build(monkeypatch):
    monkeypatch.setattr(build_cache, "CACHE_MIN_FIGURES", 0)


@pytest.fixture(scope="module")
def panel():
    # both sides of most flows, missing reporter-years, noise of log changes about 0.3: enough pairs
    # for the gravity margin model, the reliability fit and the product-bias tests to run
    return simulate.panel(countries=12, products=24, years=range(2016, 2020), seed=11, density=0.25,
                          misreport_share=0.05)


def faces(db) -> dict[str, pd.DataFrame]:
    return {"hs6": db.mirror(level="6"), "hs4 of one country": db.mirror(exporter="CAN", level="4"),
            "total": db.mirror(level="TOTAL"), "rebuilt": db.reconstruct("CYP"),
            "rebuilt by period": db.reconstruct("CYP", by="period"), "reliability": db.reliability(level="6"),
            "margins": db.cif_fob_estimates(level="6"),
            "gravity model": db.cif_fob_model(level="TOTAL")}  # its description is kept: no fit again


def test_a_kept_build_gives_a_later_process_the_tables_a_build_makes(tmp_path, panel, keep_every_build):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        panel.to_store(db)
        built = faces(db)
        kept = db.engine.cache.kept()
    assert {p.name.split("-")[1] for p in kept} == {"6", "4", "TOTAL"}
    with mirror.open(path, read_only=True) as db:
        again = faces(db)
        assert db.engine.cache.restored is not None  # read, not built
        assert db.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'mp_resolved'"
                              ).fetchone()[0] == 0
    for name, frame in built.items():
        assert len(frame), name
        assert_frame_equal(again[name], frame, obj=name)


def load_year(db, panel, year: int) -> None:
    reports = panel.reports()
    insert_canonical(db, simulate._canonical(reports[reports.year == year], panel.countries, year),
                     source="comtrade", release="simulated", label=f"simulated {year}")


def test_a_load_makes_kept_builds_stale_and_the_next_build_replaces_them(tmp_path, panel, keep_every_build):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        for year in (2016, 2017, 2018):
            load_year(db, panel, year)
        assert set(db.mirror(level="TOTAL").year) == {2016, 2017, 2018}
        first = db.engine.cache.kept()
    with mirror.open(path) as db:
        load_year(db, panel, 2019)
        rows = db.mirror(level="TOTAL")
        assert db.engine.cache.restored is None  # the data changed: built again
        assert set(rows.year) == {2016, 2017, 2018, 2019}
        now = db.engine.cache.kept()
    assert len(first) == len(now) == 1 and first[0] != now[0] and not first[0].exists()
    with mirror.open(path) as db:  # the same load in the same process (the engine's own invalidation)
        db.mirror(level="TOTAL")
        assert db.engine.cache.restored is not None


def test_other_settings_or_code_are_never_read_from_a_kept_build(tmp_path, panel, keep_every_build, monkeypatch):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        panel.to_store(db)
        default = db.mirror(level="TOTAL")
        fixed = db.mirror(level="TOTAL", cif_fob="fixed")
        assert len(db.engine.cache.kept()) == 2
    assert not default.cif_fob_factor.equals(fixed.cif_fob_factor)
    with mirror.open(path, read_only=True) as db:
        assert_frame_equal(db.mirror(level="TOTAL", cif_fob="fixed"), fixed)
        assert_frame_equal(db.mirror(level="TOTAL"), default)
    build_cache.code_digest.cache_clear()
    monkeypatch.setattr(build_cache, "code_digest", lambda: "anotherversion")
    with mirror.open(path, read_only=True) as db:
        db.mirror(level="TOTAL")
        assert db.engine.cache.restored is None  # built again, and kept beside a read-only store too
        kept = db.engine.cache.kept()
        assert len(kept) == 1 and "-anotherversi-" in kept[0].name  # the other code's files deleted


def test_small_builds_are_not_kept_and_an_unusable_folder_or_file_only_costs_a_build(tmp_path, panel, monkeypatch):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        panel.to_store(db)
        db.mirror(level="TOTAL")  # a few thousand figures: building is quicker than keeping
        assert db.engine.cache.kept() == []
    monkeypatch.setattr(build_cache, "CACHE_MIN_FIGURES", 0)
    path.with_name(path.name + ".builds").write_text("not a folder")  # mkdir fails: nothing kept, no error
    with mirror.open(path) as db:
        rows = db.mirror(level="TOTAL")
        assert db.engine.cache.kept() == []
    path.with_name(path.name + ".builds").unlink()
    with mirror.open(path) as db:
        db.mirror(level="TOTAL")
        (kept,) = db.engine.cache.kept()
    kept.write_bytes(b"half a file")  # a damaged file (the writer renames only whole files)
    with mirror.open(path) as db:
        assert_frame_equal(db.mirror(level="TOTAL"), rows)
        assert db.engine.cache.restored is None
        (rewritten,) = db.engine.cache.kept()
    assert rewritten.read_bytes()[:11] != b"half a file"


def test_a_connection_reading_a_kept_build_can_build_another_level_itself(tmp_path, panel, keep_every_build):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        panel.to_store(db)
        total = db.mirror(level="TOTAL")
    with mirror.open(path) as db:
        assert_frame_equal(db.mirror(level="TOTAL"), total)  # read
        hs4 = db.mirror(level="4")  # built here, over the names the kept build's views had
        assert db.engine.cache.restored is None
        assert_frame_equal(db.mirror(level="TOTAL"), total)  # read again
        assert db.engine.cache.restored is not None
    with mirror.open(path) as db:
        assert_frame_equal(db.mirror(level="4"), hs4)
