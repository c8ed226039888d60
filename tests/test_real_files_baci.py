"""BACI as users hold it: CEPII's real code files (../shared/data/formats/baci) saved in Latin-1
beside a year file, a year saved again by pandas with its index column, no version or revision in
the data file's name, and CEPII's quoted, space-padded quantities."""

import shutil

import pytest

from mirror import LoadError

from .conftest import SHARED, fingerprint

REAL = SHARED / "formats" / "baci"
ROWS = [  # t, i, j, k, v, q as CEPII writes them: q quoted and padded, NA where it has no quantity
    '2021,156,408,10111,12.5,"      3.200"',
    '2021,531,408,270900,2500.0,"   4000.000"',  # 531 Curaçao: the name with a non-ASCII letter
    '2021,652,408,30613,0.8,NA',  # 652 Saint Barthélemy
    '2021,842,410,870323,150000.25,"   9000.500"',
]


def code_files(folder, encoding="utf-8", version="V202301"):
    """CEPII's real country and product code files, re-encoded as a user's copy may be."""
    text = (REAL / "baci_country_codes_V202301.csv").read_text(encoding="utf-8")
    (folder / f"country_codes_{version}.csv").write_bytes(text.encode(encoding))
    shutil.copy(REAL / "baci_product_codes_HS92_V202301.csv", folder / f"product_codes_HS92_{version}.csv")


def baci_file(path, rows=ROWS, index=None):
    lines = ["t,i,j,k,v,q", *rows]
    if index is not None:  # pandas' DataFrame.to_csv with its index: a leading unnamed column
        lines = [f"{index},{lines[0]}"] + [f"{n},{r}" for n, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def loaded(db):
    return db.con.execute("SELECT reporter_iso3, partner_iso3, hs, value, net_weight_kg, classification, release "
                          "FROM flows ORDER BY hs").fetchall()


EXPECTED = [
    ("CHN", "PRK", "010111", 12_500.0, 3_200.0, "H0", "V202301"),
    ("BLM", "PRK", "030613", 800.0, None, "H0", "V202301"),
    ("CUW", "PRK", "270900", 2_500_000.0, 4_000_000.0, "H0", "V202301"),
    ("USA", "KOR", "870323", 150_000_250.0, 9_000_500.0, "H0", "V202301"),
]


def test_latin1_code_files_detected_and_said(db, tmp_path):
    code_files(tmp_path, "latin-1")
    result = db.load(baci_file(tmp_path / "BACI_HS92_Y2021_V202301.csv"))
    assert loaded(db) == EXPECTED
    note = result.loc[0, "note"]
    assert "country_codes_V202301.csv is not UTF-8 (byte 0xe7 on line" in note and "Cura" in note
    assert "read it as Latin-1" in note and "--encoding latin-1" in note


def test_encoding_option_applies_to_the_code_files(db, tmp_path):
    code_files(tmp_path, "latin-1")
    result = db.load(baci_file(tmp_path / "BACI_HS92_Y2021_V202301.csv"), encoding="latin-1")
    assert loaded(db) == EXPECTED and result.loc[0, "note"] == ""
    options = db.con.execute("SELECT options FROM loads").fetchall()[0][0]
    assert '"encoding": "latin-1"' in options


def test_utf8_code_files_need_no_note(db, tmp_path):
    code_files(tmp_path, "utf-8")
    result = db.load(baci_file(tmp_path / "BACI_HS92_Y2021_V202301.csv"))
    assert loaded(db) == EXPECTED and result.loc[0, "note"] == ""


@pytest.mark.parametrize("index", ["", "Unnamed: 0"])
def test_pandas_index_column_and_versions_from_the_code_files(db, tmp_path, index):
    # A year read into pandas and saved again (to_csv keeps the index) under a name of the user's
    # own: format, revision (HS92 = H0) and version (V202301) come from the files beside it.
    code_files(tmp_path)
    path = baci_file(tmp_path / "baci_2021.csv", index=index)
    assert path.read_text().splitlines()[0] == f"{index},t,i,j,k,v,q"
    result = db.load(path)
    assert result.loc[0, "format"] == "baci" and result.loc[0, "release"] == "V202301"
    assert loaded(db) == EXPECTED


def test_several_versions_beside_an_unversioned_file(db, tmp_path):
    code_files(tmp_path, version="V202301")
    code_files(tmp_path, version="V202401")
    path = baci_file(tmp_path / "baci_2021.csv")
    before = fingerprint(db)
    with pytest.raises(LoadError, match=r"several BACI versions of the country code file.*V202301.*V202401"):
        db.load(path, format="baci")
    assert fingerprint(db) == before


def test_bad_quantity_still_refused(db, tmp_path):
    code_files(tmp_path)
    rows = [*ROWS[:3], '2021,842,410,870323,150000.25,"   9,000.5"']
    with pytest.raises(LoadError, match=r"line 5, column 'q': value '9,000.5': a number written with a comma"):
        db.load(baci_file(tmp_path / "BACI_HS92_Y2021_V202301.csv", rows))


def test_the_cli_shows_the_detected_encoding(cli, tmp_path):
    code_files(tmp_path, "latin-1")
    path = baci_file(tmp_path / "BACI_HS92_Y2021_V202301.csv")
    code, out, err = cli("load", path, "--db", tmp_path / "s.duckdb", "--json")
    assert code == 0, err
    assert "country_codes_V202301.csv is not UTF-8" in out and "--encoding latin-1" in out
    code, out, err = cli("load", path, "--db", tmp_path / "t.duckdb", "--encoding", "latin-1", "--json")
    assert code == 0, err
    assert "not UTF-8" not in out
