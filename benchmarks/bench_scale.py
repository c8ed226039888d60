"""Scale benchmark: a multi-year BACI-scale store (benchmarks/generate.py, 10 million flows a year by
default) loaded a year at a time, then the mirror built over every year, beside the floor, each
step in its own fresh process (CPU seconds of every thread, wall seconds, peak resident memory):

- the data: the generator, to Parquet, one file per year;
- loading: ``generate.to_store`` for one year per process, so that the cost of year k beside
  year 1 shows whether a load grows with the store it goes into;
- the mirror: ``engine.build`` (default settings, HS6, annual; the build resolves and pairs the
  reports a chunk of years at a time) with the reconciled total read back, beside the floor, bare
  DuckDB's full outer join of every year's export and import reports from the Parquet files,
  both under the same DuckDB memory limit (spilling to disk beyond it);
- one country: ``db.mirror(exporter=...)`` and ``db.reconstruct(...)`` on the built mirror (the
  interactive questions, after the build; the TOTAL build ``reconstruct`` makes is kept on disk,
  as in an analyst's session, and read by the report) and ``db.flags(country=...)`` (detection, which builds
  the HS4 mirror it reads), then the flags of a second country (``--second-country``) on that build,
  and the second country's in a new process (the HS4 build read from where the first kept it);
- the report: the whole offline HTML report of ``--country`` (``build_report``, saved) in a new
  process, on the whole panel.

``--window N``: flags and the report are asked for every year first, and where the country's series
over every year do not fit in memory (a 300M panel's country: 5.6 million series x 30 years), for
the last N years (the report's --years).

    python benchmarks/bench_scale.py [--years 3] [--flows 10000000] [--memory-limit 8GB]
        [--country CHN] [--second-country DEU] [--dir DIR (kept; default a temporary folder)] [--skip-flags]
        [--steps data,load,mirror,flags,report] [--skip-floor] [--window N]

``--steps`` runs some of the parts: with ``--dir``, a later run takes up the data and the store
an earlier one left there (a 30-year panel is two hours of generating and loading; a load of a
chunk already in the store is skipped, so an interrupted load step resumes where it stopped).
``--skip-floor`` leaves the bare join out (at 300M flows it takes as long as the build, and the
time per 10M flows compares the build with itself at 10M, not with the floor).

Prints one markdown table per part and the time per 10 million flows. Not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402
from bench_mirror import FLOOR_SQL  # noqa: E402

FLOOR = "floor: bare DuckDB full outer join from Parquet"


def existing_data(out: str, years: list[int], files_read: bool) -> dict | None:
    """The Parquet files an earlier run generated in ``out`` (its manifest.json), if it made every
    year's; ``files_read`` False (only flags or the report, which read the store): the manifest
    alone, so that a 300M panel's files can be deleted once loaded (they take disk the report's
    spill needs)."""
    import json

    manifest = Path(out) / "manifest.json"
    if not manifest.exists():
        return None
    made = json.loads(manifest.read_text())
    if made["years"] != years or (files_read and not all(Path(p).exists() for p in made["paths"])):
        return None
    return {**made, "no_ratio": True, "note": f"{made['flows']:,} flows, {made['reports']:,} reports (generated "
            f"earlier: {made['cpu_s']:.2f} cpu-s)", "cpu_s": made["cpu_s"], "wall_s": made["wall_s"],
            "peak_mb": made["peak_mb"]}


def make_data(out: str, flows: int, years: list[int]) -> dict:
    import generate

    made = generate.generate(out, flows=flows, years=years)
    return {"paths": [str(p) for p in made["reports"]], "reports": made["report_rows"], "flows": made["flows"],
            "no_ratio": True, "note": f"{made['flows']:,} flows, {made['report_rows']:,} reports"}


def load_year(path: str, store: str, memory_limit: str) -> dict:
    import generate

    import mirror

    with mirror.open(store, memory_limit=memory_limit) as db:
        done = generate.to_store([Path(path)], db)
    return {"no_ratio": True, "note": f"{Path(path).stem}: {done['rows']:,} rows in {done['loads']} loads"}


def floor_join(paths: list[str], memory_limit: str, spill: str) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute(FLOOR_SQL, {"p": paths})
    pairs = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
    con.close()
    return {"note": f"{pairs:,} pairs"}


def build(store: str, memory_limit: str, country: str) -> dict:
    import resource
    import time

    import mirror
    from mirror.build_cache import CACHE_MIN_FIGURES
    from mirror.settings import Settings

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    with mirror.open(store, read_only=True, memory_limit=memory_limit) as db:
        db.engine.cache.min_figures = float("inf")  # the build alone: not kept on disk (build_cache)
        db.engine.build(Settings(), "6", "A")
        # the questions after it as an analyst's session has them: the TOTAL build that
        # `reconstruct` makes is kept on disk, and the report in a later process reads it
        db.engine.cache.min_figures = CACHE_MIN_FIGURES
        rows, recon = db.con.execute("SELECT count(*), sum(value_reconciled_usd) FROM mp_reconciled").fetchall()[0]
        c, t = cpu(), time.perf_counter()
        one = db.mirror(exporter=country, level="6")
        mirror_s = (cpu() - c, time.perf_counter() - t)
        c, t = cpu(), time.perf_counter()
        rebuilt = db.reconstruct(country)
        rebuilt_s = (cpu() - c, time.perf_counter() - t)
    return {"pairs": rows, "after": {"mirror": mirror_s, "reconstruct": rebuilt_s},
            "note": f"{rows:,} pairs, reconciled total {recon:.4g}; after it, {country}'s exports at HS6 "
                    f"({len(one):,} rows) {mirror_s[1]:.1f} s wall, its rebuilt trade ({len(rebuilt):,} rows; "
                    f"a TOTAL build of the world) {rebuilt_s[1]:.1f} s wall"}


def flags(store: str, memory_limit: str, country: str, second: str, window: tuple[int, int] | None) -> dict:
    """``db.flags`` for one country (the HS4 build of the world it reads made first), then for a
    second country in the same process: the cost of a question once that build exists. With
    ``window``: every year is asked for first, and where those series do not fit in memory
    (TooLargeError, said in the note with the time it took to say so), the window's years."""
    import time

    import mirror
    from mirror.errors import TooLargeError

    notes = []
    with mirror.open(store, read_only=True, memory_limit=memory_limit) as db:
        years = None
        if window:
            t = time.perf_counter()
            try:
                db.flags(country=country)
                notes.append(f"every year fits ({time.perf_counter() - t:.1f} s)")
            except TooLargeError as big:
                notes.append(f"every year refused in {time.perf_counter() - t:.1f} s wall ({str(big).split(', more')[0]})")
                years = window
        t = time.perf_counter()
        found = db.flags(country=country, years=years)
        first = time.perf_counter() - t
        t = time.perf_counter()
        more = db.flags(country=second, years=years)
        then = time.perf_counter() - t
    span = f" in {years[0]}-{years[1]}" if years else ""
    return {"no_ratio": True, "note": "; ".join(notes + [f"{len(found):,} flags for {country}{span} ({first:.1f} s wall); then "
                                                         f"{len(more):,} for {second} in {then:.1f} s wall"])}


def report(store: str, memory_limit: str, country: str, out: str, window: tuple[int, int] | None) -> dict:
    """The whole offline HTML report of one country (``build_report``, then saved): its flags, the
    pair it shows, oil and the caps, its rebuilt trade, every section, on the whole panel (or the
    ``window``'s years)."""
    import mirror
    from mirror.report import build_report

    with mirror.open(store, read_only=True, memory_limit=memory_limit) as db:
        made = build_report(db, country=country, years=window)
        path = made.save(Path(out))
        read = next(t for t in made.tables() if t.name == "settings").frame.set_index("setting").value
    return {"no_ratio": True, "note": f"{country}, {made.years[0]}-{made.years[1]}: {len(made.figures())} charts, "
                                      f"{len(made.tables())} tables, {len(made.findings)} findings, "
                                      f"{path.stat().st_size / 1e6:.1f} MB; detection read "
                                      f"{read['detectors: the years read'].split(' (')[0]}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--flows", type=int, default=10_000_000, help="flows per year")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--country", default="CHN")
    parser.add_argument("--second-country", default="DEU", help="flags asked for after --country's")
    parser.add_argument("--dir", help="keep the data and the store here")
    parser.add_argument("--skip-flags", action="store_true")
    parser.add_argument("--window", type=int, default=0,
                        help="flags and the report of the last N years where every year does not fit in memory")
    parser.add_argument("--skip-floor", action="store_true", help="leave the bare DuckDB join out")
    parser.add_argument("--steps", default="data,load,mirror,flags,report",
                        help="which parts to run (data, load, mirror, flags, report); the others take up what "
                             "--dir holds")
    args = parser.parse_args()
    steps = set(args.steps.split(","))
    years = list(range(2021 - args.years + 1, 2022))
    window = (years[-1] - args.window + 1, years[-1]) if args.window else None
    work = Path(args.dir or tempfile.mkdtemp(prefix="mirror-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    store, spill = str(work / "store.duckdb"), work / "spill"
    spill.mkdir(exist_ok=True)
    try:
        made = None if "data" in steps else existing_data(str(work / "data"), years,
                                                           files_read=bool(steps & {"load", "mirror"}))
        if made is None:
            made = measure.in_child(make_data, str(work / "data"), args.flows, years)
            (work / "data" / "manifest.json").write_text(json.dumps({**made, "years": years}))
        rows = [("generator (to Parquet)", made)]
        if "load" in steps:
            for i, p in enumerate(made["paths"]):
                rows.append((f"load year {i + 1} of {len(years)}", measure.in_child(load_year, p, store,
                                                                                    args.memory_limit)))
                r = rows[-1][1]
                print(f"load year {i + 1}: {r['cpu_s']:.2f} cpu-s, {r['wall_s']:.1f} s, {r['peak_mb']:,.0f} MB; "
                      f"{r['note']}", file=sys.stderr, flush=True)
        measure.table(rows, floor="generator (to Parquet)",
                      title=f"**{len(years)} years x {args.flows:,} flows: the data and the loads**")
        mirror_rows = []
        if "mirror" in steps:
            built = measure.in_child(build, store, args.memory_limit, args.country)
            for c, w in built["after"].values():  # the one-country questions after it are not the build's
                built["cpu_s"], built["wall_s"] = built["cpu_s"] - c, built["wall_s"] - w
            # said at once: the floor after it takes as long again at 300M flows
            print(f"build: {built['cpu_s']:.2f} cpu-s, {built['wall_s']:.1f} s, {built['peak_mb']:,.0f} MB; "
                  f"{built['note']}", file=sys.stderr, flush=True)
            floor = ({"skipped": "left out (--skip-floor)", "cpu_s": 0.0} if args.skip_floor else
                     measure.in_child(floor_join, made["paths"], args.memory_limit, str(spill)))
            mirror_rows += [(FLOOR, floor), ("trade-mirror build, default settings", built)]
        if "flags" in steps and not args.skip_flags:
            mirror_rows.append((f"db.flags(country={args.country!r})", measure.in_child(
                flags, store, args.memory_limit, args.country, args.second_country, window)))
            print(f"flags: {mirror_rows[-1][1]['note']}", file=sys.stderr, flush=True)
            # what an analyst's next command costs: a new process, the HS4 build read from where
            # the first kept it (mirror/build_cache.py)
            mirror_rows.append((f"db.flags(country={args.second_country!r}), a new process", measure.in_child(
                flags, store, args.memory_limit, args.second_country, args.country, window)))
        if "report" in steps:
            mirror_rows.append((f"report, {args.country}, a new process", measure.in_child(
                report, store, args.memory_limit, args.country, str(work / f"{args.country}-report.html"), window)))
            print(f"report: {mirror_rows[-1][1]['note']}", file=sys.stderr, flush=True)
        if not mirror_rows:
            return
        if "mirror" not in steps:
            measure.table(mirror_rows, floor=None, title=f"**{made['flows']:,} flows: one country**, "
                                                                      f"DuckDB memory limit {args.memory_limit}")
            return
        measure.table(mirror_rows, floor=FLOOR, title=f"**{made['flows']:,} flows ({made['reports']:,} reports): "
                                                      f"the mirror**, DuckDB memory limit {args.memory_limit}")
        per = made["flows"] / 1e7
        tool = dict(mirror_rows)["trade-mirror build, default settings"]
        size = f"{Path(store).stat().st_size / 1e9:.1f} GB on disk" if Path(store).exists() else "not found"
        floor_per = "left out" if args.skip_floor else f"{floor['cpu_s'] / per:.1f} cpu-s"
        print(f"\nper 10M flows: build {tool['cpu_s'] / per:.1f} cpu-s, {tool['wall_s'] / per:.1f} wall-s; "
              f"floor {floor_per}; store {size}")
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
