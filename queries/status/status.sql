-- name: manifest
-- One row per load, oldest first: file, format, source, release and row counts.
SELECT load_id, file_name, format, source, release, sha256,
       rows_read, rows_loaded, rows_rejected, rows_new, rows_revised, rows_unchanged,
       rows_breakdown, rows_apart, started_at, finished_at,
       round(epoch(finished_at) - epoch(started_at), 3) AS seconds, path
FROM loads
ORDER BY load_id;

-- name: status_by_release
-- One row per (source, release) that still has current figures or loads: counts, years and coverage.
WITH cur AS (
    SELECT source, release, count(*) AS figures,
           min(year) AS first_year, max(year) AS last_year,
           count(DISTINCT reporter_iso3) AS reporters, count(DISTINCT partner_iso3) AS partners,
           string_agg(DISTINCT kind, ', ' ORDER BY kind) AS kinds,
           string_agg(DISTINCT freq, ', ' ORDER BY freq) AS freqs
    FROM flows
    GROUP BY ALL
),
ld AS (
    SELECT source, release, count(*) AS loads, sum(rows_read)::BIGINT AS rows_read, sum(rows_rejected)::BIGINT AS rows_rejected,
           sum(rows_revised)::BIGINT AS rows_revised, sum(rows_breakdown)::BIGINT AS rows_breakdown, sum(rows_apart)::BIGINT AS rows_apart,
           max(finished_at) AS last_loaded
    FROM loads
    GROUP BY ALL
)
SELECT ld.source, ld.release, ld.loads, coalesce(cur.figures, 0) AS current_figures,
       cur.first_year, cur.last_year, cur.reporters, cur.partners, cur.kinds, cur.freqs,
       ld.rows_read, ld.rows_rejected, ld.rows_revised, ld.rows_breakdown, ld.rows_apart, ld.last_loaded
FROM ld
LEFT JOIN cur USING (source, release)
ORDER BY ld.source, ld.last_loaded;

-- name: status_totals
-- One row: figures in the store (current flows), every version kept, kept-apart rows, rejects, coverage.
SELECT
    (SELECT count(*) FROM flows)                                  AS rows,
    (SELECT count(*) FROM figures)                                AS versions,
    (SELECT count(*) FROM breakdowns)                             AS breakdown_rows,
    (SELECT count(*) FROM apart WHERE valid_to_load IS NULL)      AS apart_rows,
    (SELECT count(*) FROM rejects)                                AS rejected_rows,
    (SELECT count(*) FROM loads)                                  AS load_count,
    (SELECT min(year) FROM flows)                                 AS first_year,
    (SELECT max(year) FROM flows)                                 AS last_year,
    (SELECT count(DISTINCT reporter_iso3) FROM flows)             AS reporters,
    (SELECT count(DISTINCT partner_iso3) FROM flows)              AS partners;

-- name: countries
-- One row per country code known to trade-mirror: Comtrade code, ISO3, M49, names, whether a country.
SELECT comtrade_code, iso3, m49, name, comtrade_name, is_country, valid_from_year, valid_to_year, note
FROM countries
ORDER BY iso3, comtrade_code;

-- name: rejected_rows(load_id:int)
-- Rows a load refused (loads run with --allow-rejects): line, column, value, reason, fix.
SELECT load_id, file_name, line, column_name, value, reason, fix
FROM rejects
WHERE load_id = $load_id OR $load_id = 0
ORDER BY load_id, line;

-- name: country_key(key)
-- The ISO3 code for one way of naming a country (upper case): ISO3, Comtrade/M49 code or a name.
SELECT iso3 FROM country_lookup WHERE key = $key;

-- name: country_keys
-- Every way of naming a country that trade-mirror understands (for suggestions on a typo).
SELECT key FROM country_lookup ORDER BY key;

-- name: set_memory_limit(limit)
-- Internal: cap DuckDB's memory for this connection (e.g. 1GB); beyond it, DuckDB spills to disk.
SET memory_limit = $limit;
