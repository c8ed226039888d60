"""Detection quality on data shaped like the real thing: precision and recall per detector on the
planted panel as a source publishes it (no zero rows, reporter-years not published, a partial
extract, persistent noise), and the false-flag rate on panels where nothing was planted.

    python benchmarks/bench_detect_quality.py [--seeds 7 11] [--null-series 400]

Prints two tables (markdown, as the README shows them). Not a test: the calibrated-inference issue
sets the bars these numbers must meet; this script measures where the detectors stand.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mirror  # noqa: E402
from mirror import simulate_anomalies as sa  # noqa: E402

SETTINGS = [  # (label, year-on-year log change sd, AR(1) persistence)
    ("smooth (sd 0.03, iid)", 0.03, 0.0),
    ("realistic (sd 0.35, rho 0.6)", 0.35, 0.6),
    ("noisy (sd 0.6, rho 0.6)", 0.6, 0.6),
]
NULLS = [("iid", 0.3), ("iid", 0.6), ("ar1", 0.3), ("ar1", 0.6), ("random-walk", 0.3), ("random-walk", 0.6)]


def planted(seeds: list[int]) -> pd.DataFrame:
    out = []
    for label, sd, rho in SETTINGS:
        tables = []
        for seed in seeds:
            panel = sa.anomaly_panel(seed, noise_sd=sd, rho=rho)
            with tempfile.TemporaryDirectory() as tmp, mirror.open(Path(tmp) / "sim.duckdb") as db:
                sa.to_store(panel, db)
                tables.append(sa.score(sa.flags_for_labels(db, panel.labels), panel.labels))
        t = pd.concat(tables).groupby("detector")[["planted", "flagged", "correct"]].sum().reset_index()
        t["precision"] = t.correct / t.flagged.where(t.flagged > 0)
        t["recall"] = t.correct / t.planted.where(t.planted > 0)
        out.append(t.assign(setting=label))
    return pd.concat(out, ignore_index=True)


def null_rates(series: int) -> pd.DataFrame:
    rows = []
    for kind, sd in NULLS:
        reports = sa.null_panel(kind, sd, series=series)
        n_series = reports[reports.hs != "TOTAL"].groupby(["reporter", "hs"]).ngroups
        with tempfile.TemporaryDirectory() as tmp, mirror.open(Path(tmp) / "null.duckdb") as db:
            sa.to_store(sa.AnomalyPanel(reports, pd.DataFrame()), db)
            flags = db.flags(country="PRK")
        on_series = flags[flags.hs.notna() & (flags.hs != "ALL") & (flags.hs != "TOTAL")]
        flagged = on_series.drop_duplicates(["reporter", "partner", "flow", "hs"])
        rows.append({"panel": kind, "change sd": sd, "series": n_series, "flags": len(flags),
                     "series flagged": len(flagged), "share flagged": len(flagged) / n_series,
                     "by detector": ", ".join(f"{d} {n}" for d, n in flags.detector.value_counts().items()) or "-",
                     "realised FDR": 1.0 if len(flags) else 0.0})
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    """A markdown table (no tabulate dependency for one benchmark)."""
    def cell(v):
        return f"{v:.2f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 11])
    ap.add_argument("--null-series", type=int, default=400)
    args = ap.parse_args()
    t0 = time.perf_counter()
    p = planted(args.seeds)
    print(f"## Planted panel, published like a source (seeds {', '.join(map(str, args.seeds))})\n")
    for label, t in p.groupby("setting", sort=False):
        print(f"### {label}\n")
        print(markdown(t.drop(columns="setting")), "\n")
    n = null_rates(args.null_series)
    print("## Nothing planted: every flag is false\n")
    print(markdown(n))
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
