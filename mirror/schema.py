"""The store's schema: created or upgraded on every read-write open, checked on a read-only one;
the reference tables (countries, HS codes, units, the sanctions register, oil factors, exchange
rates) refilled from data/ whenever those files change."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import duckdb

from . import sql
from ._version import __version__
from .connection import Transaction
from .errors import StoreError
from .load import rebuild_coverage
from .paths import data_dir

SCHEMA_VERSION = "3"  # 2: coverage tables (queries/coverage); 3: figures.reporter_n, partner_n, hs_n
COVERAGE_SCHEMA = "2"  # the coverage model a store's coverage tables were derived by (rebuilt when it changes)
REFERENCE_FILES = {"countries": "countries.csv", "hs_codes": "hs_codes.csv", "hs_sections": "hs_sections.csv",
                   "qty_units": "qty_units.csv", "measures_bundled": "sanctions/register.csv",
                   "caps": "sanctions/caps.csv", "oil_products": "oil/products.csv",
                   "oil_product_names": "oil/product_names.csv", "oil_factors": "oil/factors.csv",
                   "exchange_rates": "exchange_rates.csv"}


def meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    return sql.scalar(con, "meta_value", key=key)


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    sql.run(con, "set_meta", key=key, value=value).fetchall()


def check(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A read-only open: the file must be a store of this schema version (no upgrade possible)."""
    try:
        version = meta(con, "schema_version")
    except duckdb.CatalogException:
        version = None
    if version is None:
        raise StoreError(f"{path} is not a trade-mirror store (no schema). "
                         "Fix: open it read-write once, or choose another path with --db.")
    if version != SCHEMA_VERSION:
        raise StoreError(f"{path} has schema version {version}; this trade-mirror ({__version__}) "
                         f"uses {SCHEMA_VERSION}. Fix: open it read-write once to upgrade it.")


SCHEMA_SCRIPTS = ("create_store", "create_sanctions_tables", "create_flags_table", "create_comtrade_fetches",
                  "create_coverage_tables", "create_views")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema and (re)fill the reference tables when data/ changed. Atomic. A store
    prepared by this very schema and these reference files (meta 'prepared_sha') is left as it is:
    every read-write open (each CLI command, each notebook) skipped a write transaction."""
    digest = _reference_digest()
    prepared = _prepared_digest(digest)
    with contextlib.suppress(duckdb.CatalogException):  # a new file has no meta table yet
        if meta(con, "prepared_sha") == prepared and meta(con, "coverage_schema") == COVERAGE_SCHEMA:
            return
    with Transaction(con):
        for script in SCHEMA_SCRIPTS:
            sql.script(con, script)
        set_meta(con, "schema_version", SCHEMA_VERSION)
        set_meta(con, "mirror_version", __version__)
        if meta(con, "reference_sha") != digest:
            sql.script(con, "clear_reference")
            sql.script(con, "clear_sanctions_reference")
            for table, file in REFERENCE_FILES.items():
                sql.run(con, f"fill_{table}", path=str(data_dir() / file)).fetchall()
            set_meta(con, "reference_sha", digest)
        if meta(con, "coverage_schema") != COVERAGE_SCHEMA:
            rebuild_coverage(con)  # a store written before the coverage model: derive it once
            set_meta(con, "coverage_schema", COVERAGE_SCHEMA)
        set_meta(con, "prepared_sha", prepared)


def _prepared_digest(reference: str) -> str:
    """What a prepared store's schema comes from: the schema scripts' SQL (a column added without a
    new SCHEMA_VERSION changes it too), the versions, the reference files' digest."""
    h = hashlib.sha256(f"{SCHEMA_VERSION}|{__version__}|{reference}".encode())
    for script in SCHEMA_SCRIPTS:
        h.update(sql.get(script).sql.encode())
    return h.hexdigest()


def _reference_digest() -> str:
    h = hashlib.sha256()
    for file in REFERENCE_FILES.values():
        h.update((data_dir() / file).read_bytes())
    return h.hexdigest()
