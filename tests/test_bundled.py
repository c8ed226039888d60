"""The bundled, cited DPRK public record: in the default store on first use, elsewhere on request."""

import csv

import mirror
from mirror.paths import data_dir


def test_default_store_receives_the_bundled_record_on_first_use(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with mirror.open() as db:
        assert db.path == tmp_path / "trade-mirror" / "mirror.duckdb"
        loads = db.status_dict()["loads"]
        assert [(ld["source"], ld["rows_read"], ld["rows_rejected"]) for ld in loads] == [
            ("public-record", 712, 0), ("pipeline-estimate", 10, 0)]
    with mirror.open() as db:  # second use: nothing loaded again
        assert len(db.status_dict()["loads"]) == 2


def test_read_only_open_of_a_new_default_store_builds_it(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with mirror.open(read_only=True) as db:
        assert db.status_dict()["rows"] > 600


def test_other_stores_get_it_only_on_request(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("MIRROR_DB", str(tmp_path / "mine.duckdb"))
    with mirror.open() as db:
        assert db.status_dict()["rows"] == 0  # a user's own store is never mixed silently
    code, out, err = cli("load", "--bundled")
    assert code == 0, err
    with mirror.open() as db:
        assert db.status_dict()["rows"] > 600


def test_every_bundled_figure_keeps_its_citation(db):
    db.load_bundled()
    missing = db.con.execute(
        "SELECT count(*) FROM flows WHERE source_url IS NULL OR publisher IS NULL "
        "OR (quote IS NULL AND source = 'public-record')").fetchall()
    assert missing == [(0,)]
    with open(data_dir() / "public_record" / "dprk_public_record.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kept = db.con.execute("SELECT (SELECT count(*) FROM flows WHERE source = 'public-record') "
                          "+ (SELECT count(*) FROM apart)").fetchall()[0][0]
    assert kept == len(rows) == 712  # no row dropped: flows + kept apart = the file


def test_known_figures_of_the_record(db):
    db.load_bundled()
    crude = dict(db.con.execute(
        "SELECT year, net_weight_kg / 1000 FROM flows WHERE series_id = 'S2_CHN_PRK_CRUDE_T' AND freq = 'A' "
        "AND publisher LIKE 'Yonhap%' ORDER BY year").fetchall())
    assert crude[2012] == 523_000  # Yonhap/Korea Herald citing GACC
    assert crude.get(2014) == 0  # zero on paper from January 2014
    notified = db.con.execute(
        "SELECT quantity FROM flows WHERE kind = 'notified' AND reporter_iso3 = 'RUS' AND period = '2018' "
        "AND quantity_unit = 'bbl'").fetchall()
    assert notified == [(241_114.0,)]
    # KOTRA's estimates stay estimates; two-way totals are their own flow.
    kinds = dict(db.con.execute("SELECT kind, count(*) FROM flows GROUP BY kind").fetchall())
    assert set(kinds) == {"reported", "notified", "estimated"}
    reasons = {r[0] for r in db.con.execute("SELECT DISTINCT reason FROM apart").fetchall()}
    assert "share of trade (percent)" in reasons and "balance (exports minus imports)" in reasons
