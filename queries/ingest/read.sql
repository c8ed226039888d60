-- name: read_delimited(path, names, delim, encoding)
-- One row per data line of a delimited file, the fields trade-mirror uses as text, in file order
-- (rowid 0 = line 2), into raw_read (complete_raw puts the view `raw` over it). Lines the parser
-- cannot split are stored in raw_rejects, not skipped.
CREATE TEMP TABLE raw_read AS
SELECT COLUMNS(lambda c: NOT starts_with(c, '_ignored_'))
FROM read_csv(
    $path,
    header = true,
    names = $names,
    all_varchar = true,
    delim = $delim,
    quote = '"',
    escape = '"',
    encoding = $encoding,
    compression = 'auto',
    strict_mode = true,
    store_rejects = true,
    rejects_table = 'raw_rejects',
    rejects_scan = 'raw_rejects_scan'
);

-- name: read_delimited_typed(path, names, types, delim, encoding)
-- Internal: read_delimited with some fields typed (`types`: every column's type, VARCHAR for text):
-- DuckDB parses a format's measures while it splits the lines. Values that do not parse are kept
-- in raw_rejects, not raised (a failed statement would end the load's transaction): any reject
-- and the caller reads the file as text instead (base.read_typed).
CREATE TEMP TABLE raw_read AS
SELECT COLUMNS(lambda c: NOT starts_with(c, '_ignored_'))
FROM read_csv(
    $path,
    header = true,
    names = $names,
    types = $types,
    delim = $delim,
    quote = '"',
    escape = '"',
    encoding = $encoding,
    compression = 'auto',
    strict_mode = true,
    store_rejects = true,
    rejects_table = 'raw_rejects',
    rejects_scan = 'raw_rejects_scan'
);

-- name: read_reject_count
-- Internal: how many lines or values the last read refused.
SELECT count(*) FROM raw_rejects;

-- name: typed_measures_out_of_range(doubles)
-- Internal: per typed number field of raw_read (`doubles`), whether some value is one staging
-- would not take as it is: not finite (an infinity, NaN), negative, or beyond 1e14 (the smallest
-- plausible bound of validate.sql, a net weight's). The message about it quotes the text as
-- written, so such a file is read as text.
SELECT coalesce(bool_or(NOT (COLUMNS(lambda c: list_contains($doubles, c)) BETWEEN 0 AND 1e14)), false)
FROM raw_read;

-- name: drop_raw
-- Internal: forget the last file's rows before reading the next (`raw` is only ever a view).
DROP VIEW IF EXISTS raw;
DROP TABLE IF EXISTS raw_read;
DROP TABLE IF EXISTS raw_absent;

-- name: raw_count
-- Internal: the number of rows read into raw_read.
SELECT count(*) FROM raw_read;

-- name: remap_source_rows
-- Internal: each row's physical line (registered as _line_map: row_line = row + 1, line) where a
-- quoted cell holding a line break makes rows and lines differ (raw_read numbered by complete_raw).
UPDATE raw_read SET source_row = m.line FROM _line_map AS m WHERE raw_read.source_row = m.row_line;

-- name: define_raw_view
-- Internal: `raw` as the staging queries read it, without copying the rows read: raw_read's
-- fields, source_row from its rowid (insertion order = file order) plus the one-row raw_absent's
-- offset, and raw_absent's NULL text columns for the fields the file does not have.
CREATE OR REPLACE TEMP VIEW raw AS
SELECT r.rowid + a.row_offset AS source_row, r.*, a.* EXCLUDE (row_offset)
FROM raw_read AS r CROSS JOIN raw_absent AS a;

-- name: define_raw_view_numbered
-- Internal: `raw` over a raw_read that complete_raw rebuilt with every field and source_row
-- (fields that were not text, rows whose physical lines differ from their row numbers).
CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM raw_read;

-- name: read_rejects
-- One row per line the CSV parser refused in the last read_delimited: line, column, error kind.
SELECT line, column_name, error_type, csv_line, error_message
FROM raw_rejects
ORDER BY line
LIMIT 1000;

-- name: read_json_document(path)
-- Internal: the whole JSON file as one JSON value in the temp table json_doc (read as text and
-- cast, so that a deeply nested value in some field, or a reply larger than read_json's 16 MB
-- object limit, is read like any other).
-- A UTF-8 byte-order mark (Windows editors write one) is dropped first: JSON itself never has one.
CREATE OR REPLACE TEMP TABLE json_doc AS
SELECT CAST(CASE WHEN starts_with(content, chr(65279)) THEN substr(content, 2) ELSE content END AS JSON) AS j
FROM read_text($path);

-- name: comtrade_json_envelope
-- Internal: the envelope of a Comtrade API reply in json_doc: the document's JSON type, the type of
-- `data`, the record count as stated (text) and as present, the error text, the first record's type and keys.
SELECT json_type(j) AS top, json_type(j, '$.data') AS data_type, json_extract_string(j, '$.count') AS stated_count,
       json_extract_string(j, '$.error') AS error,
       CASE WHEN json_type(j, '$.data') = 'ARRAY' THEN json_array_length(j, '$.data') END AS records,
       json_type(j, '$.data[0]') AS first_type,
       CASE WHEN json_type(j, '$.data[0]') = 'OBJECT' THEN json_keys(j, '$.data[0]') END AS first_keys
FROM json_doc;

-- name: json_records
-- Internal: one row per record of the reply's `data` array, numbered from 1 in file order.
CREATE OR REPLACE TEMP TABLE json_records AS
SELECT unnest(l) AS rec, unnest(range(1, len(l) + 1)) AS record
FROM (SELECT json_extract(j, '$.data[*]') AS l FROM json_doc);

-- name: json_record_problems
-- Internal: records that name a key twice (which value is meant cannot be told) or hold a NaN
-- literal (not JSON; the reader would take it for a missing figure), or are not objects: one row
-- per (record, key), first 1000 in file order.
WITH keyed AS (SELECT record, rec, json_keys(rec) AS k FROM json_records),
suspect AS (
    SELECT record, rec FROM keyed
    WHERE json_type(rec) <> 'OBJECT' OR contains(CAST(rec AS VARCHAR), 'NaN') OR len(k) <> len(list_distinct(k))
)
SELECT record, NULL AS key, left(CAST(rec AS VARCHAR), 80) AS value, 'the record is not a JSON object' AS reason
FROM suspect WHERE json_type(rec) <> 'OBJECT'
UNION ALL
SELECT s.record, e.key, min(e.value), 'the record has this key twice' FROM suspect AS s, json_each(s.rec) AS e
WHERE json_type(s.rec) = 'OBJECT' GROUP BY s.record, e.key HAVING count(*) > 1
UNION ALL
SELECT s.record, e.key, e.value, 'not a finite number (NaN is not a JSON number)' FROM suspect AS s, json_each(s.rec) AS e
WHERE json_type(s.rec) = 'OBJECT' AND e.type = 'DOUBLE' AND e.value = 'NaN'
ORDER BY record, key
LIMIT 1000;

-- name: materialise_raw_read
-- Replace raw_read with the relation registered as _relation (a projection of the file's fields).
CREATE OR REPLACE TEMP TABLE raw_next AS SELECT * FROM _relation;
DROP VIEW IF EXISTS raw;
DROP TABLE IF EXISTS raw_read;
ALTER TABLE raw_next RENAME TO raw_read;

-- name: materialise_raw_absent
-- The one-row table of `raw`'s row offset and absent fields (registered as _relation).
CREATE OR REPLACE TEMP TABLE raw_absent AS SELECT * FROM _relation;

-- name: read_series(path)
-- The public record's series table: the direction of each estimate series, and which series are not flows.
CREATE OR REPLACE TEMP TABLE series AS
SELECT series_id, nullif(flow, '') AS flow, nullif(apart_reason, '') AS apart_reason
FROM read_csv($path, header = true, all_varchar = true);

-- name: lines_with_extra_fields(path, delim, encoding, expected:int)
-- Physical lines holding more fields than the header (quoted text removed before counting).
-- DuckDB's CSV reader silently drops one extra trailing empty field, so a line with an unquoted
-- delimiter in a name and an empty last column would load shifted by one column; this finds it.
-- Only lines ending in the delimiter can hide an extra field (others are refused by the reader).
SELECT line_no, line
FROM (
    SELECT row_number() OVER () AS line_no, line
    FROM read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',
                  encoding = $encoding, compression = 'auto', auto_detect = false)
)
WHERE suffix(rtrim(line, chr(13)), $delim)
  AND length(regexp_replace(line, '"[^"]*"', '', 'g'))
      - length(replace(regexp_replace(line, '"[^"]*"', '', 'g'), $delim, '')) + 1 > $expected
ORDER BY line_no
LIMIT 1000;

-- name: any_line_with_extra_fields(path, delim, encoding, expected:int)
-- The same test as lines_with_extra_fields without numbering the lines (fast, parallel): true when
-- some line needs the slower query to be located.
SELECT count(*) > 0
FROM read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',
              encoding = $encoding, compression = 'auto', auto_detect = false)
WHERE suffix(rtrim(line, chr(13)), $delim)
  AND length(regexp_replace(line, '"[^"]*"', '', 'g'))
      - length(replace(regexp_replace(line, '"[^"]*"', '', 'g'), $delim, '')) + 1 > $expected;

-- name: clear_read_rejects
-- Empty DuckDB's reject tables before a read (they accumulate across reads on one connection).
DROP TABLE IF EXISTS raw_rejects;
DROP TABLE IF EXISTS raw_rejects_scan;

-- name: raw_rowids
-- The range and count of rowids in raw_read (for line numbers from insertion order).
SELECT min(rowid), max(rowid), count(*) FROM raw_read;

-- name: define_ingest_macros
-- Macros every staging query uses. R (write_csv, readr, data.table::fwrite), pandas, Stata and
-- Excel write a missing value as NA, NaN/nan, NULL, '.', '#N/A' or an empty field: in a measure
-- or descriptive column these mean "no figure" (missing_to_null). In an identifying column
-- (reporter, partner, flow, period, code) they are kept as text so the row is refused, naming
-- the token (is_missing_token): a figure whose partner is unknown cannot be placed.
-- (the length test first: upper() runs only on the few short values that could be a token)
CREATE OR REPLACE TEMP MACRO is_missing_token(x) AS length(trim(x)) <= 4 AND upper(trim(x)) IN ('NA', 'NAN', 'NULL', '.', '#N/A', '');
CREATE OR REPLACE TEMP MACRO missing_to_null(x) AS CASE WHEN is_missing_token(x) THEN NULL ELSE trim(x) END;
-- An estimation flag (isNetWgtEstimated, isQtyEstimated, isAltQtyEstimated) given but not read as
-- true/false (``parsed`` NULL): the row's problem as {field, value, reason, fix}, else NULL.
CREATE OR REPLACE TEMP MACRO estimation_flag_problem(parsed, raw, name) AS
    CASE WHEN parsed IS NULL AND raw IS NOT NULL THEN {
        'field': NULL::VARCHAR, 'value': NULL::VARCHAR, 'reason': name || ' ' || raw || ' is not true/false',
        'fix': 'write estimation flags as True/False (or 1/0), or leave them empty'} END;

-- name: define_country_years
-- Internal: for files that name countries by an ISO-like code only (comtradr extracts, the 9-column
-- EU extract), the Comtrade code each code means in each year 1900-2100: Comtrade's own ISO field
-- first (S19 = 490 "Other Asia, nes", W00 = World, X1 = bunkers ...), then ISO3; among codes of one
-- country the one valid that year (SDN: 736 until 2011, 729 after; DEU: 280 until 1990, 276 after),
-- then the one Comtrade reports under (USA: 841 until 1980, 842 after; never 840), the most recent.
-- One row per (key, year).
CREATE OR REPLACE TEMP TABLE country_code_years AS
WITH keys AS (
    SELECT upper(comtrade_iso) AS key, 1 AS pref, comtrade_code, iso3, is_country, is_reporter, valid_from_year,
           valid_to_year
    FROM countries WHERE comtrade_iso IS NOT NULL AND comtrade_code IS NOT NULL
    UNION ALL
    SELECT upper(iso3), 2, comtrade_code, iso3, is_country, is_reporter, valid_from_year, valid_to_year
    FROM countries WHERE comtrade_code IS NOT NULL
),
years AS (SELECT CAST(range AS INTEGER) AS year FROM range(1900, 2101))
SELECT key, year, comtrade_code, iso3, is_country
FROM (
    SELECT k.*, y.year, row_number() OVER (
        PARTITION BY k.key, y.year
        ORDER BY (y.year BETWEEN coalesce(k.valid_from_year, 1900) AND coalesce(k.valid_to_year, 2100)) DESC,
                 k.pref, k.is_reporter DESC, k.valid_from_year DESC NULLS LAST, k.valid_to_year NULLS LAST,
                 k.comtrade_code) AS rn
    FROM keys AS k CROSS JOIN years AS y
)
WHERE rn = 1;
