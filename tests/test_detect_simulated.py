"""Precision and recall of every detector on simulated panels with planted anomalies and decoys
(mirror/simulate_anomalies.py), at the default settings."""

import numpy as np
import pandas as pd
import pytest

import mirror
from mirror import simulate
from mirror import simulate_anomalies as sa


def test_the_planted_panel_is_part_of_the_simulator():
    assert simulate.anomaly_panel is sa.anomaly_panel and simulate.score_flags is sa.score


@pytest.mark.slow
@pytest.mark.parametrize("seed, noise_sd", [(7, 0.03), (11, 0.03), (13, 0.08)])
def test_precision_and_recall_per_detector(tmp_path, seed, noise_sd):
    panel = sa.anomaly_panel(seed, noise_sd=noise_sd)
    with mirror.open(tmp_path / "sim.duckdb") as db:
        sa.to_store(panel, db)
        flags = sa.flags_for_labels(db, panel.labels)
    table = sa.score(flags, panel.labels).set_index("detector")
    assert set(table.index) >= {"reporting_gap", "level_shift", "common_shock", "mirror_outlier",
                                "unit_value_outlier", "rerouting", "sanctioned_trade", "cap_exceeded"}
    for detector, r in table.iterrows():
        assert r.recall >= 0.9, (detector, r.to_dict())
        assert r.precision >= 0.8, (detector, r.to_dict())


def test_the_panel_publishes_like_a_source(tmp_path):
    panel = sa.anomaly_panel(7)
    r = panel.reports
    assert (r.value > 0).all()  # no zero rows: a stopped series simply has no rows
    assert not ((r.reporter == "VNM") & (r.year == 2012) & (r.partner == "PRK")).any()  # a year not published
    assert set(r[(r.reporter == sa.PARTIAL) & (r.partner == "PRK")].hs) == {"640399", "420222"}  # a partial extract
    zeros = sa.anomaly_panel(7, explicit_zeros=True).reports
    assert (zeros.value == 0).sum() > 100  # as the cited public record writes them
    null = sa.null_panel("random-walk", 0.3, series=40, years=10)
    changes = null[null.hs != "TOTAL"].sort_values("year").groupby(["reporter", "hs"]).value.apply(
        lambda v: np.diff(np.log(v.to_numpy())))
    assert 0.2 < np.concatenate(changes.to_list()).std() < 0.4  # year-on-year log changes of about 0.3


def test_decoys_are_not_taken_for_anomalies(tmp_path):
    panel = sa.anomaly_panel(7)
    with mirror.open(tmp_path / "sim.duckdb") as db:
        sa.to_store(panel, db)
        flags = db.flags()
    # obeyed bans are explained level shifts, never reporting gaps or sanctioned trade
    banned = flags[flags.hs.isin(["030617", "030389", "270112", "842952", "848180"]) & (flags.partner == "PRK")]
    assert set(banned.detector) == {"level_shift"} and banned.explained_by.notna().all()
    # the growing substitute (wigs) is a level shift, never rerouting or sanctioned trade
    wigs = flags[flags.hs == "670420"]
    assert set(wigs.detector) == {"level_shift"} and wigs.explained_by.isna().all()
    # the 2020 collapse of whole pairs is one common shock per pair, not a gap per series
    assert not ((flags.detector == "reporting_gap") & (flags.period == "2020")).any()


def test_mirror_outliers_a_year_at_a_time_are_those_of_one_pass(tmp_path, monkeypatch):
    # the world's cross-sections are computed a chunk of years at a time on a large store (a
    # 30-year panel's at once filled the disk): chunks of one year must find the same outliers
    from mirror import engine

    panel = sa.anomaly_panel(7)
    with mirror.open(tmp_path / "sim.duckdb") as db:
        sa.to_store(panel, db)
        countries = sorted({r for r in panel.labels[panel.labels.detector == "mirror_outlier"].reporter})
        assert countries
        whole = [db.flags(detector="mirror_outlier", country=c) for c in countries]
        assert len(engine.year_chunks(db.con, "A")[0]) == 1
        monkeypatch.setattr(engine, "CHUNK_FIGURES", 1)
        assert len(engine.year_chunks(db.con, "A")[0]) > 3
        chunked = [db.flags(detector="mirror_outlier", country=c) for c in countries]
    assert sum(map(len, whole)) >= 1
    for a, b in zip(whole, chunked, strict=True):
        pd.testing.assert_frame_equal(a, b)


def _values(flags: pd.DataFrame) -> pd.DataFrame:
    flags = flags.reset_index(drop=True)
    return flags.astype(object).where(flags.notna(), None)


def test_a_window_reads_only_its_years_and_finds_the_outliers_every_year_finds_in_it(tmp_path, monkeypatch):
    # The outliers are tested against the world's cross-section of their period, a chunk of years
    # at a time: a window reads only its own chunks (a 300M panel's last five years had read all
    # thirty and dropped 25 years' flags), and finds what a run over every year finds in its years.
    from mirror import engine, sql

    panel = sa.anomaly_panel(7)
    kinds = ["mirror_outlier", "unit_value_outlier"]
    window = (2016, 2019)
    planted = panel.labels[panel.labels.detector.isin(kinds)]
    countries = sorted(set(planted.reporter))
    inside = planted.period.astype(int).between(*window)
    assert inside.any() and (~inside).any()  # planted in the window and outside it
    read: list[tuple[int, int]] = []
    frame = sql.frame

    def spy(con, name, **params):
        if name in ("detect_mirror_outliers", "detect_unit_values"):
            read.append((params["year_from"], params["year_to"]))
        return frame(con, name, **params)

    with mirror.open(tmp_path / "sim.duckdb") as db:
        sa.to_store(panel, db)
        monkeypatch.setattr(engine, "CHUNK_FIGURES", 1)  # a chunk per year, as on a BACI-scale store
        monkeypatch.setattr(sql, "frame", spy)
        whole = {c: db.flags(country=c) for c in countries}
        assert min(lo for lo, _ in read) < window[0] and max(hi for _, hi in read) > window[1]
        read.clear()
        windowed = {c: db.flags(country=c, years=window) for c in countries}
    assert read and all(window[0] <= lo <= hi <= window[1] for lo, hi in read), read
    found = 0
    for c in countries:
        w, a = windowed[c], whole[c]
        w, a = w[w.detector.isin(kinds)], a[a.detector.isin(kinds) & a.period.astype(int).between(*window)]
        found += len(w)
        # (dtypes aside: a column of Nones in one run is a string column of NaN in the other)
        pd.testing.assert_frame_equal(_values(w), _values(a))
    assert found >= inside.sum() - 1
