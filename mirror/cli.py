"""The command line: a thin face over the library. Every command calls one library function and
prints its result; no logic lives here.

Exit codes (stable, for schedulers): 0 success; 1 unexpected error (a bug: please report it);
2 bad arguments; 3 store problem; 4 input file refused (nothing loaded); 69 the Comtrade API
unavailable beyond the retries (retry later); 75 store busy (retry later). Each command's help lists
the codes it can return.

Output: a table on a terminal; piped or redirected, plain tab-separated text (one header line, raw
numbers) unless --table, --csv or --json says otherwise. Progress goes to stderr, on a terminal
only; --quiet turns it off.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import export, options
from ._version import __version__
from .errors import MirrorError
from .ingest import FORMATS
from .progress import Steps

EXAMPLES = {
    "load": "trade-mirror load comtrade_2018_PRK.json --release 2024-06\n"
            "  trade-mirror load customs.csv --format csv --mapping gacc.toml\n"
            "  trade-mirror load --bundled --db my.duckdb",
    "status": "trade-mirror status --json",
    "queries": "trade-mirror queries",
    "query": "trade-mirror query countries --csv\n  trade-mirror query rejected_rows -p load_id 3",
    "formats": "trade-mirror formats",
    "mirror": "trade-mirror mirror --exporter CHN --importer PRK --hs 27 --level 4\n"
              "  trade-mirror mirror --importer \"North Korea\" --cif-fob pair --years 2010-2019 --csv",
    "reconstruct": "trade-mirror reconstruct PRK --by partner --years 2012-2020\n"
                   "  trade-mirror reconstruct PRK --by section --json",
    "coverage": "trade-mirror coverage --reporter CHN --partner PRK --years 2000-2024\n"
                "  trade-mirror coverage --by reporter --reporter CHN --csv",
    "compare": "trade-mirror compare --country PRK --kind estimated\n  trade-mirror compare --country PRK --reporters",
    "reliability": "trade-mirror reliability --level 4",
    "check": "trade-mirror check --json",
    "sanctions": "trade-mirror sanctions --summary\n  trade-mirror sanctions --measure UNSCR2371-seafood --freq M --before",
    "oil": "trade-mirror oil --kind notified --factors bp2021 --json\n  trade-mirror oil --conversions",
    "caps": "trade-mirror caps\n  trade-mirror caps --kind side-by-side\n  trade-mirror caps --monthly --kind notified",
    "notifications": "trade-mirror notifications --unit bbl",
    "measures": "trade-mirror measures\n  trade-mirror measures --add china_mofcom_2017_40.csv",
    "flags": "trade-mirror flags --country PRK\n  trade-mirror flags --detector reporting_gap --freq M --json",
    "refresh": "trade-mirror refresh --from ~/drop/comtrade\n  trade-mirror refresh --from drop --release 2024-06 --json\n"
               "  COMTRADE_API_KEY=... trade-mirror refresh --comtrade\n"
               "  trade-mirror refresh --comtrade-config my_sets.toml --cache /srv/comtrade-cache",
    "changes": "trade-mirror changes --since 3 --threshold 0.01 --json",
    "report": "trade-mirror report\n  trade-mirror report --country PRK --years 2010-2024 --out prk.html --export-dir prk-files",
}


EXIT_MEANINGS = {0: "success", 1: "unexpected error (a bug: please report it)", 2: "bad arguments",
                 3: "store problem (missing, damaged, or a check failed)", 4: "input refused (nothing loaded)",
                 69: "the Comtrade API unavailable beyond the retries (retry later)",
                 75: "store busy: another process is writing (retry later)"}
_READ = (0, 1, 2, 3, 75)
EXIT_CODES = {name: _READ for name in EXAMPLES} | {
    "load": (0, 1, 2, 3, 4, 75), "measures": (0, 1, 2, 3, 4, 75), "refresh": (0, 1, 2, 3, 4, 69, 75),
    "queries": (0, 1, 2), "formats": (0, 1, 2)}


def _epilog(name: str) -> str:
    codes = "\n".join(f"  {code:>2}  {EXIT_MEANINGS[code]}" for code in EXIT_CODES[name])
    return f"Example:\n  {EXAMPLES[name]}\n\nExit codes:\n{codes}"


def _output_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON (a list of row objects)")
    g.add_argument("--csv", action="store_true", help="print CSV (every column)")
    g.add_argument("--tsv", action="store_true", help="print tab-separated text (the default when piped)")
    g.add_argument("--table", action="store_true", help="print a table even when piped (the default on a terminal)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help="the store (default: $MIRROR_DB, else ~/.local/share/trade-mirror/mirror.duckdb)")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress or notes on stderr (errors still are)")
    parser = argparse.ArgumentParser(
        prog="trade-mirror", parents=[common],
        description="Compare exporter and importer reports of trade flows; rebuild North Korea's trade from its partners.",
        epilog="Exit codes: 0 ok, 1 bug, 2 bad arguments, 3 store problem, 4 input refused, 69 Comtrade API "
               "unavailable, 75 store busy. `trade-mirror COMMAND --help` lists each command's.")
    parser.add_argument("--version", action="version", version=f"trade-mirror {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text,
                              epilog=_epilog(name), formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("load", "Load trade data files into the store (all or nothing).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files to load; the format is detected unless --format")
    p.add_argument("--format", choices=list(FORMATS), help="the files' format (default: detect)")
    p.add_argument("--release", help="the release (vintage) of the data, e.g. 2024-06 or V202401 (default: from the file name or date)")
    p.add_argument("--source", help="the source the figures belong to (default: by format, e.g. comtrade)")
    p.add_argument("--encoding", default="utf-8", help="text encoding of the files (utf-8 or latin-1)")
    p.add_argument("--mapping", metavar="TOML", help="column mapping for --format csv")
    p.add_argument("--allow-rejects", action="store_true",
                   help="load the valid rows and keep the refused ones in the rejects table (default: refuse the file)")
    p.add_argument("--bundled", action="store_true", help="also load the bundled, cited DPRK public record")
    _output_flags(p)

    p = add("status", "Show what the store holds: sources, releases, rows, years, reporters, rejects.")
    _output_flags(p)

    p = add("queries", "List every named query with its parameters and what it returns.")
    _output_flags(p)

    p = add("query", "Run a named query with bound parameters (-p NAME VALUE).")
    p.add_argument("name", help="the query's name (see `trade-mirror queries`)")
    p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="a parameter value; repeat for several")
    _output_flags(p)

    p = add("formats", "List the input formats trade-mirror reads.")
    _output_flags(p)

    p = add("mirror", "Both reports of each flow side by side: exporter's X vs importer's M converted to FOB.")
    p.add_argument("--exporter", help="ISO3, Comtrade code or name (default: all)")
    p.add_argument("--importer", help="ISO3, Comtrade code or name (default: all)")
    p.add_argument("--hs", help="HS code or prefix, e.g. 27 or 2709")
    p.add_argument("--level", type=str.upper, choices=options.LEVELS,
                   help="HS level (default: the --hs code's own, 2709 -> 4; TOTAL without --hs)")
    _freq_flag(p, "A (annual) or M (monthly); never mixed")
    _years_flag(p)
    _analysis_flags(p)
    _output_flags(p)

    p = add("reconstruct", "Rebuild a country's trade from its partners' reports (imports = partners' exports to it).")
    p.add_argument("country", nargs="?", default="PRK", help="ISO3, Comtrade code or name (default PRK)")
    p.add_argument("--by", default="partner", choices=options.RECONSTRUCT_BY, help="default partner")
    _freq_flag(p)
    _years_flag(p)
    _analysis_flags(p)
    _output_flags(p)

    p = add("compare", "Customs figures beside analysts' estimates and UN notifications of the same flow and span.")
    p.add_argument("--country", default="PRK", help="flows to or from this country (default PRK; 'all' for every country)")
    p.add_argument("--kind", choices=options.COMPARE_KINDS, help="only this kind of figure against customs")
    p.add_argument("--hs", help="only this HS code or TOTAL")
    p.add_argument("--reporters", action="store_true", help="instead: the origin's report beside the destination's")
    _output_flags(p)

    p = add("reliability", "Each country's reporting reliability as exporter and importer (BACI's weights).")
    p.add_argument("--level", default="TOTAL", type=str.upper, choices=options.LEVELS,
                   help="HS level the weights are estimated at (default TOTAL)")
    _freq_flag(p)
    _analysis_flags(p)
    _output_flags(p)
    p = add("check", "Run the store's SQL checks (unique current versions, no negative values, known codes ...).")
    _output_flags(p)

    p = add("sanctions", "Partner-reported trade in banned goods after each measure's effective date, in the banned direction.")
    p.add_argument("--country", default="PRK", help="the target (default PRK)")
    p.add_argument("--measure", help="one measure id (see `trade-mirror measures`)")
    _freq_flag(p)
    p.add_argument("--before", action="store_true", help="also list the same goods before each measure")
    p.add_argument("--summary", action="store_true", help="per measure and reporter: after vs the 12 months before")
    _analysis_flags(p)
    _output_flags(p)

    p = add("oil", "Crude, refined products and LPG to and from a country in tonnes and barrels, every kind of figure.")
    p.add_argument("--country", default="PRK")
    _factors_flag(p)
    p.add_argument("--kind", choices=options.OIL_KINDS)
    p.add_argument("--conversions", action="store_true",
                   help="deliveries published in both tonnes and barrels: the implied bbl/t and its check")
    _years_flag(p)
    _output_flags(p)

    p = add("caps", "Deliveries against the UN caps (refined 500,000 bbl a year; crude 4 M bbl) by supplier and in total.")
    p.add_argument("--country", default="PRK")
    _factors_flag(p)
    p.add_argument("--kind", default="notified", choices=options.CAP_KINDS,
                   help="notified (default), reported, estimated, all (one row each) or side-by-side (one row per "
                        "cap year and supplier with the three kinds and their ranges)")
    p.add_argument("--monthly", action="store_true", help="running totals by month and the date a cap is crossed")
    p.add_argument("--periods", action="store_true", help="the caps themselves: every period, amount and citation")
    _output_flags(p)

    p = add("notifications", "1718 Committee notifications beside the same supplier's customs-reported refined exports.")
    p.add_argument("--country", default="PRK")
    _factors_flag(p)
    p.add_argument("--unit", default="t", choices=options.UNITS, help="compare in tonnes (default) or barrels")
    _output_flags(p)

    p = add("measures", "The sanctions register (UN measures and your own) with in-force and wind-down dates and "
                        "citations; --add FILE adds measures from a CSV.")
    p.add_argument("--country", default="PRK", help="measures against this target ('all' for every target)")
    p.add_argument("--add", metavar="CSV", help="a CSV with the register's columns (data/sanctions/register.csv)")
    _output_flags(p)

    p = add("coverage", "What each reporter published: reported, reported nothing (a zero) or not available.")
    p.add_argument("--reporter", help="the reporting country (ISO3, code or name; default all)")
    p.add_argument("--partner", help="the partner (default all)")
    p.add_argument("--flow", choices=options.FLOWS, help="one flow only")
    p.add_argument("--hs", help="the state of one HS code (or TOTAL) in each period, with its value")
    p.add_argument("--by", choices=options.COVERAGE_BY, default="pair",
                   help="pair: each reporter-partner-flow and period (default); reporter: the periods each reporter published")
    p.add_argument("--kind", choices=options.COVERAGE_KINDS, default="reported",
                   help="customs reports (default) or estimates such as CEPII BACI")
    _freq_flag(p)
    _years_flag(p)
    _output_flags(p)

    p = add("flags", "Run the anomaly detectors and list their flags, each with a plain-English reason.")
    p.add_argument("--detector", choices=_detectors(), help="only this detector")
    p.add_argument("--country", default="PRK", help="the country of interest (default PRK)")
    _freq_flag(p)
    p.add_argument("--level", default="4", type=str.upper, choices=options.LEVELS,
                   help="HS level of the mirror comparisons (default 4)")
    _output_flags(p)

    p = add("refresh", "Load what is new (a drop folder, the Comtrade API) and recompute the flags, all or nothing.")
    p.add_argument("--from", dest="folder", metavar="DIR", help="a drop folder: every new data file in it")
    p.add_argument("--comtrade", action="store_true",
                   help="fetch from the UN Comtrade API what was published since the last refresh "
                        "(key from COMTRADE_API_KEY; needs trade-mirror[comtrade])")
    p.add_argument("--comtrade-config", metavar="TOML",
                   help="your own fetch sets (default: the bundled data/comtrade/fetch_sets.toml); implies --comtrade")
    p.add_argument("--cache", metavar="DIR", help="where API downloads wait to be loaded (default ~/.cache/trade-mirror/comtrade)")
    p.add_argument("--release", help="the release label of the new files (default: from names or dates)")
    p.add_argument("--allow-rejects", action="store_true", help="load valid rows, keep refused ones in rejects")
    p.add_argument("--country", default="PRK", help="the country whose flags are recomputed")
    _output_flags(p)  # --csv/--tsv: the files of the refresh, one row each; --json: the whole summary

    p = add("changes", "What the last loads changed: revised figures, new periods and reporters, flags gone or new.")
    p.add_argument("--since", type=int, help="load id to compare from (default: what the last load or refresh loaded, all its files)")
    p.add_argument("--threshold", type=float, default=0.0, help="leave out revisions smaller than this share")
    p.add_argument("--country", default="PRK")
    _output_flags(p)

    p = add("report", "Write the HTML report: one self-contained file that works offline (and, optionally, every "
                      "chart as PNG/SVG and every table as CSV/Parquet/Excel).")
    p.add_argument("--country", default="PRK", help="ISO3, Comtrade code or name (default PRK)")
    _years_flag(p)
    p.add_argument("--out", metavar="PATH", help="the HTML file (default: reports/<COUNTRY>-report.html)")
    p.add_argument("--export-dir", metavar="DIR", help="also write each chart (PNG, SVG) and table (CSV, Parquet, one Excel workbook) here")
    p.add_argument("--template-dir", metavar="DIR", help="a folder with your own report.html.j2 (overrides the bundled one)")
    p.add_argument("--factor-set", default="unsd", choices=options.FACTOR_SETS,
                   help="oil conversion factors (default unsd)")
    _output_flags(p)  # the summary line as one row: path, size, charts, tables, findings, seconds
    return parser


def _freq_flag(p: argparse.ArgumentParser, text: str = "A (annual) or M (monthly)") -> None:
    p.add_argument("--freq", default="A", type=str.upper, choices=options.FREQS, help=text + "; default A")


def _factors_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--factors", default="unsd", choices=options.FACTOR_SETS,
                   help="barrels-per-tonne factor set (default unsd; bp = bp2021)")


def _cif_fob_methods() -> list[str]:
    from typing import get_args

    from .settings import CifFobMethod

    return list(get_args(CifFobMethod))


def _detectors() -> list[str]:
    from .detect.base import DETECTORS

    return list(DETECTORS)


def _years_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--years", metavar="FROM-TO", help="a year or a range, e.g. 2010-2024")


def _analysis_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cif-fob", choices=_cif_fob_methods(),
                   help="CIF/FOB conversion method (default: the library's; see the README)")
    p.add_argument("--factor", type=float, help="the fixed CIF/FOB factor (default 1.06, the IMF's)")
    p.add_argument("--sources", help="source preference when several carry a flow, e.g. gacc,comtrade")
    p.add_argument("--hk-adjust", action="store_true", help="subtract Hong Kong re-exports from imports from China (GFI)")


def _analysis_options(args: argparse.Namespace) -> dict:
    out: dict = {}
    if getattr(args, "cif_fob", None):
        out["cif_fob"] = args.cif_fob
    if getattr(args, "factor", None) is not None:
        out["cif_fob_factor"] = args.factor
    if getattr(args, "sources", None):
        out["source_order"] = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    if getattr(args, "hk_adjust", False):
        out["hk_adjust"] = True
    return out


def _years(text: str | None) -> tuple[int, int] | None:
    # the library checks the range against the store; the CLI only reads the words
    return options.parse_years(text, "--years") if text else None


def _emit(frame: pd.DataFrame, args: argparse.Namespace, title: str | None = None,
          columns: list[str] | None = None) -> None:
    """JSON and CSV carry every column; the table and TSV the ``columns`` that fit a screen."""
    if getattr(args, "json", False):
        print(export.to_json(frame))
    elif getattr(args, "csv", False):
        sys.stdout.write(export.to_csv(frame))
    else:
        _print_table(frame[[c for c in columns if c in frame.columns]] if columns else frame, title, args)


def _plain(args: argparse.Namespace | None) -> bool:
    """Tab-separated text instead of a table: asked for, or stdout is not a terminal (a pipe, a file)."""
    if args is not None and getattr(args, "table", False):
        return False
    return bool(args is not None and getattr(args, "tsv", False)) or not sys.stdout.isatty()


def _tsv(frame: pd.DataFrame) -> str:
    """One header line, one line per row, raw values (no thousands separators): for cut, awk, sort.
    A tab or line break inside a text cell becomes a space, so every line has the same fields."""
    text = frame.copy()
    for col in text.columns:
        if not pd.api.types.is_numeric_dtype(text[col]):
            text[col] = text[col].map(lambda v: v if not isinstance(v, str) else " ".join(v.split("\t")).replace("\n", " "))
    return text.to_csv(sep="\t", index=False, lineterminator="\n")


def _print_table(frame: pd.DataFrame, title: str | None, args: argparse.Namespace | None = None) -> None:
    if _plain(args):
        sys.stdout.write(_tsv(frame))
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False, row_styles=["", "dim"])
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        # headings as words so they wrap at spaces; every column keeps a readable width (numbers whole)
        cells = [_cell(v) for v in frame[col].head(200)]
        widest = max([len(c) for c in cells] + [1])
        table.add_column(str(col).replace("_", " "), justify="right" if numeric else "left", overflow="fold",
                         min_width=min(widest, 14) if numeric else min(widest, 10))
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console = _console()
    console.print(table)
    if frame.empty:
        console.print("(no rows)")
    elif (sum(c.min_width or 1 for c in table.columns) + 3 * len(table.columns) + 1 > console.width
          and not getattr(args, "quiet", False)):  # each column's minimum, its padding and rule
        print(f"trade-mirror: the table is wider than the terminal ({console.width} columns) and is cut at the "
              "right; --tsv, --csv or --json give every column.", file=sys.stderr)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _console():
    from rich.console import Console

    # --table when piped keeps its width (rich would fold everything to 80 columns).
    return Console() if sys.stdout.isatty() else Console(width=240)


def _steps(args: argparse.Namespace) -> Steps:
    return Steps(quiet=getattr(args, "quiet", False))


def _open(args: argparse.Namespace, read_only: bool):
    from .store import open_store

    return open_store(getattr(args, "db", None), read_only=read_only)


def cmd_load(args: argparse.Namespace) -> int:
    if not args.paths and not args.bundled:
        raise MirrorError("Nothing to load. Fix: name one or more files, or pass --bundled for the bundled DPRK record.")
    steps = _steps(args)
    frames = []
    _create_folder(args)
    with _open(args, read_only=False) as db:
        if args.bundled:
            with steps.step("load", "the bundled DPRK public record"):
                frames.append(db.load_bundled())
        if args.paths:
            with steps.step("load", f"{len(args.paths)} file{'s' if len(args.paths) > 1 else ''}"):
                frames.append(db.load(args.paths, format=args.format, release=args.release, source=args.source,
                                      encoding=args.encoding, mapping=args.mapping, allow_rejects=args.allow_rejects,
                                      progress=steps.callback))
    result = pd.concat(frames, ignore_index=True)
    cols = [c for c in ["load_id", "file_name", "status", "format", "source", "release", "rows_read", "rows_loaded",
                        "rows_rejected", "rows_new", "rows_revised", "rows_unchanged", "rows_breakdown", "rows_apart",
                        "seconds", "note"] if c in result.columns]
    # a terminal shows what fits 80 columns; JSON, CSV and TSV carry every column
    _emit(result[cols], args, title="Loads", columns=["load_id", "file_name", "status", "release", "rows_new",
                                                      "rows_revised", "rows_unchanged", "rows_rejected", "seconds"])
    rejected = int(result.get("rows_rejected", pd.Series(dtype=float)).fillna(0).sum())
    if rejected and not getattr(args, "quiet", False):
        print(f"trade-mirror: {rejected} row{'s' if rejected > 1 else ''} refused and kept in the rejects table: "
              "trade-mirror query rejected_rows -p load_id N", file=sys.stderr)
    return 0


def _first_use(args: argparse.Namespace, steps: Steps):
    """The step of building the default store on first use (it loads the bundled record), shown."""
    from contextlib import nullcontext

    from .paths import default_db_path

    if getattr(args, "db", None) or default_db_path().exists():
        return nullcontext()
    return steps.step("load", f"the bundled DPRK record into a new default store, {default_db_path()}")


def _create_folder(args: argparse.Namespace) -> None:
    """A command that writes may start a store in a new folder; reads never create one (a typo in
    --db is an error there, not an empty store)."""
    if getattr(args, "db", None):
        Path(args.db).expanduser().parent.mkdir(parents=True, exist_ok=True)


def cmd_status(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        if args.json:
            print(export.to_json(db.status_dict()))
            return 0
        frame = db.status()
        if args.csv:
            sys.stdout.write(export.to_csv(frame))
            return 0
        summary = db.status_dict()
    if _plain(args):
        sys.stdout.write(_tsv(frame))
        return 0
    _console().print(f"[bold]{summary['path']}[/bold]: {summary['rows']:,} current figures "
                    f"({summary['versions']:,} versions kept), {summary['load_count']} loads, "
                    f"years {summary['first_year']}-{summary['last_year']}, {summary['reporters']} reporters, "
                    f"{summary['partners']} partners; {summary['breakdown_rows']:,} breakdown rows and "
                    f"{summary['apart_rows']:,} non-flow figures kept apart; {summary['rejected_rows']:,} rejected rows.")
    _print_table(frame[["source", "release", "loads", "current_figures", "first_year", "last_year", "reporters",
                        "partners", "kinds", "freqs", "rows_rejected", "rows_revised", "last_loaded"]],
                 "Sources and releases", args)
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from . import sql

    rows = [{"name": q.name, "layer": q.layer, "parameters": ", ".join(f"{p.name}:{p.type}" for p in q.params),
             "doc": q.doc} for q in sql.catalog().values() if q.public]
    _emit(pd.DataFrame(rows), args, title="Named queries (queries/)")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    params = dict(args.param)
    with _open(args, read_only=True) as db:
        frame = db.query(args.name, **params)
    _emit(frame, args, title=args.name)
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    _emit(pd.DataFrame([{"format": k, "description": v} for k, v in FORMATS.items()]), args, title="Formats")
    return 0


MIRROR_COLUMNS = ["period", "exporter", "importer", "hs", "value_exporter_usd", "value_importer_usd",
                  "value_importer_fob_usd", "gap_usd", "log_ratio", "discrepancy_index", "reported_by",
                  "cif_fob_method", "value_reconciled_usd"]


def cmd_mirror(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db, _steps(args).step("build", "both reports of each flow"):
        frame = db.mirror(exporter=args.exporter, importer=args.importer, hs=args.hs, level=args.level,
                          freq=args.freq, years=_years(args.years), **_analysis_options(args))
    if args.json or args.csv:
        _emit(frame, args)
    else:
        _print_table(frame[MIRROR_COLUMNS], f"Mirror: {len(frame)} flows (USD; importer's value converted to FOB)", args)
    return 0


def cmd_reconstruct(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db, _steps(args).step("build", f"{args.country} from its partners' reports"):
        frame = db.reconstruct(args.country, by=args.by, freq=args.freq, years=_years(args.years),
                               **_analysis_options(args))
    human = [c for c in frame.columns if c not in ("country", "year", "month", "source")]
    _emit(frame, args, title=f"{frame['country'].iloc[0] if len(frame) else args.country} rebuilt from partner reports "
                             f"(USD, FOB), by {args.by}", columns=human)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.coverage(args.reporter, args.partner, args.flow, freq=args.freq, years=_years(args.years),
                            kind=args.kind, by=args.by, hs=args.hs)
    _emit(frame, args, title=f"Coverage ({args.kind}, {args.freq}, by {args.by})",
          columns=[c for c in frame.columns if c not in ("year", "month", "sources")])
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    country = None if args.country.lower() == "all" else args.country
    with _open(args, read_only=True) as db:
        frame = (db.compare_reporters(country, hs=args.hs) if args.reporters
                 else db.compare_kinds(country, args.kind, hs=args.hs))
    human = (["origin", "destination", "hs", "unit", "period", "origin_reports", "destination_reports", "gap", "ratio"]
             if args.reporters else ["origin", "destination", "direction", "hs", "product", "unit", "period",
                                     "reported_value", "other_kind", "other_value", "gap", "ratio", "other_by"])
    _emit(frame, args, title="Same flow, same span: " + ("origin vs destination" if args.reporters
                                                         else "customs vs other kinds of figures"), columns=human)
    return 0


def cmd_reliability(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.reliability(level=args.level, freq=args.freq, **_analysis_options(args))
    _emit(frame, args, title="Reporter reliability (BACI): higher variance = less weight")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.check()
    _emit(frame, args, title="SQL checks (0 offending rows = pass)", columns=["check", "offending_rows", "first"])
    return 0 if (frame.offending_rows == 0).all() else 3


def cmd_sanctions(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.sanctioned_trade(args.country, freq=args.freq, measure=args.measure, include_before=args.before,
                                    summary=args.summary, **_analysis_options(args))
    human = (["measure", "reporter", "value_after_usd", "weight_after_kg", "first_period_after", "last_period_after",
              "value_wind_down_usd", "value_12m_before_usd", "severity"] if args.summary else
             ["measure", "reporter", "partner", "flow", "hs", "period", "value_usd", "net_weight_kg", "timing", "severity"])
    _emit(frame, args, title="Trade in banned goods, in the banned direction (partner reports; USD)", columns=human)
    return 0


def cmd_oil(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        if args.conversions:
            frame = db.sanctions.oil_conversions(args.country, factor_set=args.factors)
            _emit(frame, args, title="Deliveries published in tonnes and in barrels", columns=[
                "reporter", "kind", "product", "period", "barrels", "tonnes", "implied_bbl_per_tonne", "implied_check"])
            return 0
        frame = db.oil(args.country, factor_set=args.factors, kind=args.kind, years=_years(args.years))
    _emit(frame, args, title="Oil in tonnes and barrels", columns=[
        "reporter", "partner", "flow", "hs", "product", "period", "kind", "tonnes", "barrels", "bbl_per_tonne",
        "implied_check", "publisher"])
    return 0


def cmd_caps(args: argparse.Namespace) -> int:
    kind = None if args.kind == "all" else args.kind
    with _open(args, read_only=True) as db:
        if args.periods:
            _emit(db.sanctions.cap_periods(), args, title="UN cap periods", columns=[
                "cap", "measure", "cap_period", "amount", "unit", "note", "citation"])
            return 0
        frame = db.caps(args.country, factor_set=args.factors, kind=kind, monthly=args.monthly)
    if args.monthly:
        human = ["cap", "cap_year", "kind", "period", "by_supplier", "delivered", "running_total", "percent_of_cap",
                 "cap_crossed_on"]
    elif kind == "side-by-side":
        human = ["cap", "cap_year", "reporter", "notified", "notified_low", "notified_high", "customs", "customs_low",
                 "customs_high", "estimated", "estimated_low", "estimated_high", "unit", "notified_percent_of_cap"]
    else:
        human = ["cap", "cap_year", "reporter", "kind", "delivered", "low", "high", "unit", "cap_amount",
                 "percent_of_cap", "basis"]
    _emit(frame, args, title="Deliveries against the UN caps", columns=human)
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.notifications_vs_customs(args.country, factor_set=args.factors, unit=args.unit)
    _emit(frame, args, title=f"Notified vs customs-reported refined products ({args.unit})", columns=[
        "supplier", "period", "notified", "customs", "gap", "finding", "customs_products"])
    return 0


def cmd_measures(args: argparse.Namespace) -> int:
    country = None if args.country.lower() == "all" else args.country
    with _open(args, read_only=not args.add) as db:
        if args.add:
            db.add_measures(args.add)
        frame = db.measures(country)
    _emit(frame, args, title="Sanctions register", columns=[
        "measure_id", "instrument", "paragraph", "effective", "wind_down_end", "in_force_to", "direction", "hs_codes",
        "goods", "citation", "origin"])
    return 0


def cmd_flags(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db, _steps(args).step("detect", f"every detector on {args.country}'s series"):
        frame = db.flags(detector=args.detector, country=args.country, freq=args.freq, level=args.level)
    _emit(frame, args, title=f"Flags ({len(frame)})", columns=["detector", "severity", "reporter", "partner", "hs",
                                                                "period", "explained_by", "reason"])
    return 0


def _changes_json(summary: dict) -> dict:
    return {k: (export.records(v) if isinstance(v, pd.DataFrame) else _changes_json(v) if isinstance(v, dict) else v)
            for k, v in summary.items()}


def _api_lines(args: argparse.Namespace):
    """An API refresh takes minutes: off a terminal (a scheduled run's log) each request is one line
    on stderr, so the log says what was asked when; --quiet leaves them out."""
    if getattr(args, "quiet", False):
        return None

    def progress(name: str, step: str) -> None:
        if name == "comtrade":
            print(f"comtrade: {step}", file=sys.stderr, flush=True)
    return progress


def cmd_refresh(args: argparse.Namespace) -> int:
    steps = _steps(args)
    _create_folder(args)
    with _open(args, read_only=False) as db:
        comtrade = args.comtrade_config or args.comtrade
        with steps.step("refresh", " and ".join(x for x in (args.folder, "the Comtrade API" if comtrade else None) if x)):
            summary = db.refresh(args.folder, comtrade=comtrade, cache=args.cache, release=args.release,
                                 allow_rejects=args.allow_rejects, country=args.country,
                                 progress=steps.callback if steps.enabled else _api_lines(args) if comtrade else None)
    if args.json:
        print(export.to_json(_changes_json(summary)))
        return 0
    if args.csv or args.tsv:  # the files of the refresh, one row each (the whole summary is in --json)
        files = summary["files"]
        sys.stdout.write(export.to_csv(files) if args.csv else _tsv(files))
        return 0
    # otherwise the summary in sentences (plain text when piped, as a log wants it), its tables as TSV there
    console = _console()
    sources = " and ".join(x for x in (summary["folder"], "the Comtrade API" if "comtrade" in summary else None) if x)
    console.print(f"[bold]refresh of {sources}[/bold]: {summary['files_seen']} files, "
                  f"{summary['files_loaded']} loaded, {summary['files_skipped']} already in the store")
    if "comtrade" in summary:
        api = summary["comtrade"]
        console.print(f"Comtrade API: {api['requests']} requests ({api['retries']} retried), {api['files']} files, "
                      f"{api['empty_replies']} empty replies (no rows for that request)")
        sets = api["sets"]
        if len(sets):
            _print_table(sets, "Fetch sets: datasets published since the last refresh", args)
    files = summary["files"]
    if len(files) and "rows_new" in files:
        loaded = files[files.status == "loaded"]
        console.print(f"figures: {int(loaded.rows_new.sum()):,} new, {int(loaded.rows_revised.sum()):,} revised, "
                      f"{int(loaded.rows_unchanged.sum()):,} unchanged, {int(loaded.rows_rejected.sum()):,} rejected")
    console.print(f"revisions: {len(summary['revisions'])}; sources/reporters with new periods: "
                  f"{int(summary['coverage'].new_periods.notna().sum()) if len(summary['coverage']) else 0}; "
                  f"flags appeared/disappeared: {len(summary['flags'])}")
    if len(summary["flags"]):
        _print_table(summary["flags"][["change", "detector", "reporter", "partner", "hs", "period"]].head(20), "Flags",
                     args)
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        summary = db.changes(since=args.since, country=args.country, threshold=args.threshold)
    if args.json:
        print(export.to_json(_changes_json(summary)))
    elif args.csv:
        sys.stdout.write(export.to_csv(summary["revisions"]))
    elif _plain(args):
        sys.stdout.write(_tsv(summary["revisions"]))
    else:
        _print_table(summary["revisions"].head(50), "Revised figures", args)
        _print_table(summary["coverage"], "New periods and reporters", args)
        _print_table(summary["flags"], "Flags appeared or disappeared", args)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    # Named before any work: the report's renderer is a core dependency, but an install that lost
    # it (or a trimmed environment) should hear so in a second, not after the whole build.
    from .report import build_report, check_renderer

    check_renderer(export_dir=args.export_dir)
    steps = _steps(args)
    with _first_use(args, steps), _open(args, read_only=True) as db:
        report = build_report(db, country=args.country, years=_years(args.years), factor_set=args.factor_set,
                              template_dir=args.template_dir, progress=steps)
        out = Path(args.out) if args.out else Path("reports") / f"{report.country}-report.html"
        with steps.step("write", str(out)):
            path = report.save(out)
        exported = []
        if args.export_dir:
            with steps.step("export", f"charts and tables to {args.export_dir}"):
                exported = report.export(args.export_dir)
    size = path.stat().st_size
    row = {"path": str(path), "megabytes": round(size / 1e6, 2), "charts": len(report.figures()),
           "tables": len(report.tables()), "findings": len(report.findings), "left_out": len(report.left_out),
           "exported_files": len(exported), "export_dir": args.export_dir}
    if args.json or args.csv or args.tsv:
        _emit(pd.DataFrame([row]), args)
        return 0
    steps.done("report")
    print(f"report: {path} ({size / 1e6:.1f} MB, {len(report.figures())} charts, {len(report.tables())} tables, "
          f"{len(report.findings)} headline findings); open it in any browser, no network needed")
    if exported:
        print(f"exports: {len(exported)} files in {args.export_dir}")
    return 0


COMMANDS = {"load": cmd_load, "status": cmd_status, "queries": cmd_queries, "query": cmd_query,
            "formats": cmd_formats, "mirror": cmd_mirror, "reconstruct": cmd_reconstruct, "coverage": cmd_coverage, "compare": cmd_compare,
            "reliability": cmd_reliability, "check": cmd_check, "sanctions": cmd_sanctions, "oil": cmd_oil,
            "caps": cmd_caps, "notifications": cmd_notifications, "measures": cmd_measures, "flags": cmd_flags,
            "refresh": cmd_refresh, "changes": cmd_changes,
            "report": cmd_report}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed by argparse
        return int(exit_.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", options.EmptyResult)
            code = COMMANDS[args.command](args)
        for w in caught:  # why a result is empty: said even with --quiet (it is the answer, not progress)
            if issubclass(w.category, options.EmptyResult):
                print(f"trade-mirror: no rows: {w.message}", file=sys.stderr)
        return code
    except MirrorError as err:
        print(f"trade-mirror: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("trade-mirror: interrupted; the store is as it was before this command.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
