"""Every Comtrade layout users download, read into one set of field names.

- API final data, JSON envelope ``{"elapsedTime","count","data":[...],"error"}`` or CSV, camelCase.
- The same 47 fields in R users' snake_case (comtradr), including short user extracts.
- Bulk final files: gzip, tab-separated, no ISO or description columns; the CIF/FOB columns are
  spelled cifvalue, cifValue or CIFValue depending on the channel.
- Legacy Comtrade CSV: the long layout ("Trade Flow Code", "Trade Value (US$)") and the short bulk
  layout ("Value", numeric flow codes 1 import, 2 export, 3 re-export, 4 re-import).

All of them stage through queries/ingest/comtrade.sql.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from duckdb import ColumnExpression, ConstantExpression, FunctionExpression

from .. import sql
from ..errors import FormatError, LoadError, Problem
from .base import (
    Header,
    LoadOptions,
    RawInfo,
    complete_raw,
    match_header,
    read_delimited,
    read_header,
    replace_temp_table,
    run_staging,
    squash,
)
from .text import is_gzip

# trade-mirror's names for the Comtrade fields that staging uses (snake_case of the API's names).
FIELDS = [
    "freq_code", "ref_year", "ref_month", "period", "reporter_code", "reporter_iso", "flow_code", "flow_desc",
    "partner_code", "partner_iso", "partner2_code", "classification_code", "cmd_code", "customs_code",
    "mos_code", "mot_code", "qty_unit_code", "qty_unit_abbr", "qty", "net_wgt", "cif_value", "fob_value",
    "primary_value", "is_qty_estimated", "is_alt_qty_estimated", "is_net_wgt_estimated", "legacy_estimation_flag",
]

# Every spelling we accept, squashed (lower case, no separators), mapped to the field.
# camelCase, snake_case and the bulk files' CIFValue all squash to the same key.
ALIASES: dict[str, str] = {squash(f): f for f in FIELDS}
ALIASES.update({
    "reporteriso3": "reporter_iso", "partneriso3": "partner_iso",
    "cmd": "cmd_code", "commoditycode": "cmd_code", "hscode": "cmd_code",
    "netweight": "net_wgt", "netwgtkg": "net_wgt",
    "tradevalue": "primary_value",
    # Legacy long layout
    "year": "ref_year", "tradeflowcode": "flow_code", "tradeflow": "flow_desc",
    "reportercode": "reporter_code", "reporteriso": "reporter_iso",
    "partnercode": "partner_code", "partneriso": "partner_iso", "2ndpartnercode": "partner2_code",
    "customsproccode": "customs_code", "modeoftransportcode": "mot_code",
    "classification": "classification_code", "qtyunitcode": "qty_unit_code", "qtyunit": "qty_unit_abbr",
    "netweightkg": "net_wgt", "tradevalueus": "primary_value", "ciftradevalueus": "cif_value",
    "fobtradevalueus": "fob_value",
    # Legacy short (bulk) layout
    "quantityunitcode": "qty_unit_code", "supplementaryquantity": "qty", "value": "primary_value",
    # Legacy Comtrade's "Flag" is its estimation flag (the API's legacyEstimationFlag).
    "flag": "legacy_estimation_flag", "estimationflag": "legacy_estimation_flag",
})

# The measures a delimited Comtrade file's reader asks DuckDB to type as it reads (read_typed);
# identifying fields stay text: they are checked, and named in messages, as written.
MEASURE_TYPES = {"qty": "DOUBLE", "net_wgt": "DOUBLE", "cif_value": "DOUBLE", "fob_value": "DOUBLE",
                 "primary_value": "DOUBLE", "is_qty_estimated": "BOOLEAN", "is_alt_qty_estimated": "BOOLEAN",
                 "is_net_wgt_estimated": "BOOLEAN", "legacy_estimation_flag": "SMALLINT"}

# The columns of stage_comtrade that are literals: the same for every row of a file (stage_keys);
# the measures' text too when they were read typed (comtrade_measures_typed keeps none).
CONSTANTS = ("kind", "product", "currency", "publisher", "source_url", "quote", "series_id", "note", "apart_reason",
             "unit_text")
TYPED_CONSTANTS = ("value_text", "net_weight_text", "quantity_text")

REQUIRED = [
    ("ref_year", "period"),
    ("reporter_code", "reporter_iso"),
    ("partner_code", "partner_iso"),
    ("flow_code", "flow_desc"),
    ("cmd_code",),
    ("primary_value", "cif_value", "fob_value"),
]

# Which file column feeds each canonical field, for error messages.
CANONICAL_SOURCES = {
    "freq": ("freq_code",),
    "period": ("ref_year", "period", "ref_month"),
    "reporter": ("reporter_code", "reporter_iso"),
    "partner": ("partner_code", "partner_iso"),
    "flow": ("flow_code", "flow_desc"),
    "hs": ("cmd_code",),
    "value": ("primary_value", "cif_value", "fob_value"),
    "net_weight_kg": ("net_wgt",),
    "quantity": ("qty",),
}

_COMTRADE_MARKERS = {"reporteriso", "partneriso", "flowdesc", "reporterdesc", "partnerdesc", "cmddesc", "typecode", "freqcode", "refperiodid", "refyear", "refmonth", "reportercode", "flowcode",
                     "partnercode", "partner2code", "cmdcode", "customscode", "motcode", "primaryvalue", "netwgt",
                     "classificationcode", "aggrlevel", "qtyunitcode"}

FORMATS = {
    "comtrade-api-json": "UN Comtrade API final data, JSON reply",
    "comtrade-api-csv": "UN Comtrade API final data, CSV (camelCase)",
    "comtrade-r-csv": "UN Comtrade data in R users' snake_case (comtradr)",
    "comtrade-bulk": "UN Comtrade bulk final file (gzip, tab-separated)",
    "comtrade-legacy": "legacy Comtrade CSV, long layout",
    "comtrade-legacy-short": "legacy Comtrade CSV, short bulk layout",
}

SOURCE = "comtrade"
ORDER, DETECT = 10, 20  # its place in `trade-mirror formats`; in detection (None: never detected)

FIX = "download the file again from UN Comtrade, or name the right format with --format"

# How the API spells each field, for messages about missing columns.
DISPLAY = {"freq_code": "freqCode", "ref_year": "refYear", "ref_month": "refMonth", "period": "period",
           "reporter_code": "reporterCode", "reporter_iso": "reporterISO", "flow_code": "flowCode",
           "flow_desc": "flowDesc", "partner_code": "partnerCode", "partner_iso": "partnerISO", "cmd_code": "cmdCode",
           "cif_value": "cifvalue", "fob_value": "fobvalue", "primary_value": "primaryValue"}


def sniff(path: Path, first: str) -> str | None:
    """Which Comtrade layout a header line is, or None."""
    delimiter = "\t" if "\t" in first else ","
    cols = {squash(c.strip().strip('"')) for c in first.split(delimiter)}
    if "tradeflowcode" in cols:
        return "comtrade-legacy" if "tradevalueus" in cols else "comtrade-legacy-short"
    # Enough of Comtrade's own names to be sure, even when a required column is missing or
    # renamed (the reader then says which).
    if len(cols & _COMTRADE_MARKERS) >= 4:
        if delimiter == "\t" or is_gzip(path):
            return "comtrade-bulk"
        return "comtrade-r-csv" if "_" in first else "comtrade-api-csv"
    return None


def read(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: LoadOptions) -> RawInfo:
    if fmt == "comtrade-api-json":
        return _read_json(con, path)
    delimiter = "\t" if fmt == "comtrade-bulk" else ","
    columns = read_header(path, delimiter, options.encoding)
    header = match_header(path, columns, ALIASES, format_name=fmt, required=REQUIRED, fix=FIX, display=DISPLAY)
    rows, lines = read_delimited(con, path, header, delimiter=delimiter, encoding=options.encoding,
                                 types=MEASURE_TYPES)
    typed = complete_raw(con, FIELDS, header.fields, lines=lines, types=MEASURE_TYPES)
    return RawInfo(fmt, header, rows, _column_names(header), stage_params={"typed_measures": typed},
                   constants=CONSTANTS + (TYPED_CONSTANTS if typed else ()))


_NOT_A_REPLY = ("a Comtrade API reply is a JSON object with elapsedTime, count, data and error; "
                "check the file, or name its real format with --format")


def _refuse(path: Path, column: str | None, value: object, reason: str, fix: str) -> FormatError:
    return FormatError([Problem(str(path), None, column, None if value is None else str(value), reason, fix)])


def _read_json(con: duckdb.DuckDBPyConnection, path: Path) -> RawInfo:
    try:
        sql.run(con, "read_json_document", path=str(path))
        top, data_type, stated, error, records, first_type, keys = sql.run(con, "comtrade_json_envelope").fetchall()[0]
    except duckdb.Error as err:
        reason = str(err).splitlines()[0].removeprefix("Invalid Input Error: ").removeprefix("Conversion Error: ")
        reason = reason.split(" when casting from")[0].split(".  Input:")[0]
        raise _refuse(path, None, None, f"not a Comtrade API reply: not valid JSON ({reason})",
                      "the file is cut short or is not JSON: download it again (" + _NOT_A_REPLY + ")") from None
    if top == "ARRAY":
        raise _refuse(path, None, None, "a JSON array, not a Comtrade API reply (an object with a data array)",
                      'a list of records saved on its own needs its envelope: save the whole reply, or wrap the '
                      'list as {"count": N, "data": [...], "error": ""}')
    if top != "OBJECT":
        raise _refuse(path, None, None, f"a JSON {str(top).lower()}, not a Comtrade API reply", _NOT_A_REPLY)
    if error:
        raise LoadError([Problem(str(path), None, "error", str(error), "the Comtrade API answered with an error",
                                 "fix the request it names (reporter, period, commodity codes, subscription key) and download again")])
    if data_type is None:
        raise _refuse(path, "data", None, "the reply has no data array", _NOT_A_REPLY)
    if data_type == "NULL":
        raise _refuse(path, "data", "null", "the reply's data is null (it holds no records"
                      + (f", though count says {stated})" if stated not in (None, "0") else ")"),
                      "download the data again: a reply with records has a data array; one without has data: []")
    if data_type != "ARRAY":
        raise _refuse(path, "data", data_type.lower(), "the reply's data is not an array of records", _NOT_A_REPLY)
    if not records:
        raise LoadError([Problem(str(path), None, "count", str(stated),
                                 "the reply holds no data (count 0): nothing to load",
                                 "check the request's reporter, partner, period and commodity codes; "
                                 "Comtrade answers an empty result for periods it has not published")])
    if first_type != "OBJECT":
        raise _refuse(path, "data", first_type.lower(), "the reply's records are not JSON objects", _NOT_A_REPLY)
    if "fileUrl" in keys:
        raise FormatError([Problem(str(path), None, "fileUrl", None,
                                   "this is a bulk-availability listing, not trade data",
                                   "download the files it lists (trade-mirror refresh --comtrade does this) and load those")])
    if stated is not None and stated != str(records):
        raise LoadError([Problem(str(path), None, "count", str(stated),
                                 f"the reply says it holds {stated} records but has {records}",
                                 "the download was cut short: fetch it again")])
    sql.script(con, "json_records")
    found = sql.run(con, "json_record_problems").fetchall()
    if found:
        raise LoadError([Problem(str(path), record, key, value, reason,
                                 "keep one value per key (the reply was edited or joined)" if "twice" in reason else
                                 "write the figure as a number, or null when there is none" if "NaN" in reason else
                                 _NOT_A_REPLY, "record")
                         for record, key, value, reason in found], total=len(found))
    header = match_header(path, list(dict.fromkeys(keys)), ALIASES, format_name="comtrade-api-json", required=REQUIRED,
                          fix=FIX, display=DISPLAY)
    used = [(key, name) for key, name in zip(header.columns, header.fields, strict=True) if not name.startswith("_ignored_")]
    # one parse of each record for all its fields (a path per field), then one column per field
    paths = ConstantExpression(['$."' + key.replace('"', '\\"') + '"' for key, _ in used])
    values = con.table("json_records").select(
        ColumnExpression("record"),
        FunctionExpression("json_extract_string", ColumnExpression("rec"), paths).alias("_values"))
    replace_temp_table(con, "raw_read", values.select(*[
        FunctionExpression("list_extract", ColumnExpression("_values"), ConstantExpression(i + 1)).alias(name)
        for i, (_, name) in enumerate(used)]))
    complete_raw(con, FIELDS, header.fields, first_row=1)
    return RawInfo("comtrade-api-json", header, records, _column_names(header), extra={"row_unit": "record"},
                   constants=CONSTANTS)


def _column_names(header: Header) -> dict[str, str]:
    out = {}
    for canonical, fields in CANONICAL_SOURCES.items():
        cols = [header.column_for(f) for f in fields if header.column_for(f)]
        if cols:
            out[canonical] = "/".join(cols)
    return out


def stage(con: duckdb.DuckDBPyConnection, source: str, release: str, info: RawInfo) -> None:
    typed = info.stage_params.get("typed_measures", False)
    run_staging(con, "stage_comtrade", {"source": source, "release": release},
                macros="comtrade_measures_typed" if typed else "comtrade_measures_text")
