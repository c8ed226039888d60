"""CEPII BACI: one file per year, ``t,i,j,k,v,q`` (year, exporter, importer, HS6 product, value in
thousands of USD, quantity in tonnes), with ``country_codes_V*.csv`` and
``product_codes_HS*_V*.csv`` beside it.

BACI is already reconciled (one value per flow, CIF/FOB-adjusted): its figures are stored as
kind 'estimated' by CEPII, valued FOB, never as an exporter's or importer's report. Product codes
that lost their leading zero (10111 = 010111) get it back. Versions must not be mixed: the
release is the file name's version (V202301).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ..errors import FormatError, Problem
from ..sql import get as get_query
from .base import RawInfo, complete_raw, match_header, read_delimited, read_header, run_staging, squash

FIELDS = ["t", "i", "j", "k", "v", "q"]
ALIASES = {f: f for f in FIELDS}
FORMATS = {"baci": "CEPII BACI yearly file (t,i,j,k,v,q) with its country and product code files"}
CANONICAL_SOURCES = {"period": "t", "reporter": "i", "partner": "j", "hs": "k", "value": "v", "net_weight_kg": "q"}

# BACI's HS revisions by the name CEPII gives them.
REVISIONS = {"HS92": "H0", "HS96": "H1", "HS02": "H2", "HS07": "H3", "HS12": "H4", "HS17": "H5", "HS22": "H6"}

_COUNTRY_ALIASES = {"countrycode": "code", "iso3digitalpha": "iso3", "countryiso3": "iso3"}


def sniff(path: Path, first: str) -> str | None:
    cols = [squash(c.strip().strip('"')) for c in first.split(",")]
    return "baci" if cols[:6] == FIELDS else None


def version_from_name(name: str) -> str | None:
    m = re.search(r"(V\d{6}[a-z]?)", name)
    return m.group(1) if m else None


def revision_from_name(name: str) -> str | None:
    m = re.search(r"(HS\d{2})", name.upper())
    return REVISIONS.get(m.group(1)) if m else None


def _beside(path: Path, pattern: str) -> Path | None:
    version = version_from_name(path.name)
    candidates = sorted(path.parent.glob(pattern))
    if version:
        same = [c for c in candidates if version in c.name]
        candidates = same or candidates
    return candidates[0] if candidates else None


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, encoding: str) -> RawInfo:
    columns = [c.strip() for c in read_header(path, ",", encoding)]
    header = match_header(path, columns, ALIASES, format_name="baci", required=[(f,) for f in FIELDS],
                          fix="a BACI file starts with the header t,i,j,k,v,q")
    rows = read_delimited(con, path, header, encoding=encoding)
    complete_raw(con, FIELDS, header.fields)

    country_file = _beside(path, "country_codes_V*.csv")
    if country_file is not None:
        cols = read_header(country_file, ",", "utf-8")
        names = [_COUNTRY_ALIASES.get(squash(c), f"_ignored_{n}") for n, c in enumerate(cols)]
        if "code" not in names or "iso3" not in names:
            raise FormatError([Problem(str(country_file), 1, None, ",".join(cols),
                                       "BACI country file without country_code and ISO3 columns",
                                       "use the country_codes_V*.csv file of the same BACI version")])
        con.execute(get_query("read_baci_countries").sql, {"path": str(country_file), "names": names})
    else:
        # BACI's numeric codes are Comtrade's; without the file we map through those.
        con.execute(get_query("baci_countries_from_reference").sql)
    product_file = _beside(path, "product_codes_HS*_V*.csv")
    if product_file is not None:
        con.execute(get_query("read_baci_products").sql, {"path": str(product_file)})
    else:
        con.execute(get_query("baci_products_unknown").sql)
    extra = {"country_file": str(country_file) if country_file else None,
             "product_file": str(product_file) if product_file else None,
             "classification": revision_from_name(path.name)}
    return RawInfo(fmt, header, rows, dict(CANONICAL_SOURCES), extra=extra)


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    run_staging(con, "stage_baci",
                {"source": source, "release": release, "classification": info.extra.get("classification")})
