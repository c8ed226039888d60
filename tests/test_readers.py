"""Each supported format loads from a fixture in its exact layout, checked field by field.

The Comtrade fixtures (tests/fixtures/build_fixtures.py) hold the same story in every layout:
China's 2018 exports to PRK (TOTAL, 2710, 271019 plus one by-land breakdown row), imports of
HS 030613, exports to the World, and imports of crude from the USA with weight 0 (= not available).
"""

import gzip
import shutil

import pytest

from mirror import LoadError

from .conftest import SHARED


def flows(db, where="TRUE", params=None):
    return db.con.execute(
        f"SELECT * FROM flows WHERE {where} ORDER BY reporter_iso3, partner_iso3, flow, hs, period", params or {}
    ).df()


COMTRADE_LAYOUTS = [
    ("comtrade_api_CHN_2018.json", "comtrade-api-json"),
    ("comtrade_r_CHN_2018.csv", "comtrade-r-csv"),
    ("comtrade_bulk_CHN_2018.txt.gz", "comtrade-bulk"),
]


@pytest.mark.parametrize("name, fmt", COMTRADE_LAYOUTS)
def test_comtrade_layouts_field_by_field(db, fixtures, name, fmt):
    result = db.load(fixtures / name)
    assert result.loc[0, "format"] == fmt
    assert result.loc[0, "rows_read"] == 8
    assert result.loc[0, "rows_breakdown"] == 1  # the by-land row is kept, apart
    f = flows(db)
    assert len(f) == 7  # totals only: the breakdown never enters the flows

    diesel = f[(f.hs == "271019")].iloc[0]
    assert diesel.source == "comtrade"
    assert diesel.kind == "reported"
    assert (diesel.freq, diesel.period, diesel.year) == ("A", "2018", 2018)
    assert str(diesel.period_start.date()) == "2018-01-01" and str(diesel.period_end.date()) == "2018-12-31"
    assert (diesel.reporter_iso3, diesel.reporter_code) == ("CHN", "156")
    assert (diesel.partner_iso3, diesel.partner_code, diesel.partner_is_country) == ("PRK", "408", True)
    assert diesel.flow == "export"
    assert (diesel.classification, diesel.hs_level) == ("H5", "6")
    assert diesel.value == 20_000_000.0 and diesel.currency == "USD" and diesel.valuation == "FOB"
    assert diesel.net_weight_kg == 25_000_000.0
    assert (diesel.quantity, diesel.quantity_unit) == (25_000_000.0, "kg")
    assert diesel.source_row >= 1

    shrimp = f[(f.hs == "030617")].iloc[0]
    assert shrimp.flow == "import" and shrimp.valuation == "CIF" and shrimp.hs_level == "6"

    total = f[(f.hs == "TOTAL") & (f.partner_iso3 == "PRK") & (f.flow == "export")].iloc[0]
    assert total.hs_level == "TOTAL" and total.value == 2_218_000_000.0
    assert pd_isna(total.net_weight_kg) and pd_isna(total.quantity_unit)

    world = f[f.partner_iso3 == "WLD"].iloc[0]
    assert world.partner_code == "0" and not world.partner_is_country

    crude = f[f.hs == "2709"].iloc[0]
    assert crude.partner_iso3 == "USA" and crude.partner_code == "842"
    assert pd_isna(crude.net_weight_kg)  # Comtrade's 0 weight on a valued row = not available

    breakdown = db.con.execute("SELECT breakdown, value FROM breakdowns").fetchall()
    assert breakdown == [("mot=3000", 4_000_000.0)]


def pd_isna(v):
    import pandas as pd

    return pd.isna(v)


def test_comtrade_api_csv_monthly(db, fixtures):
    result = db.load(fixtures / "comtrade_api_CHN_2018_monthly.csv")
    assert result.loc[0, "format"] == "comtrade-api-csv"
    f = flows(db)
    assert list(f.period) == ["2018-01", "2018-02", "2018-03"]
    assert set(f.freq) == {"M"} and list(f.month) == [1, 2, 3]
    assert str(f.period_end.iloc[1].date()) == "2018-02-28"
    assert list(f.value) == [2_001_000.0, 2_002_000.0, 2_003_000.0]


def test_bulk_spellings_of_cif_all_accepted(db, fixtures, tmp_path):
    # Bulk files spell the CIF/FOB columns CIFValue, cifValue or cifvalue depending on the channel.
    with gzip.open(fixtures / "comtrade_bulk_CHN_2018.txt.gz", "rt") as fh:
        text = fh.read()
    text = text.replace("CIFValue", "cifValue").replace("FOBValue", "fobvalue")
    path = tmp_path / "bulk_other_spelling.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    db.load(path)
    shrimp = flows(db, "hs = '030617'").iloc[0]
    assert shrimp.valuation == "CIF" and shrimp.value == 1_500_000.0


def test_real_comtrade_samples(db):
    # The real API reply and the real comtradr file from ../shared load without a reject.
    db.load(SHARED / "formats/comtrade_api/final_data_CHN_2010_TOTAL.json")
    db.load(SHARED / "formats/comtrade_r/THA_shrimp_exports_2007_2011.csv")
    db.load(SHARED / "formats/comtrade_r/EU27_imports_from_PRK_HS44-49_94_2018_2022_9cols.csv")
    f = flows(db, "reporter_iso3 = 'CHN' AND partner_iso3 = 'DEU' AND flow = 'import'")
    assert f.value.tolist() == [74251272075.0]
    tha = flows(db, "reporter_iso3 = 'THA' AND partner_iso3 = 'PRK'")
    assert len(tha) == 6 and set(tha.hs) == {"030613", "030623", "160520"}
    # The 9-column user extract names countries by ISO3 only and flows by description.
    eu = flows(db, "partner_iso3 = 'PRK' AND reporter_iso3 = 'BEL' AND hs = '49' AND year = 2021")
    assert eu.flow.tolist() == ["import"] and eu.value.tolist() == [6235.679]


def test_legacy_long_layout(db, fixtures):
    result = db.load(fixtures / "comtrade_legacy_CHN_2012.csv")
    assert result.loc[0, "format"] == "comtrade-legacy"
    f = flows(db)
    crude = f[f.hs == "2709"].iloc[0]
    assert (crude.flow, crude.value, crude.net_weight_kg, crude.classification) == ("export", 424_000_000.0,
                                                                                    523_041_000.0, "H3")
    assert f[f.hs == "27"].flow.tolist() == ["import"]
    assert f[f.hs == "85"].flow.tolist() == ["re-export"]  # legacy flow code 3


def test_legacy_short_layout(db, fixtures):
    result = db.load(fixtures / "comtrade_legacy_short_IND_2010.csv")
    assert result.loc[0, "format"] == "comtrade-legacy-short"
    f = flows(db)
    assert set(f.reporter_iso3) == {"IND"} and set(f.reporter_code) == {"699"}
    shrimp = f[f.hs == "030613"].iloc[0]
    assert (shrimp.flow, shrimp.value, shrimp.net_weight_kg) == ("export", 96000.0, 12000.0)
    assert f[f.hs == "84"].flow.tolist() == ["re-import"]  # legacy flow code 4
    # The real 400-row India-China sample loads whole.
    db.load(SHARED / "formats/legacy/IND_CHN_2010_H3_short_layout.csv")
    assert db.con.execute("SELECT count(*) FROM flows WHERE load_id = 2").fetchall()[0][0] == 400


def test_baci_with_code_files(db, fixtures):
    result = db.load(fixtures / "baci" / "BACI_HS92_Y2021_V202301.csv")
    assert result.loc[0, "format"] == "baci" and result.loc[0, "release"] == "V202301"
    f = flows(db)
    horses = f[f.hs == "010111"].iloc[0]  # written 10111 in the file: leading zero restored
    assert (horses.reporter_iso3, horses.partner_iso3, horses.flow) == ("CHN", "PRK", "export")
    assert horses.value == pytest.approx(12_500.0) and horses.net_weight_kg == pytest.approx(3_200.0)
    assert (horses.kind, horses.valuation, horses.classification, horses.source) == ("estimated", "FOB", "H0", "baci")
    taiwan = f[f.hs == "030613"].iloc[0]
    assert taiwan.reporter_iso3 == "TWN" and taiwan.reporter_code == "490" and pd_isna(taiwan.net_weight_kg)
    car = f[f.hs == "870323"].iloc[0]
    assert car.value == pytest.approx(150_000_250.0) and car.partner_iso3 == "KOR"


def test_baci_product_not_in_its_product_file_is_refused(db, fixtures, tmp_path):
    for f in (fixtures / "baci").iterdir():
        shutil.copy(f, tmp_path / f.name)
    data = tmp_path / "BACI_HS92_Y2021_V202301.csv"
    data.write_text(data.read_text() + "2021,156,408,999999,1.0,1.0\n")
    with pytest.raises(LoadError, match=r"line 6.*999999.*not in the BACI product file"):
        db.load(data)


def test_generic_csv_with_mapping(db, fixtures):
    result = db.load(fixtures / "gacc_monthly_2017.csv", format="csv", mapping=fixtures / "gacc.toml",
                     release="2017-03")
    assert result.loc[0, "source"] == "gacc"
    f = flows(db)
    assert len(f) == 4
    coal = f[(f.hs == "2701") & (f.period == "2017-01")].iloc[0]
    assert (coal.reporter_iso3, coal.partner_iso3, coal.flow, coal.freq) == ("CHN", "PRK", "import", "M")
    assert coal.value == 120_000_000.0 and coal.net_weight_kg == 1_400_000_000.0  # thousands, tonnes
    assert coal.publisher == "China, General Administration of Customs" and coal.classification == "H5"
    # Partners given by name, ISO3 and Comtrade code all resolve.
    assert set(f.partner_iso3) == {"PRK"}


def test_un1718_committee_table(db, fixtures):
    result = db.load(fixtures / "un1718_notifications.csv")
    assert result.loc[0, "format"] == "un1718"
    f = flows(db)
    assert len(f) == 4 and set(f.kind) == {"notified"} and set(f.hs) == {"2710"}
    jan_cn = f[(f.reporter_iso3 == "CHN") & (f.period == "2018-01")].iloc[0]
    assert jan_cn.net_weight_kg == pytest.approx(569_800.0) and pd_isna(jan_cn.quantity)
    jan_ru = f[(f.reporter_iso3 == "RUS")].iloc[0]
    assert (jan_ru.quantity, jan_ru.quantity_unit) == (2470.5, "bbl")
    feb = f[(f.reporter_iso3 == "CHN") & (f.period == "2018-02")].iloc[0]
    assert feb.net_weight_kg == pytest.approx(1_253_200.0)  # "1,253.2" with a thousands comma


def test_public_record_format(db, fixtures):
    result = db.load(fixtures / "public_record_sample.csv")
    assert result.loc[0, "format"] == "public-record"
    assert result.loc[0, "rows_apart"] == 1  # the share (percent) is kept apart
    f = flows(db)
    crude = f[f.hs == "2709"].iloc[0]
    assert (crude.kind, crude.flow, crude.freq, crude.net_weight_kg) == ("reported", "export", "A", 523_041_000.0)
    assert crude.publisher == "Reuters citing China GACC" and crude.source_url == "https://example.org/a"
    assert crude.quote == "China exported 523,041 tonnes of crude"
    diesel = f[f["product"] == "diesel"].iloc[0]
    assert (diesel.hs, diesel.hs_level, diesel.freq, diesel.month) == ("271019", "6", "M", 2)
    notified = f[(f.kind == "notified") & (f.reporter_iso3 == "CHN")].iloc[0]
    assert (notified.freq, notified.period, notified.month) == ("YTD", "2018-01..10", 10)
    assert str(notified.period_end.date()) == "2018-10-31"
    kotra = f[f.series_id == "S5_KOTRA_PRK_CHN_T"].iloc[0]
    assert (kotra.kind, kotra.flow, kotra.reporter_iso3, kotra.partner_iso3) == ("estimated", "two-way", "PRK", "CHN")
    russia = f[f.reporter_iso3 == "RUS"].iloc[0]
    assert (russia.quantity, russia.quantity_unit) == (277_365.0, "bbl")
    yuan = f[f.currency == "CNY"].iloc[0]
    assert yuan.value == 1_420_000_000.0  # kept in its currency, never converted silently
    apart = db.con.execute("SELECT reason, value, unit FROM apart").fetchall()
    assert apart == [("share of trade (percent)", 95.4, "percent")]


def test_format_override(db, fixtures, tmp_path):
    # A JSON reply saved with a .csv name is still read as what --format says.
    path = tmp_path / "reply.txt"
    shutil.copy(fixtures / "comtrade_api_CHN_2018.json", path)
    assert db.load(path, format="comtrade-api-json").loc[0, "rows_read"] == 8


def test_baci_without_its_code_files_maps_through_comtrade_codes(db, fixtures, tmp_path):
    data = tmp_path / "BACI_HS92_Y2021_V202401.csv"
    shutil.copy(fixtures / "baci" / "BACI_HS92_Y2021_V202301.csv", data)
    result = db.load(data)
    assert result.loc[0, "release"] == "V202401"
    f = flows(db)
    assert set(f.classification) == {"H0"}  # HS92 = H0, from the file name
    assert set(f.reporter_iso3) == {"CHN", "TWN", "USA"}  # 490 -> TWN via Comtrade's codes
    # The same rows named HS17 (H5) are refused: 010111 is not an H5 code (horses were split in 2017).
    h5 = tmp_path / "BACI_HS17_Y2021_V202401.csv"
    h5.write_text(data.read_text() + "\n")  # other bytes: the same bytes would be skipped as loaded
    with pytest.raises(LoadError, match=r"line 2, column 'k': value '10111': unknown HS code in H5"):
        db.load(h5)


def test_scan_counts_the_lines_that_hold_rows(tmp_path):
    """Rows and physical lines are compared to decide whether a file needs its lines located one
    by one (multi-line cells, blank lines): blank lines at the very end must not force that."""
    from mirror.ingest import text

    cases = {b"a\n1\n": 2, b"a\n1": 2, b"a\r\n1\r\n\r\n\r\n": 2, b"a\n1\n\n2\n": 4, b'a\n"x\ny"\n': 3}
    for i, (data, lines) in enumerate(cases.items()):
        path = tmp_path / f"f{i}.csv"
        path.write_bytes(data)
        assert text.scan(path).lines == lines, data


def test_canonical_rows_from_parquet_are_the_frames_rows(tmp_path):
    # insert_canonical reads Parquet in DuckDB (no pandas copy): the same figures as the frame gives,
    # the same checks (a bad row is refused, naming it), and the same bytes again are skipped.
    import pandas as pd

    import mirror
    from mirror.load import insert_canonical

    frame = pd.DataFrame({
        "source_row": [1, 2, 3], "freq": "A", "period": "2021", "year": 2021,
        "reporter_iso3": ["CHN", "PRK", "CHN"], "reporter_code": ["156", "408", "156"],
        "partner_iso3": ["PRK", "CHN", "RUS"], "partner_code": ["408", "156", "643"],
        "flow": ["export", "import", "export"], "classification": "H5", "hs": ["270900", "270900", "610910"],
        "hs_level": "6", "value": [1000.0, 1100.0, 55.5], "valuation": ["FOB", "CIF", "FOB"],
        "net_weight_kg": [2000.0, None, 3.0]})
    parquet = tmp_path / "reports_2021.parquet"
    frame.to_parquet(parquet, index=False)
    stores = {}
    for name, rows in (("frame", frame), ("parquet", parquet)):
        with mirror.open(tmp_path / f"{name}.duckdb") as db:
            first = insert_canonical(db, rows, source="comtrade", release="sim", label="panel 2021")
            again = insert_canonical(db, rows, source="comtrade", release="sim", label="panel 2021")
            assert first.status.tolist() == ["loaded"] and again.status.tolist() == ["skipped"]
            stores[name] = (db.con.execute("SELECT * EXCLUDE (load_id, valid_from_load) FROM figures ORDER BY ALL")
                            .fetchall(), db.con.execute("SELECT * FROM coverage_pairs ORDER BY ALL").fetchall())
            assert db.con.execute("SELECT rows_read, rows_new FROM loads").fetchall() == [(3, 3)]
    assert stores["parquet"] == stores["frame"] and len(stores["frame"][0]) == 3
    bad = tmp_path / "bad.parquet"
    frame.assign(value=[1000.0, -5.0, 55.5]).to_parquet(bad, index=False)
    with mirror.open(tmp_path / "bad.duckdb") as db, pytest.raises(LoadError) as err:
        insert_canonical(db, [bad], source="comtrade", release="sim", label="bad panel")
    assert "negative value" in str(err.value) and "bad panel" in str(err.value)
