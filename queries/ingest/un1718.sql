-- name: params_stage_un1718(source, release)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release;

-- name: stage_un1718
-- One staged row per supplier and month of a 1718 Committee notification table: the supplier's
-- notified deliveries of refined petroleum (HS 2710) to PRK, tonnes as net_weight_kg, barrels as quantity.
CREATE OR REPLACE TEMP VIEW staged_rows AS
WITH r AS (
    SELECT
        source_row,
        upper(nullif(trim(supplier), '')) AS supplier_raw,
        nullif(trim(month), '')           AS month_raw,
        -- The Committee's page writes thousands with commas (1,253.2): those are removed; any
        -- other comma is left, so that a European "1.253,2" is refused, not read as 1.2532.
        CASE WHEN regexp_full_match(missing_to_null(tonnes), '\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(missing_to_null(tonnes), ',', '')
             ELSE missing_to_null(tonnes) END AS tonnes_raw,
        CASE WHEN regexp_full_match(missing_to_null(barrels), '\d{1,3}(,\d{3})+(\.\d+)?') THEN replace(missing_to_null(barrels), ',', '')
             ELSE missing_to_null(barrels) END AS barrels_raw,
        missing_to_null(notified_on)     AS notified_on,
        missing_to_null(note)            AS note
    FROM raw
),
p AS (
    SELECT r.*,
           CAST(try_strptime(month_raw, ['%B %Y', '%b %Y', '%Y-%m', '%m/%Y', '%b-%y', '%B-%y', '%Y%m']) AS DATE) AS d
    FROM r
)
SELECT
    p.source_row,
    (SELECT source FROM load_params)                        AS source,
    (SELECT release FROM load_params)                       AS release,
    'notified'                     AS kind,
    'M'                            AS freq,
    strftime(p.d, '%Y-%m')         AS period,
    year(p.d)                      AS year,
    month(p.d)                     AS month,
    p.d                            AS period_start,
    last_day(p.d)                  AS period_end,
    l.iso3                         AS reporter_iso3,
    NULL::VARCHAR                  AS reporter_code,
    c.is_country                   AS reporter_is_country,
    'PRK'                          AS partner_iso3,
    '408'                          AS partner_code,
    true                           AS partner_is_country,
    'export'                       AS flow,
    NULL::VARCHAR                  AS classification,
    '2710'                         AS hs,
    '4'                            AS hs_level,
    'refined petroleum products'   AS product,
    NULL::DOUBLE                   AS value,
    NULL::VARCHAR                  AS currency,
    NULL::VARCHAR                  AS valuation,
    TRY_CAST(p.tonnes_raw AS DOUBLE) * 1000 AS net_weight_kg,
    TRY_CAST(p.barrels_raw AS DOUBLE) AS quantity,
    CASE WHEN p.barrels_raw IS NOT NULL THEN 'bbl' END AS quantity_unit,
    NULL::VARCHAR                  AS breakdown,
    'UN Security Council 1718 Committee' AS publisher,
    'https://main.un.org/securitycouncil/en/sanctions/1718/supply-sale-or-transfer-of-all-refined-petroleum' AS source_url,
    NULL::VARCHAR                  AS quote,
    NULL::VARCHAR                  AS series_id,
    concat_ws('; ', p.note, 'notified ' || p.notified_on) AS note,
    -- no estimation flags in this format (Comtrade's own flags: see comtrade.sql)
    NULL::BOOLEAN AS is_net_wgt_estimated, NULL::BOOLEAN AS is_qty_estimated, NULL::BOOLEAN AS is_alt_qty_estimated,
    NULL::SMALLINT AS legacy_estimation_flag,
    NULL::VARCHAR                  AS reject_reason,
    NULL::VARCHAR                  AS reject_fix,
    NULL::VARCHAR AS reject_field, NULL::VARCHAR AS reject_value,
    NULL::VARCHAR                  AS apart_reason,
    p.month_raw                    AS period_text,
    p.supplier_raw                 AS reporter_text,
    'PRK'                          AS partner_text,
    'export'                       AS flow_text,
    '2710'                         AS hs_text,
    NULL::VARCHAR                  AS value_text,
    p.tonnes_raw                   AS net_weight_text,
    p.barrels_raw                  AS quantity_text,
    NULL::VARCHAR                  AS unit_text
FROM p
LEFT JOIN country_lookup AS l ON l.key = p.supplier_raw
LEFT JOIN country_by_iso3 AS c ON c.iso3 = l.iso3;
