"""One function per chart: a DataFrame in (already aggregated, by a Store method or a named query
in queries/report/), an ``alt.Chart`` out. Every mark has a tooltip with units and the source.

No Altair theme or option is changed at import; the row guard (5,000 rows) is left on on purpose:
the frames come aggregated, and a frame too big for a chart is a bug to fix in SQL, not a limit to
lift. An empty frame gives a chart that says what is missing rather than a blank box.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 620
USD = ",.0f"
SEVERITY_ORDER = ["high", "medium", "low"]
SEVERITY_COLOURS = ["#b2182b", "#ef8a62", "#999999"]


def rebuilt_trade(frame: pd.DataFrame, country: str = "PRK", years: list[int] | None = None,
                  missing: pd.DataFrame | None = None) -> alt.Chart:
    """A country's trade rebuilt from its partners' reports, by partner and year (``Store.reconstruct``
    by partner): imports = partners' exports to it, exports = partners' imports from it at FOB.
    ``years``: every year of the report, so a year without data is a gap on the axis, never a
    collapse; ``missing``: (year, direction, missing) where a partner's report of the year is not in
    the store (``missing`` names them), drawn as grey bands behind the bars saying so. A bar summed
    from the HS lines in the store (no published total) is drawn pale."""
    long = _long(frame, ["year", "partner", "partner_name", "source", "imports_partial", "exports_partial"],
                 {"imports_usd": "imports", "exports_usd": "exports"}, "usd")
    if long.empty:
        return message(f"No partner reports {country}'s trade in the store.")
    partial = [long.get("imports_partial"), long.get("exports_partial")]
    long["basis"] = "published totals"
    if partial[0] is not None:
        is_partial = long.imports_partial.where(long.direction == "imports", long.get("exports_partial"))
        long.loc[is_partial.fillna(False).astype(bool), "basis"] = "summed from HS lines (may be partial)"
    long = long.drop(columns=[c for c in ("imports_partial", "exports_partial") if c in long.columns])
    long["kind"] = "value"
    gaps = missing if missing is not None else pd.DataFrame(columns=["year", "direction"])
    if len(gaps):
        # usd 0 only to keep the column numeric: the bars read kind == 'value' rows only
        missing = gaps["missing"] if "missing" in gaps else pd.Series("every partner", index=gaps.index)
        gaps = gaps.assign(kind="missing", usd=0.0, partner_name="no report in the store",
                           basis="not in the store: the report of " + missing + " (missing data, not a fall in trade)")
        gaps = gaps.drop(columns=["missing"], errors="ignore")
    data = pd.concat([long, gaps], ignore_index=True)
    domain = [int(y) for y in years] if years else sorted({int(y) for y in data.year})
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=domain))
    base = alt.Chart().encode(x=x)
    bars = base.transform_filter("datum.kind == 'value'").mark_bar().encode(
        y=alt.Y("sum(usd):Q", title="USD (FOB)", axis=_usd_axis()),
        color=alt.Color("partner_name:N", title="partner", sort="-y"),
        opacity=alt.Opacity("basis:N", title="basis", scale=alt.Scale(
            domain=["published totals", "summed from HS lines (may be partial)"], range=[1.0, 0.45])),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("year:O"),
                 alt.Tooltip("direction:N", title=f"{country}'s"), alt.Tooltip("sum(usd):Q", title="USD (FOB)", format=USD),
                 alt.Tooltip("basis:N"), alt.Tooltip("source:N")])
    bands = base.transform_filter("datum.kind == 'missing'").mark_rect(color="#e5e5e5").encode(
        y=alt.value(0), y2=alt.value(260), tooltip=[alt.Tooltip("year:O"), alt.Tooltip("basis:N", title="")])
    return alt.layer(bands, bars, data=data).properties(width=WIDTH // 2 - 20, height=260).facet(
        column=alt.Column("direction:N", title=None),
        title=f"{country}'s trade rebuilt from its partners' reports (USD, FOB; grey: a partner's report missing from the store)")


def pair_series(frame: pd.DataFrame, title: str) -> alt.Chart:
    """One pair-product's two reports over time (``Store.mirror``): the exporter's FOB value, the
    importer's value converted to FOB, and the band the importer's CIF value spans at CIF/FOB
    margins from 0% to 20% (where the two reports agree once freight and insurance are allowed for)."""
    if frame.empty:
        return message("No pair with both reports to compare.")
    data = frame.assign(band_low=frame.value_importer_usd / 1.20, band_high=frame.value_importer_usd)
    base = alt.Chart(data, title=title).encode(x=alt.X("year:O", title=None))
    tip = [alt.Tooltip("year:O"), alt.Tooltip("value_exporter_usd:Q", title="exporter reported (FOB, USD)", format=USD),
           alt.Tooltip("value_importer_usd:Q", title="importer reported (CIF, USD)", format=USD),
           alt.Tooltip("value_importer_fob_usd:Q", title="importer at FOB (USD)", format=USD),
           alt.Tooltip("cif_fob_factor:Q", title="CIF/FOB factor", format=".3f"),
           alt.Tooltip("source_exporter:N", title="exporter's source"),
           alt.Tooltip("source_importer:N", title="importer's source")]
    band = base.mark_area(opacity=0.25, color="#9ecae1").encode(
        y=alt.Y("band_low:Q", title="USD", axis=_usd_axis()), y2="band_high:Q", tooltip=tip)
    lines = base.transform_fold(["value_exporter_usd", "value_importer_fob_usd"], as_=["report", "usd"]).transform_calculate(
        report="datum.report == 'value_exporter_usd' ? 'exporter reported (FOB)' : 'importer reported, at FOB'",
    ).mark_line(point=True).encode(y=alt.Y("usd:Q"), color=alt.Color("report:N", title=None), tooltip=tip)
    return alt.layer(band, lines).properties(width=WIDTH, height=260)


def discrepancy_heatmap(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Partners x years, coloured by the discrepancy index (X - M_fob)/(X + M_fob) of the two reports;
    grey where only one side reports (query report_discrepancy_cells)."""
    if frame.empty:
        return message(f"No mirror pairs for {country}.")
    # invalid=None: a cell whose index is null (one report only) is drawn grey, not dropped.
    return alt.Chart(frame).mark_rect(invalid=None).encode(
        x=alt.X("year:O", title=None),
        y=alt.Y("partner_name:N", title=None),
        color=alt.condition("datum.discrepancy_index === null", alt.value("#e0e0e0"),
                            alt.Color("discrepancy_index:Q", title="(X − M) / (X + M)",
                                      scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True))),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("year:O"),
                 alt.Tooltip("direction:N", title=f"{country}'s"),
                 alt.Tooltip("exporter_reported_usd:Q", title="exporter reported (USD)", format=USD),
                 alt.Tooltip("importer_reported_usd:Q", title="importer reported (CIF, USD)", format=USD),
                 alt.Tooltip("discrepancy_index:Q", title="discrepancy index", format=".2f"),
                 alt.Tooltip("reported_by:N", title="reported by"), alt.Tooltip("sources:N")],
    ).properties(width=WIDTH // 2 - 20, height=alt.Step(14)).facet(
        column=alt.Column("direction:N", title=None), title=f"Mirror discrepancies of {country}'s trade, by partner and year")


def oil_deliveries(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Annual oil to the country in tonnes, by product, kind of figure and supplier, with barrels and
    the conversion factor in the tooltip (query report_oil_points over ``Store.oil``)."""
    data = frame
    if data.empty:
        return message(f"No annual oil figures for {country}.")
    return alt.Chart(data, title=f"Oil to {country}: tonnes by product and kind of figure").mark_line(point=True).encode(
        x=alt.X("year:O", title=None),
        y=alt.Y("tonnes:Q", title="tonnes", axis=_usd_axis()),
        color=alt.Color("product:N"),
        strokeDash=alt.StrokeDash("kind:N", title="figure"),
        detail="reporter:N",
        tooltip=[alt.Tooltip("reporter:N", title="supplier"), alt.Tooltip("year:O"), alt.Tooltip("product:N"),
                 alt.Tooltip("kind:N"), alt.Tooltip("tonnes:Q", format=USD), alt.Tooltip("barrels:Q", format=USD),
                 alt.Tooltip("bbl_per_tonne:Q", title="barrels per tonne", format=".2f"),
                 alt.Tooltip("publisher:N", title="source")],
    ).properties(width=WIDTH, height=280)


def cap_running_totals(frame: pd.DataFrame) -> alt.Chart:
    """Running totals of notified deliveries against the cap, month by month within each cap year
    (``Store.caps(monthly=True)``), with the cap as a rule."""
    if frame.empty:
        return message("No monthly deliveries against a cap.")
    data = frame.assign(month=frame.period.str[5:7].astype(int), cap_year=frame.cap_year.astype(str))
    base = alt.Chart(data, title="Notified refined petroleum: running total against the UN cap")
    tip = [alt.Tooltip("cap_year:N", title="cap year"), alt.Tooltip("period:N", title="month"),
           alt.Tooltip("by_supplier:N", title="delivered by supplier"),
           alt.Tooltip("delivered:Q", format=USD), alt.Tooltip("running_total:Q", title="running total", format=USD),
           alt.Tooltip("unit:N"), alt.Tooltip("percent_of_cap:Q", title="% of cap", format=".1f"),
           alt.Tooltip("cap:N")]
    lines = base.mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("month:O", title="month of the cap year"),
        y=alt.Y("running_total:Q", title="barrels (running total)", axis=_usd_axis()),
        color=alt.Color("cap_year:N", title="cap year"), tooltip=tip)
    cap = base.mark_rule(color="#b2182b", strokeDash=[6, 3]).encode(y="max(cap_amount):Q")
    label = base.mark_text(align="left", dx=4, dy=-6, color="#b2182b").encode(
        y="max(cap_amount):Q", x=alt.value(0), text=alt.value("cap"))
    return alt.layer(lines, cap, label).properties(width=WIDTH, height=280)


def notifications_vs_customs(frame: pd.DataFrame) -> alt.Chart:
    """What suppliers notified to the UN 1718 Committee beside what their customs reported, in tonnes,
    for the same span (``Store.notifications_vs_customs``)."""
    long = _long(frame, ["supplier", "period", "period_start", "finding", "notified_by", "customs_by"],
                 {"notified": "notified to the UN", "customs": "customs exports"}, "tonnes")
    if long.empty:
        return message("No notifications or customs figures of refined petroleum.")
    return alt.Chart(long, title="Refined petroleum: UN notifications vs customs (tonnes)").mark_point(
        filled=True, size=60).encode(
        x=alt.X("period_start:T", title="start of the period"),
        y=alt.Y("tonnes:Q", axis=_usd_axis()),
        color=alt.Color("direction:N", title=None),
        shape=alt.Shape("supplier:N"),
        tooltip=[alt.Tooltip("supplier:N"), alt.Tooltip("period:N"), alt.Tooltip("direction:N", title="figure"),
                 alt.Tooltip("tonnes:Q", format=USD), alt.Tooltip("finding:N"),
                 alt.Tooltip("notified_by:N", title="notified (source)"), alt.Tooltip("customs_by:N", title="customs (source)")],
    ).properties(width=WIDTH, height=260)


def banned_goods(frame: pd.DataFrame, measures: pd.DataFrame | None = None, country: str = "PRK") -> alt.Chart:
    """Reported trade in goods a measure banned, by year and HS chapter, before and after, with a
    rule at each measure's effective date (query report_banned_points over
    ``Store.sanctioned_trade(include_before=True)``; ``measures``: measure, effective)."""
    if frame.empty:
        return message(f"No reported trade in banned goods for {country}.")
    if measures is None:
        measures = pd.DataFrame({"measure": pd.Series(dtype=str), "effective": pd.Series(dtype="datetime64[ns]")})
    effective = pd.to_datetime(measures.effective)
    rules = (pd.DataFrame({"measure": measures.measure, "effective": effective.dt.strftime("%Y-%m-%d"),
                           "at": effective.dt.year + (effective.dt.day_of_year - 1) / 365.25})
             .drop_duplicates("measure").groupby(["effective", "at"], as_index=False)
             .agg(measure=("measure", lambda s: ", ".join(sorted(s)))))
    bars = alt.Chart(frame).mark_bar(opacity=0.85, size=8).encode(
        x=alt.X("year:Q", title=None, axis=alt.Axis(format="d")),
        y=alt.Y("sum(value_usd):Q", title="USD", axis=_usd_axis()),
        color=alt.Color("chapter:N", title="HS chapter"),
        tooltip=[alt.Tooltip("chapter:N", title="HS chapter"), alt.Tooltip("goods:N"),
                 alt.Tooltip("year:Q", format="d"), alt.Tooltip("sum(value_usd):Q", title="USD", format=USD),
                 alt.Tooltip("reporters:Q", title="reporting partners"), alt.Tooltip("measures:N"),
                 alt.Tooltip("source:N")])
    rule = alt.Chart(rules).mark_rule(color="#333", strokeDash=[4, 3]).encode(
        x="at:Q", tooltip=[alt.Tooltip("measure:N"), alt.Tooltip("effective:N", title="in force from")])
    text = alt.Chart(rules).mark_text(angle=270, align="right", baseline="bottom", dy=-2, y=4, fontSize=10).encode(
        x="at:Q", text="measure:N")
    return alt.layer(bars, rule, text, title=f"Trade in goods banned from {country}, before and after each measure"
                     ).properties(width=WIDTH, height=280)


def flags_timeline(frame: pd.DataFrame) -> alt.Chart:
    """The flags on a timeline: detector by year, coloured by severity, sized by how many, with the
    reason of the strongest in the tooltip (query report_flag_points)."""
    if frame.empty:
        return message("No flags.")
    return alt.Chart(frame, title="Flags by year").mark_point(filled=True, opacity=0.85).encode(
        x=alt.X("year:Q", title=None, axis=alt.Axis(format="d"), scale=alt.Scale(zero=False, padding=12)),
        y=alt.Y("detector:N", title=None),
        color=alt.Color("severity:N", scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS)),
        size=alt.Size("flags:Q", title="flags", scale=alt.Scale(range=[60, 400])),
        tooltip=[alt.Tooltip("detector:N"), alt.Tooltip("year:Q", format="d"), alt.Tooltip("severity:N"),
                 alt.Tooltip("flags:Q", title="flags"), alt.Tooltip("example_series:N", title="strongest"),
                 alt.Tooltip("example_reason:N", title="reason")],
    ).properties(width=WIDTH, height=alt.Step(28))


def unit_values(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """The country's unit values (USD per kg) against every pair's for the same product and year:
    the 10-90% and 25-75% ranges and the median, the country's pairs as points (query
    report_unit_values)."""
    if frame.empty:
        return message(f"No figures with both value and weight for {country}'s trade.")
    base = alt.Chart(frame).encode(x=alt.X("year:O", title=None))
    spread = [alt.Tooltip("product:N"), alt.Tooltip("year:O"), alt.Tooltip("median:Q", title="median USD/kg", format=".3f"),
              alt.Tooltip("p10:Q", title="10th percentile", format=".3f"), alt.Tooltip("p90:Q", title="90th percentile", format=".3f"),
              alt.Tooltip("pairs:Q", title="pairs in the distribution")]
    whisker = base.mark_rule(color="#999").encode(y=alt.Y("p10:Q", title="USD per kg", scale=alt.Scale(type="log")),
                                                  y2="p90:Q", tooltip=spread)
    box = base.mark_bar(size=10, color="#c6dbef").encode(y="p25:Q", y2="p75:Q", tooltip=spread)
    median = base.mark_tick(color="#08519c", size=12).encode(y="median:Q", tooltip=spread)
    own = base.mark_point(filled=True, size=50, color="#b2182b").encode(
        y="usd_per_kg:Q", shape=alt.Shape("flow:N"),
        tooltip=[alt.Tooltip("reporter:N"), alt.Tooltip("partner:N"), alt.Tooltip("flow:N"), alt.Tooltip("year:O"),
                 alt.Tooltip("usd_per_kg:Q", title="USD per kg", format=".3f"),
                 alt.Tooltip("value_usd:Q", title="USD", format=USD),
                 alt.Tooltip("net_weight_kg:Q", title="kg", format=USD), alt.Tooltip("source:N")])
    return alt.layer(whisker, box, median, own).properties(width=WIDTH // 2, height=160).facet(
        row=alt.Row("product:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=300)),
        title=f"Unit values of {country}'s trade against all pairs in the store")


def coverage_heatmap(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Who reports the country's trade, when (query report_coverage): a cell per reporter and year in
    the three states of the coverage model - reported (figures in the store), reported nothing (the
    reporter published the year for the country: zero) and not available (missing from the store)."""
    if frame.empty:
        return message(f"Nothing in the store reports {country}'s trade.")
    states = ["reported", "reported nothing", "not available"]
    return alt.Chart(frame, title=f"Coverage: who reports {country}'s trade, when").mark_rect(stroke="white").encode(
        x=alt.X("year:O", title=None),
        y=alt.Y("reporter_name:N", title=None),
        color=alt.Color("state:N", title="state", scale=alt.Scale(domain=states, range=["#3182bd", "#fdae6b", "#e5e5e5"])),
        tooltip=[alt.Tooltip("reporter_name:N", title="reporter"), alt.Tooltip("year:O"), alt.Tooltip("state:N"),
                 alt.Tooltip("figures:Q", title="figures"), alt.Tooltip("kinds:N"),
                 alt.Tooltip("sources:N")],
    ).properties(width=WIDTH, height=alt.Step(14))


def _usd_axis() -> alt.Axis:
    """SI prefixes as economists write them: 3.5 bn, not 3.5G."""
    return alt.Axis(format="~s", labelExpr="replace(replace(datum.label, 'G', ' bn'), 'M', ' m')")


def message(text: str) -> alt.Chart:
    """A chart that says what is missing: an empty section still renders and explains itself."""
    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(align="left", x=5, y=20, fontSize=13, color="#555").encode(
        text="text:N").properties(width=WIDTH, height=40)


def _long(frame: pd.DataFrame, keep: list[str], values: dict[str, str], value_name: str) -> pd.DataFrame:
    """The frame with one row per value column (named by ``values``), rows without a value dropped."""
    if frame.empty:
        return pd.DataFrame(columns=[*keep, "direction", value_name])
    keep = [c for c in keep if c in frame.columns]
    long = frame.melt(id_vars=keep, value_vars=list(values), var_name="direction", value_name=value_name)
    long["direction"] = long["direction"].map(values)
    return long.dropna(subset=[value_name])
