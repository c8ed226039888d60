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
