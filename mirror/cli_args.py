"""The command line's parser: every command, its flags, its example and the exit codes it can
return (each command's --help lists them). Fixed choices come from the library's own lists
(mirror/options.py, the Settings, the formats and detectors of cli_catalog.py), so the help, the
check and the error agree. Nothing here imports pandas, DuckDB, NumPy or the detectors: `--help`,
a command's help and a usage error cost an interpreter and argparse, not the library."""

from __future__ import annotations

import argparse

from . import cli_catalog, options
from ._version import __version__

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


class _Choices:
    """A registry's names as argparse ``choices``, read only when a value is checked or the help
    is shown (``names`` is a cli_catalog function: the source of the readers or detectors, parsed)."""

    def __init__(self, names):
        self._names = names

    def __iter__(self):
        return iter(self._names())

    def __contains__(self, value: object) -> bool:
        return value in self._names()


class _Parser(argparse.ArgumentParser):
    """A command's parser whose epilog may be computed when the help is shown (the flags command
    lists the registered detectors there)."""

    def __init__(self, *args, epilog_extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._epilog_extra = epilog_extra

    def format_help(self) -> str:
        if self._epilog_extra is not None:
            self.epilog, self._epilog_extra = self._epilog_extra() + (self.epilog or ""), None
        return super().format_help()


def _detector_list() -> str:
    """Each registered detector and what it finds (mirror/detect/registry.py): never a list by hand."""
    import textwrap

    return "\n".join(textwrap.fill(f"{name}: {finds}", width=100, initial_indent="  ", subsequent_indent="    ")
                     for name, finds in cli_catalog.detectors().items())


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        extra = (lambda: f"Detectors:\n{_detector_list()}\n\n") if name == "flags" else None
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text, epilog_extra=extra,
                              epilog=_epilog(name), formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("load", "Load trade data files into the store (all or nothing).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files to load; the format is detected unless --format")
    p.add_argument("--format", choices=_Choices(cli_catalog.formats), help="the files' format (default: detect)")
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
    p.add_argument("--detector", choices=_Choices(cli_catalog.detectors), metavar="DETECTOR",
                   help="only this detector (one of those listed below)")
    p.add_argument("--country", default="PRK", help="the country of interest (default PRK)")
    _freq_flag(p)
    p.add_argument("--level", default="4", type=str.upper, choices=options.LEVELS,
                   help="HS level of the mirror comparisons (default 4)")
    p.add_argument("--years", metavar="FROM-TO",
                   help="the series of these years only, e.g. 2015-2024 (default: every year; not stored)")
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


def _years_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--years", metavar="FROM-TO", help="a year or a range, e.g. 2010-2024")


def _analysis_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cif-fob", choices=_cif_fob_methods(),
                   help="CIF/FOB conversion method (default: the library's; see the README)")
    p.add_argument("--factor", type=float, help="the fixed CIF/FOB factor (default 1.06, the IMF's)")
    p.add_argument("--sources", help="source preference when several carry a flow, e.g. gacc,comtrade")
    p.add_argument("--hk-adjust", action="store_true", help="subtract Hong Kong re-exports from imports from China (GFI)")


def analysis_options(args: argparse.Namespace) -> dict:
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


def years_arg(text: str | None) -> tuple[int, int] | None:
    # the library checks the range against the store; the CLI only reads the words
    return options.parse_years(text, "--years") if text else None
