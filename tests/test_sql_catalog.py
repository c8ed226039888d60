"""Every named query parses, states its grain, binds its parameters, and runs on a real store."""

import re

import pytest

from mirror import sql

# Sample values for the parameters of public queries.
SAMPLE = {"load_id": 1, "country": "PRK", "kind": None, "hs": None, "reporter": "CHN", "partner": "PRK",
          "flow": "export", "key": "PRK", "factor_set": None, "detector": None,
          "since": 0, "threshold": 0.0, "limit": 10, "year_from": 2000, "year_to": 2024, "top": 10, "partners": 5, "freq": "A"}


def test_catalog_parses_and_every_block_has_a_doc_line():
    queries = sql.catalog()
    assert len(queries) > 20
    for q in queries.values():
        assert q.doc, f"{q.name} in {q.path} has no doc line"
        assert not re.search(r":[a-z_]+\b", re.sub(r"'[^']*'|::[A-Z]+|--.*", "", q.sql)) or q.layer == "schema", q.name


def test_no_sql_text_is_formatted_in_python():
    from pathlib import Path

    for path in Path(sql.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"""f["'](SELECT|INSERT|UPDATE|DELETE|CREATE)""", text, re.I), path
        assert ".format(" not in text or "sql" not in text.lower().split(".format(")[0][-40:], path


@pytest.mark.parametrize("name", [q.name for q in sql.catalog().values() if q.public])
def test_every_public_query_runs(db, fixtures, name):
    db.load(fixtures / "comtrade_api_CHN_2018.json")
    q = sql.get(name)
    params = {p.name: SAMPLE[p.name] for p in q.params}
    frame = db.query(name, **params)
    assert frame is not None


def test_wrong_or_missing_parameters_are_named(db):
    from mirror import OptionError

    with pytest.raises(OptionError, match="needs parameter"):
        db.query("rejected_rows")
    with pytest.raises(OptionError, match="has no parameter 'year'"):
        db.query("rejected_rows", load_id=1, year=2)
