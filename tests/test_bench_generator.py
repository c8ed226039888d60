"""The benchmark data generator (benchmarks/generate.py): right shape, exact counts, bounded chunks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

CANONICAL = ["source_row", "freq", "period", "year", "reporter_iso3", "reporter_code", "partner_iso3", "partner_code",
             "flow", "classification", "hs", "hs_level", "value", "valuation", "net_weight_kg"]


def test_reports_have_the_canonical_shape_in_bounded_row_groups(tmp_path):
    made = generate.generate(tmp_path, flows=6000, countries=20, products=40, years=[2020, 2021], chunk=1000,
                             truth=True)
    assert made["flows"] == 12000 and len(made["reports"]) == 2
    for path, tpath in zip(made["reports"], made["truth"], strict=True):
        f = pq.ParquetFile(path)
        assert f.schema_arrow.names == CANONICAL
        assert f.num_row_groups == 6
        # a row group is one chunk: about `chunk` flows, at most two reports each
        assert all(f.metadata.row_group(g).num_rows <= 2 * 1100 for g in range(f.num_row_groups))
        reports = f.read().to_pandas()
        truth = pq.read_table(tpath).to_pandas()
        assert len(truth) == 6000
        assert not truth.duplicated(["exporter", "importer", "hs"]).any()
        assert (truth.exporter != truth.importer).all()
        assert not reports.duplicated(["reporter_iso3", "partner_iso3", "flow", "hs"]).any()
        assert set(reports.flow) == {"export", "import"}
        assert (reports.valuation == reports.flow.map({"export": "FOB", "import": "CIF"})).all()
        assert reports.source_row.is_unique and (reports.value > 0).all()
        # one-sided flows both ways, and a share of reports without a weight
        assert truth.x.isna().any() and truth.m.isna().any() and not (truth.x.isna() & truth.m.isna()).any()
        assert len(reports) == truth.x.notna().sum() + truth.m.notna().sum()
        assert 0.1 < reports.net_weight_kg.isna().mean() < 0.3


def test_same_seed_same_rows(tmp_path):
    a = generate.generate(tmp_path / "a", flows=2000, countries=15, products=30, chunk=700)
    b = generate.generate(tmp_path / "b", flows=2000, countries=15, products=30, chunk=700)
    assert pq.read_table(a["reports"][0]).equals(pq.read_table(b["reports"][0]))


def test_chunks_go_into_a_store(tmp_path):
    import mirror

    made = generate.generate(tmp_path, flows=1500, countries=12, products=25, chunk=600)
    with mirror.open(tmp_path / "s.duckdb") as db:
        done = generate.to_store(made["reports"], db)
        assert done["loads"] == 3 and done["rows"] == made["report_rows"]
        assert db.con.execute("SELECT count(*) FROM flows WHERE kind = 'reported'").fetchone()[0] == made["report_rows"]
