"""Start-up benchmark: ``trade-mirror --help`` beside the imports every command pays at least
(``python -c "import pandas, duckdb, numpy"``) and a bare interpreter, each a whole process
(CPU and wall time, peak memory from os.wait4), the median of ``--repeat`` runs.

    python benchmarks/bench_startup.py [--repeat 7]

Not a test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402

FLOOR = "floor: python -c \"import pandas, duckdb, numpy\""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    cli = str(Path(python).with_name("trade-mirror"))
    runs = [("bare interpreter: python -c pass", [python, "-c", "pass"]),
            (FLOOR, [python, "-c", "import pandas, duckdb, numpy"]),
            ("trade-mirror --help", [cli, "--help"]),
            ("trade-mirror flags --help", [cli, "flags", "--help"])]
    rows = []
    for label, argv in runs:
        measure.command(argv)  # one run first: every command measured with a warm file cache
        m = measure.command(argv, repeat=args.repeat)
        m["note"] = f"median of {args.repeat}"
        rows.append((label, m))
    measure.table(rows, floor=FLOOR, title="**CLI start-up** (whole processes)")


if __name__ == "__main__":
    main()
