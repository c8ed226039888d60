"""The HTML report and the charts: content on the bundled data, safety, exports, the CLI and
notebook display. The browser tests (rendering, offline, XSS) are in test_report_browser.py."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
import pytest

from mirror import charts
from mirror.errors import MirrorError, OptionError
from mirror.paths import data_dir
from mirror.report import Report, Section, build_report, javascript_bundle, safe_json
from mirror.report.page import Figure
from mirror.store import Store

PAYLOAD = "</script><script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """A store with the bundled public record (built once for the module; the report only reads)."""
    path = tmp_path_factory.mktemp("bundled") / "bundled.duckdb"
    with Store(path) as db:
        db.load_bundled()
    store = Store(path, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="module")
def report(bundled):
    return build_report(bundled)


def test_headline_findings_state_the_crude_gap_and_the_refined_cap_with_sources(report):
    texts = [f.text for f in report.findings]
    gap = next(f for f in report.findings if f.kind == "reporting_gap")
    assert "HS 2709" in gap.text and "to 0 in 2014" in gap.text and "reporting gap" in gap.text
    assert "530,000 t" in gap.text  # the implied missing volume, with its number
    assert "The Diplomat" in gap.source and "release" in gap.source
    cap = next(f for f in report.findings if f.kind == "cap")
    assert "500,000 barrels" in cap.text and "2018: 381,806 bbl (76% of the cap)" in cap.text
    assert "1718" in cap.source
    assert texts.index(gap.text) < texts.index(cap.text)  # the gap leads


def test_every_section_and_chart_is_there(report):
    # "What changed" (one load so far) and the unit values (no weights in the bundled record) have
    # nothing to show: left out of the page and the exports, and said in "Data and methods"
    assert [s.id for s in report.sections] == ["rebuilt", "mirror", "oil", "sanctions", "flags", "methods"]
    assert [f.id for f in report.figures()] == [
        "rebuilt_trade", "discrepancy_heatmap", "pair_series", "oil_deliveries", "cap_deliveries",
        "notifications_vs_customs", "banned_goods", "flags_timeline", "coverage_heatmap"]
    left_out = " ".join(report.left_out)
    assert "unit values" in left_out and "What changed" in left_out and "trade after each ban" not in left_out
    methods = report.sections[-1]
    assert any(n.startswith("Left out of this report") and "unit values" in n for n in methods.notes)
    assert "no figures" not in report.to_html() and "Nothing in the store for this table" not in report.to_html()
    settings = next(t for t in report.tables() if t.name == "settings").frame.set_index("setting").value
    from mirror.settings import Settings

    assert settings["CIF/FOB conversion method"] == Settings().cif_fob and settings["CIF/FOB factor (fixed method)"] == "1.06"
    assert settings["detectors: alpha"] == "0.05" and settings["oil conversion factors"] == "unsd"
    assert settings["sources, in order of preference"] == "comtrade, public-record, un1718"  # not a Python tuple
    assert settings["Hong Kong re-exports subtracted"] == "yes"  # not True
    sources = next(t for t in report.tables() if t.name == "sources")
    assert {"publisher", "source_url", "release"} <= set(sources.frame.columns) and len(sources.frame) > 50
    assert sources.collapsed  # the full list in a collapsible block


def test_tables_write_years_dates_countries_and_codes_as_a_reader_would(report):
    import re

    seen_year_columns = 0
    for table in report.tables():
        for i, spec in enumerate(table._specs().values()):
            cells = [row[i] for row in table.rows()]
            if spec.fmt == "year":
                seen_year_columns += 1
                assert all(re.fullmatch(r"\d{4}", text) for text, *_ in cells if text), (table.name, spec.header)
            if spec.fmt == "date":
                assert all(re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", text) for text, *_ in cells if text)
            assert "_" not in spec.header and spec.header == spec.header.strip(), (table.name, spec.header)
    assert seen_year_columns >= 8
    rebuilt = next(t for t in report.tables() if t.name == "rebuilt_by_partner")
    partners = {(text, title) for row in rebuilt.rows() for text, _, title, _ in row[1:2]}
    assert ("China", "CHN") in partners
    oil = next(t for t in report.tables() if t.name == "oil")
    assert any(text.startswith("2709 Petroleum oils") for row in oil.rows() for text, *_ in row)
    page = report.to_html()
    assert " 00:00:00" not in page and "period(s)" not in page and "from 2017 to 2017" not in page
    flags = next(t for t in report.tables() if t.name == "flags")
    shown = " ".join(text for row in flags.rows() for text, *_ in row)
    assert "UNSCR2321-coal-2016-t" not in shown and "Resolution 2321 (2016) para 26" in shown
    assert "China to North Korea" in shown and "2709 Petroleum oils" in shown


def test_the_cap_chart_draws_the_deliveries_the_headline_cites(report):
    import re

    cap = next(f for f in report.findings if f.kind == "cap")
    headline = max(int(n.replace(",", "")) for n in re.findall(r"\d{4}: ([\d,]+) bbl", cap.text))
    spec = next(f for f in report.figures() if f.id == "cap_deliveries").spec()
    rows = [r for v in spec["datasets"].values() for r in v if "delivered" in r]
    assert max(r["delivered"] for r in rows) == pytest.approx(headline, abs=0.5) == 418_000
    assert {r["year"] for r in rows} >= {2018, 2019, 2023}
    text = json.dumps(spec)
    assert "all suppliers" in text and "Every supplier and every kind of notification" in text
    # each supplier's own figure (and the Committee's CHN+RUS group figure) in the tooltip
    assert "China and Russia combined 418,000; Russia 277,365; China 166,611" in text


def test_no_year_missing_from_the_store_is_drawn_as_a_collapse(report):
    # The bundled record has no China total for 2014, 2015, 2017 and 2021 (China's customs did publish
    # those years): the rebuilt chart must show those years as China's report missing from the store,
    # not as North Korea's imports collapsing; every year of the report is on the axis.
    fig = next(f for f in report.figures() if f.id == "rebuilt_trade")
    spec = fig.spec()
    rows = [r for v in spec["datasets"].values() for r in v]
    missing = {(r["year"], r["direction"]): r["basis"] for r in rows if r["kind"] == "missing"}
    drawn = {(r["year"], r["direction"]) for r in rows if r["kind"] == "value"}
    for year in (2014, 2015, 2017, 2021):
        assert "China" in missing[(year, "imports")] or "CHN" in missing[(year, "imports")], year
    span = range(report.years[0], report.years[1] + 1)
    assert all((y, d) in drawn or (y, d) in missing for y in span for d in ("imports", "exports"))
    domain = charts.year_domain(report.years[0], report.years[1])
    assert [layer["encoding"]["x"]["scale"]["domain"] for layer in spec["spec"]["layer"]] == [domain, domain]
    assert domain[0] == {"year": 1989} and domain[1]["year"] == 2024  # every year of the report, on a time axis
    by_partner = next(t for t in report.tables() if t.name == "rebuilt_by_partner").frame
    china_2014 = by_partner[(by_partner.partner == "CHN") & (by_partner.year == 2014)].iloc[0]
    assert china_2014.imports_status == "not available"  # never "reported nothing"
    coverage = next(f for f in report.figures() if f.id == "coverage_heatmap").spec()
    states = {r["state"] for v in coverage["datasets"].values() for r in v}
    assert states <= {"reported", "reported nothing", "not available"} and "not available" in states
    assert coverage["encoding"]["color"]["scale"]["domain"] == ["reported", "reported nothing", "not available"]


def test_every_chart_has_tooltips_and_respects_the_row_guard(report):
    for fig in report.figures():
        spec = json.dumps(fig.spec())
        assert '"tooltip"' in spec or "No " in spec, fig.id  # a message chart says what is missing
    assert alt.data_transformers.active == "default"  # the guard is never switched off
    big = pd.DataFrame({"year": range(6000), "partner": "CHN", "partner_name": "China", "source": "x",
                        "imports_usd": 1.0, "exports_usd": 1.0})
    with pytest.raises(alt.MaxRowsError):
        charts.rebuilt_trade(big).to_dict()


def test_every_chart_of_the_report_is_valid_vega_lite_and_the_page_embeds_it_as_validated(report):
    """The page's specs skip Altair's schema validation (Figure.spec): here every chart is validated,
    and the guard on rows still stops a chart with too many, as a MirrorError."""
    from mirror.errors import MirrorError
    from mirror.report import Figure

    for fig in report.figures():
        assert fig.chart.to_dict(validate=True) == fig.spec(), fig.id
    big = pd.DataFrame({"year": range(6000), "partner": "CHN", "partner_name": "China", "source": "x",
                        "imports_usd": 1.0, "exports_usd": 1.0})
    with pytest.raises(MirrorError, match="more rows than Altair draws"):
        Figure("big", "", charts.rebuilt_trade(big)).spec()


def test_empty_frames_give_a_chart_that_says_so():
    for fn in (charts.rebuilt_trade, charts.discrepancy_heatmap, charts.oil_deliveries, charts.flags_timeline,
               charts.unit_values, charts.coverage_heatmap, charts.banned_goods, charts.cap_running_totals,
               charts.cap_deliveries, charts.notifications_vs_customs):
        spec = fn(pd.DataFrame()).to_dict()
        assert spec["mark"]["type"] == "text" and next(iter(spec["datasets"].values()))[0]["text"].startswith("No")


def test_the_page_is_one_self_contained_file(report):
    page = report.to_html()
    assert page.count("vegaEmbed(target") == 1  # one call site, in a loop over the specs
    assert len(re.findall(r"<script>", page)) == 3  # the bundle once, the embed loop, the table sorter
    assert page.count('type="application/json" data-chart=') == len(report.figures())
    # nothing is fetched: no external scripts, styles, images or fonts; a CSP forbids them anyway
    markup = page.replace(javascript_bundle(), "")  # Vega's code holds such strings; the page itself must not
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup)
    assert "default-src 'none'" in page
    assert 0.9e6 < len(page.encode()) < 5e6  # the Vega bundle (~0.9 MB) plus the data; fits in a mail


def test_specs_are_escaped_for_script_elements():
    text = safe_json({"name": "</script><!-- & \u2028\u2029"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028\u2029"}


def test_a_column_with_no_value_at_all_renders_as_nulls_not_nan():
    """A frame built by concatenating an empty frame (no report missing: zero gap rows) holds an
    object column with no value; Altair's sanitiser under pandas 3 hands it over as NaN, which JSON
    cannot hold. Found on a 9M-flow store: the whole page failed to render."""
    values = pd.DataFrame({"year": [2019, 2020], "usd": [1.0, float("inf")]})
    empty = pd.DataFrame([], columns=["year", "note"])
    frame = pd.concat([values, empty], ignore_index=True)
    chart = alt.Chart(frame).mark_bar().encode(x="year:O", y="usd:Q", tooltip=["note:N"])
    figure = Figure("bars", "Bars", chart)
    rows = next(iter(figure.spec()["datasets"].values()))
    assert [r["note"] for r in rows] == [None, None] and rows[1]["usd"] is None
    assert json.loads(safe_json(figure.spec()))["datasets"]
    assert '"note": null' in Report(country="", years=None, sections=[Section("s", "S", figures=[figure])]).to_html()


def test_a_non_finite_number_outside_the_data_is_named_as_a_chart_bug():
    chart = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_point().encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, float("nan")])))
    with pytest.raises(MirrorError, match=r"'scaled'.*nan at /encoding/x/scale/domain\[1\]"):
        Figure("scaled", "Scaled", chart).spec()


def test_rebuilt_trade_sends_no_column_of_nulls_when_no_report_is_missing():
    frame = pd.DataFrame({"year": [2019, 2020], "partner": ["CHN", "CHN"], "partner_name": ["China", "China"],
                          "imports_usd": [5.0, 6.0], "exports_usd": [1.0, 2.0]})
    spec = charts.rebuilt_trade(frame, "PRK", [2019, 2020], pd.DataFrame([], columns=["year", "direction", "missing"]))
    rows = next(iter(spec.to_dict(validate=False)["datasets"].values()))
    assert rows and all("missing" not in r for r in rows)


def test_hostile_names_are_escaped_in_the_page(tmp_path):
    db = Store(tmp_path / "x.duckdb")
    load_hostile(db, tmp_path)
    page = build_report(db).to_html()
    db.close()
    assert PAYLOAD not in page and "<img src=x" not in page
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1" in page  # shown as text in tables
    assert "\\u003c/script\\u003e\\u003cscript\\u003ewindow.__pwned=1" in page  # inert inside chart specs


def load_hostile(db: Store, folder) -> None:
    """Figures whose publisher, quote, note and release carry script payloads, and a user measure
    whose goods and exemptions do (the XSS tests load these)."""
    record = folder / "hostile.csv"
    record.write_text(
        "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"
        + "".join(f'H{y},CHN,PRK,X,2709,{y},{v},tonnes,"{PAYLOAD}",https://example.org/{y},"{PAYLOAD}","{PAYLOAD}"\n'
                  for y, v in ((2010, 520000), (2011, 530000), (2012, 523000), (2013, 578000), (2014, 0), (2015, 0)))
        + "".join(f'T{y},CHN,PRK,X,TOTAL,{y},{v},USD,"{PAYLOAD}",https://example.org/t{y},"{PAYLOAD}",\n'
                  for y, v in ((2010, 2.2e9), (2011, 3.1e9), (2012, 3.4e9), (2013, 3.6e9), (2014, 3.5e9), (2015, 2.9e9)))
        + f'C1,CHN,PRK,M,2701,2017,400000000,USD,"{PAYLOAD}",https://example.org/c,"{PAYLOAD}",\n')
    db.load(record, format="public-record", release=PAYLOAD)
    measures = folder / "measures.csv"
    measures.write_text((data_dir() / "examples" / "china_mofcom_2017_40.csv").read_text()
                        .replace("CHN-MOFCOM-2017-40", "X-EVIL").replace("coal", PAYLOAD.replace(",", " ")))
    db.add_measures(measures)


def test_exports_charts_and_tables(report, tmp_path):
    hostile = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "ok"], "gap": [-5.0, 1.0, 2.0]})
    report.sections[0].tables.append(hostile_table := type(report.tables()[0])("hostile", "t", hostile))
    try:
        written = report.export(tmp_path)
    finally:
        report.sections[0].tables.remove(hostile_table)
    names = {p.name for p in written}
    for fig in report.figures():
        assert f"{fig.id}.png" in names and f"{fig.id}.svg" in names
        assert (tmp_path / f"{fig.id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / f"{fig.id}.svg").read_text().lstrip().startswith("<svg")
    assert "flags.csv" in names and "flags.parquet" in names
    csv = (tmp_path / "hostile.csv").read_text().splitlines()
    assert csv[1].startswith("\"'=HYPERLINK") and csv[2].startswith("'+1") and csv[1].endswith(",-5.0")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "tables.xlsx")["hostile"]
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["B2"].value == -5.0  # numbers stay numbers
    assert len(load_workbook(tmp_path / "tables.xlsx").sheetnames) == len(report.tables()) + 1
    back = pd.read_parquet(tmp_path / "flags.parquet")
    assert len(back) == len(next(t for t in report.tables() if t.name == "flags").frame)


def test_notebook_display_uses_the_same_renderer(report):
    shown = report._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"") and "sandbox=\"allow-scripts" in shown
    assert "&lt;!DOCTYPE html&gt;" in shown and "vegaEmbed" in shown
    section = Section("s", "One section", figures=report.sections[0].figures)._repr_html_()
    assert "rebuilt_trade" in section and section.count("data-chart=") == 1


def test_template_can_be_overridden_and_stays_escaped(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "report.html.j2").write_text("<h1>OUR DESK: {{ report.title }}</h1>{% for f in report.findings %}"
                                        "<p>{{ f.text }}</p>{% endfor %}")
    rep = Report(country="PRK", years=(2010, 2011), sections=[], title="<b>x</b>", template_dir=own)
    assert rep.to_html() == "<h1>OUR DESK: &lt;b&gt;x&lt;/b&gt;</h1>"
    (own / "report.html.j2").write_text("<h1>{{ report.title }</h1>\n{% for %}")
    with pytest.raises(OptionError, match=r"report.html.j2, line 1: .*Fix: correct the template"):
        rep.to_html()
    (own / "report.html.j2").write_text("{{ report.no_such_field }}")
    with pytest.raises(OptionError, match="no_such_field.*Fix: use only the names"):
        rep.to_html()


def test_report_command(cli, tmp_path, bundled):
    out = tmp_path / "prk.html"
    code, stdout, err = cli("report", "--db", bundled.path, "--years", "2010-2020", "--out", out,
                            "--export-dir", tmp_path / "files")
    assert code == 0, err
    assert f"report: {out}" in stdout and "9 charts" in stdout and "no network needed" in stdout
    page = out.read_text()
    assert "2010–2020" in page and (tmp_path / "files" / "flags.csv").exists()
    code, stdout, err = cli("report", "--db", bundled.path, "--country", "Narnia", "--out", out)
    assert code == 2 and "Unknown country 'Narnia'" in err


def build_world_store(path) -> None:
    """The bundled record plus 150 partners x 12 products x 25 years of trade with the DPRK, both
    directions, with weights (90,000 figures): a report at the scale of the world's reports."""
    import numpy as np

    from mirror.store import insert_canonical

    rng = np.random.default_rng(1)
    countries = pd.read_csv(data_dir() / "countries.csv", dtype=str, keep_default_na=False)
    iso = countries[(countries.is_country == "true") & (countries.valid_to_year == "")
                    & (countries.iso3 != "PRK")].iso3.drop_duplicates().to_numpy()[:150]
    hs = ["2701", "2601", "0306", "6110", "8703", "2710", "7108", "9403", "8517", "3004", "6204", "2709"]
    grid = pd.MultiIndex.from_product([iso, hs, ["export", "import"], range(1999, 2024)],
                                      names=["reporter_iso3", "hs", "flow", "year"]).to_frame(index=False)
    grid["value"] = np.round(np.exp(rng.normal(12, 2, len(grid))), 2)
    grid["net_weight_kg"] = np.round(grid.value / np.exp(rng.normal(1, 0.5, len(grid))), 1)
    frame = grid.assign(partner_iso3="PRK", source_row=np.arange(2, len(grid) + 2), freq="A",
                        period=grid.year.astype(str), reporter_code=None, partner_code=None, classification="H5",
                        hs_level="4", valuation=np.where(grid.flow == "export", "FOB", "CIF"))
    with Store(path) as db:
        db.load_bundled()
        insert_canonical(db, frame, source="comtrade", release="sim", label="world-scale report test")


def test_a_world_scale_store_keeps_every_chart_under_the_row_guard(tmp_path):
    """150 partners x 12 products x 25 years, both directions: the rebuilt trade alone would be
    7,500 rows by partner; the report lumps partners beyond the top 15 and aggregates the flags and
    banned goods in SQL, so every chart stays well under Altair's 5,000 rows."""
    build_world_store(tmp_path / "w.duckdb")
    with Store(tmp_path / "w.duckdb", read_only=True) as db:
        report = build_report(db)
    rows = {f.id: max((len(v) for v in f.spec().get("datasets", {}).values()), default=0) for f in report.figures()}
    assert max(rows.values()) < 5000, rows
    rebuilt = next(f for f in report.figures() if f.id == "rebuilt_trade").spec()
    names = {r["partner_name"] for v in rebuilt["datasets"].values() for r in v if r.get("kind") == "value"}
    assert "other partners" in names and len(names) == 16


def test_what_changed_lists_the_last_refresh_against_the_release_before(tmp_path, fixtures):
    drop = tmp_path / "drop"
    drop.mkdir()
    reply = json.loads((fixtures / "comtrade_api_CHN_2018.json").read_text())
    (drop / "a_2019-03.json").write_text(json.dumps(reply))
    with Store(tmp_path / "c.duckdb") as db:
        db.load_bundled()
        assert "changes" not in [s.id for s in build_report(db).sections]  # one batch so far: nothing to compare
        db.refresh(drop, release="2019-03")
        revised = dict(reply, data=[dict(reply["data"][0], primaryValue=2_300_000_000.0, fobvalue=2_300_000_000.0),
                                    *reply["data"][1:]])
        (drop / "b_2019-09.json").write_text(json.dumps(revised))
        db.refresh(drop, release="2019-09")
        report = build_report(db)
    changes = next(s for s in report.sections if s.id == "changes")
    assert changes.title == "What changed in the last refresh" and "comtrade 2019-09" in changes.intro
    rev = changes.tables[0].frame
    assert len(rev) == 1 and (rev.old_value.iloc[0], rev.new_value.iloc[0]) == (2_218_000_000.0, 2_300_000_000.0)
    assert "2,300,000,000" in report.to_html()


def test_the_rebuilt_chart_draws_each_year_total_interval():
    # Two partners' reports for 2018-2019 and the 90% interval of each year's total (the mirror's
    # intervals, Store.reconstruct by period): a line per year and direction, on the bars' scale.
    import pandas as pd

    from mirror import charts

    frame = pd.DataFrame({"year": [2018, 2018, 2019], "partner": ["CHN", "RUS", "CHN"],
                          "partner_name": ["China", "Russia", "China"], "source": "comtrade",
                          "imports_usd": [100.0, 20.0, 110.0], "exports_usd": [50.0, None, 55.0]})
    intervals = pd.DataFrame({"year": [2018, 2019, 2018], "direction": ["imports", "imports", "exports"],
                              "low": [105.0, 96.0, 44.0], "high": [136.0, 125.0, 57.0]})
    spec = charts.rebuilt_trade(frame, "North Korea", [2018, 2019], None, intervals).to_dict()
    rows = [r for v in spec["datasets"].values() for r in v if r["kind"] == "interval"]
    assert sorted((r["year"], r["direction"], r["low"], r["high"]) for r in rows) == [
        (2018, "exports", 44.0, 57.0), (2018, "imports", 105.0, 136.0), (2019, "imports", 96.0, 125.0)]
    marks = [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    assert marks == ["rect", "bar", "rule"] and "90% interval" in spec["title"]["subtitle"]


def test_an_export_from_python_that_fails_half_way_leaves_the_earlier_one(report, tmp_path, monkeypatch):
    from mirror.report import page

    target = tmp_path / "exports"
    report.export(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    drawn = []
    real = page._vl_convert()

    class DiesOnTheThirdChart:  # the renderer failing part of the way through the charts
        def __getattr__(self, name):
            return getattr(real, name)

        def vegalite_to_png(self, spec, **kwargs):
            drawn.append(1)
            if len(drawn) == 3:
                raise RuntimeError("renderer died")
            return real.vegalite_to_png(spec, **kwargs)

    monkeypatch.setattr(page, "_vl_convert", lambda: DiesOnTheThirdChart())
    with pytest.raises(RuntimeError, match="renderer died"):
        report.export(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before  # the earlier export, whole
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]  # and no half-written folder beside it


def test_the_javascript_bundle_is_kept_on_disk_and_rebuilt_when_cut_short(tmp_path, monkeypatch):
    from mirror.report import page

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = page._vl_convert().javascript_bundle(vl_version=page._vl_version())
    page.javascript_bundle.cache_clear()
    first = page.javascript_bundle()
    kept = page._bundle_cache_path()
    assert kept.is_file() and kept.parent.parent == tmp_path / "trade-mirror"
    assert first.count("<\\/script") == built.count("</script") and "</script" not in first.lower()
    page.javascript_bundle.cache_clear()
    assert page.javascript_bundle() == first  # read back: the same string a fresh build gives
    kept.write_text("/* kept */" + kept.read_text())
    page.javascript_bundle.cache_clear()
    assert page.javascript_bundle() == "/* kept */" + first  # read from the file, not rebuilt
    kept.write_text(kept.read_text()[:1000])  # a file cut short (a full disk) is not used
    page.javascript_bundle.cache_clear()
    assert page.javascript_bundle() == first
    page.javascript_bundle.cache_clear()


def test_grey_cells_are_said_to_be_the_country_s_silence_only_where_it_publishes_nothing(report, bundled):
    intro = next(s for s in report.sections if s.id == "mirror").intro
    assert "which for North Korea is the rule: it publishes nothing" in intro
    china = next(s for s in build_report(bundled, country="CHN").sections if s.id == "mirror").intro
    assert "publishes nothing" not in china and "the other side's report of the year is not in the store" in china


def _pair_from_the_country_s_rows(db, iso3, span):
    """The pair the mirror section draws, picked in pandas from every one of the country's HS4 rows
    (the report did this before the choice moved to SQL): the reference the SQL must agree with."""
    rows = pd.concat([db.mirror(exporter=iso3, level="4", years=span), db.mirror(importer=iso3, level="4", years=span)],
                     ignore_index=True)
    if rows.empty:
        return None
    both = rows[rows.reported_by == "both"]
    pick = both if len(both) else rows
    best = (pick.assign(usd=pick.value_exporter_usd.fillna(pick.value_importer_fob_usd))
            .groupby(["exporter", "importer", "hs"], as_index=False)
            .agg(years=("year", "nunique"), usd=("usd", "sum"))
            .sort_values(["years", "usd", "hs"], ascending=[False, False, True]).iloc[0])
    pair = rows[(rows.exporter == best.exporter) & (rows.importer == best.importer) & (rows.hs == best.hs)]
    return (best.exporter, best.importer, best.hs), len(both) > 0, sorted(pair.year)


@pytest.mark.filterwarnings("ignore::mirror.options.EmptyResult")
def test_the_pair_drawn_is_chosen_in_sql_as_the_country_s_rows_would_choose_it(bundled, tmp_path):
    """The report picks the pair-product to draw in SQL and reads only its rows (a large country's
    HS4 rows over a long panel do not fit in memory); the choice is the one a read of all of them
    gives: on the bundled record (the DPRK's flows have one report only) and on a simulated panel
    where most flows have both and some reporter-years are not published."""
    from mirror import simulate
    from mirror.report.parts import pair_to_show
    from mirror.report.words import Names as ReportNames

    with Store(tmp_path / "sim.duckdb") as sim:
        simulate.panel(countries=14, products=40, years=range(2014, 2021), seed=4, hard=True).to_store(sim)
        cases = [(bundled, "PRK", (2010, 2020)), (bundled, "CHN", (2012, 2019))]
        simulated = sorted(sim.mirror(level="4").exporter.unique())[:4]
        cases += [(sim, c, (2014, 2020)) for c in simulated] + [(sim, simulated[0], (2016, 2017))]
        one_sided = 0
        for db, iso3, span in cases:
            expected = _pair_from_the_country_s_rows(db, iso3, span)
            rows, title = pair_to_show(db, ReportNames.from_store(db), iso3, span)
            assert expected is not None, (iso3, span)
            (exporter, importer, hs), both, years = expected
            assert {iso3} & {exporter, importer}
            assert set(rows.exporter) == {exporter} and set(rows.importer) == {importer} and set(rows.hs) == {hs}, (iso3, span)
            assert list(rows.year) == years  # every year of the pair in the span, in order
            assert title.endswith("both reports") == both
            one_sided += not both
        assert one_sided >= 1 and one_sided < len(cases)  # both rules were exercised


def test_unit_values_are_each_product_s_world_distribution_beside_the_country_s_own(tmp_path):
    """report_unit_values reads the world's weighted figures where each part needs them (not kept
    as one table: at 300M flows that was 35 GB of temp files); its quantiles are numpy's over every
    annual USD figure with a weight of the code and year, and its rows the country's own figures."""
    import numpy as np

    from mirror import simulate

    with Store(tmp_path / "uv.duckdb") as db:
        simulate.panel(countries=16, products=50, years=range(2017, 2021), seed=6, hard=True).to_store(db)
        figures = db.con.sql("SELECT hs, year, reporter_iso3, partner_iso3, value / net_weight_kg AS uv FROM flows "
                             "WHERE freq = 'A' AND net_weight_kg > 0 AND value > 0 AND hs <> 'TOTAL' "
                             "AND currency = 'USD'").df()
        country = figures.reporter_iso3.value_counts().index[0]
        rows = db.report_data("report_unit_values", country=country, top=6, partners=8)
        assert rows.hs.nunique() == 6 and len(rows) > 20
        mine = figures[(figures.reporter_iso3 == country) | (figures.partner_iso3 == country)]
        assert len(rows) <= len(mine) and ((rows.reporter == country) | (rows.partner == country)).all()
        for (hs, year), cell in rows.groupby(["hs", "year"]):
            world = figures[(figures.hs == hs) & (figures.year == year)].uv.to_numpy()
            expected = np.quantile(world, [0.10, 0.25, 0.5, 0.75, 0.90])  # linear: DuckDB's quantile_cont
            got = cell[["p10", "p25", "median", "p75", "p90"]].iloc[0].to_numpy(dtype=float)
            np.testing.assert_allclose(got, expected, rtol=1e-12)
            assert (cell.pairs == len(world)).all()
