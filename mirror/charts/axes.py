"""What every chart shares: sizes, colours, time axes over whole years, the USD axis, and the
chart that says what is missing."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["WIDTH", "USD", "SEVERITY_ORDER", "SEVERITY_COLOURS", "MISSING_GREY", "TABLEAU20", "ONE_SIDED_GREY", "with_years", "year_domain", "year_x", "year_step", "year_tip", "usd_axis", "message", "long_form"]

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


def year_x(years: list[int] | None = None, title: str | None = None, field: str = "date",
            width: int | None = None) -> alt.X:
    """A time axis over whole years, labelled mid-year (under the bar or cell of the year) when the
    ticks are yearly or sparser: ``width`` in pixels sets that offset."""
    # padding 0: Vega-Lite pads a bar chart's continuous axis by default, which would add a year's tick
    scale = alt.Scale(domain=year_domain(min(years), max(years)), nice=False, padding=0) if years else alt.Undefined
    offset = (width / (max(years) - min(years) + 1) / 2) if years and width else 0
    return alt.X(f"{field}:T", title=title, scale=scale,
                 axis=alt.Axis(format="%Y", labelAngle=0, labelOffset=offset, tickCount={"interval": "year", "step": year_step(years)},
                               grid=False))


def year_step(years: list[int] | None) -> int:
    span = (max(years) - min(years) + 1) if years else 10
    return 1 if span <= 12 else 2 if span <= 24 else 5


def year_tip() -> alt.Tooltip:
    return alt.Tooltip("year:N", title="year")  # nominal: written 2014, never 2,014


def usd_axis() -> alt.Axis:
    """SI prefixes as economists write them: 3.5 bn, not 3.5G."""
    return alt.Axis(format="~s", labelExpr="datum.value == 0 ? '0' : replace(replace(datum.label, 'G', ' bn'), 'M', ' m')")


def message(text: str) -> alt.Chart:
    """A chart that says what is missing (for notebooks; the report leaves empty charts out)."""
    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(align="left", x=5, y=20, fontSize=13, color="#555").encode(
        text="text:N").properties(width=WIDTH, height=40)


def long_form(frame: pd.DataFrame, keep: list[str], values: dict[str, str], value_name: str) -> pd.DataFrame:
    """The frame with one row per value column (named by ``values``), rows without a value dropped."""
    if frame.empty:
        return pd.DataFrame(columns=[*keep, "direction", value_name])
    keep = [c for c in keep if c in frame.columns]
    long = frame.melt(id_vars=keep, value_vars=list(values), var_name="direction", value_name=value_name)
    long["direction"] = long["direction"].map(values)
    return long.dropna(subset=[value_name])
