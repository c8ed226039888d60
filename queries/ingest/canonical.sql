-- name: params_stage_canonical(source, release)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release;

-- name: stage_canonical
-- One staged row per row of a frame already in canonical form (registered as canonical_rows):
-- simulated panels and programmatic inserts. Annual, USD, customs-reported figures.
CREATE OR REPLACE TEMP VIEW staged_rows AS
SELECT
    r.source_row,
    (SELECT source FROM load_params)  AS source,
    (SELECT release FROM load_params) AS release,
    'reported'                        AS kind,
    r.freq, r.period, r.year,
    NULL::INTEGER                     AS month,
    make_date(r.year, 1, 1)           AS period_start,
    make_date(r.year, 12, 31)         AS period_end,
    r.reporter_iso3, r.reporter_code, rc.is_country AS reporter_is_country,
    r.partner_iso3, r.partner_code, pc.is_country AS partner_is_country,
    r.flow, r.classification, r.hs, r.hs_level,
    NULL::VARCHAR                     AS product,
    r.value, 'USD' AS currency, r.valuation, r.net_weight_kg,
    r.net_weight_kg                   AS quantity,
    CASE WHEN r.net_weight_kg IS NOT NULL THEN 'kg' END AS quantity_unit,
    NULL::VARCHAR AS breakdown, 'simulated' AS publisher, NULL::VARCHAR AS source_url, NULL::VARCHAR AS quote,
    NULL::VARCHAR AS series_id, NULL::VARCHAR AS note,
    -- no estimation flags in this format (Comtrade's own flags: see comtrade.sql)
    NULL::BOOLEAN AS is_net_wgt_estimated, NULL::BOOLEAN AS is_qty_estimated, NULL::BOOLEAN AS is_alt_qty_estimated,
    NULL::SMALLINT AS legacy_estimation_flag,
    -- a country code that the reference list does not have is refused, naming it (it has no
    -- is_country, which every stored figure needs); a missing code is stage_problems' to name
    CASE WHEN r.reporter_iso3 IS NOT NULL AND rc.iso3 IS NULL THEN 'unknown reporter ISO3 code'
         WHEN r.partner_iso3 IS NOT NULL AND pc.iso3 IS NULL THEN 'unknown partner ISO3 code' END AS reject_reason,
    CASE WHEN (r.reporter_iso3 IS NOT NULL AND rc.iso3 IS NULL) OR (r.partner_iso3 IS NOT NULL AND pc.iso3 IS NULL)
         THEN 'name countries by the ISO3 codes of data/countries.csv (e.g. CHN, PRK; upper case): correct the '
              || 'code, or leave the row out' END AS reject_fix,
    NULL::VARCHAR AS apart_reason,
    CASE WHEN r.reporter_iso3 IS NOT NULL AND rc.iso3 IS NULL THEN 'reporter'
         WHEN r.partner_iso3 IS NOT NULL AND pc.iso3 IS NULL THEN 'partner' END AS reject_field,
    CASE WHEN r.reporter_iso3 IS NOT NULL AND rc.iso3 IS NULL THEN r.reporter_iso3
         WHEN r.partner_iso3 IS NOT NULL AND pc.iso3 IS NULL THEN r.partner_iso3 END AS reject_value,
    r.period AS period_text, r.reporter_iso3 AS reporter_text, r.partner_iso3 AS partner_text, r.flow AS flow_text,
    r.hs AS hs_text, CAST(r.value AS VARCHAR) AS value_text, NULL::VARCHAR AS net_weight_text,
    NULL::VARCHAR AS quantity_text, NULL::VARCHAR AS unit_text
FROM canonical_rows AS r
LEFT JOIN country_by_iso3 AS rc ON rc.iso3 = r.reporter_iso3
LEFT JOIN country_by_iso3 AS pc ON pc.iso3 = r.partner_iso3;

-- name: staged_count
-- Internal: how many rows the last staging read (canonical rows: the frame's or Parquet files' rows).
SELECT count(*) FROM staged;
