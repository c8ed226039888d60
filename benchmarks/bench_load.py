"""Load-rate benchmark: a 1-million-row file in the Comtrade API CSV layout (47 camelCase fields),
loaded into a fresh store, then loaded again as a revised release (every 10th value changed).

    python benchmarks/bench_load.py [--rows 1000000] [--layout api|r] [--panel-flows 1000000] [--repeat N]

``--layout r`` writes the file as R users save comtradr results with readr::write_csv: the 47
fields in snake_case, every missing value as ``NA`` (ISO columns, CIF or FOB value, and the weight
and quantity of one row in five), logicals as TRUE/FALSE.

Prints a markdown table: the same file read by bare DuckDB ``read_csv`` (types auto-detected,
into an in-memory table: the floor any loader that checks and keeps rows stands on; and, for
scale, the same into a table in a DuckDB file, which is what storing rows costs), then the
first load, the revision load and the no-op reload (same bytes), each in its own fresh process
(CPU seconds of the step, wall seconds, the process's peak memory, CPU ratio to the floor).

Then a simulated panel (benchmarks/generate.py: ``--panel-flows`` flows a year, two years, as
Parquet) inserted with ``insert_canonical`` straight from the Parquet files, year by year into one
store, beside bare DuckDB reading the first year's file into a table in a DuckDB file
(``CREATE TABLE AS SELECT * FROM read_parquet``); ``--panel-flows 0`` leaves it out.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402

import mirror  # noqa: E402
from mirror.simulate import API_FIELDS  # noqa: E402

# comtradr's snake_case names for the 47 API fields, in the API's order (as in the real comtradr
# files under ../shared/data/formats/comtrade_r/).
R_FIELDS = ["type_code", "freq_code", "ref_period_id", "ref_year", "ref_month", "period", "reporter_code",
            "reporter_iso", "reporter_desc", "flow_code", "flow_desc", "partner_code", "partner_iso", "partner_desc",
            "partner2code", "partner2iso", "partner2desc", "classification_code", "classification_search_code",
            "is_original_classification", "cmd_code", "cmd_desc", "aggr_level", "is_leaf", "customs_code",
            "customs_desc", "mos_code", "mot_code", "mot_desc", "qty_unit_code", "qty_unit_abbr", "qty",
            "is_qty_estimated", "alt_qty_unit_code", "alt_qty_unit_abbr", "alt_qty", "is_alt_qty_estimated", "net_wgt",
            "is_net_wgt_estimated", "gross_wgt", "is_gross_wgt_estimated", "cifvalue", "fobvalue", "primary_value",
            "legacy_estimation_flag", "is_reported", "is_aggregate"]


def make_file(path: Path, rows: int, seed: int = 1, revise_every: int = 0, layout: str = "api") -> None:
    rng = np.random.default_rng(seed)
    countries = pd.read_csv(ROOT / "data" / "countries.csv", dtype=str)
    current = countries[(countries.is_country == "true") & countries.valid_to_year.isna()]
    codes = current.drop_duplicates("iso3").comtrade_code.to_numpy()  # one code per country (FRA: 250, not 251)
    hs = pd.read_csv(ROOT / "data" / "hs_codes.csv", dtype=str)
    hs6 = hs[(hs.classification == "H5") & (hs.level == "6")].hs.to_numpy()
    # Unique (reporter, partner, flow, cmd) keys, partner != reporter: draw without replacement
    # from the key space.
    n = len(codes)
    space = n * (n - 1) * 2 * len(hs6)
    keys = rng.choice(space, size=rows, replace=False)
    cmd = hs6[keys % len(hs6)]
    keys //= len(hs6)
    flow = np.where(keys % 2 == 0, "X", "M")
    keys //= 2
    r_idx, p_idx = keys // (n - 1), keys % (n - 1)
    partner = codes[p_idx + (p_idx >= r_idx)]  # skip the reporter itself
    reporter = codes[r_idx]
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
    if layout == "api":
        frame[API_FIELDS].to_csv(path, index=False)
        return
    # readr::write_csv: NA for every missing value, TRUE/FALSE for logicals.
    no_weight = rng.random(rows) < 0.2
    frame.loc[no_weight, ["qty", "netWgt"]] = np.nan
    frame = frame[API_FIELDS].replace({"": np.nan, "True": "TRUE", "False": "FALSE"})
    frame = frame.assign(isQtyEstimated="FALSE", isNetWgtEstimated=np.where(rng.random(rows) < 0.1, "TRUE", "FALSE"))
    frame.columns = R_FIELDS
    frame.to_csv(path, index=False, na_rep="NA")


def bare_read_csv(path: str) -> dict:
    """DuckDB alone reading the file into an in-memory table (types auto-detected)."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p, nullstr = 'NA')", {"p": path})
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {"note": f"{rows:,} rows, no checks"}


def bare_read_csv_to_file(path: str, store: str) -> dict:
    """The same read into a table in a DuckDB file: what storing the rows costs DuckDB itself."""
    import duckdb

    con = duckdb.connect(store)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p, nullstr = 'NA')", {"p": path})
    con.execute("CHECKPOINT")
    con.close()
    return {"note": "into a DuckDB file"}


def bare_read_parquet_to_file(path: str, store: str) -> dict:
    """DuckDB alone reading a panel year's Parquet file into a table in a DuckDB file."""
    import duckdb

    con = duckdb.connect(store)
    con.execute("CREATE TABLE reports AS SELECT * FROM read_parquet($p)", {"p": path})
    rows = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    return {"note": f"{rows:,} reports, no checks"}


def make_panel(out: str, flows: int) -> dict:
    import generate

    made = generate.generate(out, flows=flows, years=(2021, 2022))
    return {"paths": [str(p) for p in made["reports"]], "reports": made["report_rows"]}


def tool_insert(store: str, path: str, year: str) -> dict:
    """One panel year into the store (created by the first) with insert_canonical, from Parquet."""
    from mirror.load import insert_canonical

    with mirror.open(store) as db:
        row = insert_canonical(db, path, source="comtrade", release="sim", label=f"panel {year}").iloc[0]
        status = db.status_dict()
    return {"note": f"new {row.rows_new:,}; store {status['rows']:,} figures"}


def tool_load(store: str, path: str, release: str) -> dict:
    """One trade-mirror load into the store (created by the first)."""
    with mirror.open(store) as db:
        row = db.load(path, release=release).iloc[0]
        extra = (f"new {row.rows_new:,}, revised {row.rows_revised:,}, unchanged {row.rows_unchanged:,}"
                 if row.status == "loaded" else row.note)
        status = db.status_dict()
    return {"note": extra, "rows": status["rows"], "versions": status["versions"]}


FLOOR = "floor: bare DuckDB CREATE TABLE AS SELECT * FROM read_csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--layout", choices=["api", "r"], default="api",
                        help="api: Comtrade API CSV (camelCase); r: comtradr results saved by readr::write_csv (NA)")
    parser.add_argument("--panel-flows", type=int, default=1_000_000,
                        help="flows a year of the simulated Parquet panel (two years; 0: leave it out)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure every CSV row N times, the rows taking turns; print each row's run of median CPU")
    parser.add_argument("--keep", type=Path, default=None,
                        help="a folder for the files and stores, kept afterwards (generated files are reused; "
                             "stores are made anew): to compare what two versions store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        for old in tmp.glob("*.duckdb*"):
            old.unlink()
        first, second = tmp / f"comtrade_{args.layout}_{args.rows}_r1.csv", tmp / f"comtrade_{args.layout}_{args.rows}_r2.csv"
        t = time.perf_counter()
        if not (first.exists() and second.exists()):  # generated in a child process, one file after the other
            with ProcessPoolExecutor(max_workers=1) as pool:
                list(pool.map(make_file, [first, second], [args.rows, args.rows], [1, 1], [0, 10],
                              [args.layout, args.layout]))
        print(f"generated 2 x {args.rows:,} rows ({args.layout} layout) in {time.perf_counter() - t:.1f} s "
              f"({first.stat().st_size / 1e6:.0f} MB each)")
        # each round loads into a store of its own (the first load makes it; the revision and the
        # no-op go into it); with --repeat the rows take turns, so that a machine that gets busier
        # moves the floors and the loads alike
        stores: list[str] = []

        def first_load() -> dict:
            stores.append(str(tmp / f"bench_{len(stores) + 1}.duckdb"))
            return measure.in_child(tool_load, stores[-1], str(first), "r1")

        rows = measure.rounds([
            (FLOOR, lambda: measure.in_child(bare_read_csv, str(first))),
            ("bare DuckDB: the same into a table in a DuckDB file", lambda: measure.in_child(
                bare_read_csv_to_file, str(first), str(tmp / f"floor_{len(stores)}.duckdb"))),
            ("trade-mirror: first load", first_load),
            ("trade-mirror: revised release", lambda: measure.in_child(tool_load, stores[-1], str(second), "r2")),
            ("trade-mirror: same file again (no-op)", lambda: measure.in_child(tool_load, stores[-1], str(second), "r2")),
        ], args.repeat)
        store = stores[-1]
        measure.table(rows, floor=FLOOR, title=f"**Load: {args.rows:,}-row Comtrade CSV ({args.layout} layout, "
                                                f"{first.stat().st_size / 1e6:.0f} MB)**, each step its own process")
        last = rows[-1][1]
        print(f"\nstore: {last['rows']:,} current figures, {last['versions']:,} versions; "
              f"file {Path(store).stat().st_size / 1e6:.0f} MB")
        if args.panel_flows:
            panel(tmp, args.panel_flows)


PANEL_FLOOR = "floor: bare DuckDB CREATE TABLE AS SELECT * FROM read_parquet (into a DuckDB file)"


def panel(tmp: Path, flows: int) -> None:
    folder = tmp / f"panel_{flows}"
    made_before = sorted(str(p) for p in folder.glob("reports_*.parquet"))
    if len(made_before) == 2:  # a kept folder (--keep): the same panel again
        import duckdb

        count = duckdb.connect().execute("SELECT count(*) FROM read_parquet($p)", {"p": made_before}).fetchall()
        made = {"paths": made_before, "reports": count[0][0]}
    else:
        made = measure.in_child(make_panel, str(folder), flows)
    first, second = made["paths"]
    store = str(tmp / "panel.duckdb")
    rows = [(PANEL_FLOOR, measure.in_child(bare_read_parquet_to_file, first, str(tmp / "panel_floor.duckdb"))),
            ("trade-mirror: insert_canonical, year 1 (Parquet)", measure.in_child(tool_insert, store, first, "2021")),
            ("trade-mirror: insert_canonical, year 2 (Parquet)", measure.in_child(tool_insert, store, second, "2022"))]
    measure.table(rows, floor=PANEL_FLOOR, title=f"**Panel: {flows:,} flows a year ({made['reports']:,} reports in "
                                                 "two years), from Parquet**, each step its own process")


if __name__ == "__main__":
    main()
