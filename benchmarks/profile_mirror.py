"""Where the mirror build spends its time: ``engine.build`` on a store, every named SQL step timed
(CPU seconds of the process, all threads, and wall seconds), and DuckDB's profile of each statement
(the EXPLAIN ANALYZE tree, as JSON) summarised as its costliest operators.

    python benchmarks/profile_mirror.py STORE [--method fixed] [--level 6] [--memory-limit 1GB] [--top 12]
        [--profiles DIR]

The store: e.g. one kept by ``bench_mirror.py --keep DIR``. Read-only; changes nothing in
mirror/ or queries/ (it wraps mirror.sql.run/script/frame from outside and runs a script's
statements one by one, in order, so that each gets its own profile). Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mirror  # noqa: E402
from mirror import sql  # noqa: E402
from mirror.settings import Settings  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _operators(node: dict, out: list) -> None:
    name = node.get("operator_name") or node.get("operator_type") or (node.get("name") if "timing" in node else None)
    timing = node.get("operator_timing", node.get("timing", 0.0)) or 0.0
    if not isinstance(timing, int | float):
        timing = 0.0
    if name:
        extra = node.get("extra_info") or {}
        detail = ""
        if isinstance(extra, dict):
            detail = "; ".join(f"{k}: {str(v)[:60]}" for k, v in list(extra.items())[:2])
        rows = node.get("operator_cardinality", node.get("intermediate_rows"))
        out.append((timing, name.strip(), rows, detail))
    for child in node.get("children", []) + node.get("operator", []):  # the top level holds "operator"
        _operators(child, out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--method", default="fixed", help="cif_fob setting (default fixed; 'default': Settings())")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--level", default="6", help="HS level of the build (6, 4, 2, TOTAL)")
    parser.add_argument("--top", type=int, default=12, help="steps to list")
    parser.add_argument("--profiles", help="keep DuckDB's JSON profiles here")
    args = parser.parse_args()
    folder = Path(args.profiles or tempfile.mkdtemp(prefix="mirror-profile-"))
    folder.mkdir(parents=True, exist_ok=True)
    steps: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    profiles: dict[str, list[Path]] = defaultdict(list)
    counter = [0]
    orig_run, orig_script, orig_frame = sql.run, sql.script, sql.frame

    def profiled(con, name, statements):
        for text, params in statements:
            counter[0] += 1
            out = folder / f"{counter[0]:03d}_{name}.json"
            # profiling is on for the whole build; the step's profile goes to its own file, and
            # nothing runs after the step so that the caller still fetches the step's result
            con.execute(f"SET profiling_output = '{out}'")
            result = con.execute(text, params) if params is not None else con.execute(text)
            profiles[name].append(out)
        return result

    def run(con, name, **params):
        c, t = _cpu(), time.perf_counter()
        q = sql.get(name)
        result = profiled(con, name, [(q.sql, q.bind(params))])
        s = steps[name]
        s[0] += _cpu() - c
        s[1] += time.perf_counter() - t
        s[2] += 1
        return result

    def script(con, name):
        c, t = _cpu(), time.perf_counter()
        q = sql.get(name)
        profiled(con, name, [(stmt, None) for stmt in con.extract_statements(q.sql)])
        s = steps[name]
        s[0] += _cpu() - c
        s[1] += time.perf_counter() - t
        s[2] += 1

    def frame(con, name, **params):
        return run(con, name, **params).df()

    with mirror.open(args.store, read_only=True, memory_limit=args.memory_limit) as db:
        settings = Settings() if args.method == "default" else Settings(cif_fob=args.method)
        db.con.execute("PRAGMA enable_profiling = 'json'")
        sql.run, sql.script, sql.frame = run, script, frame
        try:
            db.engine.cache.min_figures = float("inf")  # the build alone: not kept on disk (build_cache)
            c, t = _cpu(), time.perf_counter()
            db.engine.build(settings, args.level, "A")
            total_cpu, total_wall = _cpu() - c, time.perf_counter() - t
        finally:
            sql.run, sql.script, sql.frame = orig_run, orig_script, orig_frame
            db.con.execute("PRAGMA disable_profiling")
    print(f"\n**engine.build ({settings.cif_fob}, level {args.level}) on {args.store}: {total_cpu:.1f} cpu-s, {total_wall:.1f} wall-s "
          f"(profiling on)**\n")
    print("| step | calls | cpu-s | share of build CPU | wall-s | costliest operators (DuckDB profile: s, rows) |")
    print("|---|---|---|---|---|---|")
    ranked = sorted(steps.items(), key=lambda kv: -kv[1][0])
    for name, (cpu, wall, calls) in ranked[:args.top]:
        ops: list = []
        for path in profiles[name]:
            if path.exists():
                with contextlib.suppress(json.JSONDecodeError, OSError):
                    _operators(json.loads(path.read_text()), ops)
        ops.sort(key=lambda o: -(o[0] or 0))
        top = "; ".join(f"{n} {s:.2f}s {rows:,}" if isinstance(rows, int) else f"{n} {s:.2f}s"
                        for s, n, rows, _ in ops[:3])
        print(f"| {name} | {calls} | {cpu:.2f} | {cpu / total_cpu:.0%} | {wall:.2f} | {top} |")
    rest = sum(v[0] for _, v in ranked[args.top:])
    python = total_cpu - sum(v[0] for v in steps.values())
    print(f"\nother steps: {rest:.2f} cpu-s; outside the SQL steps (Python: fits, checks' frames): {python:.2f} cpu-s")
    print(f"profiles: {folder}")


if __name__ == "__main__":
    main()
