"""Country arguments as people type them, and suggestions for misspelt ones."""

import json

import pytest

import mirror
from mirror.countries import resolve
from mirror.errors import UnknownCountryError

from .helpers import load_rows, row


@pytest.mark.parametrize("text, iso3", [
    ("PRK", "PRK"), ("prk", "PRK"), ("KP", "PRK"), ("408", "PRK"), ("DPRK", "PRK"), ("North Korea", "PRK"),
    ("Korea, Dem. People's Rep.", "PRK"),  # World Bank
    ("Korea, Dem. People\u2019s Rep.", "PRK"),  # typographic apostrophe, as pasted from a PDF
    ("Dem. People's Rep. of Korea", "PRK"),  # Comtrade
    ("Democratic People's Republic of Korea", "PRK"),  # UN
    ("  north   korea ", "PRK"),
    ("Korea, Rep.", "KOR"), ("South Korea", "KOR"), ("KR", "KOR"),
    ("Türkiye", "TUR"), ("Turkiye", "TUR"), ("Turkey", "TUR"), ("TR", "TUR"), ("792", "TUR"),
    ("Côte d'Ivoire", "CIV"), ("Côte d\u2019Ivoire", "CIV"), ("Cote d'Ivoire", "CIV"), ("Ivory Coast", "CIV"),
    ("842", "USA"), ("840", "USA"), ("US", "USA"), ("United States", "USA"),
    ("490", "TWN"), ("S19", "TWN"), ("Other Asia, nes", "TWN"),
    ("381", "ITA"), ("Italy", "ITA"),
    ("USSR", "SUN"), ("Soviet Union", "SUN"), ("810", "SUN"), ("Russia", "RUS"), ("643", "RUS"),
    ("Yugoslavia", "YUG"), ("890", "YUG"), ("Czechoslovakia", "CSK"), ("200", "CSK"),
    ("Sudan", "SDN"), ("736", "SDN"), ("729", "SDN"), ("South Sudan", "SSD"), ("728", "SSD"),
    ("NA", "NAM"), ("Namibia", "NAM"),  # Namibia's ISO2 is a country, not a missing value
    ("World", "WLD"), ("0", "WLD"), ("W00", "WLD"),
])
def test_resolve(db, text, iso3):
    assert resolve(db.con, text) == iso3


@pytest.mark.parametrize("text, first", [("Nroth Korea", "North Korea (PRK)"), ("Turky", "Türkiye (TUR)"),
                                         ("Cote dIvoire", "Côte d\u2019Ivoire (CIV)"), ("Dem Peoples Rep Korea", None)])
def test_suggestions_each_country_once_correctly_capitalised(db, text, first):
    with pytest.raises(UnknownCountryError) as info:
        resolve(db.con, text)
    suggestions = info.value.suggestions
    isos = [s.rsplit("(", 1)[1] for s in suggestions]
    assert len(isos) == len(set(isos)), suggestions  # each country once
    if first:
        assert suggestions[0] == first
    assert "North Korea (PRK)" in suggestions or text != "Dem Peoples Rep Korea"
    msg = str(info.value)
    assert "People'S" not in msg and "Of Korea" not in msg  # no str.title() capitalisation


def test_mirror_command_with_dprk_and_kp(cli, tmp_path):
    path = tmp_path / "pairs.duckdb"
    with mirror.open(path) as db:
        load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106)])
    outs = []
    for name in ("DPRK", "KP", "Korea, Dem. People's Rep."):
        code, out, err = cli("mirror", "--importer", name, "--exporter", "CN", "--level", "4", "--json", "--db", path)
        assert code == 0, err
        rows = json.loads(out)
        assert [(r["exporter"], r["importer"], r["hs"]) for r in rows] == [("CHN", "PRK", "2709")]
        outs.append(out)
    assert outs[0] == outs[1] == outs[2]
    code, _, err = cli("mirror", "--importer", "Nroth Korea", "--db", path)
    assert code == 2 and err.count("North Korea (PRK)") == 1 and "People'S" not in err


def test_public_country_queries(db):
    # The query catalog's own country look-ups (trade-mirror query country_key -p key DPRK).
    assert db.query("country_key", key="DPRK").iso3.tolist() == ["PRK"]
    keys = db.query("country_keys").key.tolist()
    assert {"DPRK", "KP", "S19", "381", "TURKEY", "COTE D'IVOIRE"} <= set(keys)
