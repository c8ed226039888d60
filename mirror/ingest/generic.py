"""A generic CSV for national customs tables and analysts' own tables, read through a mapping.

The mapping is a small TOML file that says which column holds what, and gives constants for
what the table leaves implicit (a China customs table has no reporter column: it is CHN)::

    source = "gacc"                    # required: the source these figures belong to
    kind = "reported"                  # reported | notified | estimated
    publisher = "China, General Administration of Customs"
    currency = "USD"                   # the currency of the value column (default USD)
    value_scale = 1                    # multiply values by this (1000 for "thousand USD")
    weight_unit = "kg"                 # kg | tonnes
    delimiter = ","
    freq = "M"                         # optional: A, M or YTD; default M with a month, else A
    complete = true                    # optional: the table lists every non-zero flow of its
                                       # reporters and periods (an absent code is then a zero)

    [columns]                          # canonical field = column in the file
    year = "Year"
    month = "Month"                    # or: period = "Period" (YYYY, YYYY-MM, YYYYMM, YYYY-MM..MM)
    partner = "Country"                # ISO3, Comtrade/M49 code, or a country name
    flow = "Flow"                      # export/import/re-export/re-import, X/M/RX/RM, 1-4
    hs = "HS"
    value = "Value"
    net_weight = "Net weight"
    quantity = "Quantity"
    quantity_unit = "Unit"

    [constants]                        # fields that are the same on every row
    reporter = "CHN"
    classification = "H5"
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import FormatError, LoadError, Problem
from .base import Header, RawInfo, complete_raw, read_delimited, read_header, run_staging

FORMATS = {"csv": "generic CSV with a column mapping (national customs or analyst tables)"}

FIELDS = ["year", "month", "period", "reporter", "partner", "flow", "hs", "product", "value", "net_weight",
          "quantity", "quantity_unit", "valuation", "classification", "source_url", "quote", "note"]
KINDS = ("reported", "notified", "estimated")
FREQS = ("A", "M", "YTD")
WEIGHT_UNITS = {"kg": 1.0, "tonnes": 1000.0, "t": 1000.0}
CANONICAL_SOURCES = {"period": "period", "reporter": "reporter", "partner": "partner", "flow": "flow", "hs": "hs",
                     "value": "value", "net_weight_kg": "net_weight", "quantity": "quantity"}


@dataclass(frozen=True)
class Mapping:
    path: Path
    source: str
    kind: str = "reported"
    publisher: str | None = None
    currency: str = "USD"
    value_scale: float = 1.0
    weight_factor: float = 1.0
    delimiter: str = ","
    freq: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # lists every non-zero flow of its reporters and periods (queries/coverage)


def _bad(path: Path, key: str, value: object, reason: str, fix: str) -> LoadError:
    return LoadError([Problem(str(path), None, key, None if value is None else str(value), reason, fix)])


def read_mapping(path: Path | None, data_file: Path) -> Mapping:
    if path is None:
        raise _bad(data_file, "--mapping", None, "a generic CSV needs a column mapping",
                   "write a mapping TOML (README, 'Generic CSV') and pass --mapping FILE")
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(path, "--mapping", str(path), "mapping file not found", "check the path") from None
    except tomllib.TOMLDecodeError as err:
        raise _bad(path, None, None, f"not valid TOML ({err})", "fix the mapping file's syntax") from None
    known = {"source", "kind", "publisher", "currency", "value_scale", "weight_unit", "delimiter", "freq",
             "columns", "constants", "complete"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise _bad(path, unknown[0], None, "unknown key in mapping", f"allowed keys: {', '.join(sorted(known))}")
    if not doc.get("source"):
        raise _bad(path, "source", None, "the mapping must name its source", 'add e.g. source = "gacc"')
    kind = doc.get("kind", "reported")
    if kind not in KINDS:
        raise _bad(path, "kind", kind, "unknown kind of figure", f"use one of {', '.join(KINDS)}")
    freq = doc.get("freq")
    if freq is not None and freq not in FREQS:
        raise _bad(path, "freq", freq, "unknown frequency", f"use one of {', '.join(FREQS)}")
    unit = doc.get("weight_unit", "kg")
    if unit not in WEIGHT_UNITS:
        raise _bad(path, "weight_unit", unit, "unknown weight unit", f"use one of {', '.join(WEIGHT_UNITS)}")
    complete = doc.get("complete", False)
    if not isinstance(complete, bool):
        raise _bad(path, "complete", complete, "not true or false",
                   "write complete = true if the table lists every non-zero flow of its reporters and periods")
    columns = {str(k): str(v) for k, v in doc.get("columns", {}).items()}
    constants = {str(k): str(v) for k, v in doc.get("constants", {}).items()}
    for section in (columns, constants):
        for key in section:
            if key not in FIELDS:
                close = difflib.get_close_matches(key, FIELDS, n=1)
                raise _bad(path, key, None, "unknown field in mapping",
                           f"did you mean {close[0]!r}?" if close else f"fields: {', '.join(FIELDS)}")
    for needed in ("reporter", "partner", "flow", "hs"):
        if needed not in columns and needed not in constants:
            raise _bad(path, needed, None, f"the mapping gives no {needed}", f"add {needed} under [columns] or [constants]")
    if not ({"year", "period"} & set(columns) or {"year", "period"} & set(constants)):
        raise _bad(path, "year", None, "the mapping gives no year or period", 'add year = "COLUMN" under [columns]')
    if not {"value", "net_weight", "quantity"} & set(columns):
        raise _bad(path, "value", None, "the mapping maps no value, net_weight or quantity column",
                   'add value = "COLUMN" under [columns]')
    return Mapping(path=path, source=str(doc["source"]), kind=kind, publisher=doc.get("publisher"),
                   currency=str(doc.get("currency", "USD")).upper(), value_scale=float(doc.get("value_scale", 1)),
                   weight_factor=WEIGHT_UNITS[unit], delimiter=str(doc.get("delimiter", ",")), freq=freq,
                   columns=columns, constants=constants, complete=complete)


def read(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, encoding: str) -> RawInfo:
    columns = read_header(path, mapping.delimiter, encoding)
    by_column = {v: k for k, v in mapping.columns.items()}
    missing = [c for c in mapping.columns.values() if c not in columns]
    if missing:
        problems = []
        for col in missing:
            close = difflib.get_close_matches(col, columns, n=1, cutoff=0.6)
            fix = (f"the file has {close[0]!r}: rename the column or change the mapping" if close
                   else f"map the field to one of the file's columns: {', '.join(columns)}")
            problems.append(Problem(str(path), 1, col, None, f"column named in the mapping ({mapping.path.name}) is missing", fix))
        raise FormatError(problems)
    fields = [by_column.get(c, f"_ignored_{i}") for i, c in enumerate(columns)]
    header = Header(columns, fields)
    rows = read_delimited(con, path, header, delimiter=mapping.delimiter, encoding=encoding)
    complete_raw(con, FIELDS, fields)
    names = {canon: mapping.columns.get(f, f) for canon, f in CANONICAL_SOURCES.items()}
    if "year" in mapping.columns and "period" not in mapping.columns:
        names["period"] = mapping.columns["year"]
    return RawInfo("csv", header, rows, names, extra={"mapping_source": mapping.source, "complete": mapping.complete})


def stage(con: duckdb.DuckDBPyConnection, mapping: Mapping, source: str, release: str) -> None:
    c = mapping.constants
    run_staging(con, "stage_generic", {
        "source": source, "release": release, "kind": mapping.kind, "publisher": mapping.publisher,
        "currency": mapping.currency, "value_scale": mapping.value_scale, "weight_factor": mapping.weight_factor,
        "freq": mapping.freq, "c_year": c.get("year"), "c_month": c.get("month"), "c_period": c.get("period"),
        "c_reporter": c.get("reporter"), "c_partner": c.get("partner"), "c_flow": c.get("flow"), "c_hs": c.get("hs"),
        "c_product": c.get("product"), "c_quantity_unit": c.get("quantity_unit"), "c_valuation": c.get("valuation"),
        "c_classification": c.get("classification"), "c_source_url": c.get("source_url"), "c_quote": c.get("quote"),
        "c_note": c.get("note"),
    })
