"""The report in a real browser: headless Chromium, offline, from a file:// URL."""

from __future__ import annotations

from mirror.report import build_report
from mirror.store import Store

from .browser import ARTIFACTS, open_page, wait_for_charts
from .test_report import PAYLOAD, load_hostile


def test_report_renders_offline_with_every_chart_and_no_errors(tmp_path):
    with Store(tmp_path / "b.duckdb") as db:
        db.load_bundled()
        report = build_report(db)
    page_path = report.save(tmp_path / "report.html")
    with open_page(page_path) as (page, log):
        wait_for_charts(page, len(report.figures()))
        page.wait_for_timeout(300)  # let any late error surface
        assert page.locator(".chart").count() == len(report.figures()) == 10
        assert page.locator(".chart svg.marks").count() == len(report.figures())
        assert page.locator(".chart", has_text="could not be drawn").count() == 0
        # every chart drew data marks (a mark dropped for a null value would leave an empty frame)
        drawn = page.evaluate("Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map(c => [c.id, "
                              "c.querySelectorAll('g.role-mark > path, g.role-mark > text, g.role-mark > line').length]))")
        assert all(n > 0 for n in drawn.values()), drawn
        assert drawn["chart-discrepancy_heatmap"] >= 20  # grey one-sided cells included
        assert log.console_errors == []
        assert [u for u in log.requests if not u.startswith("file://")] == []
        assert len(log.requests) == 1  # the page itself, nothing else
        # the flags table sorts on a click: by score, descending on the second click
        table = page.locator('table[data-table="flags"]')
        table.locator("th", has_text="score").click()
        table.locator("th", has_text="score").click()
        assert table.locator("th", has_text="score").get_attribute("aria-sort") == "descending"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


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
        # the payload is on the page as text, where the data put it
        assert PAYLOAD in page.locator("body").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-hostile.png"))
