"""The numbers a load stores for the mirror's keys (figures.reporter_n, partner_n, hs_n), and stores
made before they were kept: the same mirror either way, and an older store is upgraded, not misread."""

import pytest
from pandas.testing import assert_frame_equal

import mirror
from mirror import schema
from mirror.errors import InternalError, StoreError

from .helpers import load_rows, row

ROWS = [row("CHN", "PRK", "X", "270900", 100), row("PRK", "CHN", "M", "270900", 106),
        row("RUS", "PRK", "X", "2710", 7), row("PRK", "RUS", "M", "271019", 9),
        row("KOR", "RUS", "M", "TOTAL", 50), row("CHN", "PRK", "X", "TOTAL", 400)]


def mirrors(db):
    db.engine.invalidate()
    out = {}
    for level in ("6", "4", "TOTAL"):
        m = db.mirror(level=level)
        out[level] = m.sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)
    return out


def test_a_load_stores_the_countries_and_code_as_the_keys_number_them(db, tmp_path):
    load_rows(db, tmp_path, ROWS)
    got = db.con.execute("SELECT DISTINCT reporter_iso3, reporter_n, hs, hs_n FROM figures "
                         "WHERE reporter_iso3 IN ('CHN', 'PRK') ORDER BY ALL").fetchall()
    # base 26, A = 0: CHN = 2*676 + 7*26 + 13 = 1547, PRK = 15*676 + 17*26 + 10 = 10592; TOTAL has no number
    assert got == [("CHN", 1547, "270900", 270900), ("CHN", 1547, "TOTAL", None),
                   ("PRK", 10592, "270900", 270900), ("PRK", 10592, "271019", 271019)]


def test_rows_loaded_before_the_numbers_were_kept_give_the_same_mirror(db, tmp_path):
    load_rows(db, tmp_path, ROWS)
    stored = mirrors(db)
    assert len(stored["6"]) == 2 and len(stored["TOTAL"]) == 3
    db.con.execute("UPDATE figures SET reporter_n = NULL, partner_n = NULL, hs_n = NULL")
    from_text = mirrors(db)
    for level, frame in stored.items():
        assert_frame_equal(from_text[level], frame, obj=level)


def test_a_store_of_the_previous_schema_is_upgraded_read_write_and_refused_read_only(tmp_path):
    path = tmp_path / "old.duckdb"
    with mirror.open(path) as db:
        load_rows(db, tmp_path, ROWS)
        before = mirrors(db)
        # what schema 2 wrote: no number columns, its version
        for column in ("reporter_n", "partner_n", "hs_n"):
            db.con.execute(f"ALTER TABLE figures DROP COLUMN {column}")
        schema.set_meta(db.con, "schema_version", "2")
        schema.set_meta(db.con, "prepared_sha", "schema 2")
    with pytest.raises(StoreError, match="schema version 2.*open it read-write once to upgrade it"):
        mirror.open(path, read_only=True)
    with mirror.open(path) as db:
        assert db.con.execute("SELECT count(*) FILTER (WHERE reporter_n IS NULL), count(*) FROM figures").fetchone() \
            == (6, 6)  # the columns are there, empty for the rows loaded before
        after = mirrors(db)
    for level, frame in before.items():
        assert_frame_equal(after[level], frame, obj=level)
    with mirror.open(path, read_only=True) as db:
        assert len(db.mirror(level="6")) == 2


def test_provenance_is_decoded_per_load_and_valuation(db, tmp_path):
    # three loads in one chunk of years: two releases of one source and a second source, and an
    # importer that values FOB; each pair's provenance is that of the load its figures came from
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "270900", 100), row("PRK", "CHN", "M", "270900", 106)],
              release="r1")
    load_rows(db, tmp_path, [row("RUS", "PRK", "X", "270111", 7),
                             row("PRK", "RUS", "M", "270111", 9, valuation="FOB")], release="r2")
    load_rows(db, tmp_path, [row("KOR", "JPN", "X", "720110", 5)], release="r3", source="customs-kr")
    got = db.mirror(level="6")[["exporter", "importer", "source_exporter", "release_exporter", "source_importer",
                                "release_importer", "valuation_importer"]]
    got = got.sort_values("exporter").astype(object).where(got.notna(), None).values.tolist()
    assert got == [["CHN", "PRK", "comtrade", "r1", "comtrade", "r1", "CIF"],
                   ["KOR", "JPN", "customs-kr", "r3", None, None, None],
                   ["RUS", "PRK", "comtrade", "r2", "comtrade", "r2", "FOB"]]


def test_a_load_whose_figures_name_two_releases_fails_the_build_check(db, tmp_path):
    # the provenance of a figure as published is keyed by its load (one source and release each);
    # a store where that does not hold must fail loudly, not pair a figure with two provenances
    load_rows(db, tmp_path, ROWS)
    # (of North Korea's two HS6 imports, both CIF, one now says another release)
    db.con.execute("UPDATE figures SET release = 'edited by hand' WHERE reporter_iso3 = 'PRK' AND hs = '270900'")
    db.engine.invalidate()
    with pytest.raises(InternalError, match="check_mirror_prov_unique"):
        db.mirror(level="6")
