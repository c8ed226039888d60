"""Writes notebooks/north_korea_mirror.ipynb (committed without outputs; the test suite runs it).

    python tools/write_notebook.py
"""

from pathlib import Path

import nbformat

CELLS = [
    ("md", """# North Korea's trade from its partners' reports

North Korea publishes no trade statistics. This notebook rebuilds its trade from what its partners
report ("mirror statistics") with **trade-mirror**, on the bundled, cited public record, and walks
through the questions an economist asks first:

1. What does the DPRK's trade look like, rebuilt from its partners?
2. Where do the two reports of a flow disagree, and who does not report at all?
3. Did China's crude oil exports really stop in 2014?
4. How do the notified refined petroleum deliveries compare with the UN cap?
5. Which goods were still traded after the UN banned them?

Everything returns a pandas DataFrame; charts are Altair objects that draw offline."""),
    ("code", """import mirror
from mirror import charts

# Charts in this notebook draw with no network: Vega's JavaScript is inlined, as in the HTML report.
mirror.use_offline_renderer()

db = mirror.open(read_only=True)   # the default store; built from the bundled record on first use
db.status()[["source", "release", "current_figures", "first_year", "last_year", "kinds"]]"""),
    ("md", """## 1. The DPRK's trade rebuilt from its partners

Imports are what partners report exporting to the DPRK; exports are what they report importing
from it, converted from CIF to FOB (÷ 1.06 by default). A partner that reported nothing for a year
is marked, not counted as zero."""),
    ("code", """by_year = db.reconstruct("PRK", by="period")
by_year.tail(8)"""),
    ("code", """by_partner = db.reconstruct("PRK", by="partner", years=(2010, 2021))
charts.rebuilt_trade(by_partner.dropna(subset=["imports_usd", "exports_usd"], how="all"))"""),
    ("md", """## 2. Mirror discrepancies

Both reports of each flow side by side. For the DPRK one side is always missing - that is the
point of mirror statistics - so `reported_by` says who spoke."""),
    ("code", """pairs = db.mirror(exporter="CHN", importer="PRK", level="4", years=(2010, 2020))
pairs[["year", "hs", "value_exporter_usd", "value_importer_fob_usd", "reported_by", "source_exporter"]].head(10)"""),
    ("md", """## 3. China's crude oil: a reporting gap, not a collapse

China's customs reported crude (HS 2709) exports to the DPRK of about 500,000 t a year until 2013
and zero from January 2014, while the Dandong-Sinuiju pipeline kept running. The detectors tell
a reporting gap (one series stops, the pair's other trade goes on) from a collapse or a ban."""),
    ("code", """flags = db.flags(country="PRK")
gap = flags[flags.detector == "reporting_gap"]
print(gap.reason.iloc[0])
assert (gap.hs == "2709").any() and (gap.period == "2014").any()"""),
    ("code", """oil = db.oil("PRK")
charts.oil_deliveries(oil)"""),
    ("md", """## 4. Refined petroleum against the UN cap

UNSC resolution 2397 (December 2017) capped refined petroleum supplies at 500,000 barrels a
year. The 1718 Committee publishes what suppliers notify."""),
    ("code", """caps = db.caps("PRK")
caps[caps.reporter == "all suppliers"][["cap_year", "delivered", "unit", "cap_amount", "percent_of_cap"]]"""),
    ("code", """charts.cap_running_totals(db.caps("PRK", monthly=True))"""),
    ("md", """## 5. Trade in banned goods after the ban

A series that falls to zero after a ban is the ban obeyed; trade reported after the effective
date is a finding (subject to the measure's exemptions)."""),
    ("code", """db.sanctioned_trade("PRK", summary=True)[["measure", "reporter", "value_after_usd", "first_period_after"]]"""),
    ("md", """## The whole report

The same report the command line writes (`trade-mirror report`), displayed inline through the
same renderer. `report.save("prk.html")` writes the offline file; `report.export("dir")` the
charts as PNG/SVG and the tables as CSV/Parquet."""),
    ("code", """report = db.report("PRK", years=(2005, 2024))
[f.text[:120] for f in report.findings]"""),
    ("code", """report"""),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in CELLS]
    out = Path(__file__).resolve().parent.parent / "notebooks" / "north_korea_mirror.ipynb"
    out.parent.mkdir(exist_ok=True)
    nbformat.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
