"""Hong Kong's re-exports in China-partner comparisons (GFI's adjustment), on a fixture worked by hand.

Comtrade publishes Hong Kong's re-exports by origin as rows with a second partner (partner2): the
store keeps them apart from totals (the `breakdowns` view, breakdown = 'partner2=<code>'). Only
re-exports of Chinese origin (partner2 = 156) sit between China's and its partners' reports.
"""

import csv

import pytest

from .helpers import COLUMNS, row

MARKUP = 0.23  # Feenstra, Hanson and Lin (2004): Hong Kong's average markup on Chinese goods


def load_with_partner2(db, path, rows):
    """rows: (row dict, partner2 code or None)."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*COLUMNS, "partner2_code"])
        w.writeheader()
        for r, p2 in rows:
            w.writerow({**r, "partner2_code": "" if p2 is None else p2})
    return db.load(path, format="comtrade-r-csv")


@pytest.fixture
def hk_db(db, tmp_path):
    # 2018, HS 8517 (telephones). China reports exporting 100 to the USA; the USA reports importing 150
    # (CIF) from China. Hong Kong re-exported 70 of 8517 to the USA: 40 of Chinese origin and 30 of
    # Vietnamese origin (partner2 704). Hong Kong also published its Chinese-origin re-exports at HS6
    # (851712: 25, 851762: 15): at HS4 the heading it published (40) is used, never 40 + 40.
    # Vietnam reports exporting 30 of 8517 to the USA, the USA 31.8 (CIF) from Vietnam.
    load_with_partner2(db, tmp_path / "hk.csv", [
        (row("CHN", "USA", "X", "8517", 100), None), (row("USA", "CHN", "M", "8517", 150), None),
        (row("HKG", "USA", "RX", "8517", 70), None),
        (row("HKG", "USA", "RX", "8517", 40), 156), (row("HKG", "USA", "RX", "8517", 30), 704),
        (row("HKG", "USA", "RX", "851712", 25), 156), (row("HKG", "USA", "RX", "851762", 15), 156),
        (row("VNM", "USA", "X", "8517", 30), None), (row("USA", "VNM", "M", "8517", 31.8), None),
    ])
    return db


def test_china_origin_reexports_only_with_the_markup(hk_db):
    breakdowns = hk_db.con.execute("SELECT breakdown, value FROM breakdowns WHERE hs = '8517' ORDER BY value").fetchall()
    assert breakdowns == [("partner2=704", 30), ("partner2=156", 40)]  # what the adjustment reads
    plain = hk_db.mirror(level="4", exporter="CHN", hk_adjust=False).iloc[0]
    assert plain.value_importer_fob_usd == pytest.approx(150 / 1.06)  # 141.509
    r = hk_db.mirror(level="4", exporter="CHN").iloc[0]  # the adjustment is on by default
    # Only the 40 of Chinese origin, at Hong Kong's price, leave the USA's FOB imports from China:
    # 150 / 1.06 - 40 = 101.509; the gap with China's 100 is 1.509 (it was 41.509), never 150/1.06 - 70.
    assert r.hk_reexports_usd == 40
    assert r.value_importer_fob_usd == pytest.approx(150 / 1.06 - 40)
    assert r.gap_usd == pytest.approx(150 / 1.06 - 40 - 100)
    # What China shipped that way, at China's own price: 40 / 1.23 = 32.52.
    assert r.hk_china_value_usd == pytest.approx(40 / (1 + MARKUP))
    assert hk_db.mirror(level="4", exporter="CHN", hk_adjust=True, hk_markup=0.10).iloc[0].hk_china_value_usd == \
        pytest.approx(40 / 1.10)
    # Vietnam's flow to the USA is not China's: untouched.
    v = hk_db.mirror(level="4", exporter="VNM", hk_adjust=True).iloc[0]
    assert v.value_importer_fob_usd == pytest.approx(30.0) and v.hk_reexports_usd != v.hk_reexports_usd  # NaN


def test_hs6_build_uses_hong_kongs_hs6_rows(hk_db):
    # At HS6 only the subheadings can match; China and the USA reported 8517 at HS4 only, so no HS6 flow
    # of theirs exists: the HS6 re-exports are kept in mp_hk for a build at that level.
    hk_db.mirror(level="6", hk_adjust=True)
    rows = hk_db.con.execute("SELECT hs, hk_reexports_usd FROM mp_hk ORDER BY hs").fetchall()
    assert rows == [("851712", 25), ("851762", 15)]
