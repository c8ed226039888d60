"""Shared test helpers: a fresh store per test, the fixture folder, a store fingerprint, the CLI.

No test touches the user's real default store: XDG_DATA_HOME points into a temporary folder and
MIRROR_DB is unset for every test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
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


@pytest.fixture(scope="session")
def _new_store_file(tmp_path_factory) -> Path:
    """A store as mirror.open makes it (schema, reference tables), made once per test process: each
    test's store is a copy (creating one is about 2 s, copying it milliseconds)."""
    path = tmp_path_factory.mktemp("new-store") / "new.duckdb"
    mirror.open(path).close()
    assert not Path(f"{path}.wal").exists()  # closed = checkpointed: the file is the whole store
    return path


@pytest.fixture
def db(tmp_path, _new_store_file):
    path = tmp_path / "test.duckdb"
    shutil.copyfile(_new_store_file, path)
    store = mirror.open(path)
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


# Under pytest-xdist (make test runs a worker per core) each worker runs part of the suite: it
# leaves the queries it ran in this folder, and the controller checks their union.
_USED_DIR = "MIRROR_TEST_USED_QUERIES"


def pytest_configure(config):
    if not hasattr(config, "workerinput") and os.environ.get(_USED_DIR) is None:
        os.environ[_USED_DIR] = tempfile.mkdtemp(prefix="mirror-used-queries-")  # workers inherit it


def pytest_sessionfinish(session, exitstatus):
    """Every named query in queries/ must be executed by the suite (when the whole suite runs)."""
    from mirror import sql

    folder = Path(os.environ[_USED_DIR])
    if hasattr(session.config, "workerinput"):  # a worker: say what it ran, the controller judges
        (folder / f"{session.config.workerinput['workerid']}.txt").write_text("\n".join(sorted(sql.used)))
        return
    used = set(sql.used).union(*(f.read_text().split() for f in folder.glob("*.txt")))
    shutil.rmtree(folder, ignore_errors=True)
    if exitstatus != 0 or session.config.option.keyword or session.config.option.markexpr:
        return
    if session.testscollected < 100 or session.testsfailed:  # a partial run: nothing to say
        return
    missing = sorted(set(sql.catalog()) - used)
    if missing:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"queries never executed by the tests: {', '.join(missing)}", red=True)
        session.exitstatus = 1
