"""Start-up benchmark: ``trade-mirror --help``, a command's help and a usage error beside the floor,
an interpreter that imports argparse (what building a parser needs at least), each a whole process
(CPU and wall time, peak memory from os.wait4), the median of ``--repeat`` runs after one warm run.

The parser and its help are plain Python (mirror/cli_args.py, cli_catalog.py), so none of these
imports pandas, DuckDB or NumPy; ``import pandas, duckdb, numpy`` is printed as a reference row:
what every command paid before, and what a command that reads the store still pays.

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

FLOOR = "floor: python -c \"import argparse\""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    cli = str(Path(python).with_name("trade-mirror"))
    # a usage error exits 2, which measure.command refuses: main() called as the console script
    # calls it, without passing its code on
    usage_error = "from mirror.cli import main; main(['mirror', '--levle', '4'])"
    runs = [("bare interpreter: python -c pass", [python, "-c", "pass"]),
            (FLOOR, [python, "-c", "import argparse"]),
            ("reference: python -c \"import pandas, duckdb, numpy\"", [python, "-c", "import pandas, duckdb, numpy"]),
            ("trade-mirror --help", [cli, "--help"]),
            ("trade-mirror load --help", [cli, "load", "--help"]),
            ("trade-mirror flags --help", [cli, "flags", "--help"]),
            ("trade-mirror report --help", [cli, "report", "--help"]),
            ("usage error: trade-mirror mirror --levle 4", [python, "-c", usage_error])]
    rows = []
    for label, argv in runs:
        measure.command(argv)  # one run first: every command measured with a warm file cache
        m = measure.command(argv, repeat=args.repeat)
        m["note"] = f"median of {args.repeat}"
        rows.append((label, m))
    measure.table(rows, floor=FLOOR, title="**CLI start-up** (whole processes)")


if __name__ == "__main__":
    main()
