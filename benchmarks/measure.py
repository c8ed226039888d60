"""What every benchmark shares: run one measured step in a fresh process and print the results as a
markdown table beside the floor.

- ``in_child(fn, *args)``: ``fn`` runs in a new interpreter (spawn, so nothing is inherited);
  cpu-s and wall-s are those of the call itself (user + system time of every thread of the
  process, DuckDB's and polars' worker threads included), peak MB the whole process's peak
  resident memory (imports included). ``fn`` returns a dict; its keys come back beside
  ``cpu_s``, ``wall_s`` and ``peak_mb``.
- ``command(argv)``: a whole command, start-up included (``os.wait4`` gives its own rusage).
- ``rounds(runs, repeat)``: each row run ``repeat`` times, the rows taking turns; the run of
  median CPU of each.
- ``table(rows, floor)``: | tool | cpu-s | wall-s | peak MB | ratio to floor | (ratio of CPU
  seconds, robust on a shared machine) and a notes column.

Nothing here asserts a time.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor


def _measured(fn: Callable[..., dict], args: tuple, kwargs: dict) -> dict:
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    try:
        out = fn(*args, **kwargs) or {}
    except Exception as err:  # not every library error pickles: send its text back
        import traceback

        return {"error": f"{type(err).__name__}: {err}\n{traceback.format_exc()[-3000:]}"}
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {**out, "cpu_s": cpu, "wall_s": wall, "peak_mb": r1.ru_maxrss / 1024}


def in_child(fn: Callable[..., dict], *args: object, **kwargs: object) -> dict:
    """Run ``fn(*args, **kwargs)`` in a fresh process; its dict plus cpu_s, wall_s, peak_mb."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        out = pool.submit(_measured, fn, args, kwargs).result()
    if "error" in out:
        raise RuntimeError(f"{getattr(fn, '__name__', fn)} failed in its process: {out['error']}")
    return out


def command(argv: Sequence[str], env: dict | None = None, repeat: int = 1) -> dict:
    """Run a command ``repeat`` times (output discarded); the median cpu_s and wall_s, the largest
    peak_mb, and the exit code of the last run."""
    cpus, walls, peaks, code = [], [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryFile() as err_file:
            t0 = time.perf_counter()
            proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=err_file,
                                    env={**os.environ, **(env or {})})
            _, status, usage = os.wait4(proc.pid, 0)
            walls.append(time.perf_counter() - t0)
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            err_file.seek(0)
            err = err_file.read().decode(errors="replace")
        if code:
            raise RuntimeError(f"{' '.join(argv)} exited with {code}: {err[-2000:]}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)
    return {"cpu_s": statistics.median(cpus), "wall_s": statistics.median(walls), "peak_mb": max(peaks),
            "returncode": code}


def rounds(runs: list[tuple[str, Callable[[], dict]]], repeat: int) -> list[tuple[str, dict]]:
    """Each row measured ``repeat`` times, the rows taking turns (a, b, c, a, b, c, ...),
    so that a machine that gets busier or quieter moves every row alike; each row's run of median
    CPU, with the range in its note. On a shared machine one run's CPU seconds vary by 10-30%."""
    measured: dict[str, list[dict]] = {label: [] for label, _ in runs}
    for _ in range(repeat):
        for label, run in runs:
            measured[label].append(run())
    rows = []
    for label, results in measured.items():
        done = sorted((r for r in results if not r.get("skipped")), key=lambda r: r["cpu_s"])
        if not done:
            rows.append((label, results[0]))
            continue
        row = dict(done[(len(done) - 1) // 2])
        if len(done) > 1:
            row["note"] = (f"{row.get('note', '')}; median of {len(done)} runs, "
                           f"{done[0]['cpu_s']:.2f}-{done[-1]['cpu_s']:.2f} cpu-s")
        rows.append((label, row))
    return rows


def table(rows: Sequence[tuple[str, dict]], floor: str | None, title: str | None = None) -> str:
    """A markdown table of (label, measurement) rows, with each row's CPU seconds over the floor's
    (the row labelled ``floor``; None: no ratios); a measurement's ``note`` goes in the notes column,
    ``no_ratio`` leaves its ratio out. Printed and returned."""
    base = dict(rows)[floor]["cpu_s"] if floor else 0.0
    lines = ([f"\n{title}\n"] if title else [""]) + [
        "| tool | cpu-s | wall-s | peak MB | ratio to floor | notes |", "|---|---|---|---|---|---|"]
    for label, m in rows:
        if m.get("skipped"):
            lines.append(f"| {label} | - | - | - | - | {m['skipped']} |")
            continue
        ratio = "1.00x (floor)" if label == floor else "-" if m.get("no_ratio") else _ratio(m["cpu_s"] / base) if base > 0 else "-"
        lines.append(f"| {label} | {m['cpu_s']:.2f} | {m['wall_s']:.2f} | {m['peak_mb']:,.0f} | {ratio} | "
                     f"{m.get('note', '')} |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def _ratio(r: float) -> str:
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x" if r < 100 else f"{r:.0f}x"
