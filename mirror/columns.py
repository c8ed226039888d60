"""The columns a person reads of each result, written once for the command line (its screen table;
JSON, CSV and TSV carry every column) and the report (its table of the same result): each column's
heading in words, with the unit where it has one, and its format.

fmt: text, year, int, num (thousands, no decimals), usd, pct (one decimal), ratio (two to three
significant digits), date, country (name, code on hover), hs (code, description on hover and after
it), period, words (snake_case and internal ids put in words). A column the frame lacks is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    """A column as shown: its heading in words (with the unit) and its format."""

    header: str
    fmt: str = "text"


OIL = {
    "reporter": Col("supplier", "country"), "partner": Col("partner", "country"), "flow": Col("flow"),
    "hs": Col("HS code", "hs"), "product": Col("product", "words"), "period": Col("period", "period"),
    "kind": Col("kind of figure"), "tonnes": Col("tonnes", "num"), "barrels": Col("barrels", "num"),
    "bbl_per_tonne": Col("barrels per tonne", "ratio"), "implied_check": Col("conversion check", "words"),
    "publisher": Col("publisher"), "release": Col("release"),
}

CAPS = {
    "cap": Col("cap"), "cap_year": Col("cap year", "year"), "reporter": Col("supplier", "country"),
    "kind": Col("kind of figure"), "delivered": Col("delivered", "num"), "low": Col("lowest source", "num"),
    "high": Col("highest source", "num"), "unit": Col("unit"), "cap_amount": Col("cap", "num"),
    "percent_of_cap": Col("share of the cap", "pct"), "basis": Col("basis", "words"),
}

NOTIFICATIONS = {  # in the unit asked for (the report: tonnes; `trade-mirror notifications --unit bbl`)
    "supplier": Col("supplier", "country"), "period": Col("period", "period"), "notified": Col("notified", "num"),
    "customs": Col("customs", "num"), "gap": Col("notified less customs", "num"), "finding": Col("finding"),
    "notified_by": Col("notified (source)"), "customs_by": Col("customs (source)"),
    "customs_products": Col("customs products"),
}

MEASURES = {
    "measure_id": Col("measure"), "instrument": Col("instrument"), "paragraph": Col("paragraph"),
    "effective": Col("in force from", "date"), "wind_down_end": Col("wind-down ends", "date"),
    "in_force_to": Col("in force to", "date"), "direction": Col("banned", "words"), "goods": Col("goods"),
    "hs_codes": Col("HS codes"), "citation": Col("citation"), "source_url": Col("text"), "origin": Col("origin"),
}

BANNED_TRADE_SUMMARY = {  # Store.sanctioned_trade(summary=True): per measure and reporter
    "measure": Col("measure"), "effective": Col("in force from", "date"),
    "reporter": Col("reported by", "country"), "value_after_usd": Col("after the ban (USD)", "usd"),
    "weight_after_kg": Col("after the ban (kg)", "num"), "first_period_after": Col("first period after"),
    "last_period_after": Col("last period after"), "value_wind_down_usd": Col("in the wind-down (USD)", "usd"),
    "value_12m_before_usd": Col("12 months before (USD)", "usd"), "severity": Col("severity"),
    "severity_reason": Col("why"),
}


def shown_as(columns: dict[str, Col], **words: str) -> dict[str, Col]:
    """The same columns with some read from a words column the report adds (cap="cap_words")."""
    return {words.get(name, name): col for name, col in columns.items()}
