"""Every Comtrade country code loads: the official reporter and partner lists (read here from
../shared's copies of UN Comtrade's reference files, not from trade-mirror's own table), Comtrade's
ISO-like codes (S19 "Other Asia, nes", W00, areas nes, bunkers, free zones, special categories),
and historical codes (381 Italy of legacy Comtrade files; USSR, Yugoslavia, Czechoslovakia, Sudan)
with the years each is valid."""

import csv
import json

import pytest

from mirror import LoadError

from .conftest import SHARED

REF = SHARED / "reference"
API_HEADER = ["typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc", "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc", "classificationCode", "classificationSearchCode", "isOriginalClassification", "cmdCode", "cmdDesc", "aggrLevel", "isLeaf", "customsCode", "customsDesc", "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode", "altQtyUnitAbbr", "altQty", "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated", "cifvalue", "fobvalue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate"]


def api_row(reporter, partner, year=2018, value=1000.0, flow="M", partner_iso=""):
    row = dict.fromkeys(API_HEADER, "")
    row.update(typeCode="C", freqCode="A", refPeriodId=f"{year}0101", refYear=year, refMonth=52, period=year,
               reporterCode=reporter, flowCode=flow, partnerCode=partner, partnerISO=partner_iso, partner2Code=0,
               classificationCode="H5", classificationSearchCode="HS", cmdCode="TOTAL", customsCode="C00",
               mosCode=0, motCode=0, qtyUnitCode=-1, primaryValue=value, legacyEstimationFlag=0,
               isNetWgtEstimated="False", isQtyEstimated="False")
    return row


def write_api_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=API_HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def official(name):
    with open(REF / name, encoding="utf-8-sig", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_every_official_partner_code_loads(db, tmp_path):
    partners = official("comtrade_partner_areas.csv")
    assert len(partners) == 310
    rows = [api_row(842, code) for code in partners]
    result = db.load(write_api_csv(tmp_path / "all_partners.csv", rows))
    assert result.loc[0, "rows_loaded"] == 310
    stored = dict(db.con.execute("SELECT partner_code, partner_iso3 FROM flows").fetchall())
    assert stored["490"] == "TWN" and stored["0"] == "WLD" and stored["899"] == "_X" and stored["837"] == "X1"


def test_every_official_reporter_code_loads(db, tmp_path):
    reporters = official("comtrade_reporters.csv")
    api = {str(r["id"]) for r in json.loads((REF / "comtrade_Reporters.json").read_text())["results"]}
    assert set(reporters) == api and len(api) == 255
    rows = [api_row(code, 408) for code in sorted(api, key=int)]
    result = db.load(write_api_csv(tmp_path / "all_reporters.csv", rows))
    assert result.loc[0, "rows_loaded"] == 255
    groups = db.con.execute("SELECT reporter_iso3, reporter_is_country FROM flows WHERE reporter_code IN ('97', '975') "
                            "ORDER BY reporter_code").fetchall()
    assert groups == [("EUR", False), ("R4", False)]  # EU and ASEAN report, but are not countries


def test_a_code_outside_the_lists_names_the_list(db, tmp_path):
    path = write_api_csv(tmp_path / "bad.csv", [api_row(842, 490), api_row(842, 998)])
    with pytest.raises(LoadError, match=r"line 3, column 'partnerCode/partnerISO': value '998': unknown partner code.*"
                                        r"not in UN Comtrade's reference lists"):
        db.load(path)


def test_iso_like_codes_in_an_extract_without_codes(db, tmp_path):
    # The 9-column EU extract layout (reporter_iso, ..., partner_iso, ...): partners named only by
    # Comtrade's ISO field, including its special codes.
    header = ["reporter_iso", "reporter_desc", "flow_desc", "partner_iso", "partner_desc", "cmd_code", "cmd_desc", "primary_value", "ref_year"]
    specials = [("S19", "Other Asia, nes", "TWN", True), ("W00", "World", "WLD", False),
                ("_X", "Areas, nes", "_X", False), ("X1", "Bunkers", "X1", False), ("X2", "Free Zones", "X2", False),
                ("XX", "Special Categories", "XX", False), ("E19", "Other Europe, nes", "E19", False),
                ("PRK", "Dem. People's Rep. of Korea", "PRK", True)]
    path = tmp_path / "EU_imports_9cols.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for iso, desc, _, _ in specials:
            w.writerow(["DEU", "Germany", "Import", iso, desc, "85", "Electrical machinery", "1234.5", "2021"])
    db.load(path)
    got = dict((r[0], r[1:]) for r in db.con.execute(
        "SELECT partner_iso3, partner_is_country, reporter_iso3 FROM flows").fetchall())
    assert {iso3: got[iso3][0] for _, _, iso3, _ in specials} == {iso3: c for _, _, iso3, c in specials}


def test_legacy_code_381_italy(db, fixtures, tmp_path):
    lines = (fixtures / "comtrade_legacy_CHN_2012.csv").read_text().splitlines()
    assert lines[1].startswith("H3,2012,2012,2012,4,0,2,Export,156,China,CHN,408,")
    lines[1] = lines[1].replace(",156,China,CHN,408,", ",381,Italy,ITA,408,")
    (tmp_path / "legacy_ITA.csv").write_text("\n".join(lines) + "\n")
    db.load(tmp_path / "legacy_ITA.csv")
    assert db.con.execute("SELECT reporter_iso3, reporter_code, reporter_is_country FROM flows "
                          "WHERE reporter_code = '381'").fetchall() == [("ITA", "381", True)]


@pytest.mark.parametrize("iso, year, code", [("SUN", 1989, "810"), ("YUG", 1990, "890"), ("CSK", 1991, "200"),
                                             ("SDN", 2005, "736"), ("SDN", 2015, "729"), ("SSD", 2015, "728"),
                                             ("DEU", 1989, "280"), ("DEU", 1995, "276"), ("USA", 1975, "841")])
def test_iso_only_rows_take_the_code_valid_that_year(db, iso, year, code):
    got = db.con.execute("SELECT comtrade_code FROM countries WHERE comtrade_code = $c AND iso3 = $i",
                         {"c": code, "i": iso}).fetchall()
    assert got == [(code,)]
    db.con.execute("BEGIN")
    try:
        from mirror import sql

        sql.script(db.con, "define_country_years")
        chosen = db.con.execute("SELECT comtrade_code FROM country_code_years WHERE key = $k AND year = $y",
                                {"k": iso, "y": year}).fetchall()
    finally:
        db.con.execute("ROLLBACK")
    assert chosen == [(code,)]


def test_ussr_in_1989_is_not_russia(db, tmp_path):
    rows = [api_row(810, 156, year=1989, flow="X"), api_row(156, 810, year=1989), api_row(643, 156, year=1995)]
    db.load(write_api_csv(tmp_path / "ussr.csv", rows))
    got = db.con.execute("SELECT year, reporter_iso3, partner_iso3 FROM flows ORDER BY year, reporter_iso3").fetchall()
    assert got == [(1989, "CHN", "SUN"), (1989, "SUN", "CHN"), (1995, "RUS", "CHN")]
    assert db.con.execute("SELECT name FROM countries WHERE comtrade_code = '810'").fetchall() == [("USSR (...1990)",)]
