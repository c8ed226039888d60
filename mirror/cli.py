"""The command line: a thin face over the library. Every command calls one library function and
prints its result; no logic lives here.

Exit codes (stable, for schedulers): 0 success; 1 unexpected error (a bug: please report it);
2 bad arguments; 3 store problem; 4 input file refused (nothing loaded); 75 store busy (retry later).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from . import export
from ._version import __version__
from .errors import MirrorError
from .ingest import FORMATS

EXAMPLES = {
    "load": "trade-mirror load comtrade_2018_PRK.json --release 2024-06\n"
            "  trade-mirror load customs.csv --format csv --mapping gacc.toml\n"
            "  trade-mirror load --bundled --db my.duckdb",
    "status": "trade-mirror status --json",
    "queries": "trade-mirror queries",
    "query": "trade-mirror query countries --csv\n  trade-mirror query rejected_rows -p load_id 3",
    "formats": "trade-mirror formats",
}


def _output_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON (a list of row objects) instead of a table")
    g.add_argument("--csv", action="store_true", help="print CSV instead of a table")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help="the store (default: $MIRROR_DB, else ~/.local/share/trade-mirror/mirror.duckdb)")
    parser = argparse.ArgumentParser(
        prog="trade-mirror", parents=[common],
        description="Compare exporter and importer reports of trade flows; rebuild North Korea's trade from its partners.",
        epilog="Exit codes: 0 ok, 1 bug, 2 bad arguments, 3 store problem, 4 input refused, 75 store busy.")
    parser.add_argument("--version", action="version", version=f"trade-mirror {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text,
                              epilog="Example:\n  " + EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter)

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
    return parser


def _emit(frame: pd.DataFrame, args: argparse.Namespace, title: str | None = None) -> None:
    if getattr(args, "json", False):
        print(export.to_json(frame))
    elif getattr(args, "csv", False):
        sys.stdout.write(export.to_csv(frame))
    else:
        _print_table(frame, title)


def _print_table(frame: pd.DataFrame, title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else (f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 1000 else str(v))
                        for v in row])
    Console().print(table)


def _open(args: argparse.Namespace, read_only: bool):
    from .store import open_store

    return open_store(getattr(args, "db", None), read_only=read_only)


def cmd_load(args: argparse.Namespace) -> int:
    if not args.paths and not args.bundled:
        raise MirrorError("Nothing to load. Fix: name one or more files, or pass --bundled for the bundled DPRK record.")
    from rich.console import Console

    console = Console(stderr=True)
    frames = []
    with _open(args, read_only=False) as db:
        if args.bundled:
            frames.append(db.load_bundled())
        if args.paths:
            with console.status("loading ...") as status:
                def progress(name: str, step: str) -> None:
                    status.update(f"{name}: {step}")
                frames.append(db.load(args.paths, format=args.format, release=args.release, source=args.source,
                                      encoding=args.encoding, mapping=args.mapping, allow_rejects=args.allow_rejects,
                                      progress=progress))
    result = pd.concat(frames, ignore_index=True)
    cols = [c for c in ["load_id", "file_name", "status", "format", "source", "release", "rows_read", "rows_loaded",
                        "rows_rejected", "rows_new", "rows_revised", "rows_unchanged", "rows_breakdown", "rows_apart",
                        "seconds", "note"] if c in result.columns]
    _emit(result[cols], args, title="Loads")
    rejected = int(result.get("rows_rejected", pd.Series(dtype=float)).fillna(0).sum())
    if rejected and not (args.json or args.csv):
        console.print(f"[yellow]{rejected} row(s) refused and kept in the rejects table: "
                      f"trade-mirror query rejected_rows -p load_id 0[/yellow]")
    return 0


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
    from rich.console import Console

    Console().print(f"[bold]{summary['path']}[/bold]: {summary['rows']:,} current figures "
                    f"({summary['versions']:,} versions kept), {summary['load_count']} loads, "
                    f"years {summary['first_year']}-{summary['last_year']}, {summary['reporters']} reporters, "
                    f"{summary['partners']} partners; {summary['breakdown_rows']:,} breakdown rows and "
                    f"{summary['apart_rows']:,} non-flow figures kept apart; {summary['rejected_rows']:,} rejected rows.")
    _print_table(frame[["source", "release", "loads", "current_figures", "first_year", "last_year", "reporters",
                        "partners", "kinds", "freqs", "rows_rejected", "rows_revised", "last_loaded"]],
                 "Sources and releases")
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


COMMANDS = {"load": cmd_load, "status": cmd_status, "queries": cmd_queries, "query": cmd_query,
            "formats": cmd_formats}


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
        return COMMANDS[args.command](args)
    except MirrorError as err:
        print(f"trade-mirror: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("trade-mirror: interrupted; the store is as it was before this command.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
