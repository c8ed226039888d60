"""The report: sections of charts and tables built from the store, rendered to ONE self-contained
HTML file that works offline, exported chart by chart (PNG, SVG) and table by table (CSV, Parquet),
and shown in notebooks through the same renderer (``_repr_html_``).

Safety: every value goes through Jinja's autoescaping; chart specs are embedded as JSON with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped (Altair's own HTML puts data in a <script> block
unescaped, so a name containing ``</script>`` would run as code); the Vega JavaScript is inlined
once. Nothing in the page asks the network for anything.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError, UndefinedError
from markupsafe import Markup

from . import charts, export, sql
from ._version import __version__
from .errors import MirrorError, OptionError
from .paths import templates_dir

TEMPLATE = "report.html.j2"
REFINED_CAP = "UNSCR2397-refined"
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass
class Finding:
    """A headline: a sentence with its numbers and the sources they come from."""

    text: str
    source: str
    kind: str = "finding"


@dataclass
class Table:
    name: str  # file name of its exports
    title: str
    frame: pd.DataFrame
    columns: list[str] | None = None  # shown in the page (exports carry every column)
    max_rows: int = 200
    sortable: bool = False

    def shown(self) -> pd.DataFrame:
        cols = [c for c in (self.columns or list(self.frame.columns)) if c in self.frame.columns]
        return self.frame[cols].head(self.max_rows)

    def rows(self) -> list[list[tuple[str, str]]]:
        """Each cell as (text shown, sort key): numbers with thousands separators, sorted as numbers."""
        return [[_cell(v) for v in rec] for rec in self.shown().itertuples(index=False)]


@dataclass
class Figure:
    id: str
    title: str
    chart: alt.TopLevelMixin
    caption: str = ""

    def spec(self) -> dict:
        if isinstance(self.chart, dict):  # a spec Altair's renderer hands over, already validated
            return self.chart
        try:
            return self.chart.to_dict()  # validates, and applies Altair's row guard (never switched off)
        except alt.MaxRowsError as err:
            raise MirrorError(f"The chart {self.id!r} got more rows than Altair draws ({str(err).splitlines()[0]}): "
                              "a bug in trade-mirror's report queries, which must aggregate first. Fix: report it; "
                              "meanwhile narrow the report with --years.") from None


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return _iframe(render(Report(country="", years=None, sections=[self], title=self.title)))


@dataclass
class Report:
    country: str
    years: tuple[int, int] | None
    sections: list[Section]
    findings: list[Finding] = field(default_factory=list)
    title: str = ""
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    version: str = __version__
    template_dir: Path | None = None

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def to_html(self) -> str:
        return render(self, self.template_dir)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(self.to_html(), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a report
        return path

    def export(self, folder: str | Path) -> list[Path]:
        """Every chart as SVG and PNG (vl-convert, fonts bundled: offline), every table as CSV
        and in one Excel workbook (text cells that a spreadsheet would run as formulas
        neutralised) and as Parquet."""
        vlc = _vl_convert()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fig in self.figures():
            spec = fig.spec()
            (folder / f"{fig.id}.svg").write_text(vlc.vegalite_to_svg(spec, vl_version=_vl_version()), encoding="utf-8")
            (folder / f"{fig.id}.png").write_bytes(vlc.vegalite_to_png(spec, vl_version=_vl_version(), scale=2))
            written += [folder / f"{fig.id}.svg", folder / f"{fig.id}.png"]
        for table in self.tables():
            frame = table.frame.reset_index(drop=True)
            (folder / f"{table.name}.csv").write_text(export.to_csv(frame), encoding="utf-8")
            _parquet_safe(frame).to_parquet(folder / f"{table.name}.parquet", index=False)
            written += [folder / f"{table.name}.csv", folder / f"{table.name}.parquet"]
        export.to_excel({t.name: _parquet_safe(t.frame.reset_index(drop=True)) for t in self.tables()},
                        str(folder / "tables.xlsx"))
        return [*written, folder / "tables.xlsx"]

    def _repr_html_(self) -> str:
        return _iframe(self.to_html())


# -- notebooks ---------------------------------------------------------------------------------
RENDERER = "trade-mirror"


def use_offline_renderer() -> None:
    """Show Altair charts in Jupyter through the report's renderer: each chart in an iframe with
    Vega's JavaScript inlined, so it draws with no network (the default renderer fetches Vega from
    a CDN). Call it once per notebook; nothing changes until you do."""
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _render_mimebundle)
    alt.renderers.enable(RENDERER)


def _render_mimebundle(spec: dict, **_: object) -> dict:
    page = Report(country="", years=None, sections=[Section("chart", "", figures=[Figure("chart", "", spec)])])
    return {"text/html": _iframe(page.to_html(), height=_height(spec))}


def _height(spec: dict) -> int:
    height = spec.get("height") if isinstance(spec.get("height"), int) else 300
    return min(max(height + 160, 220), 1200)


# -- building --------------------------------------------------------------------------------
def build_report(db: object, country: str = "PRK", years: tuple[int, int] | None = None,
                 factor_set: str = "unsd", template_dir: str | Path | None = None, top: int = 15) -> Report:
    """Everything the report shows, from one store: headline findings, the country's rebuilt trade,
    mirror discrepancies, oil and caps, sanctioned trade, flags, what changed, data and methods."""
    from .countries import resolve

    iso3 = resolve(db.con, country)
    name, first_year, last_year = sql.run(db.con, "report_country", country=iso3).fetchall()[0]
    if first_year is None:
        raise MirrorError(f"The store holds no figures of {iso3}'s trade. Fix: load data first "
                          "(`trade-mirror load FILES` or `trade-mirror load --bundled`).")
    span = years or (int(first_year), int(last_year))
    flags = db.flags(country=iso3)
    flags = flags[_in_years(flags.period, span)].reset_index(drop=True) if len(flags) else flags
    caps = db.caps(iso3, factor_set=factor_set)
    oil = db.oil(iso3, factor_set=factor_set, years=span)
    sections = [
        _rebuilt_section(db, iso3, name, span, top),
        _mirror_section(db, iso3, name, span, top),
        _oil_section(db, iso3, name, oil, caps, factor_set),
        _sanctions_section(db, iso3, name, span),
        _flags_section(db, flags),
        _changes_section(db, iso3),
        _methods_section(db, iso3, span, factor_set, top),
    ]
    findings = _findings(db, iso3, name, flags, caps, oil)
    return Report(country=iso3, years=span, sections=sections, findings=findings,
                  title=f"{name} ({iso3}): trade rebuilt from its partners' reports, {span[0]}-{span[1]}",
                  template_dir=Path(template_dir) if template_dir else None)


def _in_years(periods: pd.Series, span: tuple[int, int]) -> pd.Series:
    year = pd.to_numeric(periods.astype(str).str[:4], errors="coerce")
    return year.between(span[0], span[1])


def _rebuilt_section(db: object, iso3: str, name: str, span: tuple[int, int], top: int) -> Section:
    by_partner = db.reconstruct(iso3, by="partner", years=span)
    reported = _aggregate(db, "report_rebuilt_top", by_partner, top=top)
    totals = db.reconstruct(iso3, by="period", years=span)
    missing = _missing_years(by_partner, span)
    return Section("rebuilt", f"{name}'s trade rebuilt from its partners",
                   f"{name}'s imports are what its partners report exporting to it; its exports are what they report "
                   "importing from it, converted from CIF to FOB. A year with no partner's report in the store is "
                   "drawn as a grey band (missing data, not a fall in trade); a total summed from the HS lines in the "
                   "store rather than published by the partner is drawn pale, as it may be only part of the trade.",
                   [Figure("rebuilt_trade", "Rebuilt trade by partner",
                           charts.rebuilt_trade(reported, iso3, list(range(span[0], span[1] + 1)), missing))],
                   [Table("rebuilt_by_year", "Rebuilt totals by year (USD, FOB)", totals),
                    Table("rebuilt_by_partner", "By partner and year (USD, FOB)", by_partner,
                          ["year", "partner_name", "imports_usd", "exports_usd", "imports_status", "exports_status",
                           "source"], sortable=True)])


def _missing_years(by_partner: pd.DataFrame, span: tuple[int, int]) -> pd.DataFrame:
    """(year, direction, missing) where a partner that reports the country's trade in other years has
    no report of that year in the store (state 'not available'): that year's bar lacks it, which is
    missing data, not a fall in trade. A year no partner reports at all is missing too."""
    rows = []
    for direction, value, status in (("imports", "imports_usd", "imports_status"),
                                     ("exports", "exports_usd", "exports_status")):
        if by_partner.empty:
            gaps = {}
        else:
            reporting = set(by_partner[by_partner[value].notna()].partner)
            absent = by_partner[(by_partner[status] == "not available") & by_partner.partner.isin(reporting)]
            gaps = absent.groupby("year").partner.apply(lambda p: ", ".join(sorted(p))).to_dict()
        seen = set(by_partner[by_partner[value].notna()].year) if len(by_partner) else set()
        for year in range(span[0], span[1] + 1):
            if year in gaps or year not in seen:
                rows.append({"year": year, "direction": direction,
                             "missing": gaps.get(year, "every partner") if year in seen or year in gaps else "every partner"})
    return pd.DataFrame(rows, columns=["year", "direction", "missing"])


def _mirror_section(db: object, iso3: str, name: str, span: tuple[int, int], top: int) -> Section:
    db.mirror(years=span)  # builds the mirror tables the cells query reads, at the TOTAL level
    cells = sql.frame(db.con, "report_discrepancy_cells", country=iso3, top=top)
    cells = cells[cells.year.between(*span)]
    pair, title = _pair_to_show(db, iso3, span)
    uv = sql.frame(db.con, "report_unit_values", country=iso3, top=6, partners=8)
    uv = uv[uv.year.between(*span)]
    return Section("mirror", "Mirror discrepancies",
                   "Each flow has two reports: the exporter's (FOB) and the importer's (CIF, converted to FOB here). "
                   "The discrepancy index (X − M) / (X + M) runs from −1 to 1; grey cells have one report only, "
                   f"which for {name} is the rule: it publishes nothing.",
                   [Figure("discrepancy_heatmap", "Discrepancies by partner and year",
                           charts.discrepancy_heatmap(cells, iso3)),
                    Figure("pair_series", title, charts.pair_series(pair, title)),
                    Figure("unit_values", "Unit values against the world distribution", charts.unit_values(uv, iso3))],
                   [Table("mirror_cells", "Both reports by partner and year (USD)", cells,
                          ["partner_name", "direction", "year", "exporter_reported_usd", "importer_reported_usd",
                           "importer_reported_fob_usd", "discrepancy_index", "reported_by", "sources"], sortable=True)])


def _pair_to_show(db: object, iso3: str, span: tuple[int, int]) -> tuple[pd.DataFrame, str]:
    """The pair-product with the most years reported by both sides (the largest trade breaking
    ties) at HS4, else at the total; when no pair of the country has both reports (the DPRK's
    case), the one with the most years reported by either side, titled as one-sided."""
    rows = db.mirror(level="4", years=span)
    rows = rows[(rows.exporter == iso3) | (rows.importer == iso3)]
    if rows.empty:
        return pd.DataFrame(), "No pair with a report"
    both = rows[rows.reported_by == "both"]
    pick = both if len(both) else rows
    best = (pick.assign(usd=pick.value_exporter_usd.fillna(pick.value_importer_fob_usd))
            .groupby(["exporter", "importer", "hs"], as_index=False)
            .agg(years=("year", "nunique"), usd=("usd", "sum"))
            .sort_values(["years", "usd", "hs"], ascending=[False, False, True]).iloc[0])
    pair = rows[(rows.exporter == best.exporter) & (rows.importer == best.importer) & (rows.hs == best.hs)]
    if len(both):
        how = "both reports"
    else:
        silent = best.importer if pair.value_importer_usd.isna().all() else best.exporter
        how = f"one report only ({silent} reports nothing)"
    return pair.sort_values("year"), f"{best.exporter} → {best.importer}, HS {best.hs}: {how}"


def _oil_section(db: object, iso3: str, name: str, oil: pd.DataFrame, caps: pd.DataFrame, factor_set: str) -> Section:
    running = db.caps(iso3, factor_set=factor_set, monthly=True)
    vs_customs = db.notifications_vs_customs(iso3, factor_set=factor_set)
    annual_caps = caps[caps.reporter.isin(["all suppliers", "CHN", "RUS"])] if len(caps) else caps
    return Section("oil", "Oil and the UN caps",
                   "Crude (HS 2709) and refined products (HS 2710) in tonnes, converted to barrels with the factor set "
                   f"'{factor_set}'; notified deliveries against the caps of UNSC resolution 2397 (4 million barrels of "
                   "crude, 500,000 barrels of refined products a year); UN notifications beside customs figures.",
                   [Figure("oil_deliveries", "Oil in tonnes",
                           charts.oil_deliveries(_aggregate(db, "report_oil_points", oil, country=iso3, top=6), iso3)),
                    Figure("cap_running_totals", "Running totals against the cap", charts.cap_running_totals(running)),
                    Figure("notifications_vs_customs", "Notifications vs customs",
                           charts.notifications_vs_customs(vs_customs))],
                   [Table("caps", "Deliveries against the caps", annual_caps,
                          ["cap", "cap_year", "reporter", "kind", "delivered", "low", "high", "unit", "cap_amount",
                           "percent_of_cap", "basis"], sortable=True),
                    Table("oil", "Every oil figure", oil,
                          ["reporter", "partner", "flow", "hs", "product", "period", "kind", "tonnes", "barrels",
                           "publisher", "release"], sortable=True),
                    Table("notifications_vs_customs", "Notifications vs customs (tonnes)", vs_customs,
                          ["supplier", "period", "notified", "customs", "gap", "finding", "notified_by", "customs_by"],
                          sortable=True)])


def _sanctions_section(db: object, iso3: str, name: str, span: tuple[int, int]) -> Section:
    rows = db.sanctioned_trade(iso3, include_before=True)
    rows = rows[_in_years(rows.period, span)] if len(rows) else rows
    after = db.sanctioned_trade(iso3, summary=True)
    return Section("sanctions", "Trade in banned goods",
                   "Reported trade in goods after the date a UN measure banned it. A fall to zero after the date is "
                   "the ban obeyed; trade after it is a finding, subject to the measure's exemptions.",
                   [Figure("banned_goods", "Banned goods before and after each measure",
                           charts.banned_goods(_aggregate(db, "report_banned_points", rows), _measure_dates(rows), iso3))],
                   [Table("sanctioned_trade", "Trade after each ban, by measure", after),
                    Table("measures", "The measures", db.measures(iso3),
                          ["measure_id", "instrument", "effective", "direction", "goods", "hs_codes", "source_url"])])


def _measure_dates(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["measure", "effective"]].drop_duplicates() if len(rows) else pd.DataFrame(columns=["measure", "effective"])


def _aggregate(db: object, query: str, frame: pd.DataFrame, **params: object) -> pd.DataFrame:
    """Run a report query over a frame a Store method returned (registered as report_input), so a
    chart's data are aggregated in SQL however large the store."""
    if frame.empty:
        return pd.DataFrame()
    db.con.register("report_input", frame)
    try:
        return sql.frame(db.con, query, **params)
    finally:
        db.con.unregister("report_input")


def _flags_section(db: object, flags: pd.DataFrame) -> Section:
    return Section("flags", "All flags",
                   "Every anomaly the detectors found, most severe first, with the reason in plain English. Click a "
                   "column heading to sort.",
                   [Figure("flags_timeline", "Flags on a timeline",
                           charts.flags_timeline(_aggregate(db, "report_flag_points", flags)))],
                   [Table("flags", "Flags", flags, ["severity", "detector", "reporter", "partner", "flow", "hs", "period",
                                                    "score", "reason"], max_rows=1000, sortable=True)])


def _changes_section(db: object, iso3: str) -> Section:
    batch = db.meta("last_batch_since")
    if batch is None or int(batch) == 0:  # one batch holds everything: nothing earlier to compare with
        return Section("changes", "What changed", notes=[
            "Everything in the store came in one load or refresh, so there is no earlier release to compare with."])
    changes = db.changes(country=iso3)
    latest = sql.run(db.con, "report_batch_releases", since=int(batch)).fetchall()[0][0]
    return Section("changes", "What changed in the last refresh",
                   f"What the last load or refresh ({latest}) changed against the releases loaded before it: figures "
                   "revised (old and new value), periods and reporters added, flags that appeared or disappeared.",
                   tables=[Table("changes_revisions", "Revised figures", changes["revisions"], max_rows=100,
                                 sortable=True),
                           Table("changes_coverage", "New periods and reporters", changes["coverage"]),
                           Table("changes_flags", "Flags appeared or disappeared", changes["flags"])],
                   notes=[f"{len(changes['revisions'])} figures revised, {len(changes['coverage'])} source-reporter "
                          f"pairs with new or revised figures, {len(changes['flags'])} flags appeared or disappeared."])


def _methods_section(db: object, iso3: str, span: tuple[int, int], factor_set: str, top: int) -> Section:
    from dataclasses import asdict

    from .detect.base import DetectSettings

    coverage = sql.frame(db.con, "report_coverage", country=iso3, year_from=span[0], year_to=span[1], top=max(top, 30))
    settings = [{"setting": k, "value": str(v)} for k, v in asdict(db.settings).items() if k != "extra"]
    settings += [{"setting": f"detect.{k}", "value": str(v)} for k, v in asdict(DetectSettings()).items()]
    settings += [{"setting": "oil factor set", "value": factor_set},
                 {"setting": "trade-mirror version", "value": __version__},
                 {"setting": "store", "value": Path(db.path).name}]
    return Section("methods", "Data and methods",
                   "Every figure comes from a loaded source release; the tables below cite them. Mirror values are "
                   "converted CIF → FOB as the settings say; oil is converted with the factors listed.",
                   [Figure("coverage_heatmap", "Coverage", charts.coverage_heatmap(coverage, iso3))],
                   [Table("sources", "Sources and their citations", sql.frame(db.con, "report_sources", country=iso3),
                          max_rows=400, sortable=True),
                    Table("releases", "Releases loaded", db.status(),
                          ["source", "release", "loads", "current_figures", "first_year", "last_year", "kinds",
                           "rows_rejected", "last_loaded"]),
                    Table("settings", "Settings used", pd.DataFrame(settings)),
                    Table("oil_factors", "Oil conversion factors (barrels per tonne)",
                          sql.frame(db.con, "oil_factor_rows", factor_set=factor_set))])


# -- headline findings -------------------------------------------------------------------------
_FIRST = {"reporting_gap": 0, "cap_exceeded": 1, "sanctioned_trade": 2, "rerouting": 3}


def _findings(db: object, iso3: str, name: str, flags: pd.DataFrame, caps: pd.DataFrame, oil: pd.DataFrame) -> list[Finding]:
    out = []
    if len(flags):
        # Nothing built on data the store lacks leads: flags that could check everything they need
        # come first, then by severity and the detector's rank.
        top = flags.assign(_o=flags.detector.map(_FIRST).fillna(9), _s=flags.severity.map({"high": 0, "medium": 1}).fillna(2),
                           _m=flags.get("missing_data", pd.Series(None, index=flags.index)).notna())
        for flag in top.sort_values(["_m", "_s", "_o"], kind="stable").head(5).itertuples(index=False):
            out.append(Finding(flag.reason, _flag_sources(db, flag), flag.detector))
    cap_finding = _cap_finding(iso3, name, caps, oil)
    if cap_finding:
        out.insert(min(1, len(out)), cap_finding)
    return out


def _flag_sources(db: object, flag: object) -> str:
    """The publishers of the figures behind a flag's series - the reports, then any estimate of the
    same flow - each with its source and release."""
    hs = str(flag.hs) if flag.hs and str(flag.hs)[:1].isdigit() else None
    flow = flag.flow if isinstance(flag.flow, str) and flag.flow else None
    # Estimates are cited only for a flag on one HS code (a gap's estimate of the same flow); a flag
    # on a group of goods (a ban) cites the reports it counted.
    wanted = [("reported by", ["reported", "notified"])] + ([("estimate", ["estimated"])] if hs else [])
    parts = []
    for label, kinds in wanted:
        rows = sql.run(db.con, "report_flag_sources", reporter=flag.reporter, partner=flag.partner, hs=hs,
                       flow=flow, kinds=kinds).fetchall()
        if rows:
            parts.append(f"{label}: " + "; ".join(r[0] for r in rows))
    return " | ".join(parts) or "the figures in the store"


def _cap_finding(iso3: str, name: str, caps: pd.DataFrame, oil: pd.DataFrame) -> Finding | None:
    if caps.empty:
        return None
    refined = caps[(caps.cap == REFINED_CAP) & (caps.reporter == "all suppliers")].sort_values("cap_year")
    if refined.empty:
        return None
    cap_amount = refined.cap_amount.iloc[0]
    # the range where the sources disagree (suppliers' own figures, group figures, publishers)
    years = "; ".join(f"{int(r.cap_year)}: {r.delivered:,.0f} bbl ({r.percent_of_cap:.0f}% of the cap)"
                      + (f", sources {r.low:,.0f}-{r.high:,.0f}" if round(r.low) != round(r.high) else "")
                      for r in refined.itertuples(index=False))
    peak = refined.loc[refined.percent_of_cap.idxmax()]
    verdict = ("above the cap" if peak.percent_of_cap > 100 else "below the cap on paper")
    text = (f"Refined petroleum notified to the UN 1718 Committee as delivered to {name}, against the cap of "
            f"{cap_amount:,.0f} barrels a year (UNSC resolution 2397): {years}. The highest year, "
            f"{int(peak.cap_year)}, is {verdict}; the notifications are what suppliers chose to report, and the "
            "UN Panel of Experts estimated far larger unreported ship-to-ship deliveries.")
    notified = oil[(oil.kind == "notified")] if len(oil) else oil
    publishers = sorted({str(p) for p in notified.get("publisher", pd.Series(dtype=str)).dropna()})
    source = "; ".join(publishers[:6]) or "UN 1718 Committee notifications"
    return Finding(text, source, "cap")


# -- rendering ---------------------------------------------------------------------------------
def render(report: Report, template_dir: Path | None = None) -> str:
    env = _environment(template_dir)
    figures = report.figures()
    specs = {f.id: Markup(safe_json(f.spec())) for f in figures}
    try:
        return env.get_template(TEMPLATE).render(
            report=report, specs=specs, bundle=Markup(javascript_bundle()) if figures else "",
            chart_count=len(figures))
    except TemplateSyntaxError as err:
        raise OptionError(f"{err.filename or TEMPLATE}, line {err.lineno}: {err.message}. Fix: correct the template "
                          f"(the bundled one, {templates_dir() / TEMPLATE}, is a working example).") from None
    except UndefinedError as err:
        raise OptionError(f"{TEMPLATE} ({template_dir or templates_dir()}): {err.message}. Fix: use only the names "
                          "the bundled template uses (report, specs, bundle, chart_count).") from None


def safe_json(value: object) -> str:
    """JSON safe inside an HTML <script> element: no '<', '>' or '&' (so no '</script>' or '<!--')
    and no U+2028/U+2029 (line breaks to old JavaScript parsers) - as Django's json_script."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str).translate(_JSON_ESCAPES)


def _environment(template_dir: Path | None) -> Environment:
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    if template_dir and not Path(template_dir).is_dir():
        raise OptionError(f"--template-dir {template_dir} is not a folder. Fix: give a folder holding your own "
                          f"{TEMPLATE} (copy {templates_dir() / TEMPLATE} to start).")
    env = Environment(loader=ChoiceLoader([*loaders, FileSystemLoader(str(templates_dir()))]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _number
    return env


@cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (vl-convert ships them: no network). A
    '</script' inside it would end the element early, so it is written '<\\/script' (same string)."""
    bundle = _vl_convert().javascript_bundle(vl_version=_vl_version())
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


def _vl_version() -> str:
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def _vl_convert():
    try:
        import vl_convert
    except ImportError:
        raise OptionError("The HTML report and chart exports need vl-convert (Vega's JavaScript and fonts, offline). "
                          "Fix: pip install 'trade-mirror[report]'.") from None
    return vl_convert


def _iframe(page: str, height: int = 720) -> str:
    """A notebook cell shows the page as the file shows it: isolated in an iframe, same renderer."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;'
            'border:1px solid #ddd" sandbox="allow-scripts allow-popups"></iframe>')


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}" if value else "0"
    return str(value)


def _cell(value: object) -> tuple[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = _number(value)
        return shown, "" if shown == "" else repr(float(value))
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return "", ""
    text = str(value)
    return text, text.lower()


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: mixed object columns are written as text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return out
