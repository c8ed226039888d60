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
