"""A BACI-scale simulated trade panel written straight to Parquet in bounded memory.

Per year, ``flows`` distinct (exporter, importer, HS6) flows of ``countries`` real countries and
``products`` real H5 HS6 codes (BACI: about 230 x 5,000 and 10 million flows a year). Each flow
has a true value V (log-normal: exporter size + importer size + product + flow terms, median about
60,000 USD), a true weight (V / the product's price per kg) and the pair's true CIF/FOB margin
tau; the exporter reports X = V e^(e_x) (FOB), the importer M = V e^tau e^(e_m) (CIF), each
reporter with its own noise s.d. (a tenth of countries noisy), 8% of flows reported by the
importer only and 8% by the exporter only, a fifth of reports without a weight. The ideas are
mirror/simulate.py's; the memory profile is not: the key space (exporter, importer, product) is
cut into contiguous ranges, each range's number of flows drawn from the multivariate
hypergeometric (so the total is exact and no flow repeats), and each range - one chunk of about
``chunk`` flows (default 500,000) - is drawn, turned into reports and appended to the Parquet file as one row group
before the next is drawn. Peak memory depends on the chunk, not on the number of flows or years.

Files written into OUT, one per year:

- ``reports_<year>.parquet``: one row per report in the canonical columns that
  ``mirror.load.insert_canonical`` takes (source_row, freq, period, year, reporter_iso3,
  reporter_code, partner_iso3, partner_code, flow, classification, hs, hs_level, value, valuation,
  net_weight_kg), sorted by (exporter, importer, hs) as BACI's files are;
- with ``--truth``, ``truth_<year>.parquet``: one row per flow (year, exporter, importer, hs,
  value_true, tau, x, m) for accuracy checks.

    python benchmarks/generate.py OUT [--flows 10000000] [--countries 230] [--products 5000]
        [--years 2021] [--chunk 1000000] [--seed 42] [--truth]

``to_store(path_or_paths, db)`` puts the reports into a store, one ``insert_canonical`` per row
group (each a load of its own), so that no more than a chunk is ever in pandas.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]

REPORT_SCHEMA = pa.schema([
    ("source_row", pa.int64()), ("freq", pa.string()), ("period", pa.string()), ("year", pa.int32()),
    ("reporter_iso3", pa.string()), ("reporter_code", pa.string()), ("partner_iso3", pa.string()),
    ("partner_code", pa.string()), ("flow", pa.string()), ("classification", pa.string()), ("hs", pa.string()),
    ("hs_level", pa.string()), ("value", pa.float64()), ("valuation", pa.string()), ("net_weight_kg", pa.float64()),
])
TRUTH_SCHEMA = pa.schema([
    ("year", pa.int32()), ("exporter", pa.string()), ("importer", pa.string()), ("hs", pa.string()),
    ("value_true", pa.float64()), ("tau", pa.float64()), ("x", pa.float64()), ("m", pa.float64()),
])


@dataclass(frozen=True)
class World:
    """What stays fixed across years: countries, products and their parameters."""

    iso3: np.ndarray  # (n_c,) ISO3 codes
    codes: np.ndarray  # (n_c,) Comtrade numeric codes (text)
    hs: np.ndarray  # (n_p,) HS6 codes
    size_x: np.ndarray  # (n_c,) exporter size (ln scale)
    size_m: np.ndarray  # (n_c,) importer size (ln scale)
    product: np.ndarray  # (n_p,) product size (ln scale)
    price: np.ndarray  # (n_p,) USD per kg
    sigma: np.ndarray  # (n_c,) reporting noise s.d. of each country (log scale)
    tau: np.ndarray  # (n_c, n_c) true ln CIF/FOB margin of each pair


def world(countries: int = 230, products: int = 5000, seed: int = 42, noisy_share: float = 0.1,
          noise_sd: float = 0.05, noisy_sd: float = 0.5) -> World:
    import csv

    with open(ROOT / "data" / "countries.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["is_country"] == "true" and r["valid_to_year"] == ""]
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r["iso3"], r["comtrade_code"])
    if countries > len(seen):
        raise ValueError(f"countries={countries}: the reference has {len(seen)} current countries")
    with open(ROOT / "data" / "hs_codes.csv", newline="", encoding="utf-8") as fh:
        hs6 = sorted({r["hs"] for r in csv.DictReader(fh) if r["classification"] == "H5" and r["level"] == "6"})
    if products > len(hs6):
        raise ValueError(f"products={products}: H5 has {len(hs6)} HS6 codes")
    rng = np.random.default_rng([seed, 0])
    iso_all = np.array(sorted(seen))
    iso = np.sort(rng.choice(iso_all, size=countries, replace=False))
    hs = np.sort(rng.choice(np.array(hs6), size=products, replace=False))
    noisy = rng.random(countries) < noisy_share
    tau = np.clip(rng.normal(0.05, 0.03, (countries, countries)), 0.0, 0.20)
    np.fill_diagonal(tau, 0.0)
    return World(iso3=iso, codes=np.array([seen[i] for i in iso]), hs=hs,
                 size_x=rng.normal(0, 1.0, countries), size_m=rng.normal(0, 0.8, countries),
                 product=rng.normal(0, 0.7, products), price=np.exp(rng.normal(1.0, 1.0, products)),
                 sigma=np.where(noisy, noisy_sd, noise_sd), tau=tau)


def chunk_counts(space: int, flows: int, chunk: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cut the key space [0, space) into contiguous ranges of about ``chunk`` flows each; return
    the ranges' starts (len k + 1, the last = space) and each range's exact number of flows (sum =
    flows), drawn from the multivariate hypergeometric: what a uniform draw without replacement
    of ``flows`` keys would put in each range."""
    if flows > space:
        raise ValueError(f"flows={flows:,} exceeds the {space:,} possible flows of this world")
    k = max(1, math.ceil(flows / chunk))
    starts = np.linspace(0, space, k + 1).round().astype(np.int64)
    sizes = np.diff(starts)
    counts = rng.multivariate_hypergeometric(sizes, flows, method="marginals")
    return starts, counts


def _draw_range(lo: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct sorted keys in [lo, lo + size)."""
    if count == 0:
        return np.empty(0, np.int64)
    if count > size // 4:  # dense: a permutation of the range is cheap enough
        return lo + np.sort(rng.permutation(size)[:count])
    keys = np.unique(rng.integers(0, size, size=int(count * 1.02) + 16))
    while len(keys) < count:
        keys = np.unique(np.concatenate([keys, rng.integers(0, size, size=count - len(keys) + 16)]))
    if len(keys) > count:
        keys = np.sort(rng.choice(keys, size=count, replace=False))
    return lo + keys


def chunks(w: World, year: int, flows: int, chunk: int = 500_000, seed: int = 42,
           missing_export: float = 0.08, missing_import: float = 0.08,
           missing_weight: float = 0.2, truth: bool = True) -> Iterator[tuple[pa.Table, pa.Table | None, int]]:
    """The year's reports, (``truth``) its flows and their number, one chunk (a range of the key
    space) at a time, in key order."""
    n_c, n_p = len(w.iso3), len(w.hs)
    space = n_c * (n_c - 1) * n_p
    starts, counts = chunk_counts(space, flows, chunk, np.random.default_rng([seed, year, 1]))
    iso, codes, hs = pa.array(w.iso3), pa.array(w.codes), pa.array(w.hs)
    row = 2
    for c, count in enumerate(counts):
        rng = np.random.default_rng([seed, year, 2, c])  # each chunk its own stream: reproducible alone
        key = _draw_range(int(starts[c]), int(starts[c + 1] - starts[c]), int(count), rng)
        k = key % n_p
        rest = key // n_p
        e = rest // (n_c - 1)
        i = rest % (n_c - 1)
        i = i + (i >= e)  # skip the exporter itself
        del key, rest
        n = len(k)
        value = np.exp(11.0 + w.size_x[e] + w.size_m[i] + w.product[k] + rng.normal(0, 1.5, n))
        tau = w.tau[e, i]
        x = np.round(value * np.exp(rng.normal(0, 1, n) * w.sigma[e]), 2)
        m = np.round(value * np.exp(tau + rng.normal(0, 1, n) * w.sigma[i]), 2)
        kg = value / w.price[k]
        kg_x = np.round(kg * np.exp(rng.normal(0, 0.02, n)), 1)
        kg_m = np.round(kg * np.exp(rng.normal(0, 0.02, n)), 1)
        kg_x[rng.random(n) < missing_weight] = np.nan
        kg_m[rng.random(n) < missing_weight] = np.nan
        drop = rng.random(n)
        has_x = drop >= missing_export
        has_m = (drop < missing_export) | (drop >= missing_export + missing_import)
        del drop, kg
        # Reports: each flow's export report, then its import report, in key order.
        ix, im = np.flatnonzero(has_x), np.flatnonzero(has_m)
        order = np.argsort(np.concatenate([ix, im]), kind="stable")
        src = np.concatenate([ix, im])[order]
        is_x = np.concatenate([np.ones(len(ix), bool), np.zeros(len(im), bool)])[order]
        del order
        reporter = pa.array(np.where(is_x, e[src], i[src]).astype(np.int32))
        partner = pa.array(np.where(is_x, i[src], e[src]).astype(np.int32))
        r = len(src)
        flow = pa.DictionaryArray.from_arrays(pa.array((~is_x).astype(np.int8)), pa.array(["export", "import"]))
        valuation = pa.DictionaryArray.from_arrays(pa.array((~is_x).astype(np.int8)), pa.array(["FOB", "CIF"]))
        reports = pa.Table.from_arrays([
            pa.array(np.arange(row, row + r, dtype=np.int64)), _const("A", r),
            _const(str(year), r), pa.array(np.full(r, year, np.int32)),
            iso.take(reporter), codes.take(reporter), iso.take(partner), codes.take(partner),
            flow.cast(pa.string()), _const("H5", r), hs.take(pa.array(k[src].astype(np.int32))), _const("6", r),
            pa.array(np.where(is_x, x[src], m[src])), valuation.cast(pa.string()),
            pa.array(np.where(is_x, kg_x[src], kg_m[src]), from_pandas=True),
        ], schema=REPORT_SCHEMA)
        row += r
        del reporter, partner, is_x, src
        if not truth:
            yield reports, None, n
            continue
        flows_table = pa.Table.from_arrays([
            pa.array(np.full(n, year, np.int32)), iso.take(pa.array(e.astype(np.int32))),
            iso.take(pa.array(i.astype(np.int32))), hs.take(pa.array(k.astype(np.int32))), pa.array(value),
            pa.array(tau), pa.array(np.where(has_x, x, np.nan), from_pandas=True),
            pa.array(np.where(has_m, m, np.nan), from_pandas=True),
        ], schema=TRUTH_SCHEMA)
        yield reports, flows_table, n


def _const(text: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([text])).cast(pa.string())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(out: str | Path, flows: int = 10_000_000, countries: int = 230, products: int = 5000,
             years: Iterable[int] = (2021,), chunk: int = 500_000, seed: int = 42, truth: bool = False) -> dict:
    """Write reports_<year>.parquet (and truth_<year>.parquet) into ``out``; returns the paths,
    counts, the largest chunk and the process's peak memory so far."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = world(countries, products, seed)
    paths, truths, n_reports, n_flows, largest = [], [], 0, 0, 0
    for year in years:
        path = out / f"reports_{year}.parquet"
        tpath = out / f"truth_{year}.parquet"
        writer = pq.ParquetWriter(path, REPORT_SCHEMA, compression="zstd")
        twriter = pq.ParquetWriter(tpath, TRUTH_SCHEMA, compression="zstd") if truth else None
        try:
            for reports, flows_chunk, n in chunks(w, year, flows, chunk, seed, truth=truth):
                writer.write_table(reports, row_group_size=len(reports) or 1)
                if twriter is not None:
                    twriter.write_table(flows_chunk, row_group_size=len(flows_chunk) or 1)
                n_reports += len(reports)
                n_flows += n
                largest = max(largest, n)
                del reports, flows_chunk  # before the next chunk is drawn
        finally:
            writer.close()
            if twriter is not None:
                twriter.close()
        paths.append(path)
        if truth:
            truths.append(tpath)
    return {"reports": paths, "truth": truths, "flows": n_flows, "report_rows": n_reports, "largest_chunk": largest,
            "peak_mb": peak_mb()}


def to_store(paths: Path | Iterable[Path], db, release: str = "simulated", source: str = "comtrade") -> dict:
    """Insert the reports of Parquet files into an open (writable) store, one ``insert_canonical``
    per row group (a chunk: each its own load), so that at most one chunk is in pandas at a time."""
    from mirror.load import insert_canonical

    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    loads = rows = 0
    for path in paths:
        f = pq.ParquetFile(path)
        for g in range(f.num_row_groups):
            frame = f.read_row_group(g).to_pandas()
            insert_canonical(db, frame, source=source, release=release, label=f"{Path(path).stem} part {g + 1}")
            loads += 1
            rows += len(frame)
            del frame
    return {"loads": loads, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder for reports_<year>.parquet (and truth_<year>.parquet)")
    parser.add_argument("--flows", type=int, default=10_000_000, help="flows per year (default 10,000,000)")
    parser.add_argument("--countries", type=int, default=230)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--years", default="2021", help="a year or a range FROM-TO (default 2021)")
    parser.add_argument("--chunk", type=int, default=500_000, help="flows per chunk (one row group)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--truth", action="store_true", help="also write truth_<year>.parquet (one row per flow)")
    args = parser.parse_args()
    lo, _, hi = args.years.partition("-")
    years = range(int(lo), int(hi or lo) + 1)
    t = time.perf_counter()
    made = generate(args.out, args.flows, args.countries, args.products, years, args.chunk, args.seed, args.truth)
    size = sum(p.stat().st_size for p in made["reports"]) / 1e6
    print(f"{made['flows']:,} flows -> {made['report_rows']:,} reports in {len(made['reports'])} file(s), "
          f"{size:,.0f} MB, in {time.perf_counter() - t:.1f} s; largest chunk {made['largest_chunk']:,} flows; "
          f"peak resident memory {made['peak_mb']:,.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
