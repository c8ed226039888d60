"""The scheduled side of the command line: `refresh` (a drop folder and/or the Comtrade API, in one
transaction, then what changed, in sentences or as data) and `changes` (what the last batch changed)."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from . import export
from .cli_output import plain, print_table, steps_for, terminal, tsv
from .cli_store import create_folder, open_store_for


def changes_json(summary: dict) -> dict:
    return {k: (export.records(v) if isinstance(v, pd.DataFrame) else changes_json(v) if isinstance(v, dict) else v)
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
    steps = steps_for(args)
    create_folder(args)
    with open_store_for(args, read_only=False) as db:
        comtrade = args.comtrade_config or args.comtrade
        with steps.step("refresh", " and ".join(x for x in (args.folder, "the Comtrade API" if comtrade else None) if x)):
            summary = db.refresh(args.folder, comtrade=comtrade, cache=args.cache, release=args.release,
                                 allow_rejects=args.allow_rejects, country=args.country,
                                 progress=steps.callback if steps.enabled else _api_lines(args) if comtrade else None)
    if args.json:
        print(export.to_json(changes_json(summary)))
        return 0
    if args.csv or args.tsv:  # the files of the refresh, one row each (the whole summary is in --json)
        files = summary["files"]
        sys.stdout.write(export.to_csv(files) if args.csv else tsv(files))
        return 0
    # otherwise the summary in sentences (plain text when piped, as a log wants it), its tables as TSV there
    console = terminal()
    sources = " and ".join(x for x in (summary["folder"], "the Comtrade API" if "comtrade" in summary else None) if x)
    console.print(f"[bold]refresh of {sources}[/bold]: {summary['files_seen']} files, "
                  f"{summary['files_loaded']} loaded, {summary['files_skipped']} already in the store")
    if "comtrade" in summary:
        api = summary["comtrade"]
        console.print(f"Comtrade API: {api['requests']} requests ({api['retries']} retried), {api['files']} files, "
                      f"{api['empty_replies']} empty replies (no rows for that request)")
        sets = api["sets"]
        if len(sets):
            print_table(sets, "Fetch sets: datasets published since the last refresh", args)
    files = summary["files"]
    if len(files) and "rows_new" in files:
        loaded = files[files.status == "loaded"]
        console.print(f"figures: {int(loaded.rows_new.sum()):,} new, {int(loaded.rows_revised.sum()):,} revised, "
                      f"{int(loaded.rows_unchanged.sum()):,} unchanged, {int(loaded.rows_rejected.sum()):,} rejected")
    console.print(f"revisions: {len(summary['revisions'])}; sources/reporters with new periods: "
                  f"{int(summary['coverage'].new_periods.notna().sum()) if len(summary['coverage']) else 0}; "
                  f"flags appeared/disappeared: {len(summary['flags'])}")
    if len(summary["flags"]):
        print_table(summary["flags"][["change", "detector", "reporter", "partner", "hs", "period"]].head(20), "Flags",
                     args)
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    with open_store_for(args, read_only=True) as db:
        summary = db.changes(since=args.since, country=args.country, threshold=args.threshold)
    if args.json:
        print(export.to_json(changes_json(summary)))
    elif args.csv:
        sys.stdout.write(export.to_csv(summary["revisions"]))
    elif plain(args):
        sys.stdout.write(tsv(summary["revisions"]))
    else:
        print_table(summary["revisions"].head(50), "Revised figures", args)
        print_table(summary["coverage"], "New periods and reporters", args)
        print_table(summary["flags"], "Flags appeared or disappeared", args)
    return 0
