-- name: accept_rows
-- The staged rows that passed every check (`problems` holds the others).
CREATE OR REPLACE TEMP VIEW accepted AS
SELECT s.*
FROM staged AS s
WHERE NOT EXISTS (SELECT 1 FROM problems AS p WHERE p.source_row = s.source_row);

-- name: accepted_years
-- The first and last year of the accepted rows (one row; NULLs when none): a figure's current
-- version has the same period, so plan_merge and close_revised read only the store's figures of
-- those years (the row groups of other years are skipped, so a load into a 30-year store costs
-- what a load into an empty one does).
SELECT min(year), max(year) FROM accepted;

-- name: plan_merge(year_from:int, year_to:int)
-- One row per accepted figure: new (no current version), unchanged (same measures as the current
-- version) or revised (different measures: the current version will be closed); with its
-- reporter-period, for the coverage update. Current versions looked up among the figures of the
-- accepted rows' years (accepted_years).
CREATE OR REPLACE TEMP TABLE plan AS
SELECT
    a.figure_key,
    a.kind, a.reporter_iso3, a.freq, a.period_start, a.period_end, CAST(a.year AS INTEGER) AS year,
    a.apart_reason IS NOT NULL AS is_apart,
    a.breakdown IS NOT NULL AS is_breakdown,
    CASE
        WHEN f.figure_key IS NULL AND ap.figure_key IS NULL THEN 'new'
        WHEN a.apart_reason IS NOT NULL AND ap.value IS NOT DISTINCT FROM TRY_CAST(a.value_text AS DOUBLE) THEN 'unchanged'
        WHEN a.apart_reason IS NULL
             AND f.value IS NOT DISTINCT FROM a.value
             AND f.net_weight_kg IS NOT DISTINCT FROM a.net_weight_kg
             AND f.quantity IS NOT DISTINCT FROM a.quantity
             AND f.valuation IS NOT DISTINCT FROM a.valuation
             AND f.is_net_wgt_estimated IS NOT DISTINCT FROM a.is_net_wgt_estimated
             AND f.is_qty_estimated IS NOT DISTINCT FROM a.is_qty_estimated THEN 'unchanged'
        ELSE 'revised'
    END AS status
FROM accepted AS a
LEFT JOIN (SELECT * FROM figures WHERE valid_to_load IS NULL AND year BETWEEN $year_from AND $year_to) AS f
  ON a.apart_reason IS NULL AND f.figure_key = a.figure_key
LEFT JOIN apart AS ap ON a.apart_reason IS NOT NULL AND ap.figure_key = a.figure_key AND ap.valid_to_load IS NULL;

-- name: plan_counts
-- How the load changes the store: one row of counts.
SELECT
    count(*) FILTER (WHERE status = 'new')       AS rows_new,
    count(*) FILTER (WHERE status = 'revised')   AS rows_revised,
    count(*) FILTER (WHERE status = 'unchanged') AS rows_unchanged,
    count(*) FILTER (WHERE is_breakdown)         AS rows_breakdown,
    count(*) FILTER (WHERE is_apart)             AS rows_apart
FROM plan;

-- name: close_revised(load_id:int, year_from:int, year_to:int)
-- Close the current version of every figure this load revises (among the accepted rows' years).
UPDATE figures SET valid_to_load = $load_id
WHERE valid_to_load IS NULL AND year BETWEEN $year_from AND $year_to
  AND figure_key IN (SELECT figure_key FROM plan WHERE status = 'revised' AND NOT is_apart);

-- name: close_revised_apart(load_id:int)
-- Close the current version of every kept-apart figure this load revises.
UPDATE apart SET valid_to_load = $load_id
WHERE valid_to_load IS NULL
  AND figure_key IN (SELECT figure_key FROM plan WHERE status = 'revised' AND is_apart);

-- name: define_new_figures
-- Internal: the accepted rows as figures rows (a view: no copy) but for the load's id, with their
-- countries and code as numbers (reporter_n, partner_n, hs_n: what the mirror's keys are made of).
CREATE OR REPLACE TEMP VIEW new_figures AS
SELECT
    a.figure_key, a.source, a.release, a.kind, a.freq, a.period, a.year, a.month, a.period_start, a.period_end,
    a.reporter_iso3, a.reporter_code, a.reporter_is_country, a.partner_iso3, a.partner_code, a.partner_is_country,
    a.flow, a.classification, a.hs, a.hs_level, a.product, a.value, a.currency, a.valuation,
    a.net_weight_kg, a.quantity, a.quantity_unit, a.breakdown,
    a.publisher, a.source_url, a.quote, a.series_id, a.note,
    a.is_net_wgt_estimated, a.is_qty_estimated, a.is_alt_qty_estimated, a.legacy_estimation_flag,
    CASE WHEN a.reporter_is_country THEN iso_num(a.reporter_iso3) END AS reporter_n,
    CASE WHEN a.partner_is_country THEN iso_num(a.partner_iso3) END AS partner_n,
    CASE WHEN a.hs_level IN ('2', '4', '6') THEN TRY_CAST(a.hs AS INTEGER) END AS hs_n,
    a.source_row, NULL::INTEGER AS valid_to_load
FROM accepted AS a;

-- name: insert_every_figure(load_id:int)
-- Add every accepted row as a current version: the plan is all new or revised figures and no
-- kept-apart ones (a first load, a new year), so it is not read again to pick them (a filter on
-- it, even one a bound flag turns off, costs a hash join over every row).
INSERT INTO figures BY NAME SELECT *, $load_id AS load_id, $load_id AS valid_from_load FROM new_figures;

-- name: insert_figures(load_id:int)
-- Add the new and revised figures the plan picked as current versions.
INSERT INTO figures BY NAME
SELECT *, $load_id AS load_id, $load_id AS valid_from_load FROM new_figures
WHERE figure_key IN (SELECT figure_key FROM plan WHERE NOT is_apart AND status IN ('new', 'revised'));

-- name: insert_apart(load_id:int)
-- Add the new and revised kept-apart figures (shares, balances, rates ...).
INSERT INTO apart BY NAME
SELECT
    a.figure_key, a.source, a.release, a.apart_reason AS reason, a.series_id,
    a.reporter_text AS reporter, a.partner_text AS partner, a.flow_text AS flow, a.hs_text AS hs,
    a.period_text AS period, TRY_CAST(a.value_text AS DOUBLE) AS value, a.unit_text AS unit,
    a.publisher, a.source_url, a.quote, a.note,
    $load_id AS load_id, a.source_row, $load_id AS valid_from_load, NULL AS valid_to_load
FROM accepted AS a
JOIN plan AS p ON p.figure_key = a.figure_key AND p.is_apart
WHERE p.status IN ('new', 'revised');

-- name: insert_rejects(load_id:int, file_name)
-- Keep the refused rows of a load that allowed rejects, with why and how to fix them.
INSERT INTO rejects
SELECT $load_id, $file_name, source_row, field, value, reason, fix
FROM problems;

-- name: insert_load(load_id:int, sha256, file_name, path, format, source, release, rows_read:int, rows_rejected:int, rows_new:int, rows_revised:int, rows_unchanged:int, rows_breakdown:int, rows_apart:int, started_at, finished_at, options)
-- Record one load in the manifest.
INSERT INTO loads VALUES (
    $load_id, $sha256, $file_name, $path, $format, $source, $release,
    $rows_read, $rows_read - $rows_rejected, $rows_rejected,
    $rows_new, $rows_revised, $rows_unchanged, $rows_breakdown, $rows_apart,
    CAST($started_at AS TIMESTAMP), CAST($finished_at AS TIMESTAMP), (SELECT value FROM meta WHERE key = 'mirror_version'), $options
);

-- name: next_load_id
-- The id the next load gets.
SELECT coalesce(max(load_id), 0) + 1 AS load_id FROM loads;

-- name: load_by_sha(sha256)
-- An earlier load of the same bytes, if any.
SELECT load_id, file_name, source, release, finished_at FROM loads WHERE sha256 = $sha256 ORDER BY load_id LIMIT 1;
