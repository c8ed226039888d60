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

Start-up: this module and the parser import nothing heavy (no pandas, DuckDB, NumPy, Altair or
statsmodels), so `--help`, a command's help and a usage error cost the interpreter and argparse;
a command imports what it uses when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence

from . import columns, options
from .cli_args import EXAMPLES, EXIT_CODES, EXIT_MEANINGS, analysis_options, build_parser, years_arg
from .cli_output import emit, plain, print_table, steps_for, terminal, tsv
from .cli_store import create_folder, open_store_for
from .errors import MirrorError

# the parser and the printing live beside this module; their names are the CLI's public face too
__all__ = ["EXAMPLES", "EXIT_CODES", "EXIT_MEANINGS", "build_parser", "main"]


def cmd_load(args: argparse.Namespace) -> int:
    import pandas as pd

    if not args.paths and not args.bundled:
        raise MirrorError("Nothing to load. Fix: name one or more files, or pass --bundled for the bundled DPRK record.")
    steps = steps_for(args)
    frames = []
    create_folder(args)
    with open_store_for(args, read_only=False) as db:
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
    emit(result[cols], args, title="Loads", columns=["load_id", "file_name", "status", "release", "rows_new",
                                                      "rows_revised", "rows_unchanged", "rows_rejected", "seconds"])
    rejected = int(result.get("rows_rejected", pd.Series(dtype=float)).fillna(0).sum())
    if rejected and not getattr(args, "quiet", False):
        print(f"trade-mirror: {rejected} row{'s' if rejected > 1 else ''} refused and kept in the rejects table: "
              "trade-mirror query rejected_rows -p load_id N", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from . import export

    with open_store_for(args, read_only=True) as db:
        if args.json:
            print(export.to_json(db.status_dict()))
            return 0
        frame = db.status()
        if args.csv:
            sys.stdout.write(export.to_csv(frame))
            return 0
        summary = db.status_dict()
    if plain(args):
        sys.stdout.write(tsv(frame))
        return 0
    terminal().print(f"[bold]{summary['path']}[/bold]: {summary['rows']:,} current figures "
                    f"({summary['versions']:,} versions kept), {summary['load_count']} loads, "
                    f"years {summary['first_year']}-{summary['last_year']}, {summary['reporters']} reporters, "
                    f"{summary['partners']} partners; {summary['breakdown_rows']:,} breakdown rows and "
                    f"{summary['apart_rows']:,} non-flow figures kept apart; {summary['rejected_rows']:,} rejected rows.")
    print_table(frame[["source", "release", "loads", "current_figures", "first_year", "last_year", "reporters",
                        "partners", "kinds", "freqs", "rows_rejected", "rows_revised", "last_loaded"]],
                 "Sources and releases", args)
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    import pandas as pd

    from . import sql

    rows = [{"name": q.name, "layer": q.layer, "parameters": ", ".join(f"{p.name}:{p.type}" for p in q.params),
             "doc": q.doc} for q in sql.catalog().values() if q.public]
    emit(pd.DataFrame(rows), args, title="Named queries (queries/)")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    params = dict(args.param)
    with open_store_for(args, read_only=True) as db:
        frame = db.query(args.name, **params)
    emit(frame, args, title=args.name)
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    import pandas as pd

    from .ingest import FORMATS

    emit(pd.DataFrame([{"format": k, "description": v} for k, v in FORMATS.items()]), args, title="Formats")
    return 0


MIRROR_COLUMNS = ["period", "exporter", "importer", "hs", "value_exporter_usd", "value_importer_usd",
                  "value_importer_fob_usd", "gap_usd", "log_ratio", "discrepancy_index", "reported_by",
                  "cif_fob_method", "value_reconciled_usd"]


def cmd_mirror(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db, steps_for(args).step("build", "both reports of each flow"):
        frame = db.mirror(exporter=args.exporter, importer=args.importer, hs=args.hs, level=args.level,
                          freq=args.freq, years=years_arg(args.years), **analysis_options(args))
    if args.json or args.csv:
        emit(frame, args)
    else:
        print_table(frame[MIRROR_COLUMNS], f"Mirror: {len(frame)} flows (USD; importer's value converted to FOB)", args)
    return 0


def cmd_reconstruct(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db, steps_for(args).step("build", f"{args.country} from its partners' reports"):
        frame = db.reconstruct(args.country, by=args.by, freq=args.freq, years=years_arg(args.years),
                               **analysis_options(args))
    human = [c for c in frame.columns if c not in ("country", "year", "month", "source")]
    emit(frame, args, title=f"{frame['country'].iloc[0] if len(frame) else args.country} rebuilt from partner reports "
                             f"(USD, FOB), by {args.by}", columns=human)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        frame = db.coverage(args.reporter, args.partner, args.flow, freq=args.freq, years=years_arg(args.years),
                            kind=args.kind, by=args.by, hs=args.hs)
    emit(frame, args, title=f"Coverage ({args.kind}, {args.freq}, by {args.by})",
          columns=[c for c in frame.columns if c not in ("year", "month", "sources")])
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    country = None if args.country.lower() == "all" else args.country
    with open_store_for(args, read_only=True) as db:
        frame = (db.compare_reporters(country, hs=args.hs) if args.reporters
                 else db.compare_kinds(country, args.kind, hs=args.hs))
    human = (["origin", "destination", "hs", "unit", "period", "origin_reports", "destination_reports", "gap", "ratio"]
             if args.reporters else ["origin", "destination", "direction", "hs", "product", "unit", "period",
                                     "reported_value", "other_kind", "other_value", "gap", "ratio", "other_by"])
    emit(frame, args, title="Same flow, same span: " + ("origin vs destination" if args.reporters
                                                         else "customs vs other kinds of figures"), columns=human)
    return 0


def cmd_reliability(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        frame = db.reliability(level=args.level, freq=args.freq, **analysis_options(args))
    emit(frame, args, title="Reporter reliability (BACI): higher variance = less weight")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        frame = db.check()
    emit(frame, args, title="SQL checks (0 offending rows = pass)", columns=["check", "offending_rows", "first"])
    return 0 if (frame.offending_rows == 0).all() else 3


def cmd_sanctions(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        frame = db.sanctioned_trade(args.country, freq=args.freq, measure=args.measure, include_before=args.before,
                                    summary=args.summary, **analysis_options(args))
    human = (list(columns.BANNED_TRADE_SUMMARY) if args.summary else
             ["measure", "reporter", "partner", "flow", "hs", "period", "value_usd", "net_weight_kg", "timing", "severity"])
    emit(frame, args, title="Trade in banned goods, in the banned direction (partner reports; USD)", columns=human)
    return 0


def cmd_oil(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        if args.conversions:
            frame = db.oil_conversions(args.country, factor_set=args.factors)
            emit(frame, args, title="Deliveries published in tonnes and in barrels", columns=[
                "reporter", "kind", "product", "period", "barrels", "tonnes", "implied_bbl_per_tonne", "implied_check"])
            return 0
        frame = db.oil(args.country, factor_set=args.factors, kind=args.kind, years=years_arg(args.years))
    emit(frame, args, title="Oil in tonnes and barrels", columns=list(columns.OIL))
    return 0


def cmd_caps(args: argparse.Namespace) -> int:
    kind = None if args.kind == "all" else args.kind
    with open_store_for(args, read_only=True) as db:
        if args.periods:
            emit(db.cap_periods(), args, title="UN cap periods", columns=[
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
    emit(frame, args, title="Deliveries against the UN caps", columns=human)
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        frame = db.notifications_vs_customs(args.country, factor_set=args.factors, unit=args.unit)
    emit(frame, args, title=f"Notified vs customs-reported refined products ({args.unit})",
          columns=list(columns.NOTIFICATIONS))
    return 0


def cmd_measures(args: argparse.Namespace) -> int:
    country = None if args.country.lower() == "all" else args.country
    with open_store_for(args, read_only=not args.add) as db:
        if args.add:
            db.add_measures(args.add)
        frame = db.measures(country)
    emit(frame, args, title="Sanctions register", columns=list(columns.MEASURES))
    return 0


def cmd_flags(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db, steps_for(args).step("detect", f"every detector on {args.country}'s series"):
        frame = db.flags(detector=args.detector, country=args.country, freq=args.freq, level=args.level,
                         years=years_arg(args.years))
    emit(frame, args, title=f"Flags ({len(frame)})", columns=["detector", "severity", "reporter", "partner", "hs",
                                                                "period", "explained_by", "reason"])
    return 0


def _in_module(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command living in a module that imports pandas at its top, imported when the command runs."""
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module, __package__), name)(args)
    return run


cmd_refresh, cmd_changes = _in_module(".cli_refresh", "cmd_refresh"), _in_module(".cli_refresh", "cmd_changes")
cmd_report = _in_module(".cli_report", "cmd_report")

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
