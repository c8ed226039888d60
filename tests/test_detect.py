"""Detectors on the bundled public record and on hand-made series whose answers are known."""

import json

import numpy as np
import pytest
import statsmodels.api as sm

from mirror.detect.gaps import chow_known_date

from .helpers import load_rows, row


def test_chow_known_date_matches_statsmodels_ols():
    y = np.array([10.0, 11, 9, 10.5, 2, 1.5, 2.5])
    after = np.array([0, 0, 0, 0, 1, 1, 1.0])
    f, p = chow_known_date(y, after)
    fit = sm.OLS(y, sm.add_constant(after)).fit()
    assert f == pytest.approx(fit.tvalues[1] ** 2) and p == pytest.approx(fit.pvalues[1])


def test_bundled_crude_is_a_reporting_gap_of_half_a_million_tonnes(db):
    db.load_bundled()
    flags = db.flags(detector="reporting_gap")
    crude = flags[(flags.hs == "2709") & (flags.reporter == "CHN")]
    assert len(crude) == 1
    r = crude.iloc[0]
    assert r.period == "2014" and r.partner == "PRK" and r.flow == "export"
    assert 450_000_000 <= r.implied_missing <= 600_000_000  # kg: about half a million tonnes
    assert "reporting gap" in r.reason and "520,000 t" in r.reason  # the loaded pipeline estimate is named
    assert r.explained_by is None or r.explained_by != r.explained_by


def test_bundled_coal_fall_is_explained_by_2371_not_a_gap(db):
    db.load_bundled()
    flags = db.flags(freq="M")
    coal = flags[(flags.hs == "2701") & (flags.reporter == "CHN")]
    assert set(coal.detector) <= {"level_shift", "sanctioned_trade"}
    shift = coal[coal.detector == "level_shift"].iloc[0]
    assert shift.explained_by == "UNSCR2371-coal-iron" and shift.period == "2017-10"
    assert not ((flags.detector == "reporting_gap") & (flags.hs == "2701")).any()


def test_flags_are_stored_with_the_data_state(db, tmp_path):
    db.load_bundled()
    db.flags()
    stored = db.query("stored_flags", country="PRK", detector=None)
    assert len(stored) >= 1 and stored.data_version.nunique() == 1
    assert "public-record" in stored.releases.iloc[0]


def series_rows(reporter, partner, flow, hs, values, start=2010):
    return [row(reporter, partner, flow, hs, v, year=start + i) for i, v in enumerate(values)]


def test_gap_needs_the_other_trade_to_continue_and_a_stable_history(db, tmp_path):
    # A: stable 100s then zeros while the pair's TOTAL continues: reporting gap.
    # B: same drop but the pair's TOTAL collapses too: no gap.  C: erratic history: no gap.
    rows = series_rows("CHN", "SYR", "X", "2709", [100, 105, 98, 102, 0, 0])
    rows += series_rows("CHN", "SYR", "X", "TOTAL", [1000, 1010, 990, 1005, 1020, 1015])
    rows += series_rows("TUR", "SYR", "X", "2709", [100, 105, 98, 102, 0, 0])
    rows += series_rows("TUR", "SYR", "X", "TOTAL", [1000, 1010, 990, 1005, 100, 90])
    rows += series_rows("IRN", "SYR", "X", "2709", [10, 300, 5, 250, 0, 0])
    rows += series_rows("IRN", "SYR", "X", "TOTAL", [1000, 1010, 990, 1005, 1020, 1015])
    load_rows(db, tmp_path, rows)
    gaps = db.flags(detector="reporting_gap", country="SYR")
    assert list(gaps.reporter) == ["CHN"] and gaps.period.iloc[0] == "2014"
    assert gaps.implied_missing.iloc[0] == pytest.approx(102.0)  # median of the last three reported periods


def test_common_shock_is_reported_once_for_the_pair(db, tmp_path):
    rows = []
    for hs in ("8703", "8517", "6109", "0306", "2710"):
        rows += series_rows("CHN", "MMR", "X", hs, [100, 102, 99, 101, 20, 22])
    load_rows(db, tmp_path, rows)
    flags = db.flags(country="MMR")
    shocks = flags[flags.detector == "common_shock"]
    assert len(shocks) == 1 and shocks.period.iloc[0] == "2014" and shocks.score.iloc[0] == 1.0
    assert not (flags.detector == "reporting_gap").any()


def test_flags_command(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, out, err = cli("flags", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert {"detector", "reporter", "partner", "flow", "hs", "period", "score", "severity", "reason",
            "explained_by"} <= set(rows[0])
    code, _, err = cli("flags", "--detector", "magic")
    assert code == 2 and "magic" in err and "reporting_gap" in err  # refused, with the allowed detectors


def test_mirror_outlier_against_own_history_and_cross_section(db, tmp_path):
    # Ten pairs trade HS 8703 for six years with the importer reporting X * 1.06 (no discrepancy);
    # in 2013 Korea reports importing 6x what Japan reports exporting: ln 6 = 1.79 vs 0 elsewhere.
    rows = []
    exporters = ["JPN", "DEU", "FRA", "ITA", "ESP", "GBR", "USA", "CAN", "MEX", "BRA"]
    for i, e in enumerate(exporters):
        for year in range(2010, 2016):
            x = 100 + 10 * i + year % 3
            m = x * 1.06 * (6 if (e == "JPN" and year == 2013) else 1) * (1 + 0.01 * ((year + i) % 3 - 1))
            rows += [row(e, "KOR", "X", "8703", x, year=year), row("KOR", e, "M", "8703", round(m, 2), year=year)]
    load_rows(db, tmp_path, rows)
    out = db.flags(detector="mirror_outlier", country="KOR")
    assert out[["reporter", "partner", "hs", "period"]].values.tolist() == [["KOR", "JPN", "8703", "2013"]]
    assert "importer reports more" in out.reason.iloc[0]


def test_unit_value_outlier_on_either_side(db, tmp_path):
    # Twelve exporters ship HS 0306 at about USD 5/kg; one declares 1/20 of the weight: USD 100/kg.
    rows = []
    for i, e in enumerate(["VNM", "THA", "IND", "IDN", "ECU", "CHN", "MYS", "PHL", "BGD", "LKA", "PER", "ARG"]):
        kg = 1000 + 37 * i
        rows.append(row(e, "JPN", "X", "0306", 5.0 * kg * (1 + 0.02 * (i % 4)), kg=kg / 20 if e == "ECU" else kg))
    load_rows(db, tmp_path, rows)
    out = db.flags(detector="unit_value_outlier", country="JPN")
    assert out[["reporter", "hs", "period"]].values.tolist() == [["ECU", "0306", "2018"]]
    assert out.score.iloc[0] > 4 and "over-invoiced or under-weighed" in out.reason.iloc[0]


def test_a_flow_with_competing_figures_counts_once_at_their_median_price(db, tmp_path):
    # The same twelve exporters; Ecuador's flow is also published by a second source, at 1/40 and
    # 1/10 of the weight: the median of the two (1/20) is the outlier, counted once in the
    # cross-section (never twice, which would also shift the world's centre).
    rows, again = [], []
    for i, e in enumerate(["VNM", "THA", "IND", "IDN", "ECU", "CHN", "MYS", "PHL", "BGD", "LKA", "PER", "ARG"]):
        kg, usd = 1000 + 37 * i, 5.0 * (1000 + 37 * i) * (1 + 0.02 * (i % 4))
        rows.append(row(e, "JPN", "X", "0306", usd, kg=kg / 40 if e == "ECU" else kg))
        if e == "ECU":
            again.append(row(e, "JPN", "X", "0306", usd, kg=kg / 10))
    load_rows(db, tmp_path, rows)
    load_rows(db, tmp_path, again, source="national")
    out = db.flags(detector="unit_value_outlier", country="JPN")
    assert out[["reporter", "hs", "period"]].values.tolist() == [["ECU", "0306", "2018"]]
    kg = 1000 + 37 * 4
    assert out.evidence.iloc[0].endswith(f", {(kg / 40 + kg / 10) / 2:,.0f} kg") and "(12 reports" in out.reason.iloc[0]


def test_relabelling_importer_reports_more_from_a_neighbour_after_the_ban(db, tmp_path):
    # Korea and Russia agree on coal (2701) until 2016; after 2371 (Aug 2017) Korea reports 3x Russia's exports.
    rows = []
    for year, factor in [(2014, 1.0), (2015, 1.0), (2016, 1.0), (2018, 3.0), (2019, 3.2)]:
        rows += [row("RUS", "KOR", "X", "2701", 100, year=year), row("KOR", "RUS", "M", "2701", 106 * factor, year=year)]
    load_rows(db, tmp_path, rows)
    out = db.flags(detector="rerouting")
    assert out[["reporter", "partner", "period", "explained_by"]].values.tolist()[:2] == [
        ["KOR", "RUS", "2018", "UNSCR2371-coal-iron"], ["KOR", "RUS", "2019", "UNSCR2371-coal-iron"]]


def test_roundabout_difference_in_differences(db, tmp_path):
    # Germany's exports of four banned headings (84: 2397 banned supplying PRK with machinery from 22
    # December 2017) and four other goods to China (a neighbour of PRK) and to France, Italy and Turkey
    # (comparison destinations), 2010-2021. From 2018 the banned goods to China are 2.5x; nothing else
    # moves. Germany's direct machinery exports to PRK (100 a year per heading) stop after 2017.
    rows = []
    rng = np.random.default_rng(8)
    banned, other = ("8429", "8481", "8471", "8418"), ("3004", "2204", "9403", "3304")
    for dest in ("CHN", "FRA", "ITA", "TUR"):
        for hs in banned + other:
            level = float(np.exp(rng.normal(5, 0.5)))
            for year in range(2010, 2022):
                jump = 2.5 if (dest == "CHN" and hs in banned and year >= 2018) else 1.0
                rows.append(row("DEU", dest, "X", hs, round(level * jump * float(np.exp(rng.normal(0, 0.05))), 2), year=year))
    for year in range(2010, 2022):
        rows.append(row("DEU", "PRK", "X", "TOTAL", 2000, year=year))
        if year < 2018:
            rows += [row("DEU", "PRK", "X", hs, 100, year=year) for hs in banned]
    load_rows(db, tmp_path, rows)
    out = db.flags(detector="rerouting")
    did = out[out.statistic.str.startswith("triple difference")]
    r = did[did.explained_by == "UNSCR2397-supply"].iloc[0]
    assert (r.reporter, r.partner, r.period) == ("DEU", "CHN", "2018") and r.score == pytest.approx(np.log(2.5), abs=0.08)
    assert "substitution ratio" in r.reason and r.q_value <= 0.05
    # rise through China: sum of its 2018-2021 banned exports x (1 - 1/2.5) per year; fall: 400 a year
    assert "a year, against the fall of direct exports to PRK, USD 400 a year" in r.reason


def test_conflicting_publishers_are_compared_not_double_counted(db, tmp_path):
    from mirror import sql

    path = tmp_path / "rec.csv"
    path.write_text(
        "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"
        "A,CHN,PRK,X,2709,2013,578000,tonnes,Yonhap,https://e.org/1,q,\n"
        "A,CHN,PRK,X,2709,2013,590000,tonnes,Chosun Ilbo,https://e.org/2,q,\n")
    db.load(path)
    series = sql.frame(db.con, "detect_series", freq="A", countries=["PRK"], include_estimated=False,
                       year_from=None, year_to=None)
    crude = series[(series.hs == "2709") & (series.unit == "kg")].iloc[0]
    assert crude.amount == pytest.approx(584_000_000) and crude.figures == 2  # the median, never 1,168,000 t


def test_duckdb_robust_scale_equals_statsmodels_mad():
    import duckdb
    from statsmodels.robust.scale import mad

    x = np.random.default_rng(3).normal(0, 2, 101)
    ours = duckdb.connect().execute("SELECT mad(v) / 0.6744897501960817 FROM (SELECT unnest($x) AS v)",
                                    {"x": x.tolist()}).fetchall()[0][0]
    assert ours == pytest.approx(mad(x), rel=1e-9)


def test_a_shift_in_nominal_usd_says_so_and_gives_its_price_neutral_variant(db, tmp_path):
    # Germany's exports of cosmetics (3304) to four partners treble in USD from 2018 because the price
    # trebled: the tonnes do not move. Each USD flag says it is nominal, gives the shift deflated by the
    # product's unit value (about 0) and says the tonnes are tested; no tonnes series shifts.
    import numpy as np

    from .comtrade_files import api_json, persistent, record

    rng = np.random.default_rng(12)
    years = list(range(2000, 2024))
    recs = []
    for partner in ("FRA", "JPN", "USA", "THA"):
        tonnes = persistent(rng, 2e6, len(years), sd=0.1, rho=0.3)
        for i, y in enumerate(years):
            price = 8.0 * (3 if y >= 2018 else 1) * np.exp(rng.normal(0, 0.03))
            recs.append(record("DEU", partner, "X", "3304", y, round(tonnes[i] * price), kg=round(tonnes[i])))
    db.load(api_json(tmp_path / "cosmetics.json", recs))
    flags = db.flags(country="DEU")
    shifts = flags[(flags.detector == "level_shift") & (flags.hs == "3304")]
    usd = shifts[shifts.unit == "USD"]
    assert len(usd) >= 3
    assert not (shifts.unit == "kg").any()
    for reason in usd.reason:
        assert "in nominal USD" in reason and "Its tonnes are tested" in reason
        moved = float(reason.split("the level moved ")[1].split("%")[0])
        assert abs(moved) < 15, reason


def test_the_price_neutral_variant_deflates_by_the_worlds_unit_value(db, tmp_path):
    # Germany reports its cosmetics exports in USD only (no weights); India and Viet Nam report theirs
    # with weights, at the same world price, which trebles from 2018. The deflator is the product's
    # unit value over every report in the store, so Germany's nominal trebling is seen as a price.
    import numpy as np

    from .comtrade_files import api_json, persistent, record

    rng = np.random.default_rng(5)
    years = list(range(2000, 2024))
    recs = []
    for reporter, partners, with_kg in (("DEU", ("FRA", "JPN", "USA", "THA"), False),
                                        ("IND", ("JPN", "USA", "FRA"), True), ("VNM", ("JPN", "USA", "THA"), True)):
        for partner in partners:
            tonnes = persistent(rng, 2e6, len(years), sd=0.1, rho=0.3)
            for i, y in enumerate(years):
                price = 8.0 * (3 if y >= 2018 else 1) * np.exp(rng.normal(0, 0.03))
                recs.append(record(reporter, partner, "X", "3304", y, round(tonnes[i] * price),
                                   kg=round(tonnes[i]) if with_kg else None))
    db.load(api_json(tmp_path / "cosmetics.json", recs))
    flags = db.flags(country="DEU")
    usd = flags[(flags.detector == "level_shift") & (flags.hs == "3304") & (flags.unit == "USD")]
    assert len(usd) >= 3
    for reason in usd.reason:
        assert "No tonnes are reported for it" in reason and "report(s) a period in the store" in reason, reason
        moved = float(reason.split("the level moved ")[1].split("%")[0])
        assert abs(moved) < 15, reason


def _assert_panel_holds_detect_series(db, freq, countries, years=None):
    # the matrix the detectors read (panel.py, from the parts of detect_series, the implicit zeros
    # put in it there) against the rows of detect_series, the definition: every row and nothing else
    from mirror import sql
    from mirror.detect.base import DetectSettings
    from mirror.detect.registry import Inputs

    rows = sql.frame(db.con, "detect_series", freq=freq, countries=countries, include_estimated=False,
                     year_from=years and years[0], year_to=years and years[1])
    inputs = Inputs(db, countries[0], freq, "4", DetectSettings(), years)
    inputs.countries = countries
    panel = inputs.series
    keys = ["reporter", "partner", "flow", "hs", "unit"]
    assert panel.index == sorted(set(map(tuple, rows[keys].to_numpy().tolist())))
    assert (np.diff(panel.starts.astype("int64")) > 0).all() and panel.freq == freq
    assert sorted(panel.labels) == sorted(set(rows.period.astype(str)))
    row = {k: i for i, k in enumerate(panel.index)}
    col = {lab: c for c, lab in enumerate(panel.labels)}
    r = [row[tuple(k)] for k in rows[keys].to_numpy().tolist()]
    c = [col[str(p)] for p in rows.period]
    assert np.array_equal(panel.Y[r, c], rows.amount.to_numpy()) and np.array_equal(panel.figures[r, c], rows.figures)
    assert np.isnan(panel.Y).sum() == panel.Y.size - len(rows)
    assert panel.implicit.sum() == (rows.figures == 0).sum()
    return panel, rows


def test_the_series_panel_holds_every_row_of_detect_series(db):
    from mirror import simulate_anomalies as sa

    sa.to_store(sa.anomaly_panel(7), db)
    panel, rows = _assert_panel_holds_detect_series(db, "A", ["PRK", "CHN", "RUS"])
    assert (rows.figures == 0).sum() > 100  # implicit zeros among them


def test_the_panel_puts_implicit_zeros_only_where_detect_series_has_them(db, tmp_path):
    # Comtrade-shaped awkward cases: a code present only through a finer code (no zero), a weight
    # missing for a figure with a value (no kg zero: the code is present), a code gone from a
    # published year (a zero, in both units), a year not published (no row), TOTAL rows (never a
    # zero), one side of the pair only, and a pair-flow with no coded series
    rows = [row("CHN", "PRK", "X", "TOTAL", 9e8, year=y) for y in (2012, 2013, 2014, 2016)]
    rows += [row("CHN", "PRK", "X", "2709", 5e8, year=2012, kg=5e8), row("CHN", "PRK", "X", "270900", 4.9e8, year=2012, kg=4.9e8),
             row("CHN", "PRK", "X", "270900", 4.8e8, year=2013, kg=4.8e8),  # 2709 present through 270900
             row("CHN", "PRK", "X", "8703", 2e6, year=2013),  # no weight: its kg cell is present, not zero
             row("CHN", "PRK", "X", "8703", 2.1e6, year=2012, kg=1.2e5),
             row("CHN", "PRK", "X", "8703", 2.2e6, year=2016, kg=1.3e5),  # 2709, 270900: zeros in 2014, 2016
             row("RUS", "PRK", "M", "TOTAL", 3e7, year=2015), row("RUS", "PRK", "M", "0302", 1e6, year=2014, kg=4e5),
             row("PRK", "CHN", "X", "TOTAL", 1e6, year=2013)]
    load_rows(db, tmp_path, rows)
    # one amount from several publishers: the median of two and of three (the record's layout)
    path = tmp_path / "rec.csv"
    path.write_text(
        "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"
        "A,CHN,PRK,X,2709,2013,578000.3,tonnes,Yonhap,https://e.org/1,q,\n"
        "A,CHN,PRK,X,2709,2013,590000.1,tonnes,Chosun Ilbo,https://e.org/2,q,\n"
        "B,CHN,PRK,X,2710,2013,1000.7,tonnes,Yonhap,https://e.org/1,q,\n"
        "B,CHN,PRK,X,2710,2013,1200.1,tonnes,Chosun Ilbo,https://e.org/2,q,\n"
        "B,CHN,PRK,X,2710,2013,1100.3,tonnes,NK News,https://e.org/3,q,\n")
    db.load(path)
    panel, found = _assert_panel_holds_detect_series(db, "A", ["PRK"])
    assert sorted(found.figures[found.figures > 1]) == [2, 3]
    zeros = found[found.figures == 0]
    assert set(zip(zeros.hs, zeros.unit, zeros.period.astype(str), strict=True)) >= {
        ("2709", "USD", "2014"), ("2709", "kg", "2016"), ("270900", "kg", "2014"), ("8703", "USD", "2014"),
        ("0302", "USD", "2015")}
    assert not ((zeros.hs == "2709") & (zeros.period.astype(str) == "2013")).any()
    assert not ((zeros.hs == "8703") & (zeros.period.astype(str) == "2013")).any()
    assert not (zeros.hs == "TOTAL").any() and "2015" in set(found.period.astype(str))
    # a window of years: the same parts of the same definition
    panel, window = _assert_panel_holds_detect_series(db, "A", ["PRK"], years=(2013, 2015))
    assert set(window.period.astype(str)) == {"2013", "2014", "2015"} and list(panel.labels) == ["2013", "2014", "2015"]


def test_the_monthly_panel_holds_detect_series(db, tmp_path):
    rows = [row("CHN", "PRK", "X", "TOTAL", 5e7, year=2019, month=m) for m in (1, 2, 3, 5)]
    rows += [row("CHN", "PRK", "X", "2709", 4e7, year=2019, month=m, kg=5e7) for m in (1, 2)]
    rows += [row("CHN", "PRK", "X", "2710", 1e6, year=2019, month=3, kg=2e6)]
    load_rows(db, tmp_path, rows)
    panel, found = _assert_panel_holds_detect_series(db, "M", ["PRK"])
    assert panel.freq == "M" and (found.figures == 0).sum() >= 4


def test_a_panel_too_large_for_memory_is_a_clear_error_before_its_matrices(db, tmp_path, monkeypatch):
    # a large country's 30 years at HS6 (millions of series) must not get the process killed for
    # memory half-way through a run: the size is checked against the memory available first
    from mirror.detect import registry
    from mirror.errors import MirrorError

    rows = [row("CHN", "PRK", "X", hs, 1e6 + i, year=y) for i, hs in enumerate(("2709", "8703", "0302"))
            for y in (2016, 2017)]
    load_rows(db, tmp_path, rows)
    monkeypatch.setattr(registry, "available_memory", lambda: 3 * 2 * 200 - 1)  # one byte short
    with pytest.raises(MirrorError, match=r"detection for PRK would read 3 series x 2 periods .* Fix: ask for fewer years .*--years"):
        db.flags(country="PRK")
    monkeypatch.setattr(registry, "available_memory", lambda: 3 * 2 * 200)
    assert list(db.flags(country="PRK").columns)[:3] == ["detector", "reporter", "partner"]  # runs at the line


def test_a_panel_too_large_is_refused_from_its_size_before_its_rows_are_read(db, tmp_path, monkeypatch):
    # the size is counted in SQL first: a large country's rows over every year are not read as
    # Arrow (gigabytes beside the store's buffers) only to be refused
    from mirror.detect import registry
    from mirror.errors import TooLargeError

    rows = [row("CHN", "PRK", "X", hs, 1e6 + i, year=y, kg=1e5) for i, hs in enumerate(("2709", "8703"))
            for y in (2015, 2016, 2017)]
    load_rows(db, tmp_path, rows)
    read = []
    real_arrow = registry.sql.arrow
    monkeypatch.setattr(registry.sql, "arrow", lambda *a, **k: read.append(a[1]) or real_arrow(*a, **k))
    # 2 codes x 2 units (USD, kg) x 3 years: one byte short of the panel refuses it unread
    monkeypatch.setattr(registry, "available_memory", lambda: 2 * 2 * 3 * 200 - 1)
    with pytest.raises(TooLargeError, match=r"would read 4 series x 3 periods"):
        db.flags(country="PRK")
    assert not [q for q in read if q.startswith("detect_series")]
    monkeypatch.setattr(registry, "available_memory", lambda: 2 * 2 * 3 * 200)
    db.flags(country="PRK")
    assert {"detect_series_reported", "detect_series_published", "detect_series_present"} <= set(read)
    # in a window, the window's size
    read.clear()
    monkeypatch.setattr(registry, "available_memory", lambda: 2 * 2 * 2 * 200)
    db.flags(country="PRK", years=(2016, 2017))
    assert "detect_series_reported" in read


def test_a_published_period_whose_codes_are_all_present_without_an_amount_is_no_column():
    # 2020 is published for the pair-flow and the code is present there (say, a figure in another
    # currency with no weight): no amount and no implicit zero, so no column, as detect_series has no row
    import datetime as dt

    import pyarrow as pa

    from mirror.detect.panel import from_parts

    day = [dt.date(2019, 1, 1), dt.date(2020, 1, 1), dt.date(2021, 1, 1)]
    reported = pa.table({"reporter": ["CHN"], "partner": ["PRK"], "flow": ["export"], "hs": ["2709"], "unit": ["USD"],
                         "period": ["2019"], "period_start": [day[0]], "month": pa.array([None], pa.int8()),
                         "amount": [5.0], "figures": [1]})
    published = pa.table({"reporter": ["CHN"] * 3, "partner": ["PRK"] * 3, "flow": ["export"] * 3,
                          "period": ["2019", "2020", "2021"], "period_start": day, "month": pa.array([None] * 3, pa.int8())})
    present = pa.table({"reporter": ["CHN"] * 2, "partner": ["PRK"] * 2, "flow": ["export"] * 2, "hs": ["2709"] * 2,
                        "period_start": day[:2]})
    panel = from_parts(reported, published, present)
    assert list(panel.labels) == ["2019", "2021"] and panel.freq == "A"
    assert panel.Y.tolist() == [[5.0, 0.0]] and panel.implicit.tolist() == [[False, True]]
