"""How the report writes things: numbers per column, years without separators, dates as dates,
countries by name (the code on hover), HS codes with their descriptions, measures and caps by
their instrument, paragraph and goods, and sentences without "period(s)" or "from 2017 to 2017".

The data keep their codes (exports and the API are unchanged); only what a reader sees is put in
words here, from the store's own reference tables (countries, hs_codes, the sanctions register).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from ..columns import Col  # noqa: F401 - the report's columns are the shared ones (mirror/columns.py)

if TYPE_CHECKING:
    from ..store import Store




@dataclass
class Names:
    """Reference names for one report: countries, HS codes, measures and caps."""

    countries: dict[str, str] = field(default_factory=dict)
    hs: dict[str, str] = field(default_factory=dict)  # as the store has them: read through description()
    ids: dict[str, str] = field(default_factory=dict)  # measure and cap ids -> words
    goods: dict[str, str] = field(default_factory=dict)  # measure ids -> the goods, for tables

    @classmethod
    def from_store(cls, db: Store) -> Names:
        countries = dict(db.report_data("report_country_names").itertuples(index=False))
        # 8,000 descriptions, of which a report shows a few dozen: each tidied when read (description)
        hs = db.report_data("report_hs_names")
        hs = dict(zip(hs.iloc[:, 0], hs.iloc[:, 1], strict=True))
        ids: dict[str, str] = {}
        goods: dict[str, str] = {}
        measures = db.measures(None)
        for m in measures.itertuples(index=False):
            # in a sentence the goods follow the id already ("... banned by X (coal) ..."): the id alone
            ids[m.measure_id] = f"{_instrument(m.instrument)} para {m.paragraph.split(';')[0]}"
            goods[m.measure_id] = _goods(m.goods)
        caps = db.cap_periods()
        by_measure = measures.set_index("measure_id")
        periods = caps.groupby("cap").cap_period.nunique()
        for c in caps.drop_duplicates("cap").itertuples(index=False):
            m = by_measure.loc[c.measure] if c.measure in by_measure.index else None
            where = f"{_instrument(m.instrument)} para {m.paragraph.split(';')[0]}" if m is not None else c.measure
            # a cap of one period says when; a yearly cap's year is said by the sentence or the table
            when = f", {_span(c.cap_period)}" if periods[c.cap] == 1 else ""
            ids[c.cap] = f"the {c.product} cap of {where} (in {c.unit}{when})"
        return cls(countries, hs, ids, goods)

    def measure(self, measure_id: object) -> str:
        """A measure as a table shows it: 'Resolution 2371 (2017) para 8 (coal, iron and iron ore)'."""
        key = str(measure_id)
        return f"{self.ids[key]} ({_clip(self.goods[key], 48)})" if key in self.goods else self.ids.get(key, key)

    def country(self, code: object) -> str:
        return self.countries.get(str(code), str(code))

    def description(self, code: object) -> str | None:
        """An HS code's description, spaces tidied and no trailing 'etc' (None: an unknown code)."""
        text = self.hs.get(str(code))
        return None if text is None else _tidy(text)

    def hs_label(self, code: object, width: int = 60) -> str:
        """'2701 Coal' - the code and the first clause of its description (the rest is detail)."""
        text = self.description(code)
        return f"{code} {_clip(text.split(';')[0].strip(), width)}" if text else str(code)

    def sentence(self, text: str) -> str:
        """A detector's or a query's sentence as a person would write it."""
        return humanize(text, self)


def _instrument(text: str) -> str:
    return re.sub(r"^UNSC resolution ", "Resolution ", str(text))


def _goods(text: str) -> str:
    return re.split(r" \(", str(text), maxsplit=1)[0]


def _span(period: str) -> str:
    start, _, end = str(period).partition("..")
    if start[:4] == end[:4] and start[5:] == "01-01" and end[5:] == "12-31":
        return start[:4]
    return f"{start} to {end}" if end else start


def _tidy(text: str | None) -> str:
    text = re.sub(r"\s+", " ", str(text or "")).strip().rstrip(".;")
    return re.sub(r";\s*etc$", "", text)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


_PERIODS = re.compile(r"\b(\d+) period\(s\)")
_FROM_TO = re.compile(r"\bfrom (\d{4}(?:-\d\d)?) to \1\b")
_ISO3 = re.compile(r"\b[A-Z]{3}\b")
_SAME_RANGE = re.compile(r"[;,] sources range ([\d,.]+)-\1(?: [A-Za-z]+)?(?=[;)]|$)")
_HS = re.compile(r"\bHS (\d{2,6})\b")
_CODE_LIST = re.compile(r"\b[A-Z]{3}(?:, [A-Z]{3}){6,}\b")  # seven codes or more in a row


def humanize(text: str, names: Names) -> str:
    if not isinstance(text, str) or not text:
        return text
    # a list of 150 suppliers is not read: the first three and how many more
    text = _CODE_LIST.sub(lambda m: _short_list(m.group(0).split(", ")), text)
    out = _PERIODS.sub(lambda m: f"{m.group(1)} period" + ("" if m.group(1) == "1" else "s"), text)
    out = _FROM_TO.sub(r"in \1", out)
    out = _SAME_RANGE.sub("", out)  # "sources range 777,395-777,395 bbl": the sources agree, nothing to say
    out = re.sub(r"\b(\d+) row\(s\)", lambda m: f"{m.group(1)} row" + ("" if m.group(1) == "1" else "s"), out)
    for key in sorted(names.ids, key=len, reverse=True):  # longest first: UNSCR2321-coal-2016-t before -2016
        if key in out:
            out = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", names.ids[key], out)
    seen: set[str] = set()

    def hs(m: re.Match) -> str:  # the first mention of a code gets its description
        code = m.group(1)
        if code in seen or code not in names.hs:
            return m.group(0)
        seen.add(code)
        return f"HS {code} ({_clip(names.description(code).lower(), 70)})"

    out = _HS.sub(hs, out)
    return _ISO3.sub(lambda m: names.countries.get(m.group(0), m.group(0)), out)


def _short_list(codes: list[str]) -> str:
    unique = list(dict.fromkeys(codes))
    return ", ".join(unique[:3]) + f" and {len(unique) - 3} others"


def words(value: object) -> str:
    """snake_case values (exports_from_target, cap_exceeded) as words."""
    return str(value).replace("_", " ") if isinstance(value, str) and re.fullmatch(r"[a-z0-9_]+", value) else str(value)


def cell(value: object, fmt: str, names: Names | None = None) -> tuple[str, str, str]:
    """(text shown, sort key, hover text) of one cell."""
    if value is None or value is pd.NaT or (not isinstance(value, (str, list, dict, tuple)) and pd.isna(value)):
        return "", "", ""
    if fmt == "year":
        try:
            return str(int(value)), f"{int(value):06d}", ""
        except (TypeError, ValueError):
            return str(value), str(value), ""
    if fmt == "period":
        shown = period_words(str(value))
        return shown, str(value), str(value) if shown != str(value) else ""  # sorted as stored: by time
    if fmt == "date" or isinstance(value, (pd.Timestamp, datetime, date)):
        shown = _date(value)
        return shown, shown, ""
    if fmt == "country" and names is not None:
        shown = names.country(value)
        return shown, shown.lower(), str(value) if shown != str(value) else ""
    if fmt == "hs" and names is not None:
        text = names.description(value) or ""
        return (f"{value} {_clip(text, 28)}" if text else str(value)), str(value), text
    if isinstance(value, bool):
        return ("yes" if value else "no"), str(int(value)), ""
    if isinstance(value, (int, float)) and fmt not in ("text", "words"):
        return _number(float(value), fmt), repr(float(value)), ""
    if isinstance(value, (tuple, list)):
        text = ", ".join(map(str, value))
        return text, text.lower(), ""
    text = str(value)
    if fmt == "words":
        text = names.sentence(words(text)) if names is not None else words(text)
    return text, text.lower(), ""


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def period_words(period: str) -> str:
    """A stored period as a reader writes it: 2018-03 'Mar 2018', 2018-01..11 'Jan–Nov 2018',
    2016-11-30..2016-12-31 '30 Nov–31 Dec 2016', 2010..2014 '2010–2014'; a year stays a year."""
    m = re.fullmatch(r"(\d{4})-(\d\d)", period)
    if m:
        return f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"
    m = re.fullmatch(r"(\d{4})-(\d\d)\.\.(\d\d)", period)
    if m:
        return f"{_MONTHS[int(m.group(2)) - 1]}–{_MONTHS[int(m.group(3)) - 1]} {m.group(1)}"
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)\.\.(\d{4})-(\d\d)-(\d\d)", period)
    if m:
        y0, m0, d0, y1, m1, d1 = m.groups()
        start = f"{int(d0)} {_MONTHS[int(m0) - 1]}" + ("" if y0 == y1 else f" {y0}")
        return f"{start}–{int(d1)} {_MONTHS[int(m1) - 1]} {y1}"
    m = re.fullmatch(r"(\d{4})\.\.(\d{4})", period)
    return f"{m.group(1)}–{m.group(2)}" if m else period


def _date(value: object) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.strftime("%Y-%m-%d %H:%M")


def _number(value: float, fmt: str) -> str:
    if fmt == "pct":
        return f"{value:,.1f}%"
    if fmt == "ratio":
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if fmt in ("int", "num", "usd"):
        return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"
    # an unformatted number: thousands for large ones, three digits for small
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}" if value else "0"
