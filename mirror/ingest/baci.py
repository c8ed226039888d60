"""CEPII BACI: one file per year, ``t,i,j,k,v,q`` (year, exporter, importer, HS6 product, value in
thousands of USD, quantity in tonnes), with ``country_codes_V*.csv`` and
``product_codes_HS*_V*.csv`` beside it.

BACI is already reconciled (one value per flow, CIF/FOB-adjusted): its figures are stored as
kind 'estimated' by CEPII, valued FOB, never as an exporter's or importer's report. Product codes
that lost their leading zero (10111 = 010111) get it back. Versions must not be mixed: the
release is the version (V202301) in the file's name, else in its code files' names.

Files as users hold them: a year saved again by pandas starts with its index column
(``,t,i,j,k,v,q``); CEPII's own files quote and space-pad ``q`` (``"   1.234"``); the code files may
be Latin-1 (``--encoding`` applies to them too; left at UTF-8, a Latin-1 code file is detected and
read as Latin-1, and the load's note says so). The HS revision comes from the data file's name
(BACI_HS92_...), else from the product file's.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from .. import sql
from ..errors import FormatError, Problem
from . import text
from .base import (
    LoadOptions,
    RawInfo,
    complete_raw,
    duckdb_encoding,
    first_non_utf8_line,
    match_header,
    read_delimited,
    read_header,
    run_staging,
    squash,
)

FIELDS = ["t", "i", "j", "k", "v", "q"]
ALIASES = {f: f for f in FIELDS}
FORMATS = {"baci": "CEPII BACI yearly file (t,i,j,k,v,q) with its country and product code files"}
SOURCE = "baci"
ORDER, DETECT = 20, 30  # its place in `trade-mirror formats`; in detection (None: never detected)
CANONICAL_SOURCES = {"period": "t", "reporter": "i", "partner": "j", "hs": "k", "value": "v", "net_weight_kg": "q"}

# BACI's HS revisions by the name CEPII gives them.
REVISIONS = {"HS92": "H0", "HS96": "H1", "HS02": "H2", "HS07": "H3", "HS12": "H4", "HS17": "H5", "HS22": "H6"}

_COUNTRY_ALIASES = {"countrycode": "code", "iso3digitalpha": "iso3", "countryiso3": "iso3"}
# A pandas index column: unnamed (",t,i,...") or, once read and saved again, "Unnamed: 0".
_INDEX_NAMES = {"", "unnamed0", "index"}


def sniff(path: Path, first: str) -> str | None:
    cols = [squash(c.strip().strip('"')) for c in first.split(",")]
    if cols[:6] == FIELDS or (cols[1:7] == FIELDS and cols[0] in _INDEX_NAMES):
        return "baci"
    return None


def version_from_name(name: str) -> str | None:
    m = re.search(r"(V\d{6}[a-z]?)", name)
    return m.group(1) if m else None


def year_from_name(name: str) -> int | None:
    """The year of a BACI file from its name (BACI_HS92_Y2021_V202301.csv: 2021)."""
    m = re.search(r"_Y(\d{4})(?:_|\.|$)", name)
    return int(m.group(1)) if m else None


def revision_from_name(name: str) -> str | None:
    m = re.search(r"(HS\d{2})", name.upper())
    return REVISIONS.get(m.group(1)) if m else None


def _beside(path: Path, pattern: str, what: str) -> Path | None:
    """The code file of the data file's version beside it; with no version in the data file's
    name, the only version present (several are an error: versions must not be mixed)."""
    version = version_from_name(path.name)
    candidates = sorted(p for p in path.parent.glob(pattern) if p != path)
    if version:
        same = [c for c in candidates if version in c.name]
        candidates = same or candidates
    versions = {version_from_name(c.name) for c in candidates}
    if not version and len(versions) > 1:
        raise FormatError([Problem(str(path), None, None, None,
                                   f"several BACI versions of the {what} file beside it "
                                   f"({', '.join(c.name for c in candidates)}) and none in the data file's name",
                                   "put the version in the data file's name (BACI_HS92_Y2021_V202301.csv), or keep "
                                   "only the code files of its version beside it")])
    return candidates[0] if candidates else None


def companions(path: Path) -> tuple[Path | None, Path | None]:
    """The country and product code files beside a BACI file (CEPII names them country_codes_V*.csv
    and product_codes_HS*_V*.csv; copies often carry a prefix such as baci_)."""
    return (_beside(path, "*country_codes_V*.csv", "country code"),
            _beside(path, "*product_codes_HS*_V*.csv", "product code"))


def release_from_names(path: Path) -> str | None:
    """The BACI version of a data file: in its own name, else in its code files' names."""
    found = version_from_name(path.name)
    if found:
        return found
    for companion in companions(path):
        if companion is not None and version_from_name(companion.name):
            return version_from_name(companion.name)
    return None


def _companion_encoding(file: Path, encoding: str, notes: list[str]) -> str:
    """The encoding to read a code file with: Latin-1 when given, else - UTF-8 or the data file's
    UTF-16 - the file's own: UTF-16 by its byte-order mark, or Latin-1 when it is not UTF-8, said in
    the load's note."""
    if duckdb_encoding(encoding) == "latin-1":
        return encoding
    if text.head_bytes(file, 2) in text.UTF16_BOMS:
        return "utf-16"
    bad = first_non_utf8_line(file)
    if bad is None:
        return "utf-8"
    line_no, byte, line = bad
    notes.append(f"{file.name} is not UTF-8 (byte 0x{byte} on line {line_no}: {line[:60]!r}): read it as Latin-1; "
                 "pass --encoding latin-1 to say so, or save it as UTF-8")
    return "latin-1"


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo:
    encoding = options.encoding
    columns = [c.strip() for c in read_header(path, ",", encoding)]
    header = match_header(path, columns, ALIASES, format_name="baci", required=[(f,) for f in FIELDS],
                          fix="a BACI file starts with the header t,i,j,k,v,q")
    rows, lines = read_delimited(con, path, header, encoding=encoding)
    complete_raw(con, FIELDS, header.fields, lines=lines)

    notes: list[str] = []
    country_file, product_file = companions(path)
    if country_file is not None:
        enc = _companion_encoding(country_file, encoding, notes)
        cols = read_header(country_file, ",", enc)
        names = [_COUNTRY_ALIASES.get(squash(c), f"_ignored_{n}") for n, c in enumerate(cols)]
        if "code" not in names or "iso3" not in names:
            raise FormatError([Problem(str(country_file), 1, None, ",".join(cols),
                                       "BACI country file without country_code and ISO3 columns",
                                       "use the country_codes_V*.csv file of the same BACI version")])
        sql.run(con, "read_baci_countries", path=str(country_file), names=names, encoding=duckdb_encoding(enc))
    else:
        # BACI's numeric codes are Comtrade's; without the file we map through those.
        sql.script(con, "baci_countries_from_reference")
    if product_file is not None:
        enc = _companion_encoding(product_file, encoding, notes)
        read_header(product_file, ",", enc)  # a file in another encoding fails here, naming the line
        sql.run(con, "read_baci_products", path=str(product_file), encoding=duckdb_encoding(enc))
    else:
        sql.script(con, "baci_products_unknown")
    classification = revision_from_name(path.name) or (revision_from_name(product_file.name) if product_file else None)
    extra = {"country_file": str(country_file) if country_file else None,
             "product_file": str(product_file) if product_file else None,
             "classification": classification, "notes": notes, "file_year": year_from_name(path.name),
             "index_column": header.fields[0].startswith("_ignored_")}
    return RawInfo(fmt, header, rows, dict(CANONICAL_SOURCES), extra=extra)


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    run_staging(con, "stage_baci", {"source": source, "release": release,
                                    "classification": info.extra.get("classification"),
                                    "file_year": info.extra.get("file_year")})
