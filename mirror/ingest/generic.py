"""A generic CSV for national customs tables and analysts' own tables, read through a mapping.

The mapping is a small TOML file that says which column holds what, and gives constants for
what the table leaves implicit (a China customs table has no reporter column: it is CHN)::

    source = "gacc"                    # required: the source these figures belong to
    kind = "reported"                  # reported | notified | estimated
    publisher = "China, General Administration of Customs"
    currency = "USD"                   # the currency of the value column (default USD)
    value_scale = 1                    # multiply values by this (1000 for "thousand USD")
    weight_unit = "kg"                 # kg | tonnes
    delimiter = ","                    # one character (";" for many European tables, "\t" for tabs)
    decimal = "."                      # optional: "," when numbers are written 1.253,2
    thousands = ""                     # optional: "." (or ",", " ", "'") between groups of digits
    freq = "M"                         # optional: A, M or YTD; default: what each period says
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

Every setting is checked for its type and allowed values before the table is read; an unknown
setting or field is named with the closest known one. The source may not be one of
trade-mirror's own (comtrade, baci, public-record, un1718): a table calling itself "comtrade"
would be merged with, and revise, real Comtrade figures.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import FormatError, LoadError, Problem
from .base import (
    Header,
    LoadOptions,
    RawInfo,
    complete_raw,
    duplicate_columns,
    read_delimited,
    read_header,
    run_staging,
)

FORMATS = {"csv": "generic CSV with a column mapping (national customs or analyst tables)"}
SOURCE = None  # the mapping names the source
ORDER, DETECT = 50, None  # its place in `trade-mirror formats`; in detection (None: never detected)

FIELDS = ["year", "month", "period", "reporter", "partner", "flow", "hs", "product", "value", "net_weight",
          "quantity", "quantity_unit", "valuation", "classification", "source_url", "quote", "note"]
KINDS = ("reported", "notified", "estimated")
FREQS = ("A", "M", "YTD")
WEIGHT_UNITS = {"kg": 1.0, "tonnes": 1000.0, "t": 1000.0}
DECIMALS = (".", ",")
THOUSANDS = ("", ",", ".", " ", "'")
# A value_scale beyond this is a typing error, not a unit (the largest in use is 10,000 for 万元).
MAX_VALUE_SCALE = 1e9
CANONICAL_SOURCES = {"period": "period", "reporter": "reporter", "partner": "partner", "flow": "flow", "hs": "hs",
                     "value": "value", "net_weight_kg": "net_weight", "quantity": "quantity"}
SETTINGS = ("source", "kind", "publisher", "currency", "value_scale", "weight_unit", "delimiter", "decimal",
            "thousands", "freq", "columns", "constants", "complete")


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
    decimal: str = "."
    thousands: str = ""
    freq: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # lists every non-zero flow of its reporters and periods (queries/coverage)


def _bad(path: Path, key: str | None, value: object, reason: str, fix: str, line: int | None = None) -> LoadError:
    shown = None if value is None else (f"{value!r}" if isinstance(value, list) else str(value))
    return LoadError([Problem(str(path), line, key, shown, reason, fix, column_kind="setting")])


def _text(path: Path, doc: dict, key: str, default: str | None, choices: tuple[str, ...] | None = None,
          fix: str = "") -> str | None:
    value = doc.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or (choices is not None and value not in choices):
        listed = ", ".join(repr(c) if c in ("", " ") else c for c in choices) if choices else ""
        raise _bad(path, key, value, "not " + (f"one of {listed}" if choices else "text"),
                   fix or (f'write e.g. {key} = "{choices[0] if choices else "..."}"'))
    return value


def _load_toml(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _bad(path, "--mapping", str(path), "mapping file not found", "check the path") from None
    except IsADirectoryError:
        raise _bad(path, "--mapping", str(path), "this is a folder, not a mapping file",
                   "name the mapping's .toml file itself") from None
    except OSError as err:
        raise _bad(path, "--mapping", str(path), f"the mapping cannot be read ({err.strerror})",
                   "check that the file is readable") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise _bad(path, None, None, f"the mapping is not UTF-8 (byte 0x{raw[err.start]:02x})",
                   "save it as UTF-8 (TOML files are always UTF-8)", line=line) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _bad(path, None, None, f"not valid TOML ({err})", "fix the mapping file's syntax") from None


def read_mapping(path: Path | None, data_file: Path) -> Mapping:
    """The mapping of a generic CSV, every setting checked for its type and allowed values."""
    if path is None:
        raise _bad(data_file, "--mapping", None, "a generic CSV needs a column mapping",
                   "write a mapping TOML (README, 'Generic CSV') and pass --mapping FILE")
    path = Path(path)
    doc = _load_toml(path)
    unknown = sorted(set(doc) - set(SETTINGS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], SETTINGS, n=1)
        raise _bad(path, unknown[0], None, "unknown setting in the mapping",
                   (f"did you mean {close[0]!r}? " if close else "") + f"settings: {', '.join(SETTINGS)}")
    source = doc.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _bad(path, "source", source, "the mapping must name its source (as text)", 'add e.g. source = "gacc"')
    kind = _text(path, doc, "kind", "reported", KINDS)
    freq = _text(path, doc, "freq", None, FREQS)
    unit = _text(path, doc, "weight_unit", "kg", tuple(WEIGHT_UNITS))
    publisher = _text(path, doc, "publisher", None)
    currency = _text(path, doc, "currency", "USD")
    if not (len(currency) == 3 and currency.isalpha()):
        raise _bad(path, "currency", currency, "not a three-letter currency code", 'write e.g. currency = "CNY"')
    delimiter = _text(path, doc, "delimiter", ",")
    if len(delimiter) != 1 or delimiter in ('"', "\n", "\r"):
        raise _bad(path, "delimiter", delimiter, "the delimiter must be one character (not a quote or a line break)",
                   'write e.g. delimiter = ";" or delimiter = "\\t" for tabs')
    decimal = _text(path, doc, "decimal", ".", DECIMALS)
    thousands = _text(path, doc, "thousands", "", THOUSANDS)
    for key, mark in (("decimal", decimal), ("thousands", thousands)):
        if mark == delimiter:
            raise _bad(path, key, mark, "the same character as the delimiter: numbers could not be told from columns",
                       'a table with decimal commas is usually separated by semicolons: delimiter = ";"')
    if thousands == decimal:
        raise _bad(path, "thousands", thousands, "the same character as the decimal separator",
                   'write decimal = "," with thousands = "." (or the other way round)')
    scale = doc.get("value_scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) \
            or not 0 < scale <= MAX_VALUE_SCALE:
        raise _bad(path, "value_scale", scale, f"not a positive finite number (at most {MAX_VALUE_SCALE:.0e})",
                   "write the number the values are multiplied by: value_scale = 1000 for thousands (1 for units)")
    complete = doc.get("complete", False)
    if not isinstance(complete, bool):
        raise _bad(path, "complete", complete, "not true or false",
                   "write complete = true if the table lists every non-zero flow of its reporters and periods")
    columns = _section(path, doc, "columns", (str,))
    constants = _section(path, doc, "constants", (str, int))
    seen: dict[str, str] = {}
    for name, column in columns.items():
        if column in seen:
            raise _bad(path, name, column, f"the column is mapped to two fields ({seen[column]} and {name}): "
                       "one column holds one field",
                       f"map {name} to its own column, or remove one of the two lines under [columns]")
        seen[column] = name
    for needed in ("reporter", "partner", "flow", "hs"):
        if needed not in columns and needed not in constants:
            raise _bad(path, needed, None, f"the mapping gives no {needed}", f"add {needed} under [columns] or [constants]")
    if not ({"year", "period"} & set(columns) or {"year", "period"} & set(constants)):
        raise _bad(path, "year", None, "the mapping gives no year or period", 'add year = "COLUMN" under [columns]')
    if not {"value", "net_weight", "quantity"} & set(columns):
        raise _bad(path, "value", None, "the mapping maps no value, net_weight or quantity column",
                   'add value = "COLUMN" under [columns]')
    return Mapping(path=path, source=source.strip(), kind=kind, publisher=publisher, currency=currency.upper(),
                   value_scale=float(scale), weight_factor=WEIGHT_UNITS[unit], delimiter=delimiter, decimal=decimal,
                   thousands=thousands, freq=freq, columns=columns, constants={k: str(v) for k, v in constants.items()},
                   complete=complete)


def _section(path: Path, doc: dict, name: str, types: tuple[type, ...]) -> dict:
    section = doc.get(name, {})
    if not isinstance(section, dict):
        raise _bad(path, name, section, "not a table of field = value lines",
                   f'write it as a table: a line [{name}] followed by lines such as period = "Month"')
    for key, value in section.items():
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            raise _bad(path, f"{name}.{key}", None, "unknown field in mapping",
                       f"did you mean {close[0]!r}?" if close else f"fields: {', '.join(FIELDS)}")
        if isinstance(value, bool) or not isinstance(value, types) or (isinstance(value, str) and not value.strip()):
            raise _bad(path, f"{name}.{key}", value, "not " + ("a column name" if name == "columns" else "a value")
                       + " (text" + (" or a whole number" if int in types else "") + ")",
                       f'write e.g. {key} = "{"Month" if name == "columns" else "CHN"}"')
    return dict(section)


def sniff(path: Path, first: str) -> str | None:
    return None  # never detected: a generic CSV is named with --format csv and its mapping


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo:
    mapping = read_mapping(options.mapping, path)
    columns = read_header(path, mapping.delimiter, options.encoding)
    duplicate_columns(path, columns, set(mapping.columns.values()))
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
    rows, lines = read_delimited(con, path, header, delimiter=mapping.delimiter, encoding=options.encoding)
    complete_raw(con, FIELDS, fields, lines=lines)
    names = {canon: mapping.columns.get(f, f) for canon, f in CANONICAL_SOURCES.items()}
    if "year" in mapping.columns and "period" not in mapping.columns:
        names["period"] = mapping.columns["year"]
    c = mapping.constants
    params = {
        "kind": mapping.kind, "publisher": mapping.publisher, "currency": mapping.currency,
        "value_scale": mapping.value_scale, "weight_factor": mapping.weight_factor, "freq": mapping.freq,
        "decimal": mapping.decimal, "thousands": mapping.thousands,
        **{f"c_{name}": c.get(name) for name in ("year", "month", "period", "reporter", "partner", "flow", "hs", "product",
                                                 "quantity_unit", "valuation", "classification", "source_url", "quote",
                                                 "note")},
    }
    return RawInfo("csv", header, rows, names, extra={"mapping_source": mapping.source, "complete": mapping.complete},
                   source=mapping.source, stage_params=params)


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    run_staging(con, "stage_generic", {"source": source, "release": release, **info.stage_params})
