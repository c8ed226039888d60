"""Figures in other currencies: kept as published, converted to USD for comparisons with the cited
average rates of data/exchange_rates.csv (the rate and its basis visible), and a currency or
period without a rate reported, never silently dropped.

Fixture: tests/fixtures/customs_cny/gacc_cny_2018.csv, a China customs table in units of 10,000
yuan (GACC's 万元) read through gacc_cny.toml: China's 2018 exports to and imports from the DPRK
(CNY 14.67bn and 1.42bn, the figures GACC published), exports of HS 8517 to Korea, and refined
oil to the DPRK in June 2024 (a month the rate table has) and July 2024 (one it does not).
"""

import pytest

from .helpers import load_rows, row

CNY_2018 = 6.6090  # Fed G.5A, 2018 average, yuan per USD (release of November 1, 2021)
CNY_2024_06 = 7.2547  # Fed G.5, June 2024 average (release of July 1, 2024)


@pytest.fixture
def cny(db, fixtures):
    result = db.load(fixtures / "customs_cny" / "gacc_cny_2018.csv", format="csv",
                     mapping=fixtures / "customs_cny" / "gacc_cny.toml")
    return db, result


def test_kept_in_their_currency(cny):
    db, _ = cny
    rows = db.con.execute("SELECT period, hs, value, currency FROM flows ORDER BY period, hs, value").fetchall()
    assert rows[0] == ("2018", "8517", 6_609_000_000.0, "CNY")
    assert {r[3] for r in rows} == {"CNY"} and len(rows) == 5


def test_rate_table_is_cited(db):
    rates = db.con.execute("SELECT currency, freq, period, per_usd, published, published_as, source, source_url "
                           "FROM exchange_rates WHERE (currency, period) IN (('CNY', '2018'), ('EUR', '2018'))"
                           " ORDER BY currency").fetchall()
    assert rates[0][:6] == ("CNY", "A", "2018", CNY_2018, CNY_2018, "units per USD")
    assert rates[0][6].startswith("Federal Reserve Board, G.5A") and rates[0][7].startswith("https://federalreserve.gov")
    # The Fed quotes the euro as USD per euro: kept as published, inverted for use.
    assert rates[1][:3] == ("EUR", "A", "2018") and rates[1][4] == 1.1817
    assert rates[1][3] == pytest.approx(1 / 1.1817, abs=1e-6) and rates[1][5] == "USD per unit"
    for currency in ("CNY", "KRW", "THB", "EUR", "JPY", "RUB"):
        assert db.con.execute("SELECT count(*) FROM exchange_rates WHERE currency = $c AND freq = 'A'",
                              {"c": currency}).fetchall()[0][0] >= 4


def test_converted_value_and_rate_visible(cny):
    db, _ = cny
    conv = db.query("usd_conversions", country="PRK").set_index(["period", "flow"])
    exp = conv.loc[("2018", "export")]
    assert exp.value_original == 14_670_000_000.0 and exp.currency_original == "CNY"
    assert exp.usd_rate == CNY_2018 and exp.usd_rate_basis == "annual average 2018"
    assert exp.value_usd == pytest.approx(14_670_000_000.0 / CNY_2018)
    assert exp.status == "used in comparisons" and "G.5A" in exp.usd_rate_source
    june = conv.loc[("2024-06", "export")]
    assert june.usd_rate == CNY_2024_06 and june.usd_rate_basis == "monthly average 2024-06"
    assert june.value_usd == pytest.approx(7_254_700.0 / CNY_2024_06)
    july = conv.loc[("2024-07", "export")]
    assert pd_isna(july.usd_rate) and july.status == "not used: no rate for CNY in 2024-07"


def test_comparisons_use_the_converted_value(cny):
    db, _ = cny
    rebuilt = db.reconstruct("PRK", by="partner")
    chn = rebuilt[(rebuilt.partner == "CHN") & (rebuilt.period == "2018")].iloc[0]
    assert chn.imports_usd == pytest.approx(14_670_000_000.0 / CNY_2018)  # China's exports to the DPRK, FOB
    assert chn.exports_usd == pytest.approx(1_420_000_000.0 / CNY_2018 / 1.06)  # China's imports, CIF -> FOB


def test_mirror_pair_cny_against_usd(cny, tmp_path):
    db, _ = cny
    load_rows(db, tmp_path, [row("KOR", "CHN", "M", "8517", 1_050_000_000, year=2018)])
    m = db.mirror(exporter="CHN", importer="KOR", hs="8517", level="4")
    assert len(m) == 1
    assert m.iloc[0].value_exporter_usd == pytest.approx(6_609_000_000.0 / CNY_2018)
    assert m.iloc[0].value_exporter_usd == pytest.approx(1_000_000_000.0)


def test_a_currency_without_a_rate_is_reported(cny, fixtures, tmp_path):
    db, result = cny
    note = result.loc[0, "note"]
    assert "1 figure(s) in CNY (2024-07) have no USD rate in data/exchange_rates.csv" in note
    assert "left out of USD comparisons" in note
    # The DPRK's own won: no rate at all.
    mapping = (fixtures / "customs_cny" / "gacc_cny.toml").read_text().replace('currency = "CNY"', 'currency = "KPW"')
    mapping = mapping.replace('reporter = "CHN"', 'reporter = "PRK"')  # the DPRK's customs report its imports from China
    (tmp_path / "kpw.toml").write_text(mapping)
    data = tmp_path / "kpw.csv"
    data.write_text("Month,Partner,Direction,HS,Value (10000 CNY),Weight (t)\n2019,China,Import,TOTAL,5,\n")
    second = db.load(data, format="csv", mapping=tmp_path / "kpw.toml", source="kp-customs")
    assert "1 figure(s) in KPW (2019) have no USD rate" in second.loc[0, "note"]
    missing = db.query("currencies_without_rate").set_index("currency")
    assert missing.loc["KPW"].reason == "no rate for KPW in data/exchange_rates.csv"
    assert missing.loc["KPW"].figures == 1 and missing.loc["KPW"].sources == "kp-customs"
    assert missing.loc["CNY"].period == "2024-07" and missing.loc["CNY"].reason == "no rate for CNY in 2024"
    # Kept: still in flows, in its own currency.
    assert db.con.execute("SELECT value, currency FROM flows WHERE source = 'kp-customs'").fetchall() == [
        (50_000.0, "KPW")]


def test_usd_published_by_the_same_source_wins(cny, fixtures, tmp_path):
    db, _ = cny
    usd = tmp_path / "gacc_usd.csv"
    usd.write_text("Month,Partner,Direction,HS,Value (10000 CNY),Weight (t)\n2018,North Korea,Export,TOTAL,222000,\n")
    mapping = (fixtures / "customs_cny" / "gacc_cny.toml").read_text().replace('currency = "CNY"', 'currency = "USD"')
    (tmp_path / "usd.toml").write_text(mapping)
    db.load(usd, format="csv", mapping=tmp_path / "usd.toml")
    rebuilt = db.reconstruct("PRK", by="partner")
    chn = rebuilt[(rebuilt.partner == "CHN") & (rebuilt.period == "2018")].iloc[0]
    assert chn.imports_usd == pytest.approx(2_220_000_000.0)  # as published in USD, not 14.67bn / 6.609
    conv = db.query("usd_conversions", country="PRK").set_index(["period", "flow"])
    assert conv.loc[("2018", "export")].status.startswith("not used: the same source published this flow in USD")


def pd_isna(v):
    import pandas as pd

    return pd.isna(v)
