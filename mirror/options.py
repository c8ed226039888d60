"""The arguments of the public API, checked the same way in Python and on the command line.

Every option with a fixed set of values is a ``Literal`` here, and its tuple of values is what the
library checks against and what the CLI offers as ``choices``: one list, so the help, the error and
the check cannot drift apart. ``years`` accepts the forms people write (2018, "2010-2019",
(2010, 2019), range(2010, 2020)) and nothing else, and is checked against what the store holds:
a reversed or out-of-data range is an error that says which years there are, never an empty frame.

A filter that matches nothing (``db.mirror(hs="2709")`` at the total level, a pair the store does
not hold) is said in a warning (``EmptyResult``) naming the filter and what exists instead; the CLI
prints it on stderr.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, get_args

from .errors import OptionError

if TYPE_CHECKING:  # the CLI's parser reads the choices here: nothing heavy at import (sql: pandas, DuckDB)
    import duckdb

Level = Literal["2", "4", "6", "TOTAL"]
Freq = Literal["A", "M"]
Flow = Literal["export", "import", "re-export", "re-import"]
ReconstructBy = Literal["partner", "period", "chapter", "hs", "heading", "section"]
CoverageBy = Literal["pair", "reporter"]
CoverageKind = Literal["reported", "estimated"]
CompareKind = Literal["estimated", "notified"]
OilKind = Literal["reported", "notified", "estimated"]
CapKind = Literal["notified", "reported", "estimated", "all", "side-by-side"]
Unit = Literal["t", "bbl"]
FactorSet = Literal["unsd", "bp2021", "bp", "unscr2397"]  # the bundled sets; a store may hold more

LEVELS = get_args(Level)
FREQS = get_args(Freq)
FLOWS = get_args(Flow)
RECONSTRUCT_BY = get_args(ReconstructBy)
COVERAGE_BY = get_args(CoverageBy)
COVERAGE_KINDS = get_args(CoverageKind)
COMPARE_KINDS = get_args(CompareKind)
OIL_KINDS = get_args(OilKind)
CAP_KINDS = get_args(CapKind)
UNITS = get_args(Unit)
FACTOR_SETS = get_args(FactorSet)

YEARS_FORMS = "an int (2018), a string \"2010-2019\" (or \"2018\"), a (from, to) tuple or a range(2010, 2020)"
# HS codes are 2, 4 or 6 digits: a code's own length says its level (2709 is a heading, level 4).
_LEVEL_OF_DIGITS = {2: "2", 4: "4", 6: "6"}


class EmptyResult(UserWarning):
    """A call's filters matched nothing; the message names the filter and what exists instead."""


def check(name: str, value: object, values: object, note: str = "", normalise: Callable[[str], str] | None = None) -> str:
    """The one check behind every option with fixed choices: ``value`` (after ``normalise``, e.g.
    str.upper for levels) if it is one of ``values`` - a ``Literal`` type or a tuple - else an
    OptionError naming the value as given and listing the choices (and ``note``)."""
    choices = get_args(values) or tuple(values)  # type: ignore[arg-type]
    text = normalise(str(value)) if normalise is not None and value is not None else value
    if text not in choices:
        listed = ", ".join(map(str, choices)) + (f" ({note})" if note else "")
        raise OptionError(f"{name}={value!r} is not allowed. Choose one of: {listed}.")
    return text  # type: ignore[return-value]


def parse_years(value: object, name: str = "years") -> tuple[int, int] | None:
    """(from, to) from any accepted form; None stays None (every year). Reversed ranges are errors."""
    if value is None:
        return None
    bad = OptionError(f"{name}={value!r} is not a year or a range of years. Fix: give {YEARS_FORMS}.")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        years = (value, value)
    elif isinstance(value, range):
        if value.step != 1 or len(value) == 0:
            raise OptionError(f"{name}={value!r} is not a range of consecutive years. Fix: give {YEARS_FORMS}.")
        years = (value.start, value.stop - 1)
    elif isinstance(value, str):
        parts = [p.strip() for p in value.strip().replace("..", "-").replace("–", "-").split("-")]
        if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
            raise bad
        years = (int(parts[0]), int(parts[-1]))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        try:
            years = tuple(_int_year(v) for v in value)
        except (TypeError, ValueError):
            raise bad from None
    else:
        raise bad
    if not all(1900 <= y <= 2100 for y in years):
        raise OptionError(f"{name}={value!r}: {years[0]}-{years[1]} is not a span of calendar years. "
                          f"Fix: give four-digit years, e.g. 2010-2019.")
    if years[0] > years[1]:
        raise OptionError(f"{name}={value!r} runs backwards ({years[0]} after {years[1]}). "
                          f"Fix: give the earlier year first: {years[1]}-{years[0]}.")
    return years  # type: ignore[return-value]


def _int_year(value: object) -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)  # type: ignore[arg-type]


def check_years(con: duckdb.DuckDBPyConnection, value: object, name: str = "years") -> tuple[int, int] | None:
    """``parse_years``, then against the store: a range with no year in the store is an error
    saying which years it holds (a range that overlaps them is kept as given)."""
    from . import sql

    years = parse_years(value, name)
    if years is None:
        return None
    first, last = sql.run(con, "store_year_span").fetchall()[0]
    if first is None:  # no figures yet (a listing may still say what was published): nothing to check against
        return years
    if years[1] < first or years[0] > last:
        raise OptionError(f"{name}={years[0]}-{years[1]}: the store holds the years {first}-{last}, none of these. "
                          f"Fix: ask for years within {first}-{last}.")
    return years


def implied_level(hs: object, level: object) -> str:
    """The level a call works at: as given, else the level an HS code's own length says (2709 -> 4),
    else TOTAL. A code longer than its level (hs 2709 at level 2) is an error: it could match nothing."""
    code = None if hs is None else str(hs).strip().upper()
    if level is None:
        if code and code.isdigit():
            return _LEVEL_OF_DIGITS.get(len(code) + len(code) % 2, "6")
        return "TOTAL"
    text = check("level", level, Level, normalise=str.upper)
    if code and code.isdigit() and text != "TOTAL" and len(code) > int(text):
        raise OptionError(f"hs={hs!r} is a {len(code)}-digit code, finer than level {text}: it can match nothing there. "
                          f"Fix: leave the level out (it follows the code) or give level={_LEVEL_OF_DIGITS.get(len(code), '6')!r}.")
    if code and code.isdigit() and text == "TOTAL":
        raise OptionError(f"hs={hs!r} with level='TOTAL': the total level has one code, TOTAL, so an HS code matches "
                          f"nothing. Fix: leave the level out (it follows the code: "
                          f"{_LEVEL_OF_DIGITS.get(len(code) + len(code) % 2, '6')}) or drop hs.")
    return text


def explain_empty_mirror(con: duckdb.DuckDBPyConnection, *, exporter: str | None, importer: str | None,
                         hs: str | None, level: str, years: tuple[int, int] | None) -> str | None:
    """Why db.mirror() returned nothing: the first filter that emptied it and what exists instead
    (None when nothing was filtered, or the store has no mirror pairs at all)."""
    from . import sql

    year_from, year_to = years or (None, None)
    hs_key = None if hs is None else str(hs).strip().upper()
    if hs_key and hs_key.isdigit() and len(hs_key) % 2:
        hs_key = "0" + hs_key
    row = sql.frame(con, "mirror_filter_steps", exporter=exporter, importer=importer, hs=hs_key,
                    year_from=year_from, year_to=year_to).iloc[0]
    at = f"at HS level {level}" if level != "TOTAL" else "at the total level"

    def listed(values: object) -> str:
        return ", ".join(map(str, list(values)[:8])) if values is not None and len(values) else "none"

    if row.built == 0:
        return f"No flow has a report in the store {at}. Fix: load data (`trade-mirror status` shows what is there)."
    if exporter and row.after_exporter == 0:
        return f"exporter={exporter!r}: no flow exported by it {at}. Exporters there: {listed(row.exporters)}."
    if importer and row.after_importer == 0:
        return (f"importer={importer!r}: no flow from {exporter or 'any exporter'} to it {at}. "
                f"{exporter or 'The exporters'} trade{'s' if exporter else ''} with: {listed(row.importers)}.")
    if hs_key and row.after_hs == 0:
        return (f"hs={hs!r}: no code starting {hs_key} in {exporter or 'any exporter'} -> {importer or 'any importer'} "
                f"{at}. Codes there: {listed(row.codes)}.")
    if years and row.after_years == 0:
        span = str(row.first_year) if row.first_year == row.last_year else f"{row.first_year}-{row.last_year}"
        return f"years={years[0]}-{years[1]}: the flows matching the other filters are in {span} only, {at}."
    return None


def warn_empty(message: str | None) -> None:
    if message:
        warnings.warn(message, EmptyResult, stacklevel=3)
