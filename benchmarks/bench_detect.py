"""Detection benchmark: every DPRK partner series at HS4, annual, on a simulated panel of
200 partners x 1,200 HS4 products x 25 years (both directions, each series present with
probability --density), with obeyed bans and a few reporting gaps planted.

    python benchmarks/bench_detect.py [--partners 200] [--products 1200] [--years 25] [--density 0.5]

Prints the number of series and observations, the time to insert them, the floor (bare DuckDB
reading the figures into Arrow), the time to run every detector (db.flags) and the flags by
detector. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mirror  # noqa: E402
from mirror.store import insert_canonical  # noqa: E402


def panel(partners: int, products: int, years: int, density: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    countries = pd.read_csv(ROOT / "data" / "countries.csv", dtype=str, keep_default_na=False)
    real = countries[(countries.is_country == "true") & (countries.valid_to_year == "") & (countries.iso3 != "PRK")]
    iso = real.drop_duplicates("iso3").iso3.to_numpy()[:partners]
    hs = pd.read_csv(ROOT / "data" / "hs_codes.csv", dtype=str, usecols=["classification", "hs", "level"])
    hs4 = hs[(hs.classification == "H5") & (hs.level == "4")].hs.to_numpy()[:products]
    year_list = np.arange(2023 - years + 1, 2024)
    p_idx, h_idx, f_idx = np.meshgrid(np.arange(len(iso)), np.arange(len(hs4)), np.arange(2), indexing="ij")
    keep = rng.random(p_idx.shape) < density
    p_idx, h_idx, f_idx = p_idx[keep], h_idx[keep], f_idx[keep]
    n = len(p_idx)
    level = np.exp(rng.normal(12, 2, n))
    values = level[:, None] * np.exp(rng.normal(0, 0.1, (n, len(year_list))))
    codes = hs4[h_idx]
    banned_x = np.isin(codes.astype("<U2"), ["84", "85", "86", "87", "88", "89"]) & (f_idx == 0)
    banned_m = (np.isin(codes.astype("<U2"), ["03", "61", "62", "25", "44"]) | (codes == "2701")) & (f_idx == 1)
    values[banned_x | banned_m, :] *= np.where(year_list >= 2018, 0.0, 1.0)  # bans obeyed
    gaps = rng.random(n) < 0.001
    values[gaps, :] *= np.where(year_list >= 2015, 0.0, 1.0)  # reporting stops
    frame = pd.DataFrame({
        "reporter_iso3": np.repeat(iso[p_idx], len(year_list)), "partner_iso3": "PRK",
        "flow": np.repeat(np.where(f_idx == 0, "export", "import"), len(year_list)),
        "hs": np.repeat(codes, len(year_list)), "year": np.tile(year_list, n), "value": np.round(values.ravel(), 2)})
    frame = frame.assign(source_row=np.arange(2, len(frame) + 2), freq="A", period=frame.year.astype(str),
                         reporter_code=None, partner_code=None, classification="H5", hs_level="4",
                         valuation=np.where(frame.flow == "export", "FOB", "CIF"), net_weight_kg=np.nan)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--products", type=int, default=1200)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--density", type=float, default=0.5)
    args = parser.parse_args()
    t = time.perf_counter()
    frame = panel(args.partners, args.products, args.years, args.density)
    n_series = frame.groupby(["reporter_iso3", "flow", "hs"]).ngroups
    print(f"simulated {n_series:,} partner series, {len(frame):,} observations in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp, mirror.open(Path(tmp) / "d.duckdb") as db:
        t = time.perf_counter()
        insert_canonical(db, frame, source="comtrade", release="sim", label="detect benchmark")
        print(f"inserted in {time.perf_counter() - t:.1f} s")
        del frame  # the benchmark's input, not detection's memory
        insert_peak = _peak_mb()
        _reset_peak()
        # the floor: bare DuckDB reading the figures every series is made of into Arrow, nothing else
        t, cpu = time.perf_counter(), time.process_time()
        read = db.con.sql("SELECT reporter_iso3, partner_iso3, flow, hs, period, value FROM flows "
                          "WHERE kind = 'reported' AND freq = 'A'").to_arrow_table().num_rows
        floor_seconds, floor_cpu = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        flags = db.flags(level="4")
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"floor: bare DuckDB read of the {read:,} figures into Arrow: {floor_seconds:.1f} s wall, {floor_cpu:.1f} s CPU")
    print(f"every detector on every series: {seconds:.1f} s wall, {cpu:.1f} s CPU (all threads; "
          f"{n_series / seconds:,.0f} series/s; {cpu / max(floor_cpu, 1e-9):.1f}x the floor's CPU; "
          f"os.getloadavg() at the end {os.getloadavg()[0]:.1f})")
    print(f"level-shift tests: {flags.attrs.get('tests', {})}")
    print(flags.groupby("detector").size().to_string())
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB over the process "
          f"(simulating and inserting: {insert_peak:,.0f} MB; detection alone, from the resident memory after the "
          f"insert: {_peak_mb():,.0f} MB)")


def _peak_mb() -> float:
    """The process's peak resident memory so far (VmHWM; since the last _reset_peak on Linux)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start VmHWM again from the current resident memory (Linux; elsewhere the peak stays the process's)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


if __name__ == "__main__":
    main()
