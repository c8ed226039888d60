"""One function per chart: a DataFrame in (already aggregated, by a Store method or a named query
in queries/report/), an ``alt.Chart`` out. Every mark has a tooltip with units and the source.

Drawn as publication figures: periods on time axes (a year is a span of time, so 1989 and 2006 sit
seventeen years apart, not side by side), years written without separators, countries by name,
every colour, shade and line explained in a legend or the subtitle, each chart sized to what it
holds. Years are placed as local-time dates ("2014-01-01T00:00") with the ``year`` time unit, so a
reader west of Greenwich does not see 2014 drawn in 2013.

No Altair theme or option is changed at import; the row guard (5,000 rows) is left on on purpose:
the frames come aggregated, and a frame too big for a chart is a bug to fix in SQL, not a limit to
lift. An empty frame gives a chart that says what is missing (the report leaves such charts out).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 700
USD = ",.0f"
SEVERITY_ORDER = ["high", "medium", "low"]
SEVERITY_COLOURS = ["#b2182b", "#ef8a62", "#999999"]
MISSING_GREY = "#ececec"
# Tableau 20 without its greys (grey means missing or "others" here)
TABLEAU20 = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
             "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6"]
ONE_SIDED_GREY = "#d0d0d0"


def with_years(frame: pd.DataFrame, column: str = "year") -> pd.DataFrame:
    """The frame with the dates a year is drawn at: ``date`` (mid-year), ``start``/``end`` (the whole
    year, for heatmap cells and bands) and ``bar_start``/``bar_end`` (a bar centred in its year)."""
    y = frame[column].astype(int).astype(str)
    return frame.assign(date=y + "-07-02T00:00", start=y + "-01-01T00:00", end=(frame[column].astype(int) + 1)
                        .astype(str) + "-01-01T00:00", bar_start=y + "-02-10T00:00", bar_end=y + "-11-22T00:00")


def year_domain(first: int, last: int) -> list[dict]:
    """A time scale's domain from the start of ``first`` to the end of ``last`` (both drawn whole)."""
    return [{"year": int(first)}, {"year": int(last), "month": 12, "date": 31}]


def _year_x(years: list[int] | None = None, title: str | None = None, field: str = "date",
            width: int | None = None) -> alt.X:
    """A time axis over whole years, labelled mid-year (under the bar or cell of the year) when the
    ticks are yearly or sparser: ``width`` in pixels sets that offset."""
    # padding 0: Vega-Lite pads a bar chart's continuous axis by default, which would add a year's tick
    scale = alt.Scale(domain=year_domain(min(years), max(years)), nice=False, padding=0) if years else alt.Undefined
    offset = (width / (max(years) - min(years) + 1) / 2) if years and width else 0
    return alt.X(f"{field}:T", title=title, scale=scale,
                 axis=alt.Axis(format="%Y", labelAngle=0, labelOffset=offset, tickCount={"interval": "year", "step": _step(years)},
                               grid=False))


def _step(years: list[int] | None) -> int:
    span = (max(years) - min(years) + 1) if years else 10
    return 1 if span <= 12 else 2 if span <= 24 else 5


def _year_tip() -> alt.Tooltip:
    return alt.Tooltip("year:N", title="year")  # nominal: written 2014, never 2,014


def rebuilt_trade(frame: pd.DataFrame, country: str = "PRK", years: list[int] | None = None,
                  missing: pd.DataFrame | None = None, intervals: pd.DataFrame | None = None) -> alt.Chart:
    """A country's trade rebuilt from its partners' reports, by partner and year (``Store.reconstruct``
    by partner): imports = partners' exports to it, exports = partners' imports from it at FOB.
    ``years``: every year of the report, so a year without data is a gap on the axis, never a
    collapse; ``missing``: (year, direction, missing) where a partner's report of the year is not in
    the store (``missing`` names them), drawn as grey bands behind the bars saying so. A bar summed
    from the HS lines in the store (no published total) is drawn pale. ``intervals``: (year,
    direction, low, high), the 90% interval of each year's rebuilt total, drawn as a line."""
    long = _long(frame, ["year", "partner", "partner_name", "source", "imports_partial", "exports_partial"],
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
        gaps = gaps.drop(columns=["missing"], errors="ignore")
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
        x=_year_x(span, field="bar_start", width=width), x2="bar_end:T",
        y=alt.Y("sum(usd):Q", title="USD (FOB)", axis=_usd_axis()),
        color=alt.Color("partner_name:N", title="partner (largest first)", sort=partners,
                        scale=alt.Scale(domain=partners, range=colours)),
        order=alt.Order("partner_name:N"),
        opacity=alt.Opacity("basis:N", title="bar", scale=alt.Scale(
            domain=["published totals", "summed from HS lines (may be partial)"], range=[1.0, 0.4]),
            legend=alt.Legend(symbolType="square", symbolFillColor="#4c78a8", symbolStrokeWidth=0, labelLimit=260)),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("partner:N", title="code"), _year_tip(),
                 alt.Tooltip("direction:N", title=f"{country}'s"), alt.Tooltip("sum(usd):Q", title="USD (FOB)", format=USD),
                 alt.Tooltip("basis:N"), alt.Tooltip("source:N")])
    bands = base.transform_filter("datum.kind == 'missing'").mark_rect(color=MISSING_GREY).encode(
        x=_year_x(span, field="start", width=width), x2="end:T",
        y=alt.value(0), y2=alt.value(240), tooltip=[_year_tip(), alt.Tooltip("basis:N", title="")])
    layers = [bands, bars]
    if len(ranges):
        layers.append(base.transform_filter("datum.kind == 'interval'").mark_rule(color="#222", strokeWidth=1.5).encode(
            x=_year_x(span, field="date", width=width), y="low:Q", y2="high:Q",
            tooltip=[_year_tip(), alt.Tooltip("basis:N", title="")]))
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
    base = base.encode(x=_year_x(sorted(set(data.year)), width=WIDTH - 160))
    tip = [_year_tip(), alt.Tooltip("value_exporter_usd:Q", title="exporter reported (FOB, USD)", format=USD),
           alt.Tooltip("value_importer_usd:Q", title="importer reported (CIF, USD)", format=USD),
           alt.Tooltip("value_importer_fob_usd:Q", title="importer at FOB (USD)", format=USD),
           alt.Tooltip("cif_fob_factor:Q", title="CIF/FOB factor", format=".3f"),
           alt.Tooltip("source_exporter:N", title="exporter's source"),
           alt.Tooltip("source_importer:N", title="importer's source")]
    band = base.mark_area(opacity=0.25, color="#9ecae1").encode(
        y=alt.Y("band_low:Q", title="USD", axis=_usd_axis()), y2="band_high:Q", tooltip=tip)
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
        x=_year_x(sorted(set(data.year)), field="start", width=(WIDTH - 200) // 2), x2="end:T",
        y=alt.Y("partner_name:N", title=None),
        color=alt.condition("datum.discrepancy_index === null", alt.value(ONE_SIDED_GREY),
                            alt.Color("discrepancy_index:Q", title=["discrepancy", "(X − M) / (X + M)"],
                                      scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True))),
        tooltip=[alt.Tooltip("partner_name:N", title="partner"), alt.Tooltip("partner:N", title="code"), _year_tip(),
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


def oil_deliveries(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """Annual oil to the country in tonnes, by product, kind of figure and supplier, with barrels and
    the conversion factor in the tooltip (query report_oil_points over ``Store.oil``)."""
    if frame.empty:
        return message(f"No annual oil figures for {country}.")
    data = with_years(frame[frame.year.notna()].assign(year=lambda f: f.year.astype(int)))
    kinds = [k for k in ("reported", "notified", "estimated") if k in set(data.kind)]
    return alt.Chart(data, title=alt.Title(f"Oil to {country}: tonnes a year by product and kind of figure",
                                           subtitle="Solid: customs reports; dashed: notified to the UN; dotted: "
                                                    "analysts' estimates. One line per supplier.")).mark_line(
        point=alt.OverlayMarkDef(filled=True, size=30)).encode(
        x=_year_x(sorted(set(data.year)), width=WIDTH - 160),
        y=alt.Y("tonnes:Q", title="tonnes", axis=_usd_axis()),
        color=alt.Color("product:N", title="product"),
        strokeDash=alt.StrokeDash("kind:N", title="kind of figure", scale=alt.Scale(
            domain=kinds, range=[[1, 0], [6, 3], [2, 2]][: len(kinds)]),
            legend=None),  # said in the subtitle: Vega draws a dash legend's symbols empty
        detail="reporter:N",
        tooltip=[alt.Tooltip("reporter:N", title="supplier"), _year_tip(), alt.Tooltip("product:N"),
                 alt.Tooltip("kind:N", title="kind of figure"), alt.Tooltip("tonnes:Q", format=USD),
                 alt.Tooltip("barrels:Q", format=USD),
                 alt.Tooltip("bbl_per_tonne:Q", title="barrels per tonne", format=".2f"),
                 alt.Tooltip("publisher:N", title="source")],
    ).properties(width=WIDTH - 160, height=260)


def cap_deliveries(frame: pd.DataFrame) -> alt.Chart:
    """Refined petroleum delivered per cap year against the cap (``Store.caps``, the all-suppliers
    rows): the central figure of every supplier and every kind of notification (monthly, annual,
    group figures) - the same deliveries the headline cites - with the range over sources as a
    whisker and the share of the cap on each bar; ``suppliers``, if given, each supplier's figure."""
    if frame.empty:
        return message("No deliveries against a cap.")
    data = with_years(frame.assign(year=frame.cap_year.astype(int), share=frame.percent_of_cap / 100,
                                   top=frame[["high", "delivered"]].max(axis=1)))
    if "suppliers" not in data:
        data["suppliers"] = ""
    unit = str(data.unit.iloc[0])
    cap = float(data.cap_amount.max())
    years = sorted(set(data.year))
    base = alt.Chart(data).encode(x=_year_x(years, title="cap year", width=WIDTH - 160))
    tip = [alt.Tooltip("year:N", title="cap year"), alt.Tooltip("delivered:Q", title=f"delivered ({unit})", format=USD),
           alt.Tooltip("low:Q", title="lowest source", format=USD), alt.Tooltip("high:Q", title="highest source", format=USD),
           alt.Tooltip("share:Q", title="share of the cap", format=".0%"),
           alt.Tooltip("suppliers:N", title="by supplier"), alt.Tooltip("basis:N")]
    y_scale = alt.Scale(domain=[0, max(cap, float(data.high.max())) * 1.12], nice=False)
    bars = base.mark_bar(color="#4c78a8").encode(
        x=_year_x(years, title="cap year", field="bar_start", width=WIDTH - 160), x2="bar_end:T",
        y=alt.Y("delivered:Q", title=f"{unit} delivered", axis=_usd_axis(), scale=y_scale), y2=alt.datum(0),
        tooltip=tip)
    whisker = base.mark_rule(color="#222", strokeWidth=1.5).encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q",
                                                                    tooltip=tip)
    labels = base.mark_text(dy=-8, fontSize=11, color="#222").encode(
        y=alt.Y("top:Q", scale=y_scale), text=alt.Text("share:Q", format=".0%"))
    rule = alt.Chart(pd.DataFrame({"cap": [cap]})).mark_rule(color="#b2182b", strokeDash=[6, 3]).encode(
        y=alt.Y("cap:Q", scale=y_scale))
    rule_label = alt.Chart(pd.DataFrame({"cap": [cap], "text": [f"cap: {cap:,.0f} {unit} a year"]})).mark_text(
        align="right", baseline="bottom", dy=-3, color="#b2182b", fontSize=11).encode(
        y=alt.Y("cap:Q", scale=y_scale), x=alt.value(WIDTH - 160), text="text:N")
    return alt.layer(bars, whisker, labels, rule, rule_label, title=alt.Title(
        "Refined petroleum notified to the UN 1718 Committee, all suppliers, against the cap",
        subtitle=["Every supplier and every kind of notification (monthly, annual and group figures): the deliveries "
                  "the headline cites.", "Bar: the central figure; whisker: lowest to highest source; label: share "
                  "of the cap."])).properties(width=WIDTH - 160, height=260)


def cap_running_totals(frame: pd.DataFrame) -> alt.Chart:
    """Running totals of monthly notified deliveries against the cap within each cap year
    (``Store.caps(monthly=True)``), with the cap as a rule. Only suppliers that notified month by
    month are in these lines; ``cap_deliveries`` draws every supplier's annual total."""
    if frame.empty:
        return message("No monthly deliveries against a cap.")
    data = frame.assign(month=frame.period.str[5:7].astype(int), cap_year=frame.cap_year.astype(int).astype(str))
    base = alt.Chart(data, title=alt.Title("Monthly notifications of refined petroleum: running total against the cap",
                                           subtitle="Only suppliers that notified month by month; annual and group "
                                                    "figures are not in these lines."))
    tip = [alt.Tooltip("cap_year:N", title="cap year"), alt.Tooltip("period:N", title="month"),
           alt.Tooltip("by_supplier:N", title="delivered by supplier"),
           alt.Tooltip("delivered:Q", format=USD), alt.Tooltip("running_total:Q", title="running total", format=USD),
           alt.Tooltip("unit:N"), alt.Tooltip("percent_of_cap:Q", title="% of cap", format=".1f")]
    months = "['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'][datum.value - 1]"
    lines = base.mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("month:O", title="month of the cap year", axis=alt.Axis(labelExpr=months, labelAngle=0)),
        y=alt.Y("running_total:Q", title="barrels (running total)", axis=_usd_axis()),
        color=alt.Color("cap_year:N", title="cap year"), tooltip=tip)
    cap = base.mark_rule(color="#b2182b", strokeDash=[6, 3]).encode(y="max(cap_amount):Q")
    return alt.layer(lines, cap).properties(width=WIDTH - 160, height=260)


def notifications_vs_customs(frame: pd.DataFrame, countries: dict[str, str] | None = None) -> alt.Chart:
    """What suppliers notified to the UN 1718 Committee beside what their customs reported, in tonnes,
    for the same span (``Store.notifications_vs_customs``); ``countries`` names the suppliers."""
    long = _long(frame, ["supplier", "period", "period_start", "finding", "notified_by", "customs_by"],
                 {"notified": "notified to the UN", "customs": "customs exports"}, "tonnes")
    if long.empty:
        return message("No notifications or customs figures of refined petroleum.")
    names = countries or {}
    long["supplier_name"] = long.supplier.map(lambda s: "+".join(names.get(p, p) for p in str(s).split("+")))
    long["period_start"] = pd.to_datetime(long.period_start).dt.strftime("%Y-%m-%dT00:00")
    return alt.Chart(long, title=alt.Title("Refined petroleum: UN notifications vs customs (tonnes)",
                                           subtitle="Each point is one period a supplier published; colour: which "
                                                    "figure, shape: which supplier.")).mark_point(
        filled=True, size=60, opacity=0.8).encode(
        x=alt.X("period_start:T", title="start of the period", axis=alt.Axis(format="%Y", labelAngle=0)),
        y=alt.Y("tonnes:Q", axis=_usd_axis()),
        color=alt.Color("direction:N", title="figure", scale=alt.Scale(
            domain=["notified to the UN", "customs exports"], range=["#f58518", "#4c78a8"])),
        shape=alt.Shape("supplier_name:N", title="supplier"),
        tooltip=[alt.Tooltip("supplier_name:N", title="supplier"), alt.Tooltip("period:N"),
                 alt.Tooltip("direction:N", title="figure"), alt.Tooltip("tonnes:Q", format=USD),
                 alt.Tooltip("finding:N"), alt.Tooltip("notified_by:N", title="notified (source)"),
                 alt.Tooltip("customs_by:N", title="customs (source)")],
    ).properties(width=WIDTH - 160, height=240)


def banned_goods(frame: pd.DataFrame, measures: pd.DataFrame | None = None, country: str = "PRK") -> alt.Chart:
    """Reported trade in goods a measure banned, by year and HS chapter, before and after, with a
    rule at each measure's effective date (query report_banned_points over
    ``Store.sanctioned_trade(include_before=True)``; ``measures``: measure, effective, and a short
    ``label``). Labels of rules close together are stacked, not overlaid."""
    if frame.empty:
        return message(f"No reported trade in banned goods for {country}.")
    data = with_years(frame)
    if "chapter_name" not in data:
        data["chapter_name"] = data.chapter
    if measures is None or measures.empty:
        measures = pd.DataFrame({"measure": pd.Series(dtype=str), "effective": pd.Series(dtype="datetime64[ns]")})
    rules = measures.assign(label=measures.get("label", measures.measure))
    rules = (rules.assign(effective=pd.to_datetime(rules.effective).dt.strftime("%Y-%m-%d"))
             .groupby("effective", as_index=False).agg(label=("label", lambda s: "; ".join(dict.fromkeys(s)))))
    rules["at"] = rules.effective + "T00:00"
    rules["row"] = range(len(rules))
    years = sorted(set(data.year) | {int(e[:4]) for e in rules.effective})
    # the measures' labels get a strip of their own above the bars (headroom in the bars' scale)
    label_px = 14 * max(len(rules), 1) + 10
    top = float(data.groupby("year").value_usd.sum().max() or 1) * 260 / (260 - label_px)
    bars = alt.Chart(data).mark_bar(opacity=0.9).encode(
        x=_year_x(years, field="bar_start", width=WIDTH - 200), x2="bar_end:T",
        y=alt.Y("sum(value_usd):Q", title="USD", axis=_usd_axis(), scale=alt.Scale(domain=[0, top], nice=False)),
        color=alt.Color("chapter_name:N", title="HS chapter", legend=alt.Legend(labelLimit=260)),
        tooltip=[alt.Tooltip("chapter_name:N", title="HS chapter"), alt.Tooltip("goods:N"), _year_tip(),
                 alt.Tooltip("sum(value_usd):Q", title="USD", format=USD),
                 alt.Tooltip("reporters:Q", title="reporting partners"), alt.Tooltip("measures:N"),
                 alt.Tooltip("source:N")])
    rule = alt.Chart(rules).mark_rule(color="#333", strokeDash=[4, 3]).encode(
        x=alt.X("at:T"), tooltip=[alt.Tooltip("label:N", title="measure"), alt.Tooltip("effective:N", title="in force from")])
    # a label stays inside the plot: right of its rule in the first half of the years, left of it after
    middle = f"{(min(years) + max(years) + 1) // 2}-01-01"
    rules["side"] = ["left" if e < middle else "right" for e in rules.effective]
    texts = [alt.Chart(rules).transform_filter(f"datum.side == '{side}'").mark_text(
        align=side, dx=3 if side == "left" else -3, fontSize=10, color="#222", limit=(WIDTH - 200) // 2 - 10).encode(
        x=alt.X("at:T"), y=alt.Y("row:O", axis=None, scale=alt.Scale(range=[10, label_px])), text="label:N",
        tooltip=[alt.Tooltip("label:N", title="measure"), alt.Tooltip("effective:N", title="in force from")])
        for side in ("left", "right")]
    return alt.layer(bars, rule, *texts, title=alt.Title(
        f"Trade in goods banned from {country}, before and after each measure",
        subtitle="Bars: partners' reported trade by HS chapter; dashed line: the date a measure took effect.")
    ).resolve_scale(y="independent").properties(width=WIDTH - 200, height=260)


def flags_timeline(frame: pd.DataFrame) -> alt.Chart:
    """The flags on a timeline: detector by year, coloured by severity, sized by how many, with the
    reason of the strongest in the tooltip (query report_flag_points)."""
    if frame.empty:
        return message("No flags.")
    data = with_years(frame.assign(detector=frame.detector.str.replace("_", " ")))
    most = int(data["flags"].max())
    return alt.Chart(data, title="Flags by year and detector").mark_point(filled=True, opacity=0.85).encode(
        x=_year_x(sorted(set(data.year)), width=WIDTH - 200),
        y=alt.Y("detector:N", title=None),
        color=alt.Color("severity:N", scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS)),
        size=alt.Size("flags:Q", title="flags", scale=alt.Scale(domain=[1, max(most, 2)], range=[60, 400]),
                      legend=alt.Legend(values=sorted({1, most}), format="d")),
        tooltip=[alt.Tooltip("detector:N"), _year_tip(), alt.Tooltip("severity:N"),
                 alt.Tooltip("flags:Q", title="flags"), alt.Tooltip("example_series:N", title="strongest"),
                 alt.Tooltip("example_reason:N", title="reason")],
    ).properties(width=WIDTH - 200, height=alt.Step(30))


def unit_values(frame: pd.DataFrame, country: str = "PRK") -> alt.Chart:
    """The country's unit values (USD per kg) against every pair's for the same product and year:
    the 10-90% and 25-75% ranges and the median, the country's pairs as points (query
    report_unit_values)."""
    if frame.empty:
        return message(f"No figures with both value and weight for {country}'s trade.")
    data = with_years(frame)
    base = alt.Chart().encode(x=_year_x(sorted(set(data.year)), width=WIDTH - 260))
    spread = [alt.Tooltip("product:N"), _year_tip(), alt.Tooltip("median:Q", title="median USD/kg", format=".3f"),
              alt.Tooltip("p10:Q", title="10th percentile", format=".3f"), alt.Tooltip("p90:Q", title="90th percentile", format=".3f"),
              alt.Tooltip("pairs:Q", title="pairs in the distribution")]
    whisker = base.mark_rule(color="#999").encode(y=alt.Y("p10:Q", title="USD per kg", scale=alt.Scale(type="log")),
                                                  y2="p90:Q", tooltip=spread)
    box = base.mark_rule(strokeWidth=9, color="#c6dbef").encode(y="p25:Q", y2="p75:Q", tooltip=spread)
    median = base.mark_tick(color="#08519c", size=12).encode(y="median:Q", tooltip=spread)
    own = base.mark_point(filled=True, size=50, color="#b2182b").encode(
        y="usd_per_kg:Q", shape=alt.Shape("flow:N", title=f"{country}'s pair, as reported"),
        tooltip=[alt.Tooltip("reporter:N"), alt.Tooltip("partner:N"), alt.Tooltip("flow:N"), _year_tip(),
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
        x=_year_x(sorted(set(data.year)), field="start", width=WIDTH - 160), x2="end:T",
        y=alt.Y("reporter_name:N", title=None),
        color=alt.Color("state:N", title="state", scale=alt.Scale(domain=states, range=["#3182bd", "#fdae6b", MISSING_GREY])),
        tooltip=[alt.Tooltip("reporter_name:N", title="reporter"), alt.Tooltip("reporter:N", title="code"), _year_tip(),
                 alt.Tooltip("state:N"), alt.Tooltip("figures:Q", title="figures"), alt.Tooltip("kinds:N"),
                 alt.Tooltip("sources:N")],
    ).properties(width=WIDTH - 160, height=alt.Step(15))


def _usd_axis() -> alt.Axis:
    """SI prefixes as economists write them: 3.5 bn, not 3.5G."""
    return alt.Axis(format="~s", labelExpr="datum.value == 0 ? '0' : replace(replace(datum.label, 'G', ' bn'), 'M', ' m')")


def message(text: str) -> alt.Chart:
    """A chart that says what is missing (for notebooks; the report leaves empty charts out)."""
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
