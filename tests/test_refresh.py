"""Refresh from a drop folder: only new files, all or nothing (even killed with SIGKILL), revisions
and the change summary, and readers during a refresh."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import mirror
from mirror import simulate

from .conftest import fingerprint

API_CSV = "comtrade_api_CHN_2018_monthly.csv"


def test_drop_folder_loads_only_new_files_and_twice_is_a_no_op(db, fixtures, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(fixtures / "comtrade_api_CHN_2018.json", drop)
    first = db.refresh(drop)
    assert (first["files_seen"], first["files_loaded"]) == (1, 1)
    shutil.copy(fixtures / API_CSV, drop)
    (drop / "gacc.toml").write_text("source = 'x'\n")  # not data: ignored
    second = db.refresh(drop)
    assert (second["files_seen"], second["files_loaded"], second["files_skipped"]) == (2, 1, 1)
    before = fingerprint(db)
    third = db.refresh(drop)
    assert third["files_loaded"] == 0 and fingerprint(db) == before


def test_a_revised_release_is_recorded_and_summarised(db, fixtures, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(fixtures / API_CSV, drop / "r1.csv")
    db.refresh(drop, release="2019-01")
    (drop / "r2.csv").write_text((fixtures / API_CSV).read_text().replace(",2002000.0,2002000.0,", ",2502000.0,2502000.0,"))
    summary = db.refresh(drop, release="2019-06")
    rev = summary["revisions"]
    assert rev[["period", "old_value", "new_value", "old_release", "new_release"]].values.tolist() == [
        ["2018-02", 2_002_000.0, 2_502_000.0, "2019-01", "2019-06"]]
    assert rev.relative_change.iloc[0] == pytest.approx(500_000 / 2_002_000)
    assert len(db.changes(since=0, threshold=0.5)["revisions"]) == 0  # a 25% change is below 50%


def test_a_bad_file_fails_the_whole_refresh(db, fixtures, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(fixtures / "comtrade_api_CHN_2018.json", drop / "a.json")
    (drop / "b.csv").write_text("not,a,trade,file\n1,2,3,4\n")
    before = fingerprint(db)
    with pytest.raises(mirror.LoadError, match="b.csv"):
        db.refresh(drop)
    assert fingerprint(db) == before


def test_refresh_and_changes_commands(cli, fixtures, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(fixtures / API_CSV, drop)
    store = tmp_path / "s.duckdb"
    code, out, err = cli("refresh", "--from", drop, "--db", store, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["files_loaded"] == 1 and {"revisions", "coverage", "flags"} <= set(summary)
    code, out, err = cli("changes", "--since", "0", "--json", "--db", store)
    assert code == 0 and json.loads(out)["coverage"][0]["reporter"] == "CHN"


REFRESH = """
import sys, mirror
with mirror.open(sys.argv[1]) as db:
    db.refresh(sys.argv[2])
print("done", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.5])
def test_sigkill_leaves_the_store_before_or_after(tmp_path, delay):
    drop = tmp_path / "drop"
    panel = simulate.panel(countries=40, products=300, years=[2019, 2020, 2021], seed=5)
    panel.write_comtrade_csv(drop)
    store = tmp_path / "s.duckdb"
    with mirror.open(store) as db:
        before = fingerprint(db)
    proc = subprocess.Popen([sys.executable, "-c", REFRESH, str(store), str(drop)], stdout=subprocess.PIPE,
                            env={**os.environ, "MIRROR_DB": str(store)})
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with mirror.open(store) as db:
        state = fingerprint(db)
        assert db.check().offending_rows.sum() == 0
        loads = db.con.execute("SELECT count(*) FROM loads").fetchall()[0][0]
    if loads == 0:
        assert state == before  # killed before the commit: exactly as before
    else:
        assert loads == 3  # all three files or none
        with mirror.open(store) as db:
            again = db.refresh(drop)
        assert again["files_loaded"] == 0  # the refresh had fully happened


def test_a_reader_during_a_refresh_gets_a_clear_message(tmp_path):
    store = tmp_path / "s.duckdb"
    mirror.open(store).close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, mirror\n"
                               "db = mirror.open(sys.argv[1]); print('open', flush=True); time.sleep(20)", str(store)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(mirror.StoreBusyError, match="being written by another process.*wait for it to finish") as e:
            mirror.open(store, read_only=True)
        assert e.value.exit_code == 75
    finally:
        holder.kill()
        holder.wait()
