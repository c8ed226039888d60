-- name: store_year_span
-- Internal: the first and last year of the current figures in the store (one row; NULLs when empty),
-- which a `years` argument is checked against.
SELECT min(year) AS first_year, max(year) AS last_year FROM flows;

-- name: mirror_filter_steps(exporter, importer, hs, year_from:int, year_to:int)
-- Internal: needs the mirror build (mp_reconciled). How many built pairs each filter of db.mirror()
-- leaves when applied one after the other (exporter, then importer, then hs, then years) and what
-- exists one step before the step that empties it: the pair's HS codes (first 8 by value), its years,
-- the exporter's importers and the importer's exporters (first 8 by value). One row.
WITH base AS (
    SELECT exporter, importer, hs, year, coalesce(value_exporter_usd, value_importer_fob_usd, 0) AS usd
    FROM mp_reconciled
),
e AS (SELECT * FROM base WHERE $exporter IS NULL OR exporter = $exporter),
ei AS (SELECT * FROM e WHERE $importer IS NULL OR importer = $importer),
eih AS (SELECT * FROM ei WHERE $hs IS NULL OR starts_with(hs, $hs) OR hs = 'TOTAL' AND $hs = 'TOTAL'),
eihy AS (SELECT * FROM eih WHERE ($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to))
SELECT (SELECT count(*) FROM base) AS built,
       (SELECT count(*) FROM e) AS after_exporter,
       (SELECT count(*) FROM ei) AS after_importer,
       (SELECT count(*) FROM eih) AS after_hs,
       (SELECT count(*) FROM eihy) AS after_years,
       (SELECT list(importer ORDER BY usd DESC) FROM (SELECT importer, sum(usd) AS usd FROM e GROUP BY importer
                                                     ORDER BY usd DESC LIMIT 8)) AS importers,
       (SELECT list(exporter ORDER BY usd DESC) FROM (SELECT exporter, sum(usd) AS usd FROM base
                                                     WHERE $importer IS NULL OR importer = $importer
                                                     GROUP BY exporter ORDER BY usd DESC LIMIT 8)) AS exporters,
       (SELECT list(hs ORDER BY usd DESC) FROM (SELECT hs, sum(usd) AS usd FROM ei GROUP BY hs
                                               ORDER BY usd DESC LIMIT 8)) AS codes,
       (SELECT min(year) FROM eih) AS first_year, (SELECT max(year) FROM eih) AS last_year,
       (SELECT list(DISTINCT hs_level) FROM mp_reconciled) AS levels;
