"""Bad input: every case gives an error that names the file, the line or field, the value and a
fix, exits non-zero from the CLI, and leaves the store exactly as it was."""

import shutil

import pytest

from mirror import LoadError

from .conftest import SHARED, fingerprint

API_CSV = "comtrade_api_CHN_2018_monthly.csv"


def edit_csv(fixtures, tmp_path, name, line_no, old, new, out_name=None):
    """Copy a fixture, replacing `old` by `new` on one line (1-based)."""
    lines = (fixtures / name).read_text().splitlines(keepends=True)
    assert old in lines[line_no - 1], (old, lines[line_no - 1])
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    path = tmp_path / (out_name or name)
    path.write_text("".join(lines))
    return path


@pytest.fixture
def loaded(db, fixtures):
    """A store that already holds data, so that 'unchanged' means something."""
    db.load(fixtures / "public_record_sample.csv")
    return db


def refused(db, path, match, **kwargs):
    before = fingerprint(db)
    with pytest.raises(LoadError, match=match) as info:
        db.load(path, **kwargs)
    assert str(path.name) in str(info.value)
    assert "Fix:" in str(info.value)
    assert fingerprint(db) == before, "a refused load changed the store"
    return str(info.value)


def test_unquoted_commas_in_a_name(loaded, fixtures, tmp_path):
    # The real malformed country list has names like "Africa CAMEU region, nes" without quotes;
    # the same in a legacy Comtrade file's Partner column shifts every later field.
    path = edit_csv(fixtures, tmp_path, "comtrade_legacy_CHN_2012.csv", 3,
                    "Dem. People's Rep. of Korea", "Africa CAMEU region, nes")
    msg = refused(loaded, path, r"line 3.*36 fields but the header has 35")
    assert "Africa CAMEU region, nes" in msg and "double quotes" in msg


def test_the_real_malformed_sample(loaded, tmp_path):
    # ../shared's real file, read as a generic CSV: line 3 is the first with an unquoted comma.
    mapping = tmp_path / "m.toml"
    mapping.write_text('source = "x"\n[columns]\npartner = "ISO3-digit Alpha"\nyear = "Start Valid Year"\n'
                       'value = "Country Code"\n[constants]\nreporter = "CHN"\nflow = "export"\nhs = "TOTAL"\n')
    path = tmp_path / "country_list.csv"
    shutil.copy(SHARED / "formats/legacy/country_list_2012_unquoted_commas_MALFORMED.csv", path)
    msg = refused(loaded, path, r"line 3.*12 fields but the header has 9", format="csv", mapping=mapping)
    assert "Africa CAMEU region, nes" in msg


def test_missing_column(loaded, fixtures, tmp_path):
    text = (fixtures / API_CSV).read_text().replace("primaryValue", "tradeAmount").replace("cifvalue", "c1").replace("fobvalue", "f1")
    path = tmp_path / API_CSV
    path.write_text(text)
    refused(loaded, path, r"line 1, column 'primaryValue or cifvalue or fobvalue'.*required column missing")


def test_renamed_column_is_named_with_its_likely_new_name(loaded, fixtures, tmp_path):
    text = (fixtures / API_CSV).read_text().replace("cmdCode", "cmdCde")
    path = tmp_path / API_CSV
    path.write_text(text)
    refused(loaded, path, r"required column missing.*The file has 'cmdCde'")


def test_non_numeric_value(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 3, "2002000.0,0,True", "2.002e6x,0,True")
    refused(loaded, path, r"line 3, column 'primaryValue/cifvalue/fobvalue': value '2.002e6x': not a number")


def test_negative_value(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 4, ",2003000.0,2003000.0,", ",2003000.0,-2003000.0,")
    refused(loaded, path, r"line 4, column 'primaryValue.*value '-2003000.0': negative value")


def test_negative_weight(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 2, "3000001.0,False,,False", "-3000001.0,False,,False")
    refused(loaded, path, r"line 2, column 'netWgt': value '-3000001.0': negative weight")


def test_unknown_country_code(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 2, ",X,Export,408,", ",X,Export,999,")
    refused(loaded, path, r"line 2, column 'partnerCode/partnerISO': value '999': unknown partner code")


def test_unknown_hs_code(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 3, ",2710,", ",2799,")
    refused(loaded, path, r"line 3, column 'cmdCode': value '2799': unknown HS code in H5")


def test_hs_code_longer_than_six_digits(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 3, ",2710,", ",27101943,")
    refused(loaded, path, r"line 3.*'27101943'.*not an HS code at 2, 4 or 6 digits")


def test_empty_file(loaded, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    refused(loaded, path, r"empty.csv, line 1: the file is empty")


def test_header_only_file(loaded, fixtures, tmp_path):
    path = tmp_path / API_CSV
    path.write_text((fixtures / API_CSV).read_text().splitlines()[0] + "\n")
    refused(loaded, path, r"line 2: the file has a header but no data rows")


def test_api_reply_with_count_zero(loaded):
    path = SHARED / "formats/comtrade_api/empty_result.json"
    refused(loaded, path, r"column 'count': value '0': the reply holds no data")


def test_api_reply_with_an_error(loaded, tmp_path):
    path = tmp_path / "error.json"
    path.write_text('{"elapsedTime":"0.1 secs","count":0,"data":[],"error":"Invalid period: 2099"}')
    refused(loaded, path, r"value 'Invalid period: 2099': the Comtrade API answered with an error")


def test_duplicate_rows(loaded, fixtures, tmp_path):
    lines = (fixtures / API_CSV).read_text().splitlines(keepends=True)
    path = tmp_path / API_CSV
    path.write_text("".join(lines + [lines[2]]))
    refused(loaded, path, r"line 5: duplicate of line 3")


def test_latin1_file_is_named_and_loads_with_encoding(loaded, fixtures, tmp_path):
    text = (fixtures / "public_record_sample.csv").read_text().replace("Reuters citing China GACC",
                                                                       '"Agence France-Presse, Séoul"')
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    msg = refused(loaded, path, r"latin1.csv, line 2.*byte 0xe9 is not UTF-8")
    assert "--encoding latin-1" in msg
    loaded.load(path, encoding="latin-1", source="record-copy")
    got = loaded.con.execute("SELECT DISTINCT publisher FROM flows WHERE source = 'record-copy' AND hs = '2709'").fetchall()
    assert got == [("Agence France-Presse, Séoul",)]


def test_file_that_is_not_the_format_it_claims(loaded, fixtures, tmp_path):
    refused(loaded, fixtures / API_CSV, r"column 't'.*required column missing for format baci", format="baci")
    refused(loaded, fixtures / API_CSV, r"not a Comtrade API reply", format="comtrade-api-json")


def test_unknown_format_is_refused_with_the_list(loaded, fixtures, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    refused(loaded, path, r"cannot tell which format.*--format \(comtrade-api-json")


def test_one_bad_file_fails_the_whole_call(loaded, fixtures, tmp_path):
    bad = edit_csv(fixtures, tmp_path, API_CSV, 2, ",X,Export,408,", ",X,Export,999,")
    before = fingerprint(loaded)
    with pytest.raises(LoadError):
        loaded.load([fixtures / "comtrade_api_CHN_2018.json", bad])
    assert fingerprint(loaded) == before  # the good first file is not half-loaded either


def test_allow_rejects_keeps_and_counts_refused_rows(loaded, fixtures, tmp_path):
    path = edit_csv(fixtures, tmp_path, API_CSV, 2, ",X,Export,408,", ",X,Export,999,")
    result = loaded.load(path, allow_rejects=True)
    assert (result.loc[0, "rows_read"], result.loc[0, "rows_loaded"], result.loc[0, "rows_rejected"]) == (3, 2, 1)
    rejects = loaded.query("rejected_rows", load_id=int(result.loc[0, "load_id"]))
    assert rejects[["line", "column_name", "value", "reason"]].values.tolist() == [[2, "partner", "999", "unknown partner code"]]


def test_cli_exit_code_and_message(cli, fixtures, tmp_path):
    bad = edit_csv(fixtures, tmp_path, API_CSV, 2, ",X,Export,408,", ",X,Export,999,")
    code, out, err = cli("load", bad, "--db", tmp_path / "s.duckdb")
    assert code == 4
    assert "line 2" in err and "999" in err and "Fix:" in err and "Traceback" not in err
    code, out, err = cli("status", "--json", "--db", tmp_path / "s.duckdb")
    assert code == 0 and '"rows": 0' in out


def test_unquoted_comma_with_an_empty_last_field_is_not_shifted(loaded, fixtures, tmp_path):
    # DuckDB's reader quietly drops one extra empty trailing field; the line must still be refused.
    text = (fixtures / "public_record_sample.csv").read_text().replace("Reuters citing China GACC",
                                                                       "Agence France-Presse, Paris")
    path = tmp_path / "shifted.csv"
    path.write_text(text)
    refused(loaded, path, r"line 2.*13 fields but the header has 12")
