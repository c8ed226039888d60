"""The hostile-input catalogue (tests/hostile/cases.toml), each case through the CLI.

Every case runs against a store that already holds figures (the public-record sample), so that
"unchanged" means something. A refused input must exit with its documented code, print a message
holding every expected word (file, line, column, value, fix) and no traceback, and leave the
store's fingerprint as it was; a valid input once refused must load its rows.
"""

from __future__ import annotations

import shutil

import pytest

import mirror
from mirror.cli_args import EXIT_MEANINGS

from .conftest import FIXTURES, fingerprint
from .hostile import make

CASES = make.cases()


@pytest.fixture(scope="session")
def template_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "template.duckdb"
    with mirror.open(path) as store:
        store.load(FIXTURES / "public_record_sample.csv")
    return path


def test_the_catalogue_is_large_and_its_ids_unique():
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
    assert all(c["exit"] in EXIT_MEANINGS and c["exit"] != 1 for c in CASES)


def _figures(path):
    with mirror.open(path, read_only=True) as store:
        return fingerprint(store), store.con.execute("SELECT count(*) FROM figures").fetchall()[0][0]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_case(case, cli, template_store, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(template_store, db)
    before, count = _figures(db)
    values = make.build(case, tmp_path / "in") | {"db": str(db)}
    args = make.arguments(case, values) + ([] if case.get("db") is False else ["--db", str(db)])
    code, out, err = cli(*args)
    assert "Traceback" not in err and "this is a bug" not in err, err
    assert code == case["exit"], (code, err)
    for word in case.get("message", []):
        assert word in err, f"{word!r} missing from: {err}"
    if case.get("single_problem"):
        assert err.count("Fix:") == 1, err
    after, count_after = _figures(db)
    if code == 0 and case["args"][0] == "load":
        assert count_after - count == case["new_rows"], err
        if "values" in case:
            with mirror.open(db, read_only=True) as store:
                got = store.con.execute("SELECT value FROM figures WHERE load_id = (SELECT max(load_id) FROM loads) "
                                        "ORDER BY source_row").fetchall()
            assert [v for (v,) in got] == case["values"]
    else:
        assert after == before, "a refused input changed the store"
    if case.get("no_part_files"):
        assert not list((tmp_path / "in").rglob("*.part")), "a half-written output was left behind"
    for name in case.get("absent", []):
        assert not (tmp_path / "in" / name).exists(), f"{name} was written though the command was refused"


@pytest.mark.parametrize("side", ["reporter", "partner"])
def test_canonical_rows_with_an_unknown_iso3_are_refused_naming_it(side, template_store, tmp_path):
    # insert_canonical (simulated panels, programmatic inserts) has no CLI command, so it is not in
    # the catalogue; an ISO3 code the reference list lacks passed every check and then failed the
    # store's NOT NULL on is_country as an internal error. It is the user's error: named, with a fix,
    # the store as it was.
    import pandas as pd

    from mirror.errors import LoadError
    from mirror.load import insert_canonical

    db = tmp_path / "store.duckdb"
    shutil.copy(template_store, db)
    before, _ = _figures(db)
    frame = pd.DataFrame({
        "source_row": [1, 2], "freq": "A", "period": "2021", "year": 2021,
        "reporter_iso3": ["CHN", "XYZ" if side == "reporter" else "CHN"], "reporter_code": None,
        "partner_iso3": ["PRK", "XYZ" if side == "partner" else "PRK"], "partner_code": None,
        "flow": "export", "classification": "H5", "hs": ["270900", "610910"], "hs_level": "6",
        "value": [1000.0, 55.5], "valuation": "FOB", "net_weight_kg": [2000.0, None]})
    parquet = tmp_path / "panel.parquet"
    frame.to_parquet(parquet, index=False)
    for rows in (frame, parquet):
        with mirror.open(db) as store, pytest.raises(LoadError) as err:
            insert_canonical(store, rows, source="comtrade", release="sim", label="panel 2021")
        message = str(err.value)
        for word in ("panel 2021", "row 2", side, "XYZ", f"unknown {side} ISO3 code", "data/countries.csv"):
            assert word in message, f"{word!r} missing from: {message}"
        assert "bug" not in message and message.count("Fix:") == 1, message
        assert _figures(db)[0] == before, "a refused insert changed the store"
