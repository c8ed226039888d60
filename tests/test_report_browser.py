"""The report in a real browser: headless Chromium, offline, from a file:// URL. Every section is
photographed into test-artifacts/ (report-<section>.png, world-<section>.png) and what a reader
sees is checked in the DOM: no year written with a separator (tables and axes), dates as dates, the
cap chart's largest total equal to the headline's, the rebuilt chart's time axis over the report's
years - on the bundled record and on a simulated world-scale store."""

from __future__ import annotations

import re

import pytest

from mirror.report import build_report
from mirror.store import Store

from .browser import ARTIFACTS, open_page, wait_for_charts
from .test_report import PAYLOAD, build_world_store, load_hostile

# what the page shows a reader, read in the browser after every chart drew
VISIBLE = """() => {
  const out = {yearCells: [], axisLabels: [], sections: [], capHeadline: null, capChartMax: null, rebuiltDomain: null};
  document.querySelectorAll("table").forEach(t => {
    const heads = Array.from(t.querySelectorAll("thead th")).map(th => th.textContent.trim());
    heads.forEach((h, i) => {
      if (/\\byear\\b/.test(h)) t.querySelectorAll("tbody tr").forEach(tr => out.yearCells.push(tr.cells[i].textContent.trim()));
    });
  });
  document.querySelectorAll(".chart svg .role-axis-label text").forEach(el => out.axisLabels.push(el.textContent));
  document.querySelectorAll("main > section").forEach(s => out.sections.push(s.id));
  const cap = document.querySelector('li[data-kind="cap"]');
  if (cap) out.capHeadline = Math.max(...Array.from(cap.textContent.matchAll(/\\d{4}: ([\\d,]+) bbl/g), m => +m[1].replace(/,/g, "")));
  const capView = document.getElementById("chart-cap_deliveries")?.__view;
  if (capView) {
    const data = capView.getState({data: () => true, signals: () => false, recurse: true}).data || {};
    const values = [];
    const walk = d => Object.values(d).forEach(v => Array.isArray(v) ? v.forEach(r => r && r.delivered != null && values.push(r.delivered))
                                                 : (v && typeof v === "object" && walk(v)));
    walk(data);
    out.capChartMax = Math.max(...values);
  }
  const rebuilt = document.getElementById("chart-rebuilt_trade")?.__view;
  if (rebuilt) out.rebuiltDomain = rebuilt.scale("x").domain().map(d => new Date(d).getFullYear());
  return out;
}"""


def _check_and_photograph(report, page_path, prefix: str) -> dict:
    with open_page(page_path) as (page, log):
        wait_for_charts(page, len(report.figures()))
        page.wait_for_function("Array.from(document.querySelectorAll('.chart')).every(c => c.__view)", timeout=60_000)
        page.wait_for_timeout(300)  # let any late error surface
        seen = page.evaluate(VISIBLE)
        ARTIFACTS.mkdir(exist_ok=True)
        for section in ["header", *seen["sections"]]:
            selector = "main > header" if section == "header" else f"main > section#{section}"
            page.locator(selector).screenshot(path=str(ARTIFACTS / f"{prefix}-{section}.png"))
        assert log.console_errors == []
        assert [u for u in log.requests if not u.startswith("file://")] == []
        body = page.locator("body").inner_text()
    # years as years: "2014", never "2,014", in every table column about years and on every axis
    assert seen["yearCells"] and all(re.fullmatch(r"\d{4}|", c) for c in seen["yearCells"]), seen["yearCells"][:20]
    assert not [label for label in seen["axisLabels"] if re.fullmatch(r"[12],\d{3}", label)]
    assert not re.search(r"\d{4}-\d\d-\d\d 00:00:00", body) and "period(s)" not in body and "UNSCR2" not in body
    # the cap chart draws the deliveries the headline cites, and the rebuilt chart spans the report's years
    assert seen["capChartMax"] == pytest.approx(seen["capHeadline"], abs=0.5)
    assert seen["rebuiltDomain"] == [report.years[0], report.years[1]]
    for section in ["header", *seen["sections"]]:
        assert (ARTIFACTS / f"{prefix}-{section}.png").stat().st_size > 5_000
    return seen


def test_report_renders_offline_with_every_chart_and_no_errors(tmp_path):
    with Store(tmp_path / "b.duckdb") as db:
        db.load_bundled()
        report = build_report(db)
    page_path = report.save(tmp_path / "report.html")
    seen = _check_and_photograph(report, page_path, "report")
    assert seen["capHeadline"] == 418_000 and seen["sections"] == ["findings", *[s.id for s in report.sections]]
    with open_page(page_path) as (page, log):
        wait_for_charts(page, len(report.figures()))
        assert page.locator(".chart").count() == len(report.figures()) == 9
        assert page.locator(".chart svg.marks").count() == len(report.figures())
        assert page.locator(".chart", has_text="could not be drawn").count() == 0
        # every chart drew data marks (a mark dropped for a null value would leave an empty frame)
        drawn = page.evaluate("Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map(c => [c.id, "
                              "c.querySelectorAll('g.role-mark > path, g.role-mark > text, g.role-mark > line').length]))")
        assert all(n > 0 for n in drawn.values()), drawn
        assert drawn["chart-discrepancy_heatmap"] >= 20  # grey one-sided cells included
        assert len(log.requests) == 1  # the page itself, nothing else
        # the flags table sorts on a click: by score, descending on the second click
        table = page.locator('table[data-table="flags"]')
        table.locator("th", has_text="score").click()
        table.locator("th", has_text="score").click()
        assert table.locator("th", has_text="score").get_attribute("aria-sort") == "descending"
        # a country's code on hover; the full list of citations one click away
        assert page.locator('table[data-table="rebuilt_by_partner"] td[title="CHN"]').count() > 0
        cited = page.locator("li[data-kind=cap] details.cited")
        assert not cited.locator("ul").is_visible()
        cited.locator("summary").click()
        assert cited.locator("ul").is_visible()
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_a_world_scale_report_reads_the_same(tmp_path):
    build_world_store(tmp_path / "w.duckdb")
    with Store(tmp_path / "w.duckdb", read_only=True) as db:
        report = build_report(db)
    seen = _check_and_photograph(report, report.save(tmp_path / "world.html"), "world")
    assert len(report.figures()) == 10 and "unit_values" in [f.id for f in report.figures()]  # weights: drawn
    assert seen["rebuiltDomain"] == [1989, 2024]


def test_script_payloads_in_the_data_do_not_run(tmp_path):
    with Store(tmp_path / "x.duckdb") as db:
        load_hostile(db, tmp_path)
        report = build_report(db)
    page_path = report.save(tmp_path / "hostile.html")
    with open_page(page_path) as (page, log):
        wait_for_charts(page, len(report.figures()))
        # hover every chart mark with a tooltip that carries the payload: tooltips render text, not HTML
        hovered = 0
        for el in page.locator(".chart svg.marks g.mark-rect path, .chart svg.marks g.mark-symbol path").all()[:60]:
            el.scroll_into_view_if_needed()
            box = el.bounding_box()
            if box and box["width"] > 1 and box["height"] > 1:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(20)
                hovered += 1
        assert hovered > 5
        assert page.locator("#vg-tooltip-element").count() == 1  # vega-tooltip drew its tooltips
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert log.dialogs == [] and log.console_errors == []
        assert page.locator("img[src=x]").count() == 0
        # the payload is on the page as text, where the data put it (citations folded: open them)
        for summary in page.locator("details > summary").all():
            summary.click()
        assert PAYLOAD in page.locator("body").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-hostile.png"))
