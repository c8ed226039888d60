"""The CIF/FOB margins' exact medians two ways: held in memory (build_cif_fob_centres) and read from
sorted ranks (build_cif_fob_centres_sorted, what a build whose observations do not fit in memory
uses). They must agree to the bit, on hand-made observations with the awkward cases (ties, even and
odd counts, a pair with one observation, pairs without unit values, no unit values at all) and on a
whole build."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from mirror import engine, simulate, sql

TABLES = {"mp_cif_centre": "pair_id", "mp_cif_m0": "m0_value", "mp_cif_spread": "pair_id"}


def medians(obs: pd.DataFrame, script: str) -> dict[str, pd.DataFrame]:
    con = duckdb.connect()
    con.register("obs_df", obs)
    con.execute("CREATE TEMP TABLE mp_cif_obs AS SELECT pair_id::BIGINT AS pair_id, r_value::DOUBLE AS r_value, "
                "r_uv::DOUBLE AS r_uv FROM obs_df")
    sql.script(con, script)
    out = {t: con.execute(f"FROM {t} ORDER BY {key}").df() for t, key in TABLES.items()}
    left = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'mp_cif_%'").fetchall()}
    assert left == {"mp_cif_obs", *TABLES}, "the sorted script leaves no scratch tables behind"
    return out


def awkward_obs(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for pair, n in enumerate([1, 2, 3, 4, 7, 10, 51, 200]):
        r = np.round(rng.normal(0.05, 0.4, n), 1)  # rounded: ties within a pair, and at its median
        uv = np.where(rng.random(n) < 0.4, np.nan, r + rng.normal(0, 0.1, n)) if pair % 3 else np.full(n, np.nan)
        rows += [(pair * 32768 + 156, a, b) for a, b in zip(r, uv, strict=True)]
    return pd.DataFrame(rows, columns=["pair_id", "r_value", "r_uv"]).sample(frac=1, random_state=seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sorted_ranks_give_the_in_memory_medians_to_the_bit(seed):
    obs = awkward_obs(seed)
    held, ranked = medians(obs, "build_cif_fob_centres"), medians(obs, "build_cif_fob_centres_sorted")
    for table in TABLES:
        pd.testing.assert_frame_equal(ranked[table], held[table], check_dtype=False, rtol=0, atol=0)
    # and both are the medians numpy takes
    centre = held["mp_cif_centre"].set_index("pair_id")
    for pair, g in obs.groupby("pair_id"):
        assert centre.loc[pair, "median_value"] == np.median(g.r_value)
        assert centre.loc[pair, "n_uv"] == g.r_uv.notna().sum()
        uv = g.r_uv.dropna()
        assert (np.isnan(centre.loc[pair, "median_uv"]) if uv.empty else centre.loc[pair, "median_uv"] == np.median(uv))
    assert held["mp_cif_m0"].m0_value.iloc[0] == np.median(obs.r_value)


def test_no_observations_at_all_give_the_same_empty_medians():
    obs = pd.DataFrame({"pair_id": pd.Series([], dtype="int64"), "r_value": pd.Series([], dtype=float),
                        "r_uv": pd.Series([], dtype=float)})
    held, ranked = medians(obs, "build_cif_fob_centres"), medians(obs, "build_cif_fob_centres_sorted")
    for table in TABLES:
        pd.testing.assert_frame_equal(ranked[table], held[table], check_dtype=False)
    assert held["mp_cif_m0"].isna().all(axis=None) and len(held["mp_cif_centre"]) == 0


def test_duckdb_sizes_are_read_as_bytes():
    con = duckdb.connect()
    for written, expected in [("6GB", 6e9), ("800MB", 8e8), ("1GiB", 2**30)]:
        con.execute(f"SET memory_limit = '{written}'")
        shown = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert engine.duckdb_bytes(shown) == pytest.approx(expected, rel=0.02), shown  # written to 0.1 GiB, cut off
    assert engine.duckdb_bytes("0 bytes") == 0


@pytest.mark.parametrize("method", ["unit-value", "gravity-pair"])
def test_a_build_too_large_for_its_memory_sorts_and_gets_the_same_margins(db, monkeypatch, method):
    simulate.panel(countries=16, products=40, years=range(2017, 2020), seed=5).to_store(db)
    held = db.cif_fob_estimates(level="6", cif_fob=method)
    calls = []
    real_script = sql.script
    monkeypatch.setattr(sql, "script", lambda con, name: (calls.append(name), real_script(con, name))[1])
    monkeypatch.setattr(engine, "MEDIAN_BYTES_PER_OBSERVATION", 10**15)  # nothing fits
    db.engine.invalidate()  # built again (a build this small is not kept on disk)
    ranked = db.cif_fob_estimates(level="6", cif_fob=method)
    assert "build_cif_fob_centres_sorted" in calls and "build_cif_fob_centres" not in calls
    assert len(held) > 100
    # the medians to the bit; the margins built on them to rounding (the gravity model's fit in
    # numpy sums its pairs in the order DuckDB hands them over, which no two builds promise)
    exact = ["exporter", "importer", "observations", "pair_median", "all_pairs_median", "unit_value_observations"]
    pd.testing.assert_frame_equal(ranked[exact], held[exact], rtol=0, atol=0)
    pd.testing.assert_frame_equal(ranked, held, rtol=1e-12, atol=1e-15)
