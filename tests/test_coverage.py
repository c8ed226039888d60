"""Absence as data: files written as sources publish them (no zero rows, reporter-years missing, one
side of a pair never loaded), and what the store, the mirror and the detectors make of them.

The three states: 'reported' (a figure), 'reported nothing' (the reporter published the period for
the partner and flow, and the code is absent: a zero it did not write), 'not available' (it did not
publish, or that side was never loaded)."""

import shutil

import numpy as np
import pytest

from mirror.load import rebuild_coverage

from .comtrade_files import api_json, bulk_gz, persistent, record
from .helpers import load_rows, row


def crude_records(rng, totals_until=2024):
    """China's exports to the DPRK as Comtrade publishes them: a TOTAL row every year to
    `totals_until`, and crude (2709) rows only while it was reported (2000-2013), at about
    520,000 t a year (the pipeline's volume; the tonnage varies little, its price a lot)."""
    years = range(2000, 2025)
    total = persistent(rng, 2.5e9, len(years), sd=0.3)
    tonnes = persistent(rng, 520_000, 14, sd=0.08, rho=0.5)
    price = persistent(rng, 600, 14, sd=0.3)  # USD per tonne
    out = []
    for i, y in enumerate(years):
        if y <= totals_until:
            out.append(record("CHN", "PRK", "X", "TOTAL", y, round(total[i])))
        if y <= 2013:
            out.append(record("CHN", "PRK", "X", "2709", y, round(tonnes[i] * price[i]), kg=round(tonnes[i] * 1000)))
    return out, tonnes


def test_china_crude_rows_that_stop_are_a_reporting_gap_in_the_bulk_layout(db, tmp_path):
    recs, tonnes = crude_records(np.random.default_rng(11))
    db.load(bulk_gz(tmp_path / "COMTRADE-FINAL-CA156-2000-2024.gz", recs))
    gaps = db.flags(detector="reporting_gap", country="PRK")
    kg = gaps[(gaps.hs == "2709") & (gaps.unit == "kg")]
    assert len(kg) == 1 and kg.period.iloc[0] == "2014" and kg.reporter.iloc[0] == "CHN"
    # the implied missing volume is the pre-break level: the median of the last three years, in kg
    assert kg.implied_missing.iloc[0] == pytest.approx(np.median(tonnes[-3:]) * 1000, rel=1e-6)
    assert 400_000_000 < kg.implied_missing.iloc[0] < 650_000_000
    reason = kg.reason.iloc[0]
    assert " t " in reason and "implicit zero" in reason and "reporting gap" in reason
    # what coverage says: 2014 published for the pair (TOTAL row), crude not among it
    code = db.coverage("CHN", "PRK", "export", hs="2709").set_index("period")
    assert code.loc["2013", "state"] == "reported" and code.loc["2014", "state"] == "reported nothing"
    assert code.loc["2014", "value"] == 0.0


def test_flags_for_a_window_of_years_judge_the_series_inside_it(cli, tmp_path):
    # a large country over decades is read a window at a time: the gap needs its history in the window
    store = tmp_path / "s.duckdb"
    recs, _ = crude_records(np.random.default_rng(11))
    assert cli("load", bulk_gz(tmp_path / "COMTRADE-FINAL-CA156-2000-2024.gz", recs), "--db", store)[0] == 0
    code, out, err = cli("flags", "--country", "PRK", "--detector", "reporting_gap", "--years", "2005-2020",
                         "--csv", "--db", store)
    assert code == 0, err
    assert ",2709," in out and ",2014," in out
    import mirror

    with mirror.open(store) as db:
        # from 2014 on there is no history of crude to stop: nothing to judge
        assert db.flags(detector="reporting_gap", country="PRK", years=(2014, 2024)).empty
        windowed = db.flags(country="PRK", years="2005-2020")
        assert len(windowed) and windowed.period.str[:4].astype(int).between(2005, 2020).all()
        assert db.query("stored_flags", country="PRK", detector=None).empty  # a window is not stored
        db.flags(country="PRK")
        assert len(db.query("stored_flags", country="PRK", detector=None)) >= 1
        with pytest.raises(mirror.MirrorError, match="2030"):
            db.flags(country="PRK", years=(2030, 2031))


def test_when_china_publishes_nothing_after_2013_nothing_is_known(db, tmp_path):
    recs, _ = crude_records(np.random.default_rng(11), totals_until=2013)
    db.load(bulk_gz(tmp_path / "COMTRADE-FINAL-CA156-2000-2013.gz", recs))
    assert db.flags(detector="reporting_gap", country="PRK").empty
    pair = db.coverage("CHN", "PRK", "export", years=(2010, 2024)).set_index("period")
    assert pair.loc["2013", "state"] == "reported"
    assert (pair.loc["2014":"2024", "state"] == "not available").all()
    assert "no export figures of CHN for 2014" in pair.loc["2014", "basis"]
    code = db.coverage("CHN", "PRK", "export", hs="2709", years=(2010, 2024)).set_index("period")
    assert code.loc["2014", "state"] == "not available" and np.isnan(code.loc["2014", "value"])


def test_bans_stop_series_that_the_bans_explain_and_a_substitute_grows_unflagged(db, tmp_path):
    # China's imports from the DPRK in the API layout. Coal (2701), iron ore (2601), seafood (03) and
    # apparel (61, 62) rows stop after 2017 (UNSCR 2371 of 5 Aug 2017; 2375 of 11 Sep 2017 for textiles);
    # wigs (6704) triple from 2018; China's TOTAL imports from the DPRK go on every year.
    rng = np.random.default_rng(5)
    years = list(range(2008, 2023))
    recs = []
    total = persistent(rng, 2.0e9, len(years), sd=0.3)
    series = {code: persistent(rng, level, len(years), sd=0.35) for code, level in
              (("2701", 1.0e9), ("2601", 2.0e8), ("03", 1.5e8), ("61", 3.0e8), ("62", 4.0e8), ("6704", 5.0e7))}
    for i, y in enumerate(years):
        recs.append(record("CHN", "PRK", "M", "TOTAL", y, round(total[i] * (0.3 if y >= 2018 else 1))))
        for code, values in series.items():
            if code == "6704":
                recs.append(record("CHN", "PRK", "M", code, y, round(values[i] * (3 if y >= 2018 else 1))))
            elif y <= 2017:
                recs.append(record("CHN", "PRK", "M", code, y, round(values[i])))
    db.load(api_json(tmp_path / "chn_imports_from_prk.json", recs))
    flags = db.flags(country="PRK")
    assert not (flags.detector == "reporting_gap").any()
    for code, measure in (("2701", "UNSCR2371"), ("2601", "UNSCR2371"), ("03", "UNSCR2371"),
                          ("61", "UNSCR2375"), ("62", "UNSCR2375")):
        falls = flags[(flags.hs == code) & (flags.detector == "level_shift") & (flags.period == "2018")]
        assert falls.explained_by.str.startswith(measure).any(), (code, flags[flags.hs == code][["detector", "period", "explained_by"]])
    wigs = flags[flags.hs == "6704"]
    assert not wigs.detector.isin(["rerouting", "sanctioned_trade"]).any()
    assert not (wigs.explained_by.notna() & (wigs.detector == "level_shift")).any()


def test_a_store_of_importer_reports_only_gives_no_rerouting_or_mirror_outliers(db, tmp_path):
    # Korea's and Japan's imports of coal and other goods from Russia and China, 2010-2021, with
    # realistic noise and a jump after the 2017 bans - but no exporter's report of these flows is
    # loaded. Nothing can be said about relabelling: the other side is not available.
    rng = np.random.default_rng(9)
    rows = []
    for importer in ("KOR", "JPN"):
        for exporter in ("RUS", "CHN"):
            for hs in ("2701", "2601", "8703", "6110"):
                values = persistent(rng, 5e7, 12, sd=0.4)
                for i, y in enumerate(range(2010, 2022)):
                    rows.append(row(importer, exporter, "M", hs, round(values[i] * (4 if y >= 2018 else 1)), year=y))
    rows += [row("CHN", "PRK", "X", "TOTAL", 2.5e9 + 1e8 * (y % 3), year=y) for y in range(2010, 2022)]
    load_rows(db, tmp_path, rows)
    flags = db.flags(country="PRK")
    assert not flags.detector.isin(["rerouting", "mirror_outlier"]).any()
    m = db.mirror(level="4", importer="KOR")
    assert set(m.reported_by) == {"importer only, exporter not available"}
    assert m.discrepancy_index.isna().all() and m.gap_usd.isna().all()
    report = db.report("PRK")
    assert not any(f.kind in ("rerouting", "mirror_outlier") for f in report.findings)


def test_baci_year_lists_every_positive_flow_so_an_absent_product_is_a_known_zero(db, tmp_path):
    # BACI 2019 has China's crude (270900) and T-shirts (610910) to the DPRK; 2020 has only T-shirts.
    # A BACI year file lists every positive flow: crude in 2020 is a zero, not unknown. 2021 is not loaded.
    for year, lines in ((2019, ["2019,156,408,270900,250000.0,400000", "2019,156,408,610910,900.5,12"]),
                        (2020, ["2020,156,408,610910,800.0,10"])):
        (tmp_path / f"BACI_HS92_Y{year}_V202301.csv").write_text("t,i,j,k,v,q\n" + "\n".join(lines) + "\n")
        db.load(tmp_path / f"BACI_HS92_Y{year}_V202301.csv")
    crude = db.coverage("CHN", "PRK", "export", kind="estimated", hs="270900", years=(2019, 2021)).set_index("period")
    assert crude.loc["2019", "state"] == "reported" and crude.loc["2019", "value"] == 250_000_000.0
    assert crude.loc["2020", "state"] == "reported nothing" and crude.loc["2020", "value"] == 0.0
    assert crude.loc["2021", "state"] == "not available"


def test_a_complete_customs_table_makes_a_silent_partner_a_reported_zero(db, tmp_path):
    # A China customs table whose mapping says it lists every non-zero flow (complete = true): PRK is
    # in 2018 and absent in 2019, while 2019 lists other partners. China's 2019 exports to PRK are then
    # REPORTED NOTHING (zero) in the reconstruction - without the option they would be not available.
    table = tmp_path / "gacc_exports.csv"
    table.write_text("Year,Partner,HS,Value\n2018,PRK,TOTAL,100\n2018,RUS,TOTAL,900\n2019,RUS,TOTAL,950\n")
    mapping = tmp_path / "gacc.toml"
    mapping.write_text('source = "gacc"\ncomplete = true\n[columns]\nyear = "Year"\npartner = "Partner"\n'
                       'hs = "HS"\nvalue = "Value"\n[constants]\nreporter = "CHN"\nflow = "export"\n')
    db.load(table, format="csv", mapping=mapping)
    by_partner = db.reconstruct("PRK", by="partner").set_index(["period", "partner"])
    assert by_partner.loc[("2018", "CHN"), "imports_status"] == "reported"
    assert by_partner.loc[("2019", "CHN"), "imports_status"] == "reported nothing"
    pair = db.coverage("CHN", "PRK", "export").set_index("period")
    assert pair.loc["2019", "state"] == "reported nothing" and pair.loc["2019", "basis"].startswith("stated")


def test_flags_for_a_country_are_only_its_own_series(db, tmp_path):
    # A mirror outlier between Japan and Korea is Korea's flag, not North Korea's.
    rows = []
    for i, e in enumerate(["JPN", "DEU", "FRA", "ITA", "ESP", "GBR", "USA", "CAN"]):
        for year in range(2010, 2016):
            x = 100 + 10 * i + year % 3
            m = x * 1.06 * (6 if (e == "JPN" and year == 2013) else 1) * (1 + 0.01 * ((year + i) % 3 - 1))
            rows += [row(e, "KOR", "X", "8703", x, year=year), row("KOR", e, "M", "8703", round(m, 2), year=year)]
    load_rows(db, tmp_path, rows)
    assert len(db.flags(detector="mirror_outlier", country="KOR")) == 1
    assert db.flags(country="PRK").empty


def test_coverage_command(cli, tmp_path):
    store = tmp_path / "s.duckdb"
    recs, _ = crude_records(np.random.default_rng(2))
    path = api_json(tmp_path / "crude.json", recs)
    assert cli("load", path, "--db", store)[0] == 0
    code, out, err = cli("coverage", "--reporter", "China", "--partner", "PRK", "--hs", "2709", "--csv", "--db", store)
    assert code == 0, err
    assert "2014,reported nothing" in out.replace('"', "") or ",2014," in out
    code, out, err = cli("coverage", "--by", "reporter", "--reporter", "CHN", "--json", "--db", store)
    assert code == 0 and '"period": "2024"' in out.replace('":"', '": "')


def test_copy_of_shared_baci_code_files_still_loads(db, tmp_path, fixtures):
    # The coverage rebuild runs inside the load of a BACI file with its real code files beside it.
    for f in (fixtures / "baci").iterdir():
        shutil.copy(f, tmp_path / f.name)
    db.load(tmp_path / "BACI_HS92_Y2021_V202301.csv")
    states = db.coverage("CHN", "PRK", "export", kind="estimated", years=(2021, 2021))
    assert list(states.state) == ["reported"]


def _coverage_rows(db):
    return [db.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("coverage_pairs", "coverage_reporters")]


def test_a_load_updates_coverage_as_a_whole_rebuild_would(db, tmp_path):
    # Each load recomputes only the reporter-periods it touched; the stated rules reach across
    # periods (a complete table's new partner is published in every complete period of its reporter),
    # so after every load the tables must equal a rebuild from scratch.
    mapping = tmp_path / "gacc.toml"
    mapping.write_text('source = "gacc"\ncomplete = true\n[columns]\nyear = "Year"\npartner = "Partner"\n'
                       'hs = "HS"\nvalue = "Value"\n[constants]\nreporter = "CHN"\nflow = "export"\n')
    tables = ["Year,Partner,HS,Value\n2018,PRK,TOTAL,100\n2018,RUS,TOTAL,900\n",
              "Year,Partner,HS,Value\n2019,RUS,TOTAL,950\n2019,KOR,TOTAL,70\n",  # KOR: new for 2018 too
              "Year,Partner,HS,Value\n2019,RUS,TOTAL,960\n"]  # a revision: nothing new
    steps = []
    for i, text in enumerate(tables):
        path = tmp_path / f"gacc_{i}.csv"
        path.write_text(text)
        steps.append(lambda p=path: db.load(p, format="csv", mapping=mapping))
    steps.append(lambda: load_rows(db, tmp_path, [row("RUS", "CHN", "M", "TOTAL", 990, year=2019),
                                                  row("RUS", "PRK", "X", "2709", 5, year=2017)]))
    steps.append(lambda: load_rows(db, tmp_path, [row("RUS", "CHN", "M", "TOTAL", 995, year=2019)]))
    for year, lines in ((2019, ["2019,156,408,270900,250000.0,400000"]), (2020, ["2020,156,643,610910,800.0,10"])):
        path = tmp_path / f"BACI_HS92_Y{year}_V202301.csv"
        path.write_text("t,i,j,k,v,q\n" + "\n".join(lines) + "\n")
        steps.append(lambda p=path: db.load(p))
    for step in steps:
        step()
        kept = _coverage_rows(db)
        with db.transaction():
            rebuild_coverage(db.con)
        assert _coverage_rows(db) == kept
    pair = db.coverage("CHN", "KOR", "export").set_index("period")
    assert pair.loc["2018", "state"] == "reported nothing" and pair.loc["2018", "basis"].startswith("stated")


def test_a_report_whose_country_is_too_large_over_every_year_reads_its_own_years(db, tmp_path, monkeypatch):
    # memory for the report's years, not for every year: detection is run on the report's years
    # and the methods say so; asked for every year, the report stops with the fix
    from mirror.detect import registry
    from mirror.detect.base import DetectSettings
    from mirror.errors import TooLargeError
    from mirror.report import build_report

    recs, _ = crude_records(np.random.default_rng(11))
    db.load(bulk_gz(tmp_path / "COMTRADE-FINAL-CA156-2000-2024.gz", recs))
    whole = registry.Inputs(db, "PRK", "A", "4", DetectSettings()).series.Y.shape
    window = registry.Inputs(db, "PRK", "A", "4", DetectSettings(), (2008, 2024)).series.Y.shape
    assert window[0] * window[1] < whole[0] * whole[1]
    monkeypatch.setattr(registry, "available_memory", lambda: window[0] * window[1] * 200)
    with pytest.raises(TooLargeError, match="--years"):
        build_report(db, "PRK")
    report = build_report(db, "PRK", years=(2008, 2024))
    settings = next(t for t in report.tables() if t.name == "settings").frame.set_index("setting").value
    assert settings["detectors: the years read"].startswith("the series of 2008-2024 only")
    assert "reporting_gap" in set(report_flags(report))


def report_flags(report):
    return next(t for t in report.tables() if t.name == "flags").frame.get("detector", [])
