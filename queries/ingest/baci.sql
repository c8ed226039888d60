-- name: read_baci_countries(path, names, encoding)
-- BACI's country file: one row per BACI numeric code with its ISO3 (N/A for 490 "Other Asia, nes").
CREATE OR REPLACE TEMP TABLE baci_countries AS
SELECT trim(code) AS code, nullif(nullif(trim(iso3), 'N/A'), '') AS iso3
FROM read_csv($path, header = true, names = $names, all_varchar = true, encoding = $encoding);

-- name: baci_countries_from_reference
-- Without BACI's country file: BACI's numeric codes are Comtrade's, so map through those.
CREATE OR REPLACE TEMP TABLE baci_countries AS
SELECT comtrade_code AS code, iso3 FROM countries WHERE comtrade_code IS NOT NULL;

-- name: read_baci_products(path, encoding)
-- BACI's product file: one row per HS6 code of the file's revision, leading zeros restored.
CREATE OR REPLACE TEMP TABLE baci_products AS
SELECT lpad(trim(code), 6, '0') AS hs FROM read_csv($path, header = true, all_varchar = true, encoding = $encoding);

-- name: baci_products_unknown
-- Without BACI's product file: an empty list (codes are then checked against data/hs_codes.csv only).
CREATE OR REPLACE TEMP TABLE baci_products AS SELECT NULL::VARCHAR AS hs WHERE false;

-- name: params_stage_baci(source, release, classification, file_year:int)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release, $classification AS classification,
       $file_year AS file_year;

-- name: stage_baci
-- One staged row per BACI flow: exporter i to importer j, HS6 k, year t; value = v x 1000 USD,
-- net weight = q x 1000 kg. Kind 'estimated' (CEPII's reconciled value), valued FOB.
CREATE OR REPLACE TEMP VIEW staged_rows AS
WITH r AS (
    SELECT
        source_row,
        trim(t) AS t, trim(i) AS i, trim(j) AS j, trim(k) AS k,
        -- BACI writes q quoted and space-padded ("   1.234"), and NA where CEPII has no quantity.
        missing_to_null(v) AS v, missing_to_null(q) AS q
    FROM raw
),
typed AS (
    SELECT r.*, TRY_CAST(t AS INTEGER) AS y,
           CASE WHEN regexp_full_match(k, '[0-9]{5,6}') THEN lpad(k, 6, '0') END AS code
    FROM r
)
SELECT
    x.source_row,
    (SELECT source FROM load_params)                           AS source,
    (SELECT release FROM load_params)                          AS release,
    'estimated'                       AS kind,
    'A'                               AS freq,
    x.t                               AS period,
    x.y                               AS year,
    NULL::INTEGER                     AS month,
    CASE WHEN x.y BETWEEN 1900 AND 2100 THEN make_date(x.y, 1, 1) END AS period_start,
    CASE WHEN x.y BETWEEN 1900 AND 2100 THEN make_date(x.y, 12, 31) END AS period_end,
    coalesce(bi.iso3, ri.iso3)        AS reporter_iso3,
    x.i                               AS reporter_code,
    ci.is_country                     AS reporter_is_country,
    coalesce(bj.iso3, rj.iso3)        AS partner_iso3,
    x.j                               AS partner_code,
    cj.is_country                     AS partner_is_country,
    'export'                          AS flow,
    (SELECT classification FROM load_params)                   AS classification,
    x.code                            AS hs,
    CASE WHEN x.code IS NOT NULL THEN '6' END AS hs_level,
    NULL::VARCHAR                     AS product,
    TRY_CAST(x.v AS DOUBLE) * 1000    AS value,
    'USD'                             AS currency,
    'FOB'                             AS valuation,
    TRY_CAST(x.q AS DOUBLE) * 1000    AS net_weight_kg,
    NULL::DOUBLE                      AS quantity,
    NULL::VARCHAR                     AS quantity_unit,
    NULL::VARCHAR                     AS breakdown,
    'CEPII BACI'                      AS publisher,
    NULL::VARCHAR                     AS source_url,
    NULL::VARCHAR                     AS quote,
    NULL::VARCHAR                     AS series_id,
    NULL::VARCHAR                     AS note,
    -- no estimation flags in this format (Comtrade's own flags: see comtrade.sql)
    NULL::BOOLEAN AS is_net_wgt_estimated, NULL::BOOLEAN AS is_qty_estimated, NULL::BOOLEAN AS is_alt_qty_estimated,
    NULL::SMALLINT AS legacy_estimation_flag,
    -- A BACI file holds one year (Y2021 in its name): a row of another year was pasted in or
    -- the file was joined from two years, and would be stored under the wrong release.
    CASE WHEN x.y IS DISTINCT FROM (SELECT file_year FROM load_params) AND (SELECT file_year FROM load_params) IS NOT NULL
              AND x.y IS NOT NULL
         THEN 'a row of ' || x.t || ' in the file of Y' || (SELECT file_year FROM load_params)
         WHEN x.code IS NOT NULL AND EXISTS (SELECT 1 FROM baci_products)
              AND NOT EXISTS (SELECT 1 FROM baci_products AS p WHERE p.hs = x.code)
         THEN 'product ' || x.code || ' is not in the BACI product file' END AS reject_reason,
    CASE WHEN x.y IS DISTINCT FROM (SELECT file_year FROM load_params) AND (SELECT file_year FROM load_params) IS NOT NULL
              AND x.y IS NOT NULL
         THEN 'BACI publishes one file per year: move the row to the file of its year, or correct t'
         ELSE 'use the product_codes file of the same BACI version and revision as the data file' END AS reject_fix,
    CASE WHEN x.y IS DISTINCT FROM (SELECT file_year FROM load_params) AND (SELECT file_year FROM load_params) IS NOT NULL
              AND x.y IS NOT NULL THEN 'period' END AS reject_field,
    CASE WHEN x.y IS DISTINCT FROM (SELECT file_year FROM load_params) AND (SELECT file_year FROM load_params) IS NOT NULL
              AND x.y IS NOT NULL THEN x.t END AS reject_value,
    NULL::VARCHAR                     AS apart_reason,
    x.t                               AS period_text,
    x.i                               AS reporter_text,
    x.j                               AS partner_text,
    'export'                          AS flow_text,
    x.k                               AS hs_text,
    x.v                               AS value_text,
    x.q                               AS net_weight_text,
    NULL::VARCHAR                     AS quantity_text,
    NULL::VARCHAR                     AS unit_text
FROM typed AS x
LEFT JOIN baci_countries AS bi ON bi.code = x.i
LEFT JOIN countries AS ri ON ri.comtrade_code = x.i
LEFT JOIN country_by_iso3 AS ci ON ci.iso3 = coalesce(bi.iso3, ri.iso3)
LEFT JOIN baci_countries AS bj ON bj.code = x.j
LEFT JOIN countries AS rj ON rj.comtrade_code = x.j
LEFT JOIN country_by_iso3 AS cj ON cj.iso3 = coalesce(bj.iso3, rj.iso3);
