"""The sanctions register as a sanctions analyst checks it (issue 14, items 3-9): in-force and
wind-down dates, exemptions, measures that were missing, HS lists, the liquids ban, luxury value
thresholds on unit values. Hand-made partner reports with the expected timing in the comments."""

import csv
import json

import pytest

from mirror.paths import data_dir

from .helpers import load_rows, row


def by_id(db):
    return db.measures(None).set_index("measure_id")


def timing(db, measure, freq="M"):
    rows = db.sanctioned_trade(freq=freq, measure=measure)
    return rows[["period", "timing", "severity"]].values.tolist()


def test_every_measure_has_its_dates_citation_and_verification(db, cli):
    m = db.measures(None)
    assert len(m) == 29
    for col in ("citation", "verification", "source_url", "hs_verification"):
        assert m[col].fillna("").str.strip().ne("").all(), m.loc[m[col].isna(), "measure_id"].tolist()
    # every UN measure cites the official text
    assert m.citation.str.contains("https://undocs.org/S/RES/").all()
    code, out, err = cli("measures", "--country", "all", "--json")
    rows = json.loads(out)
    assert code == 0 and {"effective", "wind_down_end", "in_force_to", "citation", "verification"} <= set(rows[0])
    # the bundled national examples carry a citation and a verification note too
    for name in ("china_mofcom_2017_40.csv", "china_mofcom_2017_coal_suspension.csv"):
        with open(data_dir() / "examples" / name) as fh:
            for r in csv.DictReader(fh):
                assert r["citation"].strip() and r["verification"].strip(), name


def test_2321_coal_cap_from_adoption_with_its_first_period(db):
    # item 3: the cap took effect on adoption (2016-11-30), with a cap for the rest of 2016
    assert str(by_id(db).loc["UNSCR2321-coal-cap", "effective"].date()) == "2016-11-30"
    caps = db.cap_periods().set_index("cap")
    first_usd, first_t = caps.loc["UNSCR2321-coal-2016-usd"], caps.loc["UNSCR2321-coal-2016-t"]
    assert (first_usd.cap_period, first_usd.amount, first_usd.unit) == ("2016-11-30..2016-12-31", 53_495_894, "USD")
    assert (first_t.cap_period, first_t.amount, first_t.unit) == ("2016-11-30..2016-12-31", 1_000_866, "t")
    # 2017's cap ends the day before 2371's full ban
    assert caps.loc["UNSCR2321-coal-2017", "cap_period"] == "2017-01-01..2017-08-04"
    assert "project's review (issue 14)" in first_usd.verification


def test_2375_paragraph_15_crude_freeze(db, tmp_path):
    # item 4: crude frozen at each state's previous-12-month level from 2017-09-11 until 2397's cap
    freeze = db.cap_periods().set_index("cap").loc["UNSCR2375-crude-freeze"]
    assert freeze.cap_period == "2017-09-11..2017-12-21" and freeze.amount != freeze.amount  # no single amount (NaN)
    # 10,000 t of crude in October 2017 counts against the freeze, with no percent of a cap
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 5_000_000, year=2017, month=10, kg=10_000_000)])
    caps = db.caps(kind="reported").set_index(["cap", "reporter"])
    r = caps.loc[("UNSCR2375-crude-freeze", "CHN")]
    assert r.delivered == pytest.approx(10_000 * 7.32) and r.percent_of_cap != r.percent_of_cap


def test_wind_down_ends_low_then_high(db, tmp_path):
    # item 5: China's coal imports from PRK: August 2017 contains 2371's date (5 Aug), September starts
    # in its 30-day wind-down (to 4 Sep), October is after it.
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", v, year=2017, month=m) for m, v in ((8, 30), (9, 20), (10, 10))]
              + [row("CHN", "PRK", "M", "61", v, year=y, month=m) for y, m, v in ((2017, 12, 5), (2018, 1, 4))]
              + [row("CHN", "PRK", "M", "84", v, year=2018, month=m) for m, v in ((1, 3), (2, 2))])
    assert timing(db, "UNSCR2371-coal-iron") == [["2017-08", "straddles", "low"], ["2017-09", "wind-down", "low"],
                                                 ["2017-10", "after", "high"]]
    # 2375's textiles: 90 days to 2017-12-10 -> December is wind-down; 2397 para 6: 30 days to 2018-01-21
    assert timing(db, "UNSCR2375-textiles") == [["2017-12", "wind-down", "low"], ["2018-01", "after", "high"]]
    assert timing(db, "UNSCR2397-exports") == [["2018-01", "wind-down", "low"], ["2018-02", "after", "high"]]
    by_measure = db.sanctioned_trade(freq="M", summary=True).set_index(["measure", "reporter"])
    coal = by_measure.loc[("UNSCR2371-coal-iron", "CHN")]
    assert (coal.value_straddling_usd, coal.value_wind_down_usd, coal.value_after_usd, coal.severity) == (30, 20, 10, "high")
    assert str(coal.wind_down_end.date()) == "2017-09-04"


def test_wind_down_only_is_a_low_flag(db, tmp_path):
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", v, year=2017, month=m) for m, v in ((8, 30), (9, 20))])
    flags = db.flags(detector="sanctioned_trade", freq="M")
    coal = flags[flags.explained_by == "UNSCR2371-coal-iron"]
    assert coal.severity.tolist() == ["low"]
    assert "contracts allowed until 2017-09-04" in coal.reason.iloc[0] and "possibly lawful" in coal.reason.iloc[0]


def test_2016_coal_under_the_livelihood_exemption_then_the_cap(db, tmp_path):
    # item 6: February 2016 is before 2270; April 2016 is after it but 2270 let livelihood trade go on
    # (medium, said in the reason); December 2016 is under 2321's cap, not a ban: not banned trade.
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", v, year=2016, month=m) for m, v in ((2, 9), (4, 8), (12, 7))])
    rows = db.sanctioned_trade(freq="M", measure="UNSCR2270-coal", include_before=True)
    assert rows[["period", "timing"]].values.tolist() == [["2016-02", "before"], ["2016-04", "after"]]
    assert rows.severity.isna().iloc[0] and rows.severity.iloc[1] == "medium"
    assert "livelihood" in rows.severity_reason.iloc[1]
    assert db.sanctioned_trade(freq="M").query("period == '2016-12'").empty
    flag = db.flags(detector="sanctioned_trade", freq="M").query("explained_by == 'UNSCR2270-coal'")
    assert flag.severity.tolist() == ["medium"] and "an exemption may apply" in flag.reason.iloc[0]


def test_arms_embargo_both_directions_vessels_and_the_catch_all(db, tmp_path):
    # item 7: arms (HS 93) supplied to PRK, armoured vehicles (8710) bought from it, a vessel (8901) sold to it
    load_rows(db, tmp_path, [row("RUS", "PRK", "X", "93", 40, year=2018), row("CHN", "PRK", "M", "8710", 30, year=2018),
                             row("CHN", "PRK", "X", "8901", 20, year=2018)])
    rows = db.sanctioned_trade()
    got = {(r.measure, r.reporter, r.hs, r.severity) for r in rows.itertuples()}
    assert {("UNSCR1718-arms-supply", "RUS", "93", "high"), ("UNSCR1718-arms-exports", "CHN", "8710", "high"),
            ("UNSCR2397-vessels", "CHN", "89", "high")} <= got  # chapter 89, matched at its own level
    m = by_id(db)
    assert str(m.loc["UNSCR2270-arms-catch-all", "effective"].date()) == "2016-03-02"
    assert "not matched automatically" in m.loc["UNSCR2270-arms-catch-all", "hs_verification"]
    assert {"UNSCR1718-luxury", "UNSCR2094-luxury", "UNSCR2270-luxury", "UNSCR2321-luxury-rugs",
            "UNSCR2321-luxury-porcelain"} <= set(m.index)


def write_with_quantity(tmp_path, rows):
    """Comtrade R-style rows with a quantity in items (qty unit code 5 = 'u')."""
    path = tmp_path / "qty.csv"
    cols = ["freq_code", "ref_year", "ref_month", "reporter_iso", "partner_iso", "flow_code", "cmd_code",
            "classification_code", "primary_value", "net_wgt", "qty_unit_code", "qty"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for reporter, flow, hs, value, kg, unit, qty in rows:
            w.writerow(["A", 2018, 52, reporter, "PRK", flow, hs, "H5", value, kg, unit, qty])
    return path


def test_luxury_value_thresholds_on_unit_values(db, tmp_path):
    # item 7: 2321 bans rugs over USD 500 and porcelain tableware over USD 100 a unit.
    # 570110: USD 10,000 for 10 rugs = 1,000 a rug -> banned; 570220: USD 600 for 10 = 60 -> not banned;
    # 570390: reported in kg only -> the threshold cannot be checked (medium); 691110: USD 1,500 for
    # 10 pieces = 150 -> banned.
    db.load(write_with_quantity(tmp_path, [
        ("CHN", "X", "570110", 10_000, 50, 5, 10), ("CHN", "X", "570220", 600, 40, 5, 10),
        ("CHN", "X", "570390", 900, 30, 8, 30), ("CHN", "X", "691110", 1_500, 20, 5, 10)]), format="comtrade-r-csv")
    rugs = db.sanctioned_trade(measure="UNSCR2321-luxury-rugs").set_index("hs")
    assert set(rugs.index) == {"570110", "570390"}
    assert rugs.loc["570110", "unit_value_usd"] == 1_000 and rugs.loc["570110", "severity"] == "high"
    assert rugs.loc["570390", "threshold_check"] == "not checkable" and rugs.loc["570390", "severity"] == "medium"
    assert "USD 500 per unit threshold could not be checked" in rugs.loc["570390", "severity_reason"]
    porcelain = db.sanctioned_trade(measure="UNSCR2321-luxury-porcelain")
    assert porcelain[["hs", "unit_value_usd", "severity"]].values.tolist() == [["691110", 150, "high"]]


def test_chinas_coal_suspension_of_february_2017(db, tmp_path):
    # item 7: China suspended DPRK coal from 19 February 2017 (announced the 18th) to the end of 2017
    db.add_measures(data_dir() / "examples" / "china_mofcom_2017_coal_suspension.csv")
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", v, year=2017, month=m) for m, v in ((1, 9), (2, 8), (3, 1))])
    assert timing(db, "CHN-MOFCOM-2017-coal-suspension") == [["2017-02", "straddles", "low"], ["2017-03", "after", "high"]]
    m = by_id(db).loc["CHN-MOFCOM-2017-coal-suspension"]
    assert str(m.adopted.date()) == "2017-02-18" and m.origin.startswith("user:")


def test_hs_lists_as_corrected(db, tmp_path):
    # item 8: vanadium is 261590 (2615 also holds zirconium, 261510); rare-earth ores, the ores of
    # 2321's metals; 'iron' is not all of chapter 72; 1603 (meat extracts too) is not seafood.
    m = by_id(db)
    minerals = m.loc["UNSCR2270-minerals", "hs_codes"].split()
    assert "261590" in minerals and "2615" not in minerals and "253090" in minerals
    assert {"2603", "2604", "2608", "261610"} <= set(m.loc["UNSCR2321-metals", "hs_codes"].split())
    for measure in ("UNSCR2270-iron", "UNSCR2371-coal-iron"):
        codes = m.loc[measure, "hs_codes"].split()
        assert "72" not in codes and "7201" in codes
    assert "1603" not in m.loc["UNSCR2371-seafood", "hs_codes"].split()
    load_rows(db, tmp_path, [row("CHN", "PRK", "M", hs, 10, year=2017, month=11)
                             for hs in ("261510", "261590", "7208", "7201", "160300")])
    flagged = set(db.sanctioned_trade(freq="M").hs)
    assert {"261590", "7201"} <= flagged and not flagged & {"261510", "7208", "160300"}


def test_liquids_ban_matches_lpg_and_lng_is_not_lpg(db, tmp_path):
    # item 9: liquefied propane (271112) to PRK falls under 2375's ban on natural gas liquids (medium:
    # refinery LPG shares the code); LNG (271111) is not a natural gas liquid and not LPG.
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "271112", 50, year=2018, kg=100_000),
                             row("CHN", "PRK", "X", "271111", 40, year=2018, kg=80_000)])
    rows = db.sanctioned_trade(measure="UNSCR2375-condensates")
    assert rows[["hs", "severity"]].values.tolist() == [["271112", "medium"]]
    assert "LPG made in refineries" in rows.severity_reason.iloc[0]
    oil = db.oil().set_index("hs")
    assert oil.loc["271112", "product"] == "lpg" and oil.loc["271112", "barrels"] == pytest.approx(100 * 11.65)
    assert oil.loc["271111", "product"] == "lng" and oil.loc["271111", "barrels"] != oil.loc["271111", "barrels"]


def test_chinas_coal_suspension_explains_the_zero_months_of_2017(db, tmp_path):
    # China's coal imports from PRK, about USD 100 a month from January 2015, 0 from March to May 2017;
    # other goods (wigs, 6704) go on: with the national measure added, the fall is explained by it.
    db.add_measures(data_dir() / "examples" / "china_mofcom_2017_coal_suspension.csv")
    rows = []
    for y, m in [(y, m) for y in (2015, 2016, 2017) for m in range(1, 13) if (y, m) <= (2017, 5)]:
        rows.append(row("CHN", "PRK", "M", "2701", 0 if (y, m) >= (2017, 3) else 100 + m % 3, year=y, month=m))
        rows.append(row("CHN", "PRK", "M", "6704", 50 + m, year=y, month=m))
    load_rows(db, tmp_path, rows)
    flags = db.flags(freq="M")
    coal = flags[(flags.hs == "2701") & (flags.period == "2017-03")]
    assert coal[["detector", "explained_by"]].values.tolist() == [["level_shift", "CHN-MOFCOM-2017-coal-suspension"]]
    assert "reporting_gap" not in set(flags.detector)
