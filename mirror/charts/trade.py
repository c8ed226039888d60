"""Charts of the trade itself: the country rebuilt from its partners, one pair's two reports, the
discrepancy heatmap, unit values against the world, and who reported when (coverage)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .axes import (
    MISSING_GREY,
    ONE_SIDED_GREY,
    TABLEAU20,
    USD,
    WIDTH,
    long_form,
    message,
    usd_axis,
    with_years,
    year_tip,
    year_x,
)

__all__ = ["rebuilt_trade", "pair_series", "discrepancy_heatmap", "unit_values", "coverage_heatmap"]


def rebuilt_trade(frame: pd.DataFrame, country: str = "PRK", years: list[int] | None = None,
                  missing: pd.DataFrame | None = None, intervals: pd.DataFrame | None = None) -> alt.Chart:
    """A country's trade rebuilt from its partners' reports, by partner and year (``Store.reconstruct``
    by partner): imports = partners' exports to it, exports = partners' imports from it at FOB.
    ``years``: every year of the report, so a year without data is a gap on the axis, never a
    collapse; ``missing``: (year, direction, missing) where a partner's report of the year is not in
    the store (``missing`` names them), drawn as grey bands behind the bars saying so. A bar summed
    from the HS lines in the store (no published total) is drawn pale. ``intervals``: (year,
    direction, low, high), the 90% interval of each year's rebuilt total, drawn as a line."""
    long = long_form(frame, ["year", "partner", "partner_name", "source", "imports_partial", "exports_partial"],
                 {"imports_usd": "imports", "exports_usd": "exports"}, "usd")
    if long.empty:
        return message(f"No partner reports {country}'s trade in the store.")
    long["basis"] = "published totals"
    if "imports_partial" in long:
        is_partial = long.imports_partial.where(long.direction == "imports", long.get("exports_partial"))
        long.loc[is_partial.fillna(False).astype(bool), "basis"] = "summed from HS lines (may be partial)"
    long = long.drop(columns=[c for c in ("imports_partial", "exports_partial") if c in long.columns])
    long["kind"] = "value"
    gaps = missing if missing is not None else pd.DataFrame(columns=["year", "direction"])
    if len(gaps):
        # usd 0 only to keep the column numeric: the bars read kind == 'value' rows only
        missing_who = gaps["missing"] if "missing" in gaps else pd.Series("every partner", index=gaps.index)
        gaps = gaps.assign(kind="missing", usd=0.0, partner_name="no report in the store",
                           basis="not in the store: the report of " + missing_who + " (missing data, not a fall in trade)")
    gaps = gaps.drop(columns=["missing"], errors="ignore")  # said in basis; empty, it would be a column of nulls
    ranges = intervals.dropna(subset=["low", "high"]) if intervals is not None and len(intervals) else pd.DataFrame()
    if len(ranges):
        ranges = ranges.assign(kind="interval", usd=0.0, partner_name="90% interval of the total",
                               basis=[f"90% interval of the year's rebuilt total: USD {lo:,.0f} to {hi:,.0f}"
                                      for lo, hi in zip(ranges.low, ranges.high, strict=True)])
    data = pd.concat([long, gaps, ranges], ignore_index=True)
    data["year"] = data.year.astype(int)
    data = with_years(data)
    span = [int(y) for y in years] if years else sorted(set(data.year))
    width = (WIDTH - 200) // 2
    base = alt.Chart()
    # largest first, 'other partners' last and grey; 20 distinct colours (no two partners alike)
    partners = [p for p in long.groupby("partner_name").usd.sum().sort_values(ascending=False).index
                if p != "other partners"]
    partners += ["other partners"] if "other partners" in set(long.partner_name) else []
    colours = [TABLEAU20[i % len(TABLEAU20)] for i in range(len(partners))]
    if partners and partners[-1] == "other partners":
        colours[-1] = "#9d9d9d"
    bars = base.transform_filter("datum.kind == 'value'").mark_bar().encode(
        x=year_x(span, field="bar_start", width=width), x2="bar_end:T",
        y=alt.Y("sum(usd):Q", title="USD (FOB)", axis=usd_axis()),
        color=alt.Color("partner_name:N", title="partner (largest first)", sort=partners,
                        scale=alt.Scale(domain=partners, range=colours)),
        order=alt.Order("partner_name:N"),
        opacity=alt.Opacity("basis:N", title="bar", scale=alt.Scale(
            domain=["published totals", "summed from HS lines (may be partial)"], range=[1.0, 0.4]),
            legend=alt.Legend(symbolType="square", symbolFillColor="#4c78a8", symbolStrokeWidth=0, labelLimit=260)),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("partner:N", title="code"), year_tip(),
                 alt.Tooltip("direction:N", title=f"{country}'s"), alt.Tooltip("sum(usd):Q", title="USD (FOB)", format=USD),
                 alt.Tooltip("basis:N"), alt.Tooltip("source:N")])
    bands = base.transform_filter("datum.kind == 'missing'").mark_rect(color=MISSING_GREY).encode(
        x=year_x(span, field="start", width=width), x2="end:T",
        y=alt.value(0), y2=alt.value(240), tooltip=[year_tip(), alt.Tooltip("basis:N", title="")])
    layers = [bands, bars]
    if len(ranges):
        layers.append(base.transform_filter("datum.kind == 'interval'").mark_rule(color="#222", strokeWidth=1.5).encode(
            x=year_x(span, field="date", width=width), y="low:Q", y2="high:Q",
            tooltip=[year_tip(), alt.Tooltip("basis:N", title="")]))
    subtitle = ("Grey band: a partner's report of that year is not in the store (missing data, not a fall in trade). "
                "Pale bar: summed from the HS lines in the store." + (" Black line: the 90% interval of the year's "
                                                                     "total." if len(ranges) else ""))
    return alt.layer(*layers, data=data).properties(width=width, height=240).facet(
        column=alt.Column("direction:N", title=None, sort=["imports", "exports"],
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        title=alt.Title(f"{country}'s trade rebuilt from its partners' reports, {span[0]}–{span[-1]} (USD, FOB)",
                        subtitle=subtitle))


def pair_series(frame: pd.DataFrame, title: str) -> alt.Chart:
    """One pair-product's two reports over time (``Store.mirror``): the exporter's FOB value, the
    importer's value converted to FOB, and the band the importer's CIF value spans at CIF/FOB
    margins from 0% to 20% (where the two reports agree once freight and insurance are allowed for)."""
    if frame.empty:
        return message("No pair with both reports to compare.")
    data = with_years(frame.assign(band_low=frame.value_importer_usd / 1.20, band_high=frame.value_importer_usd))
    base = alt.Chart(data, title=alt.Title(title, subtitle="Shaded: the importer's CIF value at CIF/FOB margins of "
                                                           "0-20% (where the two reports agree once freight is allowed for)"))
    base = base.encode(x=year_x(sorted(set(data.year)), width=WIDTH - 160))
    tip = [year_tip(), alt.Tooltip("value_exporter_usd:Q", title="exporter reported (FOB, USD)", format=USD),
           alt.Tooltip("value_importer_usd:Q", title="importer reported (CIF, USD)", format=USD),
           alt.Tooltip("value_importer_fob_usd:Q", title="importer at FOB (USD)", format=USD),
           alt.Tooltip("cif_fob_factor:Q", title="CIF/FOB factor", format=".3f"),
           alt.Tooltip("source_exporter:N", title="exporter's source"),
           alt.Tooltip("source_importer:N", title="importer's source")]
    band = base.mark_area(opacity=0.25, color="#9ecae1").encode(
        y=alt.Y("band_low:Q", title="USD", axis=usd_axis()), y2="band_high:Q", tooltip=tip)
    reports = [c for c in ("value_exporter_usd", "value_importer_fob_usd") if data[c].notna().any()]
    words = {"value_exporter_usd": "exporter reported (FOB)", "value_importer_fob_usd": "importer reported, at FOB"}
    lines = base.transform_fold(reports, as_=["report", "usd"]).transform_calculate(
        report="datum.report == 'value_exporter_usd' ? 'exporter reported (FOB)' : 'importer reported, at FOB'",
    ).mark_line(point=True).encode(y=alt.Y("usd:Q"), tooltip=tip, color=alt.Color(
        "report:N", title=None, scale=alt.Scale(domain=[words[r] for r in reports])))
    return alt.layer(band, lines).properties(width=WIDTH - 160, height=240)


def discrepancy_heatmap(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Partners x years, coloured by the discrepancy index (X - M_fob)/(X + M_fob) of the two reports;
    grey where only one side reports (query report_discrepancy_cells)."""
    if frame.empty:
        return message(f"No mirror pairs for {country}.")
    data = with_years(frame)
    partners = data.partner_name.nunique()
    # invalid=None: a cell whose index is null (one report only) is drawn grey, not dropped.
    return alt.Chart(data).mark_rect(invalid=None, stroke="white", strokeWidth=0.5).encode(
        x=year_x(sorted(set(data.year)), field="start", width=(WIDTH - 200) // 2), x2="end:T",
        y=alt.Y("partner_name:N", title=None),
        color=alt.condition("datum.discrepancy_index === null", alt.value(ONE_SIDED_GREY),
                            alt.Color("discrepancy_index:Q", title=["discrepancy", "(X − M) / (X + M)"],
                                      scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True))),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("partner:N", title="code"), year_tip(),
                 alt.Tooltip("direction:N", title=f"{country}'s"),
                 alt.Tooltip("exporter_reported_usd:Q", title="exporter reported (USD)", format=USD),
                 alt.Tooltip("importer_reported_usd:Q", title="importer reported (CIF, USD)", format=USD),
                 alt.Tooltip("discrepancy_index:Q", title="discrepancy index", format=".2f"),
                 alt.Tooltip("reported_by:N", title="reported by"), alt.Tooltip("sources:N")],
    ).properties(width=(WIDTH - 200) // 2, height=alt.Step(16) if partners > 3 else 16 * partners + 8).facet(
        column=alt.Column("direction:N", title=None, sort=["imports", "exports"],
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        title=alt.Title(f"Mirror discrepancies of {country}'s trade, by partner and year",
                        subtitle="Grey: one report only (the other side published nothing); red: the exporter reports "
                                 "more, blue: the importer does."))


def unit_values(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """The country's unit values (USD per kg) against every pair's for the same product and year:
    the 10-90% and 25-75% ranges and the median, the country's pairs as points (query
    report_unit_values)."""
    if frame.empty:
        return message(f"No figures with both value and weight for {country}'s trade.")
    data = with_years(frame)
    base = alt.Chart().encode(x=year_x(sorted(set(data.year)), width=WIDTH - 260))
    spread = [alt.Tooltip("product:N"), year_tip(), alt.Tooltip("median:Q", title="median USD/kg", format=".3f"),
              alt.Tooltip("p10:Q", title="10th percentile", format=".3f"), alt.Tooltip("p90:Q", title="90th percentile", format=".3f"),
              alt.Tooltip("pairs:Q", title="pairs in the distribution")]
    whisker = base.mark_rule(color="#999").encode(y=alt.Y("p10:Q", title="USD per kg", scale=alt.Scale(type="log")),
                                                  y2="p90:Q", tooltip=spread)
    box = base.mark_rule(strokeWidth=9, color="#c6dbef").encode(y="p25:Q", y2="p75:Q", tooltip=spread)
    median = base.mark_tick(color="#08519c", size=12).encode(y="median:Q", tooltip=spread)
    own = base.mark_point(filled=True, size=50, color="#b2182b").encode(
        y="usd_per_kg:Q", shape=alt.Shape("flow:N", title=f"{country}'s pair, as reported"),
        tooltip=[alt.Tooltip("reporter:N"), alt.Tooltip("partner:N"), alt.Tooltip("flow:N"), year_tip(),
                 alt.Tooltip("usd_per_kg:Q", title="USD per kg", format=".3f"),
                 alt.Tooltip("value_usd:Q", title="USD", format=USD),
                 alt.Tooltip("net_weight_kg:Q", title="kg", format=USD), alt.Tooltip("source:N")])
    return alt.layer(whisker, box, median, own, data=data).properties(width=WIDTH - 260, height=150).facet(
        row=alt.Row("product:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=300)),
        title=alt.Title(f"Unit values of {country}'s trade against all pairs in the store",
                        subtitle="Grey line: 10th-90th percentile of every pair's price; box: 25th-75th; tick: median; "
                                 f"red: {country}'s pairs."))


def coverage_heatmap(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Who reports the country's trade, when (query report_coverage): a cell per reporter and year in
    the three states of the coverage model - reported (figures in the store), reported nothing (the
    reporter published the year for the country: zero) and not available (missing from the store)."""
    if frame.empty:
        return message(f"Nothing in the store reports {country}'s trade.")
    states = ["reported", "reported nothing", "not available"]
    data = with_years(frame)
    return alt.Chart(data, title=alt.Title(
        f"Who reports {country}'s trade, when", subtitle="Blue: figures in the store; orange: the reporter published "
        "the year and reported nothing (a zero); grey: no report of that year in the store.")).mark_rect(
        stroke="white").encode(
        x=year_x(sorted(set(data.year)), field="start", width=WIDTH - 160), x2="end:T",
        y=alt.Y("reporter_name:N", title=None),
        color=alt.Color("state:N", title="state", scale=alt.Scale(domain=states, range=["#3182bd", "#fdae6b", MISSING_GREY])),
        tooltip=[alt.Tooltip("reporter_name:N", title="reporter"), alt.Tooltip("reporter:N", title="code"), year_tip(),
                 alt.Tooltip("state:N"), alt.Tooltip("figures:Q", title="figures"), alt.Tooltip("kinds:N"),
                 alt.Tooltip("sources:N")],
    ).properties(width=WIDTH - 160, height=alt.Step(15))
