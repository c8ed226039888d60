-- name: read_delimited(path, names, delim, encoding)
-- One row per data line of a delimited file, the fields trade-mirror uses as text, in file order
-- (rowid 0 = line 2). Lines the parser cannot split are stored in raw_rejects, not skipped.
CREATE TEMP TABLE raw AS
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

-- name: read_rejects
-- One row per line the CSV parser refused in the last read_delimited: line, column, error kind.
SELECT line, column_name, error_type, csv_line, error_message
FROM raw_rejects
ORDER BY line
LIMIT 1000;

-- name: read_comtrade_json(path)
-- One row per record of a Comtrade API reply's `data` array, in order (rowid 0 = record 1).
SELECT rec
FROM (SELECT unnest(data) AS rec FROM read_json($path, columns = {'data': 'JSON[]'}));

-- name: comtrade_json_envelope(path)
-- The envelope of a Comtrade API reply: record count as stated, error text, records present, first record's keys.
SELECT "count" AS stated_count, error, len(data) AS records, json_keys(data[1]) AS first_keys
FROM read_json($path, columns = {'elapsedTime': 'VARCHAR', 'count': 'BIGINT', 'data': 'JSON[]', 'error': 'VARCHAR'});

-- name: materialise_raw
-- Replace `raw` with the relation registered as _relation (a projection of the file's fields).
CREATE OR REPLACE TEMP TABLE raw_next AS SELECT * FROM _relation;
DROP TABLE IF EXISTS raw;
ALTER TABLE raw_next RENAME TO raw;

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
-- The range and count of rowids in `raw` (for line numbers from insertion order).
SELECT min(rowid), max(rowid), count(*) FROM raw;
