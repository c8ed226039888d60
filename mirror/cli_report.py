"""`trade-mirror report`: its output paths checked before any work, the report built, written
(one offline HTML file) and exported (charts and tables, atomically)."""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

import pandas as pd

from .cli_args import years_arg
from .cli_output import emit, steps_for
from .cli_store import first_use, open_store_for
from .errors import OptionError


def cmd_report(args: argparse.Namespace) -> int:
    # Named before any work: the report's renderer is a core dependency, but an install that lost
    # it (or a trimmed environment) should hear so in a second, not after the whole build.
    from .report import build_report, check_renderer
    from .store import Store  # noqa: F401 - imported before the freeze below

    check_renderer(export_dir=args.export_dir)
    # Everything a report runs on is imported now (pandas, DuckDB, Altair, SciPy's special functions: a
    # million objects that live until the process ends). Frozen out of the garbage collector, they
    # are not walked again by every full collection the build triggers: a tenth of the report's CPU.
    # The command line's process only: the library never touches the collector.
    gc.freeze()
    _check_outputs(args)
    steps = steps_for(args)
    with first_use(args, steps), open_store_for(args, read_only=True) as db:
        report = build_report(db, country=args.country, years=years_arg(args.years), factor_set=args.factor_set,
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
        emit(pd.DataFrame([row]), args)
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
