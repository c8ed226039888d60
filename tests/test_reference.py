"""The reference tables: Comtrade's own country codes, partner aggregates, HS revisions."""

import pytest


@pytest.mark.parametrize(
    "comtrade_code, iso3, m49",
    [
        ("842", "USA", "840"),  # Comtrade's USA incl. Puerto Rico and the US Virgin Islands
        ("251", "FRA", "250"),  # France incl. Monaco
        ("699", "IND", "356"),  # India since 1975
        ("757", "CHE", "756"),  # Switzerland incl. Liechtenstein
        ("490", "TWN", "158"),  # "Other Asia, nes": Taiwan in practice
        ("408", "PRK", "408"),
        ("410", "KOR", "410"),
    ],
)
def test_comtrade_codes_that_differ_from_m49(db, comtrade_code, iso3, m49):
    rows = db.con.execute(
        "SELECT iso3, m49, is_country FROM countries WHERE comtrade_code = $c", {"c": comtrade_code}
    ).fetchall()
    assert rows == [(iso3, m49, True)]


@pytest.mark.parametrize("code, iso3", [("0", "WLD"), ("899", "_X"), ("837", "X1"), ("838", "X2"), ("839", "XX"),
                                        ("97", "EUR"), ("473", "A79")])
def test_partner_aggregates_are_not_countries(db, code, iso3):
    assert db.con.execute("SELECT iso3, is_country FROM countries WHERE comtrade_code = $c",
                          {"c": code}).fetchall() == [(iso3, False)]


def test_one_current_code_per_iso3(db):
    # USA has Comtrade codes 840, 841 and 842; files naming only ISO3 map to the code in use today.
    assert db.con.execute("SELECT comtrade_code FROM country_by_iso3 WHERE iso3 = 'USA'").fetchall() == [("842",)]
    dup = db.con.execute("SELECT iso3 FROM country_by_iso3 GROUP BY iso3 HAVING count(*) > 1").fetchall()
    assert dup == []


@pytest.mark.parametrize("name, iso3", [("NORTH KOREA", "PRK"), ("DEM. PEOPLE'S REP. OF KOREA", "PRK"),
                                        ("408", "PRK"), ("PRK", "PRK"), ("RUSSIAN FEDERATION", "RUS"),
                                        ("842", "USA"), ("840", "USA"), ("CHINA", "CHN")])
def test_country_lookup_by_code_or_name(db, name, iso3):
    assert db.con.execute("SELECT iso3 FROM country_lookup WHERE key = $k", {"k": name}).fetchall() == [(iso3,)]


def test_hs_revisions_h0_to_h6(db):
    revisions = db.con.execute("SELECT classification, count(*) FROM hs_codes GROUP BY 1 ORDER BY 1").fetchall()
    assert [r[0] for r in revisions] == ["H0", "H1", "H2", "H3", "H4", "H5", "H6"]
    assert all(n > 5000 for _, n in revisions)
    # H0/H1 (1992/1996) reported petroleum products as 271000; from H2 (2002) it splits into 271011/271019.
    have = {r[0] for r in db.con.execute("SELECT classification FROM hs_codes WHERE hs = '271000'").fetchall()}
    assert have == {"H0", "H1"}
    # Codes are zero-padded text.
    assert db.con.execute("SELECT description FROM hs_codes WHERE classification='H5' AND hs='03'").fetchall()


def test_hs_sections_cover_all_chapters(db):
    rows = db.con.execute("SELECT section, chapter_from, chapter_to FROM hs_sections ORDER BY number").fetchall()
    assert len(rows) == 21
    assert rows[4] == ("V", "25", "27")  # mineral products, incl. chapter 27 (oil)
