"""`refresh --comtrade`: the official client driven end to end by recorded API replies.

Only the network is faked (tests/comtrade_fake.py replaces urllib3.PoolManager); comtradeapicall's
own code builds the requests, prints its errors and names its files, as it does for users.
"""

from __future__ import annotations

import sys

import pytest
import urllib3

from mirror.comtrade_api import read_config
from mirror.errors import ApiError, LoadError, OptionError

from .comtrade_fake import FakeComtrade
from .conftest import fingerprint

PARTNER_SET = """
[api]
max_records = {max_records}
retries = {retries}
backoff_seconds = 0

[[sets]]
name = "prk"
method = "partner"
freq = ["A"]
reporters = "all"
partners = ["PRK"]
flows = ["M", "X"]
commodities = ["TOTAL", "AG6"]
first_year = 2018
"""

BULK_SET = """
[api]
retries = {retries}
backoff_seconds = 0

[[sets]]
name = "china-bulk"
method = "bulk"
freq = ["A"]
reporters = ["CHN"]
first_year = 2017
"""


@pytest.fixture
def api(monkeypatch):
    fake = FakeComtrade()
    monkeypatch.setattr(urllib3, "PoolManager", fake)
    monkeypatch.setenv("COMTRADE_API_KEY", "test-key-0000")
    return fake


def config(tmp_path, text=PARTNER_SET, max_records=250000, retries=2):
    path = tmp_path / "sets.toml"
    path.write_text(text.format(max_records=max_records, retries=retries))
    return path


def prk_world(api):
    api.add_listing("listing_A.json")
    api.data["A/2018"] = "data_A_2018_PRK.json"


def current(db, reporter):
    return db.con.execute(
        "SELECT flow, hs, value, release FROM flows WHERE source = 'comtrade' AND reporter_iso3 = ? "
        "AND partner_iso3 = 'PRK' ORDER BY flow, hs", [reporter]).fetchall()


def test_partner_set_end_to_end_then_a_no_op(db, api, tmp_path):
    prk_world(api)
    summary = db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    # one listing request, one data request for the three reporters with a 2018 dataset
    assert len(api.calls("/bulk/v1/get/C/A/HS")) == 1
    data_calls = api.calls("/data/v1/get/C/A/HS")
    assert [(c["period"], c["reportercode"], c["partnerCode"], c["flowCode"], c["cmdCode"]) for c in data_calls] == [
        ("2018", "156,410,643", "408", "M,X", "TOTAL,AG6")]
    assert data_calls[0]["customsCode"] == "C00" and data_calls[0]["motCode"] == "0"  # totals, not breakdowns
    assert summary["files_loaded"] == 2  # China and Russia; Korea's dataset has no DPRK rows
    assert current(db, "CHN") == [("export", "2710", 30_000_000.0, "2019-03-15"),
                                  ("export", "TOTAL", 2_218_000_000.0, "2019-03-15"),
                                  ("import", "TOTAL", 213_000_000.0, "2019-03-15")]
    assert current(db, "RUS")[0] == ("export", "TOTAL", 31_000_000.0, "2019-05-02")
    log = db.query("comtrade_fetch_log", limit=10).sort_values("reporter_code")
    assert list(log.reporter) == ["CHN", "KOR", "RUS"]
    assert list(log.rows_fetched) == [3, 0, 2]
    assert summary["comtrade"]["sets"].datasets_new.tolist() == [3]
    assert all(db.check().offending_rows == 0)

    before, requests = fingerprint(db), len(api.requests)
    again = db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    assert again["files_loaded"] == 0 and fingerprint(db) == before
    # the second run asks only what was published since 2019-05-02, and fetches nothing
    assert len(api.requests) == requests + 1
    assert api.requests[-1][1]["publishedDateFrom"] == "2019-05-02"


def test_a_revised_publication_is_a_new_release_with_its_revisions(db, api, tmp_path):
    prk_world(api)
    db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    api.add_listing("listing_A_revised.json")
    api.data["A/2018"] = "data_A_2018_PRK_CHN_revised.json"
    summary = db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    assert [c["reportercode"] for c in api.calls("/data/v1/get/")] == ["156,410,643", "156"]
    assert summary["files_loaded"] == 1
    assert current(db, "CHN")[1] == ("export", "TOTAL", 2_230_000_000.0, "2019-09-20")
    rev = summary["revisions"]
    assert len(rev) == 1
    assert (rev.old_value.iloc[0], rev.new_value.iloc[0]) == (2_218_000_000.0, 2_230_000_000.0)
    assert (rev.old_release.iloc[0], rev.new_release.iloc[0]) == ("2019-03-15", "2019-09-20")


def test_an_empty_result_is_recorded_not_loaded(db, api, tmp_path):
    api.add_listing("listing_A.json")  # no data reply registered: the API answers count 0
    summary = db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    assert summary["files_loaded"] == 0
    assert summary["comtrade"]["empty_replies"] == 1
    assert db.query("comtrade_fetch_log", limit=10).rows_fetched.tolist() == [0, 0, 0]
    # The listing said China, Russia and Korea published 2018; the set asked for their trade with
    # PRK and got none: each REPORTED NOTHING with PRK that year (a zero, known from the listing).
    for reporter in ("CHN", "RUS", "KOR"):
        for flow in ("export", "import"):
            state = db.coverage(reporter, "PRK", flow, years=(2018, 2018)).iloc[0]
            assert state.state == "reported nothing", (reporter, flow)
            assert state.basis.startswith("stated: Comtrade availability listing")
    assert db.coverage("CHN", "PRK", "re-export", years=(2018, 2018)).empty  # not among the set's flows
    db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    assert len(api.calls("/data/v1/get/")) == 1  # not asked again


def test_an_error_reply_is_a_clear_error_and_the_store_is_unchanged(db, api, tmp_path):
    prk_world(api)
    api.fail("/data/v1/get/", "error_401.json")
    before = fingerprint(db)
    with pytest.raises(ApiError) as err:
        db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    text = str(err.value)
    assert "HTTP 401: Access denied due to invalid subscription key" in text
    assert "getFinalData(C, A, HS, period=2018" in text and "COMTRADE_API_KEY" in text
    assert err.value.exit_code == 2  # a bad key: retrying will not help
    assert len(api.calls("/data/v1/get/")) == 1
    assert fingerprint(db) == before


def test_rate_limits_are_retried_and_outages_end_in_exit_69(db, api, tmp_path):
    prk_world(api)
    api.fail("/data/v1/get/", "error_429.json")
    summary = db.refresh(comtrade=config(tmp_path), cache=tmp_path / "cache")
    assert summary["comtrade"]["retries"] == 1 and summary["files_loaded"] == 2

    api.add_listing("listing_A_revised.json")
    api.fail("/bulk/v1/get/", "error_503.json", times=3)
    before = fingerprint(db)
    with pytest.raises(ApiError) as err:
        db.refresh(comtrade=config(tmp_path, retries=2), cache=tmp_path / "cache")
    assert "(after 3 attempts)" in str(err.value) and "HTTP 503" in str(err.value)
    assert err.value.exit_code == 69
    assert fingerprint(db) == before


def test_a_full_reply_is_split_until_nothing_is_cut(db, api, tmp_path):
    prk_world(api)  # 5 rows for the three reporters (China 3, Russia 2): cut at max_records 3
    summary = db.refresh(comtrade=config(tmp_path, max_records=3), cache=tmp_path / "cache")
    # reporters halved: [156] was full (3 rows) so it is split by flow; [410, 643] is fine
    asked = [(c["reportercode"], c["flowCode"]) for c in api.calls("/data/v1/get/")]
    assert asked == [("156,410,643", "M,X"), ("156", "M,X"), ("156", "M"), ("156", "X"), ("410,643", "M,X")]
    assert summary["files_loaded"] == 2
    assert len(current(db, "CHN")) == 3 and len(current(db, "RUS")) == 2  # nothing lost


def test_multi_file_bulk_download_resumes_after_a_failure(db, api, tmp_path):
    api.add_listing("listing_A_bulk_CHN.json")
    api.add_bulk_file(156, 2017, "bulk_CHN_2017.gz")
    second = next(e["fileUrl"] for e in api.listing if e["period"] == 2018)
    api.files[second] = b"<html>upstream error</html>"  # served with status 200 by a broken proxy
    before = fingerprint(db)
    with pytest.raises(ApiError) as err:
        db.refresh(comtrade=config(tmp_path, BULK_SET, retries=1), cache=tmp_path / "cache")
    assert "not gzip" in str(err.value) and "reporter=156, period=2018" in str(err.value)
    assert fingerprint(db) == before
    cached = sorted(p.name for p in (tmp_path / "cache" / "china-bulk").glob("*.gz"))
    assert cached == ["COMTRADE-FINAL-CA1562017H5[2018-06-30].gz"]

    api.add_bulk_file(156, 2018, "bulk_CHN_2018.gz")
    first = next(e["fileUrl"] for e in api.listing if e["period"] == 2017)
    asked_first = len(api.calls(first))
    summary = db.refresh(comtrade=config(tmp_path, BULK_SET), cache=tmp_path / "cache")
    assert len(api.calls(first)) == asked_first  # resumed: the 2017 file came from the cache
    assert summary["files_loaded"] == 2
    releases = db.con.execute("SELECT DISTINCT period, release FROM flows WHERE source = 'comtrade' "
                              "ORDER BY period").fetchall()
    assert releases == [("2017", "2018-06-30"), ("2018", "2019-03-15")]


def test_missing_key_and_missing_client_are_clear(db, api, tmp_path, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY")
    with pytest.raises(OptionError, match="COMTRADE_API_KEY is not set"):
        db.refresh(comtrade=config(tmp_path))
    monkeypatch.setenv("COMTRADE_API_KEY", "k")
    monkeypatch.setitem(sys.modules, "comtradeapicall", None)
    with pytest.raises(OptionError, match=r"pip install 'trade-mirror\[comtrade\]'"):
        db.refresh(comtrade=config(tmp_path))
    assert api.requests == []


def test_fetch_set_file_is_checked_before_any_request(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sets]]\nname = "x"\nfreq = ["Q"]\npartners = ["NKR"]\nflows = ["EXPORT"]\ncolor = 1\n')
    with pytest.raises(LoadError) as err:
        read_config(bad, known_iso3={"PRK", "CHN"})
    text = str(err.value)
    for piece in ("setting 'sets[0].freq': value 'Q'", "setting 'sets[0].partners': value 'NKR'",
                  "setting 'sets[0].flows': value 'EXPORT'", "setting 'sets[0].color'", "bad.toml"):
        assert piece in text
    default = read_config(known_iso3={"PRK", "CHN", "RUS", "KOR", "JPN"})
    assert [s.name for s in default.sets] == ["prk-partners", "coal-to-kor-jpn"]


def test_cli_refresh_comtrade(cli, api, tmp_path):
    prk_world(api)
    code, out, err = cli("refresh", "--db", tmp_path / "s.duckdb", "--comtrade-config", config(tmp_path),
                         "--cache", tmp_path / "cache")
    assert code == 0, err
    assert "Comtrade API: 2 requests (0 retried), 2 files" in out
    assert "comtrade: prk A: asking what was published since the start" in err
    api.fail("/bulk/v1/get/", "error_401.json")
    code, out, err = cli("refresh", "--db", tmp_path / "s.duckdb", "--comtrade-config", config(tmp_path))
    assert code == 2 and "Access denied" in err and "Traceback" not in err


def test_refresh_needs_a_source(cli, tmp_path):
    code, out, err = cli("refresh", "--db", tmp_path / "s.duckdb")
    assert code == 2 and "Nothing to refresh from" in err and "--comtrade" in err


KILLED_REFRESH = """
import sys, urllib3
sys.path.insert(0, sys.argv[4])
from tests.comtrade_fake import FakeComtrade
import mirror
fake = FakeComtrade()
fake.add_listing("listing_A_bulk_CHN.json")
fake.add_bulk_file(156, 2017, "bulk_CHN_2017.gz")
fake.add_bulk_file(156, 2018, "bulk_CHN_2018.gz")
second = next(e["fileUrl"] for e in fake.listing if e["period"] == 2018)
fake.slow[second] = 60  # the second download hangs: the process is killed while it waits
urllib3.PoolManager = fake
print("fetching", flush=True)
with mirror.open(sys.argv[1]) as db:
    db.refresh(comtrade=sys.argv[2], cache=sys.argv[3])
"""


@pytest.mark.slow
def test_sigkill_during_an_api_refresh_leaves_the_store_as_before_and_resumes(db, api, tmp_path):
    import os
    import signal
    import subprocess
    import time
    from pathlib import Path

    cfg, cache = config(tmp_path, BULK_SET), tmp_path / "cache"
    store = db.path
    before = fingerprint(db)
    db.close()
    root = str(Path(__file__).resolve().parents[1])
    proc = subprocess.Popen([sys.executable, "-c", KILLED_REFRESH, str(store), str(cfg), str(cache), root],
                            stdout=subprocess.PIPE, env={**os.environ, "COMTRADE_API_KEY": "k"})
    first = cache / "china-bulk" / "COMTRADE-FINAL-CA1562017H5[2018-06-30].gz"
    deadline = time.time() + 60
    while not first.exists() and time.time() < deadline:  # killed once the first file is in the cache
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert first.exists()
    from mirror.store import Store

    with Store(store) as again:
        assert fingerprint(again) == before  # nothing of the half-done refresh reached the store
        assert again.check().offending_rows.sum() == 0
        api.add_listing("listing_A_bulk_CHN.json")
        api.add_bulk_file(156, 2017, "bulk_CHN_2017.gz")
        api.add_bulk_file(156, 2018, "bulk_CHN_2018.gz")
        summary = again.refresh(comtrade=cfg, cache=cache)
        first_url = next(e["fileUrl"] for e in api.listing if e["period"] == 2017)
        assert api.calls(first_url) == []  # resumed: the first file came from the cache
        assert summary["files_loaded"] == 2
