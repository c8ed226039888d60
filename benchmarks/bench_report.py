"""Report benchmark.

By default (what ``make bench`` runs): ``trade-mirror report`` on a store holding the bundled
record only, as a user runs it - a whole process, run twice (the first run, then again with every
cache a first run may leave) - beside the floor: a process that only imports what a report needs
(``python -c "import pandas, duckdb, numpy, altair"``), and, for reference, that floor plus
SciPy's stats and statsmodels, which a report paid until the detectors and the CIF/FOB model took
SciPy's special functions instead and the roundabout imported statsmodels only where it fits. Prints a markdown table (CPU and wall seconds, peak
memory, CPU ratio to the floor).

    python benchmarks/bench_report.py [--repeat 3]

With ``--panel``: the full HTML report for the DPRK on a store holding the bundled record plus a
simulated panel of every partner's trade with it (default 200 partners x 300 HS4 products x 25
years, both directions, with weights), i.e. a world-scale number of partners in every chart
(peak about 5 GB: not in ``make bench``).

    python benchmarks/bench_report.py --panel [--partners 200] [--products 300] [--years 25] [--density 0.5]

Prints the time to build the report (queries, flags, charts), to render the HTML, to export every
chart and table, and the file's size. Every chart must stay under Altair's 5,000-row guard: the
frames are aggregated in SQL first (top partners, top products). Not a test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402

FLOOR = "floor: python -c \"import pandas, duckdb, numpy, altair\""
STATS = "scipy.stats, statsmodels.api"


def bundled(repeat: int) -> None:
    python = sys.executable
    cli = str(Path(python).with_name("trade-mirror"))
    with tempfile.TemporaryDirectory() as tmp:
        store, out = str(Path(tmp) / "bundled.duckdb"), str(Path(tmp) / "PRK-report.html")
        made = measure.command([cli, "load", "--bundled", "--db", store, "-q"])
        made["note"] = "building the store (not part of the report)"
        made["no_ratio"] = True
        floor = measure.command([python, "-c", "import pandas, duckdb, numpy, altair"], repeat=repeat)
        floor["note"] = f"median of {repeat}"
        # what a report imported beyond the floor until issue 18: SciPy's statistics (now its special
        # functions) and statsmodels (now only where the roundabout detector fits its regression)
        stats = measure.command([python, "-c", f"import pandas, duckdb, numpy, altair, {STATS}"], repeat=repeat)
        stats["note"] = f"median of {repeat}; a reference: the report no longer imports them"
        argv = [cli, "report", "--db", store, "--out", out, "-q"]
        cache = {"XDG_CACHE_HOME": str(Path(tmp) / "cache")}  # empty: the first run is a first run
        first = measure.command(argv, env=cache)
        first["note"] = f"HTML {Path(out).stat().st_size / 1e6:.1f} MB; builds the Vega bundle's cache"
        again = measure.command(argv, env=cache, repeat=repeat)
        again["note"] = f"median of {repeat} more runs"
        measure.table([("trade-mirror load --bundled", made), (FLOOR, floor), (f"floor + {STATS}", stats),
                       ("trade-mirror report: first run", first), ("trade-mirror report: again", again)], floor=FLOOR,
                      title="**Report on the bundled data** (whole processes)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panel", action="store_true", help="the DPRK report on a simulated world-scale panel")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--density", type=float, default=0.5)
    args = parser.parse_args()
    if not args.panel:
        bundled(args.repeat)
        return
    from bench_detect import panel

    import mirror
    from mirror.store import insert_canonical

    frame = panel(args.partners, args.products, args.years, args.density)
    rng = np.random.default_rng(5)
    frame["net_weight_kg"] = np.round(frame.value / np.exp(rng.normal(1, 0.5, len(frame))), 1)
    print(f"simulated {len(frame):,} observations ({frame.reporter_iso3.nunique()} partners)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.duckdb"
        with mirror.Store(path) as db:
            db.load_bundled()
            insert_canonical(db, frame, source="comtrade", release="sim", label="report benchmark")
        with mirror.Store(path, read_only=True) as db:
            t = time.perf_counter()
            report = db.report("PRK")
            built = time.perf_counter() - t
            t = time.perf_counter()
            out = report.save(Path(tmp) / "report.html")
            rendered = time.perf_counter() - t
            t = time.perf_counter()
            files = report.export(Path(tmp) / "files")
            exported = time.perf_counter() - t
            size = out.stat().st_size
    rows = {f.id: len(next(iter(f.spec().get("datasets", {"": []}).values()))) for f in report.figures()}
    print(f"report built in {built:.1f} s (queries, every detector, charts); rendered in {rendered:.1f} s; "
          f"{len(files)} exports in {exported:.1f} s")
    print(f"HTML {size / 1e6:.1f} MB, {len(report.figures())} charts, {len(report.tables())} tables")
    print("rows per chart (guard: 5,000):", ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
