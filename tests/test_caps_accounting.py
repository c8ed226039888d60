"""Deliveries against the UN oil caps (issue 14, items 1, 10, 12, 13): pro-rating across cap periods,
complete monthly notifications as the central figure, conflicting aggregates as the range, group
figures entering the all-suppliers total, kinds side by side. Hand-made figures, arithmetic in the
comments; then the bundled record."""

import pytest

HEADER = "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"


def record(tmp_path, rows, name="rec.csv"):
    """Public-record rows to PRK: (reporter, flow X/N, hs, period, value, unit, publisher); each row its
    own page unless the publisher is 'hcein' (one page listing every month, as the bundled source)."""
    path = tmp_path / name
    path.write_text(HEADER + "".join(
        f"R{i},{who},PRK,{flow},{hs},{period},{value},{unit},{pub},https://e.org/{'hcein' if pub == 'hcein' else i},q,\n"
        for i, (who, flow, hs, period, value, unit, pub) in enumerate(rows)))
    return path


def test_crude_cap_periods_pro_rate_calendar_years_and_decembers(db, tmp_path):
    # item 10: 2397's crude periods run 22 December - 21 December. The period ending 2019-12-21 holds
    # 10 of 2018's 365 days and 355 of 2019's: 365,000 t x 10/365 + 730,000 t x 355/365 = 10,000 + 710,000.
    db.load(record(tmp_path, [("CHN", "X", "2709", "2018", 365000, "tonnes", "GACC"),
                              ("CHN", "X", "2709", "2019", 730000, "tonnes", "GACC")]))
    caps = db.caps(kind="reported").set_index(["cap", "cap_year", "reporter"])
    r = caps.loc[("UNSCR2397-crude-t", 2019, "CHN")]
    assert r.delivered == pytest.approx(720_000) and r.complete
    assert r.basis == "calendar years 2018 x 10/365 days + 2019 x 355/365 days"
    assert r.cap_period == "2018-12-22..2019-12-21"
    assert caps.loc[("UNSCR2397-crude-t", 2019, "all suppliers"), "percent_of_cap"] == pytest.approx(720_000 / 525_000 * 100)


def test_a_december_straddling_the_crude_period_is_split_by_days(db, tmp_path):
    # December 2018 (31,000 t): 21 days to the period ending 2018-12-21, 10 days to the next one
    db.load(record(tmp_path, [("CHN", "X", "2709", "2018-12", 31000, "tonnes", "GACC")]))
    monthly = db.caps(kind="reported", monthly=True).query("cap == 'UNSCR2397-crude-t'").set_index("cap_year")
    assert monthly.loc[2018, "delivered"] == pytest.approx(21_000) and monthly.loc[2019, "delivered"] == pytest.approx(10_000)
    caps = db.caps(kind="reported").set_index(["cap", "cap_year", "reporter"])
    assert "pro-rated" in caps.loc[("UNSCR2397-crude-t", 2019, "CHN"), "basis"]


MONTHS_2021 = [("2021-03", 4893), ("2021-04", 92), ("2021-05", 8050), ("2021-06", 10725), ("2021-07", 2829),
               ("2021-08", 11745), ("2021-09", 41973), ("2021-10", 1666), ("2021-11", 8730), ("2021-12", 1206)]


def test_complete_monthly_notifications_are_the_central_figure(db, tmp_path):
    # item 12: China 2021: nothing in January-February (one 0 figure for both), then ten months summing
    # to 91,909 bbl; a second-hand January-November total of 105,000 bbl conflicts with them: it widens
    # the range (the year cannot be less than its first eleven months), it is not the figure.
    rows = [("CHN", "N", "2710", "2021-01..02", 0, "barrels", "hcein")]
    rows += [("CHN", "N", "2710", p, v, "barrels", "hcein") for p, v in MONTHS_2021]
    rows += [("CHN", "N", "2710", "2021-01..11", 105000, "barrels", "RFA")]
    db.load(record(tmp_path, rows))
    chn = db.caps().set_index(["cap_year", "reporter"]).loc[(2021, "CHN")]
    assert sum(v for _, v in MONTHS_2021) == 91_909
    assert chn.delivered == 91_909 and chn.complete
    assert chn.basis == "sum of 10 monthly figures and 2021-01..02 as published by hcein"  # one source's complete set
    assert (chn.low, chn.high) == (91_909, 105_000)


def test_without_the_months_the_aggregate_is_a_partial_figure(db, tmp_path):
    db.load(record(tmp_path, [("CHN", "N", "2710", "2021-01..11", 105000, "barrels", "RFA")]))
    chn = db.caps().set_index(["cap_year", "reporter"]).loc[(2021, "CHN")]
    assert chn.delivered == 105_000 and not chn.complete and chn.basis == "partial: published total to Nov 2021"


def test_a_group_figure_enters_all_suppliers(db, tmp_path):
    # item 13: the Committee's combined 2019 figure for China and Russia, 418,000 bbl, plus Singapore's
    # 1,000 bbl = 419,000 for all suppliers. The suppliers' own figures - China 22,730 t x 7.33 =
    # 166,610.9 bbl, Russia 277,365 bbl, Singapore 1,000 - sum to 444,975.9: the high end.
    db.load(record(tmp_path, [("CHN+RUS", "N", "2710", "2019", 418000, "barrels", "Korea Herald"),
                              ("CHN", "N", "2710", "2019", 22730, "tonnes", "Korea Herald"),
                              ("RUS", "N", "2710", "2019", 277365, "barrels", "Yonhap"),
                              ("SGP", "N", "2710", "2019", 1000, "barrels", "UN")]))
    total = db.caps().set_index(["cap_year", "reporter"]).loc[(2019, "all suppliers")]
    assert total.delivered == 419_000 and total.percent_of_cap == pytest.approx(83.8)
    assert total.basis.startswith("CHN+RUS combined figure (published total for the cap period) + SGP")
    assert (total.low, total.high) == pytest.approx((419_000, 22730 * 7.33 + 277365 + 1000))


def test_notified_customs_and_estimated_side_by_side(db, tmp_path):
    # the same supplier and year in three kinds: notified 100,000 bbl; customs 10,000 t x 7.33 = 73,300
    # bbl (product of unknown mix); an estimate of 200,000 bbl (series direction from series.csv)
    path = record(tmp_path, [("CHN", "N", "2710", "2018", 100000, "barrels", "UN"),
                             ("CHN", "X", "2710", "2018", 10000, "tonnes", "GACC"),
                             ("CHN", "E", "2710", "2018", 200000, "barrels", "Panel")])
    (tmp_path / "series.csv").write_text("series_id,flow,apart_reason,why\nR2,export,,estimate of supply to PRK\n")
    db.load(path)
    table = db.caps(kind="side-by-side").set_index(["cap", "cap_year", "reporter"])
    r = table.loc[("UNSCR2397-refined", 2018, "CHN")]
    assert (r.notified, r.customs, r.estimated) == pytest.approx((100_000, 73_300, 200_000))
    assert r.notified_percent_of_cap == pytest.approx(20.0)


def test_bundled_2019_is_the_committees_figure_with_the_press_figures_as_range(db):
    # items 1 and 13: China's "15,000 bbl" for 2019 is a monthly average (kept apart, not a total); the
    # 1718 Committee's combined figure for China and Russia, 418,000 bbl, is 2019's central figure
    # (83.6% of 500,000); the suppliers' own figures give the range: China 22,730 t x 7.33 = 166,610.9 bbl
    # plus Russia 30,180 t x 7.33 = 221,219.4 (low) or 277,365 bbl (high).
    db.load_bundled()
    apart = db.con.execute("SELECT count(*) FROM apart WHERE series_id = 'S4_1718_CHN_REFINED_MONTHLY_AVG'").fetchall()
    assert apart[0][0] == 1
    caps = db.caps().set_index(["cap_year", "reporter"])
    assert caps.loc[(2019, "CHN"), "delivered"] == pytest.approx(22730 * 7.33)
    total = caps.loc[(2019, "all suppliers")]
    assert total.delivered == 418_000 and total.percent_of_cap == pytest.approx(83.6)
    assert (total.low, total.high) == pytest.approx((22730 * 7.33 + 30180 * 7.33, 22730 * 7.33 + 277365))
    # item 12 on the bundled record: China 2021 from its twelve monthly notifications as one source lists
    # them (hcein.com: 0 for January-February, then 4,893 ... 1,206 = 91,909 bbl), not the 105,000 bbl
    # January-November aggregate, which is the high end; VOA's April (91, not 92) and the tonnes
    # converted at 7.33 widen the low end
    chn = caps.loc[(2021, "CHN")]
    assert chn.delivered == 91_909 and chn.high == 105_000 and chn.low < 91_909
    assert chn.basis.startswith("sum of 10 monthly figures and 2021-01..02 as published by UN 1718 Committee report via hcein.com")


def test_the_bundled_reports_cap_finding_gives_2019_with_its_range(db):
    from mirror.report import build_report

    db.load_bundled()
    cap = next(f for f in build_report(db).findings if f.kind == "cap")
    assert "2019: 418,000 bbl (84% of the cap), sources 387,830-443,976" in cap.text
    assert "2018: 381,806 bbl (76% of the cap)" in cap.text


def test_coal_against_2321s_first_cap_period(db, tmp_path):
    # item 3: 2321's cap from adoption (2016-11-30) to 2016-12-31 is 1,000,866 t or USD 53,495,894.
    # China's coal imports from PRK: November 2016 30,000 t / USD 3m (1 of its 30 days inside: 1,000 t,
    # USD 100,000), December 1,200,000 t / USD 60m -> 1,201,000 t = 120.0% and USD 60.1m = 112.3%.
    from .helpers import load_rows, row

    load_rows(db, tmp_path, [row("CHN", "PRK", "M", "2701", 3_000_000, year=2016, month=11, kg=30_000_000),
                             row("CHN", "PRK", "M", "2701", 60_000_000, year=2016, month=12, kg=1_200_000_000)])
    caps = db.caps(kind="reported").set_index(["cap", "reporter"])
    t, usd = caps.loc[("UNSCR2321-coal-2016-t", "all suppliers")], caps.loc[("UNSCR2321-coal-2016-usd", "all suppliers")]
    assert t.delivered == pytest.approx(1_201_000) and t.percent_of_cap == pytest.approx(1_201_000 / 1_000_866 * 100)
    assert usd.delivered == pytest.approx(60_100_000) and usd.cap_period == "2016-11-30..2016-12-31"
    assert "pro-rated" in caps.loc[("UNSCR2321-coal-2016-t", "CHN"), "basis"]
    flags = db.flags(detector="cap_exceeded").set_index("hs")
    assert flags.loc["UNSCR2321-coal-2016-t", "severity"] == "high" and flags.loc["UNSCR2321-coal-2016-t", "period"] == "2016"


def test_caps_and_oil_commands(cli, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the default store: the bundled record
    code, out, err = cli("caps", "--kind", "side-by-side", "--json")
    assert code == 0, err
    rows = {(r["cap"], r["cap_year"], r["reporter"]): r for r in json.loads(out)}
    r2019 = rows[("UNSCR2397-refined", 2019, "all suppliers")]
    assert (r2019["notified"], r2019["notified_low"]) == (418_000, pytest.approx(387_830.3))
    code, out, err = cli("caps", "--periods", "--csv")
    assert code == 0 and "UNSCR2321-coal-2016-t" in out and "2016-11-30..2016-12-31" in out
    code, out, err = cli("oil", "--conversions", "--json")
    checks = {(r["reporter"], r["period"]): r["implied_check"] for r in json.loads(out)}
    assert checks[("RUS", "2019")].startswith("implausible") and checks[("CHN", "2019")].startswith("implausible")
    code, out, err = cli("caps", "--kind", "side-by-side", "--monthly")
    assert code != 0 and "side-by-side" in err
