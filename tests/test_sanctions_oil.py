"""Sanctions register, trade in banned goods, oil in barrels, caps and notifications: hand-made
cases with their arithmetic in the comments, then the bundled public record."""

import pytest

from mirror import LoadError

from .helpers import load_rows, row


def test_register_has_every_resolution_with_a_citation(db):
    m = db.measures()
    assert {"UNSC resolution 2270 (2016)", "UNSC resolution 2321 (2016)", "UNSC resolution 2371 (2017)",
            "UNSC resolution 2375 (2017)", "UNSC resolution 2397 (2017)"} <= set(m.instrument)
    assert m.source_url.str.startswith("https://undocs.org/S/RES/").all()
    assert m.hs_verification.notna().all()
    seafood = m.set_index("measure_id").loc["UNSCR2371-seafood"]
    # 1603 (meat extracts too) left out of seafood (issue 14, item 8)
    assert (seafood.direction, seafood.hs_codes, str(seafood.effective.date())) == (
        "exports_from_target", "03 1604 1605", "2017-08-05")


def test_banned_goods_after_the_effective_date_in_the_banned_direction(db, tmp_path):
    # 2371 bans DPRK seafood (chapter 03) from 5 Aug 2017, contracts allowed 30 days (to 4 Sep).
    # China's imports from PRK in July (before), August (straddles the date), September (starts in
    # the wind-down) and October (after); and China's exports of seafood TO PRK in October, which
    # 2371 does not ban (wrong direction).
    load_rows(db, tmp_path, [
        row("PRK", "CHN", "M", "03", 9, year=2017, month=7) | {"reporter_iso": "CHN", "partner_iso": "PRK"},
        row("CHN", "PRK", "M", "03", 7, year=2017, month=8),
        row("CHN", "PRK", "M", "03", 5, year=2017, month=9),
        row("CHN", "PRK", "M", "03", 4, year=2017, month=10),
        row("CHN", "PRK", "X", "03", 3, year=2017, month=10),
    ])
    after = db.sanctioned_trade(freq="M", measure="UNSCR2371-seafood")
    assert after[["reporter", "flow", "hs", "period", "value_usd", "timing", "severity"]].values.tolist() == [
        ["CHN", "import", "03", "2017-08", 7, "straddles", "low"], ["CHN", "import", "03", "2017-09", 5, "wind-down", "low"],
        ["CHN", "import", "03", "2017-10", 4, "after", "high"]]
    with_before = db.sanctioned_trade(freq="M", measure="UNSCR2371-seafood", include_before=True)
    assert with_before.loc[with_before.period == "2017-07", "timing"].tolist() == ["before"]
    summary = db.sanctioned_trade(freq="M", summary=True).set_index(["measure", "reporter"])
    s = summary.loc[("UNSCR2371-seafood", "CHN")]
    assert (s.value_after_usd, s.first_period_after, s.last_period_after, s.value_12m_before_usd) == (4, "2017-10", "2017-10", 9)
    assert (s.value_straddling_usd, s.value_wind_down_usd, s.severity) == (7, 5, "high")
    # Supply to PRK of machinery (84) after 2397 (22 Dec 2017) is listed under 2397's supply ban.
    load_rows(db, tmp_path, [row("RUS", "PRK", "X", "8429", 11, year=2018, month=2)])
    supply = db.sanctioned_trade(freq="M", measure="UNSCR2397-supply")
    assert supply[["reporter", "flow", "hs", "value_usd"]].values.tolist() == [["RUS", "export", "84", 11]]


def test_users_add_their_own_measures(db, tmp_path):
    from mirror.paths import data_dir

    measures = db.add_measures(data_dir() / "examples" / "china_mofcom_2017_40.csv")
    added = measures.set_index("measure_id").loc["CHN-MOFCOM-2017-40"]
    assert str(added.effective.date()) == "2017-08-15" and added.origin.startswith("user:")
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", 10, year=2017, month=8),
                             row("CHN", "PRK", "M", "2701", 4, year=2017, month=9)])
    rows = db.sanctioned_trade(freq="M", measure="CHN-MOFCOM-2017-40")
    # goods in transit were cleared until 4 September: September starts in that wind-down
    assert rows[["period", "timing"]].values.tolist() == [["2017-08", "straddles"], ["2017-09", "wind-down"]]
    bad = tmp_path / "bad.csv"
    bad.write_text((data_dir() / "examples" / "china_mofcom_2017_40.csv").read_text()
                   .replace("CHN-MOFCOM-2017-40", "X1").replace("exports_from_target", "imports"))
    with pytest.raises(LoadError, match="measure X1: direction must be exports_from_target or supply_to_target"):
        db.add_measures(bad)
    assert "X1" not in set(db.measures().measure_id)  # all or nothing


def test_barrels_are_tonnes_times_the_named_factor(db, fixtures):
    db.load(fixtures / "un1718_notifications.csv")
    oil = db.oil(kind="notified").set_index(["reporter", "period"])
    jan = oil.loc[("CHN", "2018-01")]
    # 569.8 t of refined products of unknown mix x 7.33 bbl/t (UNSD set) = 4,176.634 bbl
    assert jan.tonnes == pytest.approx(569.8) and jan.barrels == pytest.approx(569.8 * 7.33)
    # the mix of a notification is unknown: trade-mirror's stated assumption between gas oil and kerosene
    assert jan.bbl_per_tonne == 7.33 and jan.factor_set == "unsd" and "gas oil (7.23)" in jan.factor_source
    assert jan.conversion == "barrels = tonnes x factor"
    russia = oil.loc[("RUS", "2018-01")]
    assert russia.barrels == 2470.5 and russia.tonnes == pytest.approx(2470.5 / 7.33)  # barrels as published
    # 'bp' is the 2021 edition (issue 14: the old set was an unnamed older edition); refined
    # products of unknown mix use its product basket, 8.058 bbl/t
    bp = db.oil(kind="notified", factor_set="bp").set_index(["reporter", "period"]).loc[("CHN", "2018-01")]
    assert bp.bbl_per_tonne == 8.058 and bp.barrels == pytest.approx(569.8 * 8.058) and bp.factor_set == "bp2021"
    assert "2021 (70th edition)" in bp.factor_edition
    from mirror.errors import OptionError

    with pytest.raises(OptionError, match="factor_set='eia' is not allowed"):
        db.oil(factor_set="eia")


def test_product_split_from_subheadings_and_named_products(db, tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text(
        "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"
        "A,CHN,PRK,X,271012,2017-03,1000,tonnes,GACC,https://e.org/1,q,\n"
        "B,CHN,PRK,X,271019(diesel),2017-03,100,tonnes,GACC,https://e.org/2,q,\n"
        "C,CHN,PRK,X,271019(jet),2017-03,10,tonnes,GACC,https://e.org/3,q,\n"
        "D,CHN,PRK,X,2709,2013,578000,tonnes,GACC,https://e.org/4,q,\n")
    db.load(path)
    oil = db.oil().set_index("hs")
    products = dict(zip(oil.product_named.fillna(""), oil["product"], strict=True))
    assert products == {"": "crude", "diesel": "gasoil", "jet": "kerosene"} or set(oil["product"]) == {
        "gasoline", "gasoil", "kerosene", "crude"}
    by_product = db.oil().set_index("product")
    assert by_product.loc["gasoline", "bbl_per_tonne"] == 8.50  # 271012 = light oils
    assert by_product.loc["gasoil", "barrels"] == pytest.approx(100 * 7.23)
    assert by_product.loc["crude", "barrels"] == pytest.approx(578000 * 7.32)


def notified_month(supplier, year, month, barrels):
    return f"{supplier},{year}-{month:02d},,{barrels}\n"


def test_running_totals_and_percent_of_cap_across_a_cap_change(db, tmp_path):
    # Q4 2017 falls under 2375's cap (500,000 bbl for Oct-Dec); 2018 under 2397's (500,000 bbl a year).
    # Oct 200,000 + Nov 400,000: the Q4 cap is crossed in November, after (500,000 - 200,000) / 400,000
    # of its 30 days = 22.5 days -> on 23 November. In 2018 the count starts again from zero.
    path = tmp_path / "notes.csv"
    path.write_text("Member State,Month,Amount (tonnes),Amount (barrels)\n"
                    + notified_month("China", 2017, 10, 200000) + notified_month("China", 2017, 11, 400000)
                    + notified_month("Russian Federation", 2017, 11, 50000)
                    + notified_month("China", 2018, 1, 30000) + notified_month("Russian Federation", 2018, 2, 20000))
    db.load(path, format="un1718")
    monthly = db.caps(monthly=True).set_index(["cap", "period"])
    q4 = "UNSCR2375-refined-2017Q4"
    assert monthly.loc[(q4, "2017-10"), "running_total"] == 200000
    nov = monthly.loc[(q4, "2017-11")]
    assert nov.delivered == 450000 and nov.running_total == 650000 and nov.percent_of_cap == pytest.approx(130.0)
    # with Russia's 50,000 in November too: (500,000 - 200,000) / 450,000 x 30 days = 20 days -> 21 November
    assert str(nov.cap_crossed_on.date()) == "2017-11-21"
    assert monthly.loc[("UNSCR2397-refined", "2018-02"), "running_total"] == 50000
    assert monthly.loc[("UNSCR2397-refined", "2018-02"), "percent_of_cap"] == pytest.approx(10.0)
    caps = db.caps().set_index(["cap", "reporter"])
    assert caps.loc[(q4, "all suppliers"), "barrels"] == 650000
    assert caps.loc[(q4, "CHN"), "percent_of_cap"] == pytest.approx(120.0)
    # one month of 2018 is not the year: said, and the figure is not complete
    assert caps.loc[("UNSCR2397-refined", "RUS"), "basis"] == "sum of 1 monthly figures (337 days missing)"
    assert not caps.loc[("UNSCR2397-refined", "RUS"), "complete"]


def test_bundled_notified_refined_against_the_cap(db):
    db.load_bundled()
    caps = db.caps().set_index(["cap_year", "reporter"])
    # 2023 as notified to the 1718 Committee: China 256,861 bbl; Russia's notifications 44,655 + 10,666 +
    # 50,523 (March-December) = 105,844 bbl (issue 14, item 12: a complete set of primary monthly figures
    # is the central figure; Yonhap's own sum, 105,845, is the high end) -> 362,705 = 72.541% of 500,000.
    assert caps.loc[(2023, "CHN"), "barrels"] == 256_861 and caps.loc[(2023, "RUS"), "barrels"] == 105_844
    assert caps.loc[(2023, "RUS"), "high"] == 105_845
    assert caps.loc[(2023, "all suppliers"), "percent_of_cap"] == pytest.approx(72.541)
    assert caps.loc[(2018, "RUS"), "barrels"] == 241_114  # published in barrels: preferred over 29,237 t converted
    assert set(caps.reset_index().cap_year) >= {2018, 2019, 2020, 2021, 2022, 2023, 2024}


def test_bundled_notifications_vs_customs_early_2018(db):
    db.load_bundled()
    n = db.notifications_vs_customs().set_index(["supplier", "period"])
    feb = n.loc[("CHN+RUS", "2018-02")]
    # Notified 3,275 t by China and Russia together; China's customs show 9 t of jet fuel and no diesel or gasoline.
    assert feb.notified == 3275 and feb.customs == 9 and feb.gap == 3266
    assert feb.finding == "notified more than customs reports" and "kerosene 9" in feb.customs_products
    assert n.loc[("CHN", "2018-01..10"), "notified"] == 14760


def test_bundled_crude_reported_then_zero_beside_the_pipeline_estimate(db):
    db.load_bundled()
    crude = db.oil(years=(2000, 2023)).query("product == 'crude' and reporter == 'CHN' and freq == 'A'")
    reported = crude[(crude.kind == "reported") & crude.tonnes.notna()].groupby("year").tonnes.max()
    assert reported[2012] == 523_000 and reported[2013] == 590_000 and reported[2000] == 389_000
    assert reported[2014] == 0 and reported[2015] == 0
    estimate = crude[crude.source == "pipeline-estimate"].set_index("year")
    assert estimate.loc[2014, "tonnes"] == 520_000 and (estimate.kind == "estimated").all()
    # never added into the reported figures: the reported 2014 value stays 0
    assert crude[(crude.year == 2014) & (crude.kind == "reported")].tonnes.max() == 0
