"""Load-rate benchmark: a 1-million-row file in the Comtrade API CSV layout (47 camelCase fields),
loaded into a fresh store, then loaded again as a revised release (every 10th value changed).

    python benchmarks/bench_load.py [--rows 1000000]

Prints rows/s for the first load, the revision load and the no-op reload (same bytes), and the
peak resident memory of the process. Not a test: timings depend on the machine.
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
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mirror  # noqa: E402
from mirror.simulate import API_FIELDS  # noqa: E402


def make_file(path: Path, rows: int, seed: int = 1, revise_every: int = 0) -> None:
    rng = np.random.default_rng(seed)
    countries = pd.read_csv(ROOT / "data" / "countries.csv", dtype=str)
    codes = countries[(countries.is_country == "true") & countries.valid_to_year.isna()].comtrade_code.to_numpy()
    hs = pd.read_csv(ROOT / "data" / "hs_codes.csv", dtype=str)
    hs6 = hs[(hs.classification == "H5") & (hs.level == "6")].hs.to_numpy()
    # Unique (reporter, partner, flow, cmd) keys: draw without replacement from the key space.
    space = len(codes) * len(codes) * 2 * len(hs6)
    keys = rng.choice(space, size=rows, replace=False)
    cmd = hs6[keys % len(hs6)]
    keys //= len(hs6)
    flow = np.where(keys % 2 == 0, "X", "M")
    keys //= 2
    partner = codes[keys % len(codes)]
    reporter = codes[keys // len(codes)]
    value = np.round(rng.lognormal(11, 2, rows), 2)
    if revise_every:
        value[::revise_every] = np.round(value[::revise_every] * 1.05, 2)
    kg = np.round(value / rng.uniform(0.5, 20, rows), 1)
    frame = pd.DataFrame({f: "" for f in API_FIELDS}, index=range(rows))
    frame = frame.assign(typeCode="C", freqCode="A", refPeriodId="20210101", refYear="2021", refMonth="52",
                         period="2021", reporterCode=reporter, flowCode=flow, partnerCode=partner, partner2Code="0",
                         classificationCode="H5", classificationSearchCode="HS", isOriginalClassification="True",
                         cmdCode=cmd, aggrLevel="6", isLeaf="True", customsCode="C00", mosCode="0", motCode="0",
                         qtyUnitCode="8", qtyUnitAbbr="kg", qty=kg, netWgt=kg, primaryValue=value,
                         cifvalue=np.where(flow == "M", value, np.nan), fobvalue=np.where(flow == "X", value, np.nan),
                         legacyEstimationFlag="0", isReported="True", isAggregate="False")
    frame[API_FIELDS].to_csv(path, index=False)


def peak_mb() -> float:
    """Peak resident memory of this process (the loader; the generator ran in children)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first, second = tmp / "comtrade_2021_r1.csv", tmp / "comtrade_2021_r2.csv"
        t = time.perf_counter()
        # Generate in a child process, so that the peak memory printed below is the loader's.
        with ProcessPoolExecutor(max_workers=2) as pool:
            list(pool.map(make_file, [first, second], [args.rows, args.rows], [1, 1], [0, 10]))
        print(f"generated 2 x {args.rows:,} rows in {time.perf_counter() - t:.1f} s "
              f"({first.stat().st_size / 1e6:.0f} MB each)")
        with mirror.open(tmp / "bench.duckdb") as db:
            for label, path, release in [("first load", first, "r1"), ("revised release", second, "r2"),
                                         ("same file again (no-op)", second, "r2")]:
                t = time.perf_counter()
                result = db.load(path, release=release)
                secs = time.perf_counter() - t
                row = result.iloc[0]
                extra = (f"new {row.rows_new:,}, revised {row.rows_revised:,}, unchanged {row.rows_unchanged:,}"
                         if row.status == "loaded" else row.note)
                print(f"{label:26s} {secs:6.2f} s  {args.rows / secs:12,.0f} rows/s  ({extra})")
            print(f"store: {db.status_dict()['rows']:,} current figures, {db.status_dict()['versions']:,} versions; "
                  f"file {db.path.stat().st_size / 1e6:.0f} MB")
    print(f"peak resident memory: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
