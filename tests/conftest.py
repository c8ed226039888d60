"""Shared test helpers: a fresh store per test, the fixture folder, a store fingerprint, the CLI.

No test touches the user's real default store: XDG_DATA_HOME points into a temporary folder and
MIRROR_DB is unset for every test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import mirror
from mirror.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("MIRROR_DB", raising=False)


@pytest.fixture
def db(tmp_path):
    store = mirror.open(tmp_path / "test.duckdb")
    yield store
    store.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def fingerprint(store) -> str:
    """A digest of everything a load may change: equal before and after = the store is unchanged."""
    h = hashlib.sha256()
    for table in ("figures", "apart", "loads", "rejects", "meta", "flags", "comtrade_fetches"):
        rows = store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        h.update(repr((table, rows)).encode())
    return h.hexdigest()


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def pytest_sessionfinish(session, exitstatus):
    """Every named query in queries/ must be executed by the suite (when the whole suite runs)."""
    from mirror import sql

    if exitstatus != 0 or session.config.option.keyword or session.config.option.markexpr:
        return
    if session.testscollected < 100 or session.testsfailed:  # a partial run: nothing to say
        return
    missing = sorted(set(sql.catalog()) - sql.used)
    if missing:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"queries never executed by the tests: {', '.join(missing)}", red=True)
        session.exitstatus = 1
