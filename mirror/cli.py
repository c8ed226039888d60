"""The command line: a thin face over the library. Every command calls one library function and
prints its result; no logic lives here.

Exit codes (stable, for schedulers): 0 success; 1 unexpected error (a bug: please report it);
2 bad arguments; 3 store problem; 4 input file refused (nothing loaded); 69 the Comtrade API
unavailable beyond the retries (retry later); 75 store busy (retry later). Each command's help lists
the codes it can return.

Output: a table on a terminal; piped or redirected, plain tab-separated text (one header line, raw
numbers) unless --table, --csv or --json says otherwise. Progress goes to stderr, on a terminal
only; --quiet turns it off. A reader that closes the pipe early (`| head`) ends the output
quietly. No error prints a traceback: a problem the user can fix says what, the value and the
fix; anything else is a bug, said in one line (TRADE_MIRROR_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import columns, export, options
from .cli_args import EXAMPLES, EXIT_CODES, EXIT_MEANINGS, _analysis_options, _years, build_parser
from .cli_output import _console, _emit, _plain, _print_table, _steps, _tsv
from .errors import MirrorError, OptionError
from .ingest import FORMATS
from .progress import Steps

# the parser and the printing live beside this module; their names are the CLI's public face too
__all__ = ["EXAMPLES", "EXIT_CODES", "EXIT_MEANINGS", "build_parser", "main"]


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
    human = (list(columns.BANNED_TRADE_SUMMARY) if args.summary else
             ["measure", "reporter", "partner", "flow", "hs", "period", "value_usd", "net_weight_kg", "timing", "severity"])
    _emit(frame, args, title="Trade in banned goods, in the banned direction (partner reports; USD)", columns=human)
    return 0


def cmd_oil(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        if args.conversions:
            frame = db.oil_conversions(args.country, factor_set=args.factors)
            _emit(frame, args, title="Deliveries published in tonnes and in barrels", columns=[
                "reporter", "kind", "product", "period", "barrels", "tonnes", "implied_bbl_per_tonne", "implied_check"])
            return 0
        frame = db.oil(args.country, factor_set=args.factors, kind=args.kind, years=_years(args.years))
    _emit(frame, args, title="Oil in tonnes and barrels", columns=list(columns.OIL))
    return 0


def cmd_caps(args: argparse.Namespace) -> int:
    kind = None if args.kind == "all" else args.kind
    with _open(args, read_only=True) as db:
        if args.periods:
            _emit(db.cap_periods(), args, title="UN cap periods", columns=[
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
        human = list(columns.CAPS)
    _emit(frame, args, title="Deliveries against the UN caps", columns=human)
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as db:
        frame = db.notifications_vs_customs(args.country, factor_set=args.factors, unit=args.unit)
    _emit(frame, args, title=f"Notified vs customs-reported refined products ({args.unit})",
          columns=list(columns.NOTIFICATIONS))
    return 0


def cmd_measures(args: argparse.Namespace) -> int:
    country = None if args.country.lower() == "all" else args.country
    with _open(args, read_only=not args.add) as db:
        if args.add:
            db.add_measures(args.add)
        frame = db.measures(country)
    _emit(frame, args, title="Sanctions register", columns=list(columns.MEASURES))
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
    _check_outputs(args)
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
                exported = report.export(args.export_dir)  # atomic: never half an export
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


def _check_outputs(args: argparse.Namespace) -> None:
    """The report's output paths, checked before the build (seconds to minutes): a folder given as
    --out or a file as --export-dir would otherwise fail only after the work, leaving a half-written
    file behind."""
    if args.out:
        out = Path(args.out).expanduser()
        if out.is_dir():
            raise OptionError(f"--out {args.out} is a folder. Fix: name the HTML file, e.g. --out {out / 'report.html'}.")
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OptionError(f"--out {args.out}: {parent} is a file, not a folder. Fix: choose a path in a folder.")
                if not os.access(parent, os.W_OK):
                    raise OptionError(f"--out {args.out}: the folder {parent} is not writable. Fix: choose a folder "
                                      "you can write to.")
                break
        if out.exists() and not os.access(out, os.W_OK):
            raise OptionError(f"--out {args.out} exists and is not writable. Fix: choose another file or make it writable.")
    if args.export_dir:
        folder = Path(args.export_dir).expanduser()
        if folder.exists() and not folder.is_dir():
            raise OptionError(f"--export-dir {args.export_dir} is a file, not a folder. Fix: name a folder (it is "
                              "created if missing), e.g. --export-dir report-files.")
        for parent in folder.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OptionError(f"--export-dir {args.export_dir}: {parent} is a file, not a folder. Fix: choose "
                                      "a path in a folder.")
                break


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
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except MirrorError as err:
        print(f"trade-mirror: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        return _pipe_closed()
    except KeyboardInterrupt:
        print("trade-mirror: interrupted; the store is as it was before this command.", file=sys.stderr)
        return 130
    except Exception as err:  # the last line of defence: one clear line, never a traceback
        return _unexpected(args, err)


def _pipe_closed() -> int:
    """The reader of our output went away (`status --json | head`): what it wanted it has; the rest
    goes nowhere, quietly (Python would otherwise complain again when it flushes at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (tests capture it)
        pass
    return 0


def _unexpected(args: argparse.Namespace, err: Exception) -> int:
    """An error no check foresaw. A value the database refused in a user's query is a bad argument
    (exit 2); anything else is a bug (exit 1), said in one line with what to report."""
    import duckdb

    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if args.command == "query" and isinstance(err, duckdb.Error) and not isinstance(err, duckdb.InternalException):
        given = " ".join(f"-p {name} {value}" for name, value in args.param) or "no parameters"
        print(f"trade-mirror: query {args.name} refused the parameters ({given}): {first}. Fix: check the values "
              "given with -p (`trade-mirror queries` lists each query's parameters and their types).", file=sys.stderr)
        return 2
    if os.environ.get("TRADE_MIRROR_DEBUG"):
        traceback.print_exc()
    print(f"trade-mirror: internal error ({type(err).__name__}: {first}). This is a bug in trade-mirror: please report "
          "it with the command you ran (TRADE_MIRROR_DEBUG=1 prints the details).", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
