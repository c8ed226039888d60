"""What the report shows, section by section, from one store. Each chart's data are aggregated in
SQL first (queries/report/ or the Store methods); each table names its columns in words with units
and a format per column. A chart or table with nothing to show is left out of the page and of the
exports, and "Data and methods" says what was left out and why.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import charts, options
from .._version import __version__
from ..cif_fob import methods_summary
from ..errors import MirrorError, TooLargeError
from ..progress import Steps
from .findings import findings
from .page import Figure, Report, Section, Table
from .parts import pair_to_show
from .registry import Context
from .registry import sections as sections_in_order
from .words import Col, Names

if TYPE_CHECKING:
    from ..store import Store

USD_FOB = "USD, FOB"


class Builder:
    """Collects sections, leaving out what has nothing to show (and remembering why)."""

    def __init__(self, db: Store, names: Names):
        self.db, self.names, self.left_out = db, names, []

    def figure(self, id_: str, title: str, frame: pd.DataFrame, draw, why: str, caption: str = "") -> list[Figure]:
        if frame is None or frame.empty:
            self.left_out.append(f"{title.lower()}: {why}")
            return []
        return [Figure(id_, title, draw(frame), caption)]

    def table(self, name: str, title: str, frame: pd.DataFrame, columns: dict[str, Col], why: str,
              **kwargs: object) -> list[Table]:
        if frame is None or frame.empty:
            self.left_out.append(f"the table {title[0].lower() + title[1:]}: {why}")
            return []
        return [Table(name, title, frame, columns, names=self.names, **kwargs)]

    def section(self, section: Section, why: str) -> list[Section]:
        if not section.figures and not section.tables:
            self.left_out.append(f"the section “{section.title}”: {why}")
            return []
        return [section]


def build_report(db: Store, country: str = "PRK", years: int | str | tuple[int, int] | range | None = None, factor_set: options.FactorSet = "unsd",
                 template_dir: str | Path | None = None, top: int = 15, progress: Steps | None = None) -> Report:
    """Everything the report shows, from one store: headline findings, the country's rebuilt trade,
    mirror discrepancies, oil and caps, sanctioned trade, flags, what changed, data and methods.
    ``years``: 2018, "2010-2019", (2010, 2019) or a range (default: every year of the country's
    figures); ``progress``: a mirror.progress.Steps that shows each step on a terminal."""
    steps = progress or Steps(quiet=True)
    iso3 = db.country(country)
    options.check("factor_set", factor_set, options.FactorSet)
    span = db.span(years)
    name, first_year, last_year = db.report_data("report_country", country=iso3).iloc[0]
    if pd.isna(first_year):
        raise MirrorError(f"The store holds no figures of {iso3}'s trade. Fix: load data first "
                          "(`trade-mirror load FILES` or `trade-mirror load --bundled`).")
    span = span or (int(first_year), int(last_year))
    b = Builder(db, Names.from_store(db))
    with steps.step("detect", f"flags on {name}'s series"):
        flags, window = _detect(db, iso3, span, (int(first_year), int(last_year)))
        tests = flags.attrs.get("tests", {})  # the size of each Benjamini-Hochberg family, for the methods
        flags = flags[_in_years(flags.period, span)].reset_index(drop=True) if len(flags) else flags
        # The mirror section's pair is read at HS4 now, while the engine still holds the detectors'
        # HS4 build: it keeps one build per connection, and every section after this one reads the
        # TOTAL level, so read later the HS4 rows would cost a rebuild at HS4 and one more at TOTAL.
        pair = pair_to_show(db, b.names, iso3, span)
    with steps.step("build", "oil and the caps"):
        caps = db.caps(iso3, factor_set=factor_set)
        oil = db.oil(iso3, factor_set=factor_set, years=span)
    sections: list[Section] = []
    context = Context(b, iso3, name, span, top, factor_set, flags, caps, oil, pair)
    for spec in registered_sections():
        with steps.step("build", spec.label):
            sections += spec.build(context)
    with steps.step("build", "data and methods"):
        sections += _methods(b, iso3, name, span, factor_set, top, tests, window)
        heads = findings(db, b.names, iso3, name, flags, caps, oil)
    return Report(country=iso3, years=span, sections=sections, findings=heads, left_out=b.left_out,
                  title=f"{name}: trade rebuilt from its partners' reports, {span[0]}–{span[1]}",
                  template_dir=Path(template_dir) if template_dir else None)


def registered_sections() -> list:
    """The registered sections in page order, every module of the report package imported first
    (a module that registers a section is found without editing this file)."""
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{module.name}")
    return sections_in_order()


def _in_years(periods: pd.Series, span: tuple[int, int]) -> pd.Series:
    year = pd.to_numeric(periods.astype(str).str[:4], errors="coerce")
    return year.between(span[0], span[1])


SETTING_WORDS = {
    "cif_fob": ("CIF/FOB conversion method", None), "cif_fob_factor": ("CIF/FOB factor (fixed method)", None),
    "shrinkage": ("pair estimates: prior weight (observations)", None),
    "max_margin": ("largest CIF/FOB margin allowed", "pct"), "source_order": ("sources, in order of preference", None),
    "hk_adjust": ("Hong Kong re-exports subtracted", None), "hk_markup": ("Hong Kong re-export markup", "pct"),
    "widen_rule": ("CIF/FOB margin left out where it widens the gap", None),
    "interval_level": ("confidence level of the intervals", "pct"),
    "mean_unbiased": ("reconciled values corrected for log-normal bias", None),
    "reliability_min_flows": ("reliability: fewest flows for an own estimate", None),
    "reliability_iterations": ("reliability: most backfitting iterations", None),
    "reliability_tolerance": ("reliability: convergence tolerance", None),
}


def _setting_value(value: object, fmt: str | None = None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    if fmt == "pct" and isinstance(value, float):
        return f"{value:.0%}"
    return str(value)


def _detect(db: Store, iso3: str, span: tuple[int, int], whole: tuple[int, int]) -> tuple[pd.DataFrame, str | None]:
    """The flags the report shows: detection over every year of the country's series (a break is
    judged on its whole history), or - when those do not fit in memory and the report asks for
    fewer years - over the report's years only, with the words the methods say it in."""
    try:
        return db.flags(country=iso3), None
    except TooLargeError as big:
        if span[0] <= whole[0] and span[1] >= whole[1]:
            raise
        words = str(big).split(". Fix:")[0]
        return db.flags(country=iso3, years=span), (f"the series of {span[0]}-{span[1]} only (breaks judged on the "
                                                    f"history inside those years): over every year, {words}")


def _methods(b: Builder, iso3: str, name: str, span: tuple[int, int], factor_set: str, top: int,
             tests: dict | None = None, window: str | None = None) -> list[Section]:
    from ..detect.base import DetectSettings

    db = b.db
    coverage = db.report_data("report_coverage", country=iso3, year_from=span[0], year_to=span[1], top=max(top, 30))
    settings = [{"setting": SETTING_WORDS.get(k, (k.replace("_", " "), None))[0],
                 "value": _setting_value(v, SETTING_WORDS.get(k, (None, None))[1])}
                for k, v in asdict(db.settings).items() if k != "extra"]
    settings += [{"setting": "detectors: " + k.replace("_", " "), "value": _setting_value(v)}
                 for k, v in asdict(DetectSettings()).items()]
    settings += [{"setting": "detectors: tests run (Benjamini-Hochberg families, each flag's q <= the FDR)",
                  "value": "; ".join(f"{k} {v:,}" for k, v in (tests or {}).items()) or "none"},
                 {"setting": "detectors: the years read", "value": window or "every year of the store"}]
    settings += [{"setting": "oil conversion factors", "value": factor_set},
                 {"setting": "trade-mirror version", "value": __version__},
                 {"setting": "store", "value": Path(db.path).name}]
    sources = db.report_data("report_sources", country=iso3)
    releases = db.status()
    cif_fob, cif_fob_words = methods_summary(db)  # the margin model behind the mirror's CIF/FOB conversion
    section = Section("methods", "Data and methods",
                      "Every figure comes from a loaded source release; the tables below cite them. Mirror values are "
                      "converted from CIF to FOB as the settings say; oil is converted with the factors listed.",
                      b.figure("coverage_heatmap", "Who reports, when", coverage,
                               lambda f: charts.coverage_heatmap(f, name),
                               f"nothing in the store reports {name}'s trade"),
                      b.table("sources", "Sources and their citations", sources, {
                          "source": Col("source"), "release": Col("release"), "kind": Col("kind of figure"),
                          "publisher": Col("publisher"), "source_url": Col("address"), "figures": Col("figures", "int"),
                          "first_year": Col("first year", "year"), "last_year": Col("last year", "year")},
                          "no source", max_rows=400, sortable=True, collapsed=True)
                      + b.table("releases", "Releases loaded", releases, {
                          "source": Col("source"), "release": Col("release"), "loads": Col("loads", "int"),
                          "current_figures": Col("current figures", "int"), "first_year": Col("first year", "year"),
                          "last_year": Col("last year", "year"), "kinds": Col("kinds of figure"),
                          "rows_rejected": Col("rows refused", "int"), "last_loaded": Col("last loaded", "date")},
                          "nothing loaded")
                      + b.table("settings", "Settings used", pd.DataFrame(settings),
                                {"setting": Col("setting"), "value": Col("value")}, "no settings")
                      + b.table("cif_fob_model", "CIF/FOB margin model", cif_fob, {
                          "term": Col("term"), "estimate": Col("estimate", "ratio"),
                          "std_error": Col("standard error", "ratio"), "p_value": Col("p-value", "ratio")},
                          "no margin model is used (the note on the CIF/FOB conversion says which factor is)")
                      + b.table("oil_factors", "Oil conversion factors (barrels per tonne)",
                                db.query("oil_factor_rows", factor_set=factor_set), {
                                    "product": Col("product", "words"), "bbl_per_tonne": Col("barrels per tonne", "ratio"),
                                    "source": Col("source"), "edition": Col("edition"), "source_url": Col("address")},
                                f"the factor set {factor_set} has no factors"))
    section.notes.append(cif_fob_words)
    if b.left_out:
        # said here, where a reader looks for what the report covers; exports leave the same out
        section.notes.append("Left out of this report, with nothing to show: " + "; ".join(b.left_out) + ".")
    return [section]
