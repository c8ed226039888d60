"""Readers never block a refresh for long (mirror/writer.py): a notebook-style reader holds the store
open while a scheduled refresh runs; the refresh completes, the reader keeps consistent answers, and
the next opening sees the refreshed store. Two writers are still refused, the second at once."""

import contextlib
import csv
import subprocess
import sys
import time

import pytest

import mirror
from mirror.errors import StoreBusyError

from .helpers import COLUMNS, load_rows, row

READER = """
import sys, mirror
db = mirror.open(sys.argv[1], read_only=True)
q = "SELECT count(*), coalesce(sum(value), 0) FROM flows"
print(db.con.execute(q).fetchall()[0], flush=True)
sys.stdin.readline()                      # the refresh runs meanwhile
print(db.con.execute(q).fetchall()[0], flush=True)
"""

WRITER = """
import sys, mirror
db = mirror.open(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
db.close()
"""


def _store(tmp_path):
    path = tmp_path / "s.duckdb"
    with mirror.open(path) as db:
        load_rows(db, tmp_path, [row("CHN", "PRK", "X", "TOTAL", 100, year=y) for y in range(2015, 2019)])
    drop = tmp_path / "drop"
    drop.mkdir()
    with open(drop / "new.csv", "w", newline="") as fh:  # a new release in the drop folder
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerow(row("CHN", "PRK", "X", "TOTAL", 200, year=2019))
    return path, drop


@contextlib.contextmanager
def _notebook_reading(path):
    """A reader in another process holding the store open: yields what it first read and a function
    returning what it reads again (after the caller's refresh)."""
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)

    def again() -> str:
        reader.stdin.write("\n")
        reader.stdin.flush()
        return reader.stdout.readline().strip()

    try:
        yield reader.stdout.readline().strip(), again
    finally:
        reader.kill()
        reader.wait()


def test_a_refresh_runs_while_a_notebook_reads(tmp_path):
    path, drop = _store(tmp_path)
    with _notebook_reading(path) as (before, again):
        assert before == "(4, 400.0)"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mirror", "refresh", "--from", str(drop), "--db", str(path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert time.perf_counter() - started < 60  # bounded: no waiting on the reader
        assert again() == before  # the open reader: the same, consistent state
    with mirror.open(path, read_only=True) as db:  # opened again: the refreshed store
        assert db.con.execute("SELECT count(*), sum(value) FROM flows").fetchall()[0] == (5, 600.0)
        assert db.check().offending_rows.sum() == 0
    assert not list(tmp_path.glob("s.duckdb.swap-*"))


def test_a_second_writer_is_refused_at_once(tmp_path):
    path, _ = _store(tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        with pytest.raises(StoreBusyError, match="being written by another process"):
            mirror.open(path)
        code = subprocess.run([sys.executable, "-m", "mirror", "load", "--bundled", "--db", str(path)],
                              capture_output=True, text=True, timeout=60).returncode
        assert code == 75
    finally:
        writer.stdin.write("\n")
        writer.stdin.flush()
        writer.wait(timeout=60)


def test_a_killed_swap_writer_leaves_the_store_as_it_was(tmp_path):
    path, drop = _store(tmp_path)
    stale = path.with_name(path.name + ".swap-99999")
    stale.write_bytes(b"half a copy")  # what a writer killed while copying leaves behind
    with mirror.open(path) as db:
        assert db.con.execute("SELECT count(*) FROM flows").fetchall()[0][0] == 4
    assert not stale.exists()


def test_a_python_refresh_swaps_in_its_working_copy_while_a_reader_holds_the_store(tmp_path):
    # The same through the Python API, in this process: the writer finds the store held by a reader,
    # writes a working copy, and on close checkpoints it and renames it over the store.
    path, drop = _store(tmp_path)
    with _notebook_reading(path) as (before, again):
        db = mirror.open(path)
        assert list(tmp_path.glob("s.duckdb.swap-*")), "the writer should work on a copy while the reader holds the file"
        summary = db.refresh(drop)
        db.close()
        assert summary["files_loaded"] == 1
        assert again() == before
    assert not list(tmp_path.glob("s.duckdb.swap-*"))
    with mirror.open(path, read_only=True) as db:
        assert db.con.execute("SELECT count(*), sum(value) FROM flows").fetchall()[0] == (5, 600.0)


def test_an_in_memory_store_leaves_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    count = "SELECT count(*) FROM flows"
    with mirror.open(":memory:") as db, mirror.open(":memory:") as other:  # each its own database
        load_rows(db, tmp_path / "in", [row("CHN", "PRK", "X", "2709", 100.0)])
        assert db.con.execute(count).fetchone()[0] == 1 and other.con.execute(count).fetchone()[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no ':memory:.writer.lock' in the folder
