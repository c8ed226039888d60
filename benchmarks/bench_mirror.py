"""Mirror benchmark and scaling curve: for each size, one simulated BACI-like year (230 countries x
5,000 HS6 products; benchmarks/generate.py, straight to Parquet in bounded memory), put into a
store, then the mirror built by trade-mirror beside the floor and two peers, each in its own fresh
process so that CPU time and peak memory are its own:

- floor: bare DuckDB - the full outer join of the export and import reports from the Parquet file
  into a temp table (the join every mirror needs, nothing more);
- trade-mirror: ``engine.build`` on the store, fixed CIF/FOB and the default method (pairs, CIF/FOB,
  reliability, intervals, reconciled values, checks), reconciled total read back;
- plain pandas and polars: read the Parquet file, outer merge, fixed CIF/FOB, BACI reliability
  by alternating means, reconciled values (the same arithmetic in both).

And getting the rows into the store: trade-mirror's ``insert_canonical`` one Parquet row group at a
time (benchmarks/generate.py ``to_store``) beside bare ``CREATE TABLE AS SELECT * FROM
read_parquet`` into a DuckDB file.

    python benchmarks/bench_mirror.py [--flows 1000000,3000000] [--memory-limit 1GB]
        [--pandas-max 3000000] [--repeat N] [--keep DIR (each size's Parquet and store)] [--reuse DIR]

``--reuse DIR`` skips the generator and the loads and measures the mirror rows again on the files
``--keep DIR`` left (a store copy each run): before and after a change in one sitting, minutes
instead of the hour a 10M-flow store takes to load on a shared machine.

Every DuckDB process (floor and trade-mirror) runs under the same memory limit (spilling beyond
it). pandas is skipped above ``--pandas-max`` flows (7.1 GB at 10M flows, issue 18). Prints one
markdown table per size and the curve: CPU seconds per million flows and the ratio to the floor
at each size. Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402

FLOOR = "floor: bare DuckDB full outer join from Parquet"


def make_data(out: str, flows: int, countries: int, products: int) -> dict:
    import generate

    made = generate.generate(out, flows=flows, countries=countries, products=products, years=[2021])
    return {"paths": [str(p) for p in made["reports"]], "reports": made["report_rows"], "flows": made["flows"],
            "no_ratio": True,
            "note": f"{made['flows']:,} flows, {made['report_rows']:,} reports, largest chunk "
                    f"{made['largest_chunk']:,} flows"}


def insert_tool(paths: list[str], store: str, memory_limit: str) -> dict:
    import generate

    import mirror

    with mirror.open(store, memory_limit=memory_limit) as db:
        done = generate.to_store([Path(p) for p in paths], db)
    return {"note": f"{done['rows']:,} rows in {done['loads']} loads (one per row group)"}


def insert_floor(paths: list[str], store: str, memory_limit: str) -> dict:
    import duckdb

    con = duckdb.connect(store)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("CREATE TABLE reports AS SELECT * FROM read_parquet($p)", {"p": paths})
    rows = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    con.close()
    return {"note": f"{rows:,} rows"}


FLOOR_SQL = """
CREATE TEMP TABLE pairs AS
WITH x AS (SELECT year, reporter_iso3 AS exporter, partner_iso3 AS importer, hs, value, net_weight_kg
           FROM read_parquet($p) WHERE flow = 'export'),
     m AS (SELECT year, reporter_iso3 AS importer, partner_iso3 AS exporter, hs, value, net_weight_kg
           FROM read_parquet($p) WHERE flow = 'import')
SELECT coalesce(x.year, m.year) AS year, coalesce(x.exporter, m.exporter) AS exporter,
       coalesce(x.importer, m.importer) AS importer, coalesce(x.hs, m.hs) AS hs,
       x.value AS x, m.value AS m, m.value / 1.06 AS m_fob, x.net_weight_kg AS kg_x, m.net_weight_kg AS kg_m
FROM x FULL OUTER JOIN m USING (year, exporter, importer, hs)
"""


def floor_join(paths: list[str], memory_limit: str, tmp: str) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute(FLOOR_SQL, {"p": paths})
    pairs, both = con.execute("SELECT count(*), count(*) FILTER (WHERE x IS NOT NULL AND m IS NOT NULL) "
                              "FROM pairs").fetchone()
    con.close()
    return {"pairs": pairs, "note": f"{pairs:,} pairs, {both:,} both reported"}


def tool_build(store: str, method: str | None, memory_limit: str) -> dict:
    import mirror
    from mirror.settings import Settings

    with mirror.open(store, read_only=True, memory_limit=memory_limit) as db:
        settings = Settings(cif_fob=method) if method else Settings()
        db.engine.cache.min_figures = float("inf")  # the build alone: not kept on disk (build_cache)
        db.engine.build(settings, "6", "A")
        # Computing the reconciled value of every flow is part of the job (the views compute it on read).
        rows, recon = db.con.execute(
            "SELECT count(*), sum(weight_exporter * coalesce(value_exporter_usd, 0)"
            " + (1 - weight_exporter) * coalesce(value_importer_fob_usd, 0)) FROM mp_reconciled").fetchall()[0]
    return {"pairs": rows, "note": f"{settings.cif_fob}: {rows:,} pairs, reconciled total {recon:.4g}"}


def pandas_merge(paths: list[str]) -> dict:
    import pandas as pd

    cols = ["reporter_iso3", "partner_iso3", "flow", "hs", "year", "value", "net_weight_kg"]
    reports = pd.concat([pd.read_parquet(p, columns=cols) for p in paths], ignore_index=True)
    x = reports[reports.flow == "export"].rename(columns={"reporter_iso3": "exporter", "partner_iso3": "importer",
                                                          "value": "x", "net_weight_kg": "kg_x"}).drop(columns="flow")
    m = reports[reports.flow == "import"].rename(columns={"reporter_iso3": "importer", "partner_iso3": "exporter",
                                                          "value": "m", "net_weight_kg": "kg_m"}).drop(columns="flow")
    del reports
    pairs = x.merge(m, on=["year", "exporter", "importer", "hs"], how="outer")
    del x, m
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
    return {"pairs": len(pairs), "note": f"{len(pairs):,} pairs, reconciled total {float(recon.sum()):.4g}"}


def polars_merge(paths: list[str]) -> dict:
    import polars as pl

    reports = pl.read_parquet(paths, columns=["reporter_iso3", "partner_iso3", "flow", "hs", "year", "value",
                                              "net_weight_kg"])
    x = reports.filter(pl.col("flow") == "export").select(
        "year", pl.col("reporter_iso3").alias("exporter"), pl.col("partner_iso3").alias("importer"), "hs",
        pl.col("value").alias("x"), pl.col("net_weight_kg").alias("kg_x"))
    m = reports.filter(pl.col("flow") == "import").select(
        "year", pl.col("partner_iso3").alias("exporter"), pl.col("reporter_iso3").alias("importer"), "hs",
        pl.col("value").alias("m"), pl.col("net_weight_kg").alias("kg_m"))
    del reports
    both = pl.col("x").is_not_null() & pl.col("m").is_not_null()
    x0, m0 = pl.col("x").fill_null(0), pl.col("m_fob").fill_null(0)
    pairs = (x.join(m, on=["year", "exporter", "importer", "hs"], how="full", coalesce=True)
             .with_columns(m_fob=pl.col("m") / 1.06)
             .with_columns(gap=pl.col("m_fob") - pl.col("x"),
                           log_ratio=pl.when(both).then((pl.col("m_fob") / pl.col("x")).log()),
                           di=(x0 - m0) / (x0 + m0)))
    del x, m
    obs = pairs.filter(both).select("exporter", "importer", d=pl.col("log_ratio").abs())
    a = obs.select(pl.col("exporter").unique()).with_columns(a=pl.lit(0.0))
    b = obs.select(pl.col("importer").unique()).with_columns(b=pl.lit(0.0))
    for _ in range(50):
        a_new = (obs.join(b, on="importer").group_by("exporter").agg((pl.col("d") - pl.col("b")).mean().alias("a")))
        b_new = (obs.join(a_new, on="exporter").group_by("importer").agg((pl.col("d") - pl.col("a")).mean().alias("b")))
        change = max(a_new.join(a, on="exporter").select((pl.col("a") - pl.col("a_right")).abs().max()).item(),
                     b_new.join(b, on="importer").select((pl.col("b") - pl.col("b_right")).abs().max()).item())
        a, b = a_new, b_new
        if change < 1e-6:
            break
    k = (obs.join(a, on="exporter")["a"].mean() - obs.join(b, on="importer")["b"].mean()) / 2
    root = float(np.sqrt(np.pi / 2))
    va = a.select("exporter", s=((pl.col("a") - k).clip(lower_bound=0.01) * root)).select(
        "exporter", va=(pl.col("s") ** 2).exp() * ((pl.col("s") ** 2).exp() - 1))
    vb = b.select("importer", s=((pl.col("b") + k).clip(lower_bound=0.01) * root)).select(
        "importer", vb=(pl.col("s") ** 2).exp() * ((pl.col("s") ** 2).exp() - 1))
    w = (pl.when(pl.col("m").is_null()).then(1.0).when(pl.col("x").is_null()).then(0.0)
         .otherwise(pl.col("vb") / (pl.col("va") + pl.col("vb"))))
    recon = (pairs.join(va, on="exporter", how="left").join(vb, on="importer", how="left")
             .select((w * x0 + (1 - w) * m0).sum()).item())
    return {"pairs": pairs.height, "note": f"{pairs.height:,} pairs, reconciled total {recon:.4g}"}


def _try(fn, *args: object) -> dict:
    """One measured run; one that fails (out of memory under the limit) is a row saying so, and the
    other rows are still measured and printed."""
    try:
        return measure.in_child(fn, *args)
    except Exception as err:  # the pool breaks when the child is killed
        first = str(err).split(": ", 1)[-1].splitlines()[0]
        return {"skipped": f"failed: {first[:160]}"}


def kept_data(flows: int, folder: Path, tmp: Path) -> tuple[dict, str]:
    """A size's Parquet files and store as --keep left them in ``folder`` (the store copied, so that
    the kept one is never changed): the mirror measured again without generating and loading."""
    paths = sorted(str(p) for p in folder.glob(f"{flows}_reports_*.parquet"))
    kept = folder / f"store_{flows}.duckdb"
    if not paths or not kept.exists():
        raise SystemExit(f"--reuse {folder}: no {flows}_reports_*.parquet or store_{flows}.duckdb there. Fix: run "
                         f"once with --keep {folder} --flows {flows}.")
    store = tmp / kept.name
    shutil.copy(kept, store)
    import pyarrow.parquet as pq

    reports = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    return {"paths": paths, "reports": reports, "flows": flows, "kept": True}, str(store)


def run_size(flows: int, args: argparse.Namespace, tmp: Path) -> dict:
    data = tmp / f"data_{flows}"
    if args.reuse:
        made, store = kept_data(flows, Path(args.reuse), tmp)
        paths, loads = made["paths"], []
    else:
        made = measure.in_child(make_data, str(data), flows, args.countries, args.products)
        paths = made["paths"]
        store = str(tmp / f"store_{flows}.duckdb")
        floor_store = str(tmp / f"floor_{flows}.duckdb")
        loads = [("floor: bare CREATE TABLE AS SELECT * FROM read_parquet", measure.in_child(
                     insert_floor, paths, floor_store, args.memory_limit)),
                 ("trade-mirror: insert_canonical per row group", measure.in_child(
                     insert_tool, paths, store, args.memory_limit))]
        Path(floor_store).unlink()
        measure.table([("generator (benchmarks/generate.py, to Parquet)", made)] + loads,
                      floor="floor: bare CREATE TABLE AS SELECT * FROM read_parquet",
                      title=f"**{flows:,} flows: the data** (the generator for scale; the store's insert beside the floor's)")
    spill = tmp / f"spill_{flows}"
    spill.mkdir()
    rows = measure.rounds([
        (FLOOR, lambda: measure.in_child(floor_join, paths, args.memory_limit, str(spill))),
        ("trade-mirror build, fixed CIF/FOB", lambda: _try(tool_build, store, "fixed", args.memory_limit)),
        ("trade-mirror build, default settings", lambda: _try(tool_build, store, None, args.memory_limit)),
    ], args.repeat)
    if flows <= args.pandas_max:
        rows.append(("pandas merge + reliability", _try(pandas_merge, paths)))
    else:
        rows.append(("pandas merge + reliability", {"skipped": f"skipped above {args.pandas_max:,} flows (memory)"}))
    rows.append(("polars join + reliability", _try(polars_merge, paths)))
    measure.table(rows, floor=FLOOR, title=f"**{flows:,} flows ({made['reports']:,} reports): the mirror**, "
                                           f"DuckDB memory limit {args.memory_limit}")
    if args.keep and not args.reuse:
        keep = Path(args.keep)
        keep.mkdir(parents=True, exist_ok=True)
        for p in paths:
            shutil.copy(p, keep / f"{flows}_{Path(p).name}")
        shutil.copy(store, keep / f"store_{flows}.duckdb")
    shutil.rmtree(data, ignore_errors=True)
    Path(store).unlink()
    shutil.rmtree(spill, ignore_errors=True)
    return {"flows": flows, "made": made, "loads": dict(loads), "mirror": dict(rows)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", default="1000000,3000000", help="sizes, comma-separated (flows per year)")
    parser.add_argument("--countries", type=int, default=230)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit of every DuckDB process")
    parser.add_argument("--pandas-max", type=int, default=3_000_000, help="skip pandas above this many flows")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the floor and the two builds, taking "
                                                                "turns; the median of each is printed")
    parser.add_argument("--keep", help="copy each size's Parquet file and store here")
    parser.add_argument("--reuse", help="measure the mirror again on what --keep left in this folder (no generating, "
                                        "no loading: the code's builds beside the floor and the peers)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.flows.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for flows in sizes:
            results.append(run_size(flows, args, Path(tmp)))
    if len(results) < 2:
        return
    labels = [FLOOR, "trade-mirror build, fixed CIF/FOB", "trade-mirror build, default settings",
              "pandas merge + reliability", "polars join + reliability"]
    print("\n**Scaling: CPU seconds per million flows (ratio to the floor at that size)**\n")
    print("| tool | " + " | ".join(f"{r['flows'] / 1e6:g}M flows" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for label in labels:
        cells = []
        for r in results:
            m, f = r["mirror"][label], r["mirror"][FLOOR]
            cells.append("-" if m.get("skipped") else
                         f"{m['cpu_s'] / (r['flows'] / 1e6):.2f} ({m['cpu_s'] / f['cpu_s']:.2f}x), {m['peak_mb']:,.0f} MB")
        print(f"| {label} | " + " | ".join(cells) + " |")
    if not args.reuse:  # (reused files were neither generated nor loaded in this run)
        insert = "trade-mirror: insert_canonical per row group"
        print("| insert into the store | " + " | ".join(
            f"{r['loads'][insert]['cpu_s'] / (r['flows'] / 1e6):.2f}, {r['loads'][insert]['peak_mb']:,.0f} MB"
            for r in results) + " |")
        print("| generator | " + " | ".join(
            f"{r['made']['cpu_s'] / (r['flows'] / 1e6):.2f}, {r['made']['peak_mb']:,.0f} MB" for r in results) + " |")
    first, last = results[0], results[-1]
    for label in labels[:3]:
        if first["mirror"][label].get("skipped") or last["mirror"][label].get("skipped"):
            continue
        a, b = first["mirror"][label]["cpu_s"], last["mirror"][label]["cpu_s"]
        print(f"{label}: CPU grows as n^{np.log(b / a) / np.log(last['flows'] / first['flows']):.2f} "
              f"from {first['flows']:,} to {last['flows']:,} flows")


if __name__ == "__main__":
    main()
