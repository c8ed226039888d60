"""Files as users really hold them: comtradr results saved from R, pandas/Stata/Excel missing
values, Comtrade's special and historical codes, estimation flags.

The R fixtures (tests/fixtures/r_exports/) are the real comtradr file
../shared/data/formats/comtrade_r/THA_exports_to_PRK_shrimp_2007_2009.csv (Thailand's shrimp
exports to the DPRK) as R writes it back:
- THA_PRK_shrimp_readr_write_csv.csv: readr::write_csv: every missing value as NA, logicals as
  TRUE/FALSE, whole numbers without ".0". Line 4 (HS 160520, 2007) has no weight or quantity
  (NA); line 5 (HS 030613, 2008) carries Comtrade's estimated-weight flags (TRUE, legacy flag 2).
- THA_PRK_shrimp_datatable_fwrite.csv: data.table::fwrite: missing values as empty fields.
"""

import csv
import re

import pytest

from mirror import LoadError

from .conftest import SHARED, fingerprint

R_CSV = "r_exports/THA_PRK_shrimp_readr_write_csv.csv"
FWRITE_CSV = "r_exports/THA_PRK_shrimp_datatable_fwrite.csv"
TOKENS = ["NA", "NaN", "nan", "NULL", ".", "", "#N/A"]


def write_rows(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def r_rows(fixtures):
    with open(fixtures / R_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def with_cell(fixtures, tmp_path, line, column, value, name="edited.csv"):
    """The readr fixture with one cell (file line `line`, 2 = first data row) replaced."""
    header, rows = r_rows(fixtures)
    rows[line - 2][header.index(column)] = value
    return write_rows(tmp_path / name, header, rows)


def figures(db):
    return db.con.execute(
        "SELECT year, hs, value, net_weight_kg, quantity, is_net_wgt_estimated, is_qty_estimated, "
        "legacy_estimation_flag FROM flows ORDER BY year, hs").fetchall()


def test_readr_write_csv_export_with_na(db, fixtures):
    result = db.load(fixtures / R_CSV)
    assert result.loc[0, "format"] == "comtrade-r-csv"
    assert (result.loc[0, "rows_read"], result.loc[0, "rows_loaded"], result.loc[0, "rows_rejected"]) == (6, 6, 0)
    assert figures(db) == [
        (2007, "030613", 1700314.0, 323871.0, 323871.0, False, False, 0),
        (2007, "030623", 1435722.0, 209664.0, 209664.0, False, False, 0),
        (2007, "160520", 727294.0, None, None, False, False, 0),  # NA weight and quantity: missing, not 0
        (2008, "030613", 48340.0, 8043.0, 8043.0, True, True, 2),  # Comtrade estimated this weight
        (2008, "160520", 477128.0, 76564.0, 76564.0, False, False, 0),
        (2009, "160520", 428007.0, 60591.0, 60591.0, False, False, 0),
    ]
    # cifvalue is NA on these exports: valuation comes from fobvalue.
    assert {v for (v,) in db.con.execute("SELECT DISTINCT valuation FROM flows").fetchall()} == {"FOB"}


def test_data_table_fwrite_export(db, fixtures):
    result = db.load(fixtures / FWRITE_CSV)
    assert (result.loc[0, "rows_loaded"], result.loc[0, "rows_rejected"]) == (6, 0)
    weights = db.con.execute("SELECT hs, year, net_weight_kg FROM flows ORDER BY year, hs").fetchall()
    assert weights[2] == ("160520", 2007, 109780.0)  # fwrite wrote the real weight here


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("column, field", [("net_wgt", "net_weight_kg"), ("qty", "quantity"),
                                           ("is_net_wgt_estimated", "is_net_wgt_estimated"),
                                           ("legacy_estimation_flag", "legacy_estimation_flag")])
def test_missing_tokens_in_measure_columns_are_missing(db, fixtures, tmp_path, token, column, field):
    path = with_cell(fixtures, tmp_path, 2, column, token)
    assert db.load(path).loc[0, "rows_loaded"] == 6
    got = db.con.execute(f"SELECT {field} FROM flows WHERE year = 2007 AND hs = '030613'").fetchall()
    assert got == [(None,)]


@pytest.mark.parametrize("token", TOKENS)
def test_missing_primary_value_falls_back_to_fob(db, fixtures, tmp_path, token):
    path = with_cell(fixtures, tmp_path, 2, "primary_value", token)
    db.load(path)
    assert db.con.execute("SELECT value FROM flows WHERE year = 2007 AND hs = '030613'").fetchall() == [(1700314.0,)]


@pytest.mark.parametrize("token", [t for t in TOKENS if t])
@pytest.mark.parametrize("column, label", [("partner_code", "partner"), ("reporter_code", "reporter"),
                                           ("flow_code", "trade flow"), ("cmd_code", "commodity code"),
                                           ("ref_year", "period")])
def test_missing_token_in_an_identifying_column_is_an_error(db, fixtures, tmp_path, token, column, label):
    path = with_cell(fixtures, tmp_path, 3, column, token)
    if column == "ref_year":  # the period column says 2007 too: both are gone
        path = with_cell(fixtures, tmp_path, 3, "period", token)
        header, rows = r_rows(fixtures)
        rows[1][header.index("ref_year")] = rows[1][header.index("period")] = token
        path = write_rows(tmp_path / "edited.csv", header, rows)
    before = fingerprint(db)
    with pytest.raises(LoadError) as info:
        db.load(path)
    msg = str(info.value)
    assert "edited.csv, line 3" in msg and f"value '{token}'" in msg
    assert f"a missing-value token where the {label}" in msg and "Fix:" in msg
    assert fingerprint(db) == before


def test_empty_code_with_an_iso_column_uses_the_iso_code(db, fixtures, tmp_path):
    # Extracts without codes name countries by ISO: an empty partner code is not a missing partner.
    path = with_cell(fixtures, tmp_path, 3, "partner_code", "")
    db.load(path)
    assert db.con.execute("SELECT DISTINCT partner_iso3 FROM flows").fetchall() == [("PRK",)]


def test_bad_estimation_flag_is_an_error(db, fixtures, tmp_path):
    path = with_cell(fixtures, tmp_path, 4, "is_net_wgt_estimated", "maybe")
    with pytest.raises(LoadError, match=r"line 4.*isNetWgtEstimated maybe is not true/false.*Fix: write estimation flags"):
        db.load(path)


def test_estimation_flags_from_the_api_json(db):
    # The real API reply: flags as JSON booleans, legacyEstimationFlag a number.
    db.load(SHARED / "formats/comtrade_api/final_data_CHN_2010_TOTAL.json")
    rows = db.con.execute("SELECT DISTINCT is_net_wgt_estimated IS NOT NULL, is_qty_estimated IS NOT NULL, "
                          "legacy_estimation_flag IS NOT NULL FROM flows").fetchall()
    assert rows == [(True, True, True)]


def test_flags_are_not_part_of_the_figure_key(db, fixtures, tmp_path):
    db.load(fixtures / R_CSV, release="r1")
    # The next release says the 2008 weight was measured after all: the same figure, revised.
    path = with_cell(fixtures, tmp_path, 5, "is_net_wgt_estimated", "FALSE", name="release2.csv")
    result = db.load(path, release="r2")
    assert (result.loc[0, "rows_new"], result.loc[0, "rows_revised"], result.loc[0, "rows_unchanged"]) == (0, 1, 5)
    assert db.con.execute("SELECT is_net_wgt_estimated FROM flows WHERE year = 2008 AND hs = '030613'").fetchall() == [
        (False,)]


def test_pandas_stata_excel_tokens_in_a_mapped_csv(db, fixtures, tmp_path):
    # A customs table saved by pandas (nan), Stata (.) and Excel (#N/A): missing weights and values.
    path = write_rows(tmp_path / "gacc.csv", ["Month", "Partner", "Direction", "HS", "Value (thousand USD)", "Weight (t)"], [
        ["2017-01", "North Korea", "Import", "2701", "120000", "nan"],
        ["2017-02", "North Korea", "Import", "2601", "#N/A", "1400"],
        ["2017-03", "North Korea", "Import", "2701", "5000", "."],
        ["2017-04", "North Korea", "Import", "2701", "NULL", "NaN"],
    ])
    with pytest.raises(LoadError, match=r"line 5.*no value, weight or quantity"):
        db.load(path, format="csv", mapping=fixtures / "gacc.toml")
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    db.load(path, format="csv", mapping=fixtures / "gacc.toml")
    assert db.con.execute("SELECT period, value, net_weight_kg FROM flows ORDER BY period").fetchall() == [
        ("2017-01", 120_000_000.0, None), ("2017-02", None, 1_400_000.0), ("2017-03", 5_000_000.0, None)]


def test_token_as_a_partner_in_a_mapped_csv_is_an_error(db, fixtures, tmp_path):
    path = write_rows(tmp_path / "gacc.csv", ["Month", "Partner", "Direction", "HS", "Value (thousand USD)", "Weight (t)"],
                      [["2017-01", "#N/A", "Import", "2701", "120000", "1"]])
    with pytest.raises(LoadError, match=r"line 2, column 'Partner': value '#N/A': a missing-value token where the partner"):
        db.load(path, format="csv", mapping=fixtures / "gacc.toml")


def test_namibia_is_not_missing(db, fixtures, tmp_path):
    # ISO2 NA is Namibia: in a country column it is a code, never a missing value.
    path = write_rows(tmp_path / "gacc.csv", ["Month", "Partner", "Direction", "HS", "Value (thousand USD)", "Weight (t)"],
                      [["2017-01", "NA", "Export", "0306", "12", "NA"]])
    db.load(path, format="csv", mapping=fixtures / "gacc.toml")
    assert db.con.execute("SELECT partner_iso3, net_weight_kg FROM flows").fetchall() == [("NAM", None)]


def test_tokens_in_public_record_and_un1718(db, fixtures, tmp_path):
    lines = (fixtures / "un1718_notifications.csv").read_text().splitlines()
    assert lines[1] == "China,January 2018,569.8,"
    lines[1] = "China,January 2018,569.8,NA"
    (tmp_path / "un1718.csv").write_text("\n".join(lines) + "\n")
    db.load(tmp_path / "un1718.csv")
    assert db.con.execute("SELECT net_weight_kg, quantity FROM flows WHERE reporter_iso3 = 'CHN' "
                          "AND period = '2018-01'").fetchall() == [(569_800.0, None)]


@pytest.mark.parametrize("token", ["NA", "NaN", "NULL", "#N/A"])
def test_tokens_in_the_bulk_and_json_readers(db, fixtures, tmp_path, token):
    # The bulk TSV and the API JSON with a token as the weight of China's 271019 exports, and as the
    # partner of the same row (an error naming it).
    import gzip
    import json

    lines = gzip.decompress((fixtures / "comtrade_bulk_CHN_2018.txt.gz").read_bytes()).decode().splitlines()
    header = lines[0].split("\t")
    idx = next(i for i, line in enumerate(lines) if line.split("\t")[header.index("cmdCode")] == "271019")
    cells = lines[idx].split("\t")
    cells[header.index("netWgt")] = token
    lines[idx] = "\t".join(cells)
    (tmp_path / "bulk.txt.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    db.load(tmp_path / "bulk.txt.gz")
    assert db.con.execute("SELECT value, net_weight_kg FROM flows WHERE hs = '271019'").fetchall() == [
        (20_000_000.0, None)]

    reply = json.loads((fixtures / "comtrade_api_CHN_2018.json").read_text())
    record = next(r for r in reply["data"] if r["cmdCode"] == "271019")
    record["netWgt"], record["partnerCode"], record["partnerISO"] = token, token, token
    (tmp_path / "reply.json").write_text(json.dumps(reply))
    with pytest.raises(LoadError, match=rf"record \d+, column 'partnerCode/partnerISO': value '{re.escape(token)}': "
                                        r"a missing-value token where the partner must be named"):
        db.load(tmp_path / "reply.json")


@pytest.mark.parametrize("token", ["NA", "nan", "."])
def test_tokens_in_baci_value_and_public_record(db, fixtures, tmp_path, token):
    for f in (fixtures / "baci").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    data = tmp_path / "BACI_HS92_Y2021_V202301.csv"
    data.write_text(data.read_text().replace("2021,156,408,271019,2500.0,4000", f"2021,156,408,271019,{token},4000"))
    db.load(data)
    assert db.con.execute("SELECT value, net_weight_kg FROM flows WHERE hs = '271019'").fetchall() == [
        (None, 4_000_000.0)]
    # A cited figure whose value is a token has no figure at all: refused, naming the line.
    lines = (fixtures / "public_record_sample.csv").read_text().splitlines()
    lines[1] = lines[1].replace(",523041,", f",{token},")
    (tmp_path / "record.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(LoadError, match=r"record.csv, line 2.*no value, weight or quantity on the row"):
        db.load(tmp_path / "record.csv")
