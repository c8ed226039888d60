"""Sums to a coarser level: straight from HS6 where nothing is published between (BACI's layout),
through HS4 and HS2 otherwise - the same flows, values, weights, sources and labels either way."""

import pandas as pd
import pytest

from .helpers import load_rows, row

HS6_ONLY = [row("CHN", "PRK", "X", "270900", 100, kg=10), row("CHN", "PRK", "X", "271019", 50, kg=5),
            row("CHN", "PRK", "X", "850440", 30),  # no weight: the sum has none
            row("PRK", "CHN", "M", "270900", 110, kg=11), row("PRK", "CHN", "M", "271019", 52, kg=6),
            row("RUS", "PRK", "X", "271019", 7, kg=1), row("PRK", "RUS", "M", "271020", 8, kg=1),
            # a TOTAL the reporter published itself is used as published, never its HS6 summed
            row("JPN", "KOR", "X", "870323", 40), row("JPN", "KOR", "X", "TOTAL", 1000),
            row("KOR", "JPN", "M", "870323", 45)]
# at HS2, a code published at HS2 likewise (at TOTAL it is a level between: the chain)
AT_LEVEL = {"TOTAL": [], "2": [row("KOR", "JPN", "M", "27", 20)]}
COLUMNS = ["year", "exporter", "importer", "hs", "value_exporter_usd", "value_importer_usd", "weight_exporter_kg",
           "weight_importer_kg", "source_exporter", "source_importer", "resolved_exporter", "resolved_importer",
           "figures_considered", "reported_by"]


def built(db, level):
    m = db.mirror(level=level)
    return m[COLUMNS].sort_values(["year", "exporter", "importer", "hs"]).reset_index(drop=True)


@pytest.mark.parametrize("level", ["TOTAL", "2"])
def test_hs6_summed_in_one_step_equals_the_chain_through_every_level(db, tmp_path, level):
    load_rows(db, tmp_path, HS6_ONLY + AT_LEVEL[level])
    load_rows(db, tmp_path, [row("RUS", "PRK", "X", "271019", 9, kg=2)], source="gacc")  # competing: one chosen
    direct = built(db, level)
    # One figure published at HS4 anywhere in the chunk (another pair) sends the build through HS4 and HS2.
    load_rows(db, tmp_path, [row("DEU", "FRA", "X", "8703", 5)], source="other")
    chain = built(db, level)
    chain = chain[chain.exporter != "DEU"].reset_index(drop=True)
    pd.testing.assert_frame_equal(direct, chain, check_exact=False, rtol=1e-12)
    if level == "TOTAL":
        one = direct.set_index(["exporter", "importer"])
        assert one.loc[("CHN", "PRK")].value_exporter_usd == 180 and pd.isna(one.loc[("CHN", "PRK")].weight_exporter_kg)
        assert one.loc[("CHN", "PRK")].value_importer_usd == 162 and one.loc[("CHN", "PRK")].weight_importer_kg == 17
        assert one.loc[("RUS", "PRK")].value_exporter_usd == 7  # comtrade's figure, not 7 + 9
        assert one.loc[("JPN", "KOR")].value_exporter_usd == 1000  # as published
        assert one.loc[("JPN", "KOR")].resolved_exporter == "reported"
        assert one.loc[("JPN", "KOR")].value_importer_usd == 45
        assert set(direct.resolved_importer) == {"sum of HS2"}
    else:
        assert set(direct.resolved_exporter.dropna()) == {"sum of HS4/HS6"}
        jpn = direct[direct.exporter == "JPN"].set_index("hs")
        assert (jpn.value_importer_usd["27"], jpn.resolved_importer["27"]) == (20, "reported")
        assert jpn.value_exporter_usd["87"] == 40
