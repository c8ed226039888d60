"""Charts of oil: deliveries in tonnes, against the UN caps (per cap year and running totals), and
the 1718 Committee notifications beside customs."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .axes import USD, WIDTH, long_form, message, usd_axis, with_years, year_tip, year_x

__all__ = ["oil_deliveries", "cap_deliveries", "cap_running_totals", "notifications_vs_customs"]


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
        x=year_x(sorted(set(data.year)), width=WIDTH - 160),
        y=alt.Y("tonnes:Q", title="tonnes", axis=usd_axis()),
        color=alt.Color("product:N", title="product"),
        strokeDash=alt.StrokeDash("kind:N", title="kind of figure", scale=alt.Scale(
            domain=kinds, range=[[1, 0], [6, 3], [2, 2]][: len(kinds)]),
            legend=None),  # said in the subtitle: Vega draws a dash legend's symbols empty
        detail="reporter:N",
        tooltip=[alt.Tooltip("reporter:N", title="supplier"), year_tip(), alt.Tooltip("product:N"),
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
    base = alt.Chart(data).encode(x=year_x(years, title="cap year", width=WIDTH - 160))
    tip = [alt.Tooltip("year:N", title="cap year"), alt.Tooltip("delivered:Q", title=f"delivered ({unit})", format=USD),
           alt.Tooltip("low:Q", title="lowest source", format=USD), alt.Tooltip("high:Q", title="highest source", format=USD),
           alt.Tooltip("share:Q", title="share of the cap", format=".0%"),
           alt.Tooltip("suppliers:N", title="by supplier"), alt.Tooltip("basis:N")]
    y_scale = alt.Scale(domain=[0, max(cap, float(data.high.max())) * 1.12], nice=False)
    bars = base.mark_bar(color="#4c78a8").encode(
        x=year_x(years, title="cap year", field="bar_start", width=WIDTH - 160), x2="bar_end:T",
        y=alt.Y("delivered:Q", title=f"{unit} delivered", axis=usd_axis(), scale=y_scale), y2=alt.datum(0),
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
        y=alt.Y("running_total:Q", title="barrels (running total)", axis=usd_axis()),
        color=alt.Color("cap_year:N", title="cap year"), tooltip=tip)
    cap = base.mark_rule(color="#b2182b", strokeDash=[6, 3]).encode(y="max(cap_amount):Q")
    return alt.layer(lines, cap).properties(width=WIDTH - 160, height=260)


def notifications_vs_customs(frame: pd.DataFrame, countries: dict[str, str] | None = None) -> alt.Chart:
    """What suppliers notified to the UN 1718 Committee beside what their customs reported, in tonnes,
    for the same span (``Store.notifications_vs_customs``); ``countries`` names the suppliers."""
    long = long_form(frame, ["supplier", "period", "period_start", "finding", "notified_by", "customs_by"],
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
        y=alt.Y("tonnes:Q", axis=usd_axis()),
        color=alt.Color("direction:N", title="figure", scale=alt.Scale(
            domain=["notified to the UN", "customs exports"], range=["#f58518", "#4c78a8"])),
        shape=alt.Shape("supplier_name:N", title="supplier"),
        tooltip=[alt.Tooltip("supplier_name:N", title="supplier"), alt.Tooltip("period:N"),
                 alt.Tooltip("direction:N", title="figure"), alt.Tooltip("tonnes:Q", format=USD),
                 alt.Tooltip("finding:N"), alt.Tooltip("notified_by:N", title="notified (source)"),
                 alt.Tooltip("customs_by:N", title="customs (source)")],
    ).properties(width=WIDTH - 160, height=240)
