"""Loading is idempotent, and a later release keeps the earlier figures as history."""

import json

from .conftest import fingerprint

API_CSV = "comtrade_api_CHN_2018_monthly.csv"


def test_loading_the_same_file_twice_changes_nothing(db, fixtures):
    db.load(fixtures / "comtrade_api_CHN_2018.json")
    before = fingerprint(db)
    again = db.load(fixtures / "comtrade_api_CHN_2018.json")
    assert again.loc[0, "status"] == "skipped" and "same bytes as load 1" in again.loc[0, "note"]
    assert fingerprint(db) == before


def test_same_content_in_a_new_file_is_unchanged_not_duplicated(db, fixtures, tmp_path):
    db.load(fixtures / API_CSV, release="2019-01")
    copy = tmp_path / "copy.csv"
    copy.write_text((fixtures / API_CSV).read_text() + "\n")  # other bytes, same figures
    result = db.load(copy, release="2019-02")
    assert (result.loc[0, "rows_new"], result.loc[0, "rows_revised"], result.loc[0, "rows_unchanged"]) == (0, 0, 3)
    assert db.con.execute("SELECT count(*) FROM figures").fetchall()[0][0] == 3


def test_a_second_release_records_revisions(db, fixtures, tmp_path):
    db.load(fixtures / API_CSV, release="2019-01")
    revised = tmp_path / "revised.csv"
    text = (fixtures / API_CSV).read_text()
    revised.write_text(text.replace(",2002000.0,2002000.0,", ",2502000.0,2502000.0,"))
    result = db.load(revised, release="2019-06")
    assert (result.loc[0, "rows_new"], result.loc[0, "rows_revised"], result.loc[0, "rows_unchanged"]) == (0, 1, 2)

    # The current view holds the new figure; the old one is kept, closed by the new load.
    current = db.con.execute("SELECT value, release FROM flows WHERE period = '2018-02'").fetchall()
    assert current == [(2_502_000.0, "2019-06")]
    history = db.con.execute(
        "SELECT value, release, valid_from_load, valid_to_load FROM figures WHERE period = '2018-02' ORDER BY valid_from_load"
    ).fetchall()
    assert history == [(2_002_000.0, "2019-01", 1, 2), (2_502_000.0, "2019-06", 2, None)]
    rev = db.con.execute("SELECT old_release, new_release, old_value, new_value, value_change FROM revisions").fetchall()
    assert rev == [("2019-01", "2019-06", 2_002_000.0, 2_502_000.0, 500_000.0)]
    assert db.con.execute("SELECT count(*) FROM flows").fetchall()[0][0] == 3  # never both versions at once


def test_status_reports_releases_and_revisions(db, fixtures, tmp_path, cli):
    db.load(fixtures / API_CSV, release="2019-01")
    revised = tmp_path / "revised.csv"
    revised.write_text((fixtures / API_CSV).read_text().replace(",2002000.0,2002000.0,", ",2502000.0,2502000.0,"))
    db.load(revised, release="2019-06")
    path = db.path
    db.close()
    code, out, _ = cli("status", "--json", "--db", path)
    assert code == 0
    status = json.loads(out)
    assert status["rows"] == 3 and status["versions"] == 4
    assert [ld["release"] for ld in status["loads"]] == ["2019-01", "2019-06"]
    for ld in status["loads"]:
        assert {"sha256", "format", "source", "release", "rows_read", "rows_loaded", "rows_rejected"} <= set(ld)
    assert status["loads"][1]["rows_revised"] == 1
