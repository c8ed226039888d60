"""The report's page: sections of charts and tables rendered to ONE self-contained HTML file that
works offline, exported chart by chart (PNG, SVG) and table by table (CSV, Parquet, one Excel
workbook), and shown in notebooks through the same renderer (``_repr_html_``).

Safety: every value goes through Jinja's autoescaping; chart specs are embedded as JSON with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped (Altair's own HTML puts data in a <script> block
unescaped, so a name containing ``</script>`` would run as code); the Vega JavaScript is inlined
once. Nothing in the page asks the network for anything.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError, UndefinedError
from markupsafe import Markup

from .. import export
from .._version import __version__
from ..errors import MirrorError, OptionError
from ..paths import default_cache_dir, templates_dir
from .words import Col, Names, cell

TEMPLATE = "report.html.j2"
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass
class Finding:
    """A headline: a sentence with its numbers and the sources they come from (each a citation:
    publisher, source and release); ``short`` names the first few for the line under the text."""

    text: str
    sources: list[str] = field(default_factory=list)
    kind: str = "finding"

    @property
    def source(self) -> str:
        return "; ".join(self.sources) or "the figures in the store"

    @property
    def short(self) -> str:
        names = list(dict.fromkeys(re.sub(r" \((?:[^()]|\([^()]*\))*, release [^)]*\)$", "", s) for s in self.sources))
        if not names:
            return "the figures in the store"
        more = len(names) - 3
        return ", ".join(names[:3]) + (f" and {more} more" if more > 0 else "")


@dataclass
class Table:
    name: str  # file name of its exports
    title: str
    frame: pd.DataFrame
    columns: dict[str, Col] | list[str] | None = None  # shown in the page (exports carry every column)
    max_rows: int = 200
    sortable: bool = False
    collapsed: bool = False  # inside a <details> block (long reference lists)
    names: Names | None = None

    def _specs(self) -> dict[str, Col]:
        cols = self.columns or list(self.frame.columns)
        specs = cols if isinstance(cols, dict) else {c: _guess(c) for c in cols}
        return {c: s for c, s in specs.items() if c in self.frame.columns}

    def headers(self) -> list[str]:
        return [s.header for s in self._specs().values()]

    def shown(self) -> pd.DataFrame:
        return self.frame[list(self._specs())].head(self.max_rows)

    def rows(self) -> list[list[tuple[str, str, str, str]]]:
        """Each cell as (text shown, sort key, hover text, class): each column in its own format;
        numbers right-aligned, dates and periods never broken across lines."""
        fmts = [s.fmt for s in self._specs().values()]
        out = []
        for rec in self.shown().itertuples(index=False):
            row = []
            for value, fmt in zip(rec, fmts, strict=True):
                text, key, title = cell(value, fmt, self.names)
                numeric = fmt in ("int", "num", "usd", "pct", "ratio") or (
                    fmt == "text" and isinstance(value, (int, float)) and not isinstance(value, bool))
                css = "num" if numeric and text != "" else "nowrap" if fmt in ("date", "period", "year") else ""
                row.append((text, key, title, css))
            out.append(row)
        return out


def _guess(column: str) -> Col:
    """A column nobody described: its name in words, years as years, USD and shares as such."""
    header = column.replace("_", " ")
    if column in ("year", "cap_year", "first_year", "last_year") or column.endswith("_year"):
        return Col(header, "year")
    if column.endswith("_usd"):
        return Col(header.removesuffix(" usd") + " (USD)", "usd")
    if column.endswith("_kg"):
        return Col(header.removesuffix(" kg") + " (kg)", "num")
    if column in ("reporter", "partner", "exporter", "importer", "supplier") or column.endswith("_iso3"):
        return Col(header.removesuffix(" iso3"), "country")
    if column == "hs":
        return Col("HS code", "hs")
    return Col(header)


@dataclass
class Figure:
    id: str
    title: str
    chart: alt.TopLevelMixin
    caption: str = ""

    def spec(self) -> dict:
        if isinstance(self.chart, dict):  # a spec Altair's renderer hands over, already validated
            return _missing_as_null(self.chart, self.id)
        try:
            # Altair's row guard (its data transformer, never switched off) applies either way; the
            # schema validation (a tenth of a second per report) is left to tests/test_report.py,
            # which validates every chart: the charts are trade-mirror's own, not a user's.
            return _missing_as_null(self.chart.to_dict(validate=False), self.id)
        except alt.MaxRowsError as err:
            raise MirrorError(f"The chart {self.id!r} got more rows than Altair draws ({str(err).splitlines()[0]}): "
                              "a bug in trade-mirror's report queries, which must aggregate first. Fix: report it; "
                              "meanwhile narrow the report with --years.") from None


def _missing_as_null(spec: dict, chart_id: str) -> dict:
    """The spec with every NaN or infinity in its data rows made null (in place), as Vega-Lite reads a
    missing value. Altair means to do this for every frame but, under pandas 3, misses an object
    column that holds no value at all (its ``apply`` turns the column to float, whose ``None`` is
    NaN again): JSON has no NaN, so the whole page failed to render. A non-finite number anywhere
    else in the spec (a scale's domain, a rule's value) is a bug in the chart, said so by name."""
    def rows(values: object) -> None:
        for row in values if isinstance(values, list) else ():
            if isinstance(row, dict):
                for key, value in row.items():
                    if isinstance(value, float) and not math.isfinite(value):
                        row[key] = None

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "values" or path == "/datasets":
                    rows(value)
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, float) and not math.isfinite(node):
            raise MirrorError(f"The chart {chart_id!r} has {node} at {path} of its spec, which JSON cannot hold: a "
                              "bug in trade-mirror's chart. Fix: report it; the tables hold the same numbers.")

    walk(spec, "")
    return spec


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
    left_out: list[str] = field(default_factory=list)  # what had nothing to show, and why (data and methods says)

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
        neutralised) and as Parquet. What the page left out is not exported either. Written
        atomically (export.atomic_folder): a reader of ``folder`` sees the earlier export or this
        one, never half of each, and a failed export leaves it as it was."""
        vlc = _vl_convert()
        with export.atomic_folder(folder) as work:
            written = []
            for fig in self.figures():
                spec = fig.spec()
                (work / f"{fig.id}.svg").write_text(vlc.vegalite_to_svg(spec, vl_version=_vl_version()), encoding="utf-8")
                (work / f"{fig.id}.png").write_bytes(vlc.vegalite_to_png(spec, vl_version=_vl_version(), scale=2))
                written += [f"{fig.id}.svg", f"{fig.id}.png"]
            for table in self.tables():
                frame = table.frame.reset_index(drop=True)
                (work / f"{table.name}.csv").write_text(export.to_csv(frame), encoding="utf-8")
                _parquet_safe(frame).to_parquet(work / f"{table.name}.parquet", index=False)
                written += [f"{table.name}.csv", f"{table.name}.parquet"]
            export.to_excel({t.name: _parquet_safe(t.frame.reset_index(drop=True)) for t in self.tables()},
                            str(work / "tables.xlsx"))
        return [Path(folder).expanduser() / name for name in [*written, "tables.xlsx"]]

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
    env.filters["num"] = lambda v: cell(v, "num")[0]
    return env


@cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (vl-convert ships them: no network). A
    '</script' inside it would end the element early, so it is written '<\\/script' (same string).

    vl-convert takes about a second to build the 0.9 MB bundle, in every process that writes a
    page; it is kept in the cache folder under the renderer's version and Vega-Lite's, so each
    report after the first reads it back (a cache that cannot be written only costs that second)."""
    path = _bundle_cache_path()
    with contextlib.suppress(OSError, UnicodeDecodeError):
        kept = path.read_text(encoding="utf-8")
        if kept.endswith(_BUNDLE_END):  # whole (a file cut short by a full disk is rebuilt)
            return kept[: -len(_BUNDLE_END)]
    bundle = _vl_convert().javascript_bundle(vl_version=_vl_version())
    bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_text(bundle + _BUNDLE_END, encoding="utf-8")
        tmp.replace(path)  # atomic: a report running beside this one reads a whole bundle or none
    return bundle


_BUNDLE_END = "\n/* trade-mirror: the whole bundle was written */"  # not part of what a page gets


def _bundle_cache_path() -> Path:
    from importlib.metadata import PackageNotFoundError, version

    try:
        renderer = version("vl-convert-python")
    except PackageNotFoundError:
        renderer = "unknown"
    return default_cache_dir() / "vega" / f"bundle-vl-convert-{renderer}-vega-lite-{_vl_version()}.js"


def _vl_version() -> str:
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def _vl_convert():
    try:
        import vl_convert
    except ImportError:
        raise OptionError("The HTML report and chart exports need vl-convert-python (Vega's JavaScript and fonts, "
                          "offline), a dependency of trade-mirror that is missing from this environment. Fix: pip "
                          "install vl-convert-python (or reinstall trade-mirror).") from None
    return vl_convert


def check_renderer(export_dir: object = None) -> None:
    """Name a missing piece of the report before any work starts (the build takes seconds to
    minutes): vl-convert for the page and charts, openpyxl for the Excel workbook of the exports."""
    _vl_convert()
    if export_dir:
        try:
            import openpyxl  # noqa: F401 - only whether it imports
        except ImportError:
            raise OptionError("--export-dir writes tables.xlsx with openpyxl, a dependency of trade-mirror that is "
                              "missing from this environment. Fix: pip install openpyxl.") from None


def _iframe(page: str, height: int = 720) -> str:
    """A notebook cell shows the page as the file shows it: isolated in an iframe, same renderer."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;'
            'border:1px solid #ddd" sandbox="allow-scripts allow-popups"></iframe>')


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: mixed object columns are written as text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return out
