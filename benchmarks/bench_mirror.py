"""Mirror benchmark: one simulated BACI-scale year (230 countries x 5,000 HS6 products, 10 million
flows, so about 18 million exporter and importer reports), then, each in its own process so that
peak memory is its own:

- trade-mirror: mirror pairs + CIF/FOB (fixed and per-pair estimate) + reliability weights and
  reconciled values, all in DuckDB (memory limit 900 MB, it spills beyond), left in temp tables;
- plain pandas: read the same reports into DataFrames and do the same with ``merge`` and ``groupby``.

    python benchmarks/bench_mirror.py [--flows 10000000] [--countries 230] [--products 5000]

Prints both times, their ratio and each process's peak resident memory. Not a test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_store(path: str, countries: int, products: int, flows: int) -> dict:
    import mirror
    from mirror import simulate

    t = time.perf_counter()
    panel = simulate.panel(countries=countries, products=products, years=[2021], flows_per_year=flows, seed=42)
    sim = time.perf_counter() - t
    with mirror.open(path) as db:
        t = time.perf_counter()
        result = panel.to_store(db)
        insert = time.perf_counter() - t
    return {"flows": len(panel.flows), "reports": int(result.rows_read.sum()), "simulate_s": sim, "insert_s": insert}


def run_tool(path: str, method: str, memory_limit: str) -> dict:
    import mirror

    with mirror.open(path, read_only=True, memory_limit=memory_limit) as db:
        t = time.perf_counter()
        db.engine.build(db.settings.__class__(cif_fob=method), "6", "A")
        # Computing the reconciled value of every flow is part of the job (the views compute it on read).
        rows, both, recon = db.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE reported_by = 'both'), sum(weight_exporter * coalesce(value_exporter_usd, 0)"
            " + (1 - weight_exporter) * coalesce(value_importer_fob_usd, 0)) FROM mp_reconciled").fetchall()[0]
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "pairs": rows, "both": both, "reconciled_total": recon, "peak_mb": peak_mb()}


def run_pandas(path: str) -> dict:
    import duckdb
    import pandas as pd

    t0 = time.perf_counter()
    con = duckdb.connect(path, read_only=True)
    reports = con.execute("SELECT reporter_iso3, partner_iso3, flow, hs, year, value, net_weight_kg "
                          "FROM flows WHERE kind = 'reported'").df()
    con.close()
    read = time.perf_counter() - t0
    t = time.perf_counter()
    x = reports[reports.flow == "export"].rename(columns={"reporter_iso3": "exporter", "partner_iso3": "importer",
                                                          "value": "x", "net_weight_kg": "kg_x"}).drop(columns="flow")
    m = reports[reports.flow == "import"].rename(columns={"reporter_iso3": "importer", "partner_iso3": "exporter",
                                                          "value": "m", "net_weight_kg": "kg_m"}).drop(columns="flow")
    pairs = x.merge(m, on=["year", "exporter", "importer", "hs"], how="outer")
    pairs["m_fob"] = pairs.m / 1.06
    pairs["gap"] = pairs.m_fob - pairs.x
    both = pairs.x.notna() & pairs.m.notna()
    pairs["log_ratio"] = np.where(both, np.log(pairs.m_fob / pairs.x), np.nan)
    pairs["di"] = (pairs.x.fillna(0) - pairs.m_fob.fillna(0)) / (pairs.x.fillna(0) + pairs.m_fob.fillna(0))
    # BACI reliability by alternating means, as the tool does
    obs = pairs.loc[both, ["exporter", "importer"]].copy()
    obs["d"] = np.abs(pairs.loc[both, "log_ratio"])
    a = pd.Series(0.0, index=obs.exporter.unique())
    b = pd.Series(0.0, index=obs.importer.unique())
    for _ in range(50):
        a_new = (obs.d - obs.importer.map(b)).groupby(obs.exporter).mean()
        b_new = (obs.d - obs.exporter.map(a_new)).groupby(obs.importer).mean()
        change = max((a_new - a).abs().max(), (b_new - b).abs().max())
        a, b = a_new, b_new
        if change < 1e-6:
            break
    k = (obs.exporter.map(a).mean() - obs.importer.map(b).mean()) / 2
    sa, sb = (a - k).clip(lower=0.01) * np.sqrt(np.pi / 2), (b + k).clip(lower=0.01) * np.sqrt(np.pi / 2)
    va, vb = np.exp(sa**2) * (np.exp(sa**2) - 1), np.exp(sb**2) * (np.exp(sb**2) - 1)
    vx, vm = pairs.exporter.map(va), pairs.importer.map(vb)
    w = np.where(pairs.m.isna(), 1.0, np.where(pairs.x.isna(), 0.0, vm / (vx + vm)))
    recon = w * pairs.x.fillna(0) + (1 - w) * pairs.m_fob.fillna(0)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "read_s": read, "pairs": len(pairs), "reconciled_total": float(recon.sum()),
            "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=10_000_000)
    parser.add_argument("--countries", type=int, default=230)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--store", help="reuse a store simulated before (skips the simulation)")
    parser.add_argument("--memory-limit", default="900MB", help="DuckDB memory limit of the trade-mirror process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or str(Path(tmp) / "bench.duckdb")
        if not args.store:
            with ProcessPoolExecutor(max_workers=1) as pool:
                made = pool.submit(build_store, store, args.countries, args.products, args.flows).result()
            print(f"simulated {made['flows']:,} flows -> {made['reports']:,} reports "
                  f"(simulation {made['simulate_s']:.1f} s, insert into the store {made['insert_s']:.1f} s)")
        results = {}
        for label, fn, fn_args in [("trade-mirror, fixed CIF/FOB", run_tool, (store, "fixed", args.memory_limit)),
                                   ("trade-mirror, pair-estimated CIF/FOB", run_tool, (store, "pair", args.memory_limit)),
                                   ("plain pandas merge, fixed CIF/FOB", run_pandas, (store,))]:
            with ProcessPoolExecutor(max_workers=1) as pool:
                results[label] = r = pool.submit(fn, *fn_args).result()
            extra = f" (+ {r['read_s']:.1f} s reading the reports into pandas)" if "read_s" in r else ""
            print(f"{label:40s} {r['seconds']:7.1f} s{extra}   peak {r['peak_mb']:,.0f} MB   "
                  f"{r['pairs']:,} pairs, reconciled total {r['reconciled_total']:.4g}")
        tool = results["trade-mirror, fixed CIF/FOB"]
        pandas = results["plain pandas merge, fixed CIF/FOB"]
        print(f"pandas / trade-mirror time: {pandas['seconds'] / tool['seconds']:.1f}x "
              f"({(pandas['seconds'] + pandas['read_s']) / tool['seconds']:.1f}x counting pandas' read)")


if __name__ == "__main__":
    main()
