"""Charts of sanctions: trade in banned goods after each measure, and the flags over time."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .axes import SEVERITY_COLOURS, SEVERITY_ORDER, USD, WIDTH, message, usd_axis, with_years, year_tip, year_x

__all__ = ["banned_goods", "flags_timeline"]


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
        x=year_x(years, field="bar_start", width=WIDTH - 200), x2="bar_end:T",
        y=alt.Y("sum(value_usd):Q", title="USD", axis=usd_axis(), scale=alt.Scale(domain=[0, top], nice=False)),
        color=alt.Color("chapter_name:N", title="HS chapter", legend=alt.Legend(labelLimit=260)),
        tooltip=[alt.Tooltip("chapter_name:N", title="HS chapter"), alt.Tooltip("goods:N"), year_tip(),
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
        x=year_x(sorted(set(data.year)), width=WIDTH - 200),
        y=alt.Y("detector:N", title=None),
        color=alt.Color("severity:N", scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS)),
        size=alt.Size("flags:Q", title="flags", scale=alt.Scale(domain=[1, max(most, 2)], range=[60, 400]),
                      legend=alt.Legend(values=sorted({1, most}), format="d")),
        tooltip=[alt.Tooltip("detector:N"), year_tip(), alt.Tooltip("severity:N"),
                 alt.Tooltip("flags:Q", title="flags"), alt.Tooltip("example_series:N", title="strongest"),
                 alt.Tooltip("example_reason:N", title="reason")],
    ).properties(width=WIDTH - 200, height=alt.Step(30))
