-- name: params_stage_generic(source, release, kind, publisher, currency, value_scale:float, weight_factor:float, freq, c_year, c_month, c_period, c_reporter, c_partner, c_flow, c_hs, c_product, c_quantity_unit, c_valuation, c_classification, c_source_url, c_quote, c_note)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release, $kind AS kind, $publisher AS publisher, $currency AS currency, $value_scale AS value_scale, $weight_factor AS weight_factor, $freq AS freq, $c_year AS c_year, $c_month AS c_month, $c_period AS c_period, $c_reporter AS c_reporter, $c_partner AS c_partner, $c_flow AS c_flow, $c_hs AS c_hs, $c_product AS c_product, $c_quantity_unit AS c_quantity_unit, $c_valuation AS c_valuation, $c_classification AS c_classification, $c_source_url AS c_source_url, $c_quote AS c_quote, $c_note AS c_note;

-- name: stage_generic
-- One staged row per row of a mapped CSV; columns come from the mapping, constants ((SELECT c_ FROM load_params)*) fill what
-- the table leaves implicit. Value in the mapping's currency x value_scale; weight in kg.
CREATE OR REPLACE TEMP VIEW staged_rows AS
WITH r AS (
    SELECT
        source_row,
        coalesce(nullif(trim(year), ''), (SELECT c_year FROM load_params))                    AS year_raw,
        coalesce(nullif(trim(month), ''), (SELECT c_month FROM load_params))                  AS month_raw,
        replace(coalesce(nullif(trim(period), ''), (SELECT c_period FROM load_params)), '/', '-') AS period_raw,
        upper(coalesce(nullif(trim(reporter), ''), (SELECT c_reporter FROM load_params)))     AS reporter_raw,
        upper(coalesce(nullif(trim(partner), ''), (SELECT c_partner FROM load_params)))       AS partner_raw,
        lower(coalesce(nullif(trim(flow), ''), (SELECT c_flow FROM load_params)))             AS flow_raw,
        upper(coalesce(nullif(trim(hs), ''), (SELECT c_hs FROM load_params)))                 AS hs_raw,
        coalesce(missing_to_null(product), (SELECT c_product FROM load_params))              AS product,
        missing_to_null(value)                                      AS value_raw,
        missing_to_null(net_weight)                                 AS weight_raw,
        missing_to_null(quantity)                                   AS qty_raw,
        coalesce(missing_to_null(quantity_unit), (SELECT c_quantity_unit FROM load_params))  AS quantity_unit,
        upper(coalesce(missing_to_null(valuation), (SELECT c_valuation FROM load_params)))   AS valuation,
        upper(coalesce(missing_to_null(classification), (SELECT c_classification FROM load_params))) AS classification,
        coalesce(missing_to_null(source_url), (SELECT c_source_url FROM load_params))        AS source_url,
        coalesce(missing_to_null(quote), (SELECT c_quote FROM load_params))                  AS quote,
        coalesce(missing_to_null(note), (SELECT c_note FROM load_params))                    AS note
    FROM raw
),
p AS (
    SELECT
        r.*,
        coalesce(TRY_CAST(year_raw AS INTEGER), TRY_CAST(left(period_raw, 4) AS INTEGER)) AS y,
        coalesce(
            TRY_CAST(month_raw AS INTEGER),
            CASE WHEN regexp_full_match(period_raw, '\d{4}-?\d{2}') THEN TRY_CAST(right(period_raw, 2) AS INTEGER) END,
            CASE WHEN regexp_full_match(period_raw, '\d{4}-01\.\.\d{2}') THEN TRY_CAST(right(period_raw, 2) AS INTEGER) END
        ) AS m,
        CASE
            WHEN (SELECT freq FROM load_params) IS NOT NULL THEN (SELECT freq FROM load_params)
            WHEN regexp_full_match(coalesce(period_raw, ''), '\d{4}-01\.\.\d{2}') THEN 'YTD'
            WHEN month_raw IS NOT NULL OR regexp_full_match(coalesce(period_raw, ''), '\d{4}-?\d{2}') THEN 'M'
            ELSE 'A'
        END AS f,
        CASE WHEN regexp_full_match(hs_raw, '[0-9]+') AND length(hs_raw) % 2 = 1 THEN '0' || hs_raw ELSE hs_raw END AS code
    FROM r
)
SELECT
    p.source_row,
    (SELECT source FROM load_params)                                           AS source,
    (SELECT release FROM load_params)                                          AS release,
    (SELECT kind FROM load_params)                                             AS kind,
    p.f                                               AS freq,
    CASE p.f WHEN 'A' THEN CAST(p.y AS VARCHAR)
             WHEN 'M' THEN printf('%04d-%02d', p.y, p.m)
             ELSE printf('%04d-01..%02d', p.y, p.m) END AS period,
    p.y                                               AS year,
    CASE WHEN p.f <> 'A' THEN p.m END                 AS month,
    CASE WHEN p.y BETWEEN 1900 AND 2100 AND p.f = 'A' THEN make_date(p.y, 1, 1)
         WHEN p.y BETWEEN 1900 AND 2100 AND p.f = 'M' AND p.m BETWEEN 1 AND 12 THEN make_date(p.y, p.m, 1)
         WHEN p.y BETWEEN 1900 AND 2100 AND p.f = 'YTD' AND p.m BETWEEN 1 AND 12 THEN make_date(p.y, 1, 1) END AS period_start,
    CASE WHEN p.y BETWEEN 1900 AND 2100 AND p.f = 'A' THEN make_date(p.y, 12, 31)
         WHEN p.y BETWEEN 1900 AND 2100 AND p.f IN ('M', 'YTD') AND p.m BETWEEN 1 AND 12 THEN last_day(make_date(p.y, p.m, 1)) END AS period_end,
    rl.iso3                                           AS reporter_iso3,
    p.reporter_raw                                    AS reporter_code,
    rc.is_country                                     AS reporter_is_country,
    pl.iso3                                           AS partner_iso3,
    p.partner_raw                                     AS partner_code,
    pc.is_country                                     AS partner_is_country,
    CASE p.flow_raw
        WHEN 'export' THEN 'export' WHEN 'exports' THEN 'export' WHEN 'x' THEN 'export' WHEN '2' THEN 'export'
        WHEN 'import' THEN 'import' WHEN 'imports' THEN 'import' WHEN 'm' THEN 'import' WHEN '1' THEN 'import'
        WHEN 're-export' THEN 're-export' WHEN 'rx' THEN 're-export' WHEN '3' THEN 're-export'
        WHEN 're-import' THEN 're-import' WHEN 'rm' THEN 're-import' WHEN '4' THEN 're-import'
        WHEN 'two-way' THEN 'two-way' WHEN 't' THEN 'two-way' WHEN 'total' THEN 'two-way'
    END                                               AS flow,
    CASE WHEN regexp_full_match(p.classification, 'H[0-6]') THEN p.classification END AS classification,
    p.code                                            AS hs,
    CASE WHEN p.code = 'TOTAL' THEN 'TOTAL'
         WHEN regexp_full_match(p.code, '[0-9]{2}|[0-9]{4}|[0-9]{6}') THEN CAST(length(p.code) AS VARCHAR) END AS hs_level,
    p.product                                         AS product,
    TRY_CAST(p.value_raw AS DOUBLE) * (SELECT value_scale FROM load_params)    AS value,
    CASE WHEN p.value_raw IS NOT NULL THEN (SELECT currency FROM load_params) END AS currency,
    CASE WHEN p.valuation IN ('CIF', 'FOB') THEN p.valuation END AS valuation,
    TRY_CAST(p.weight_raw AS DOUBLE) * (SELECT weight_factor FROM load_params) AS net_weight_kg,
    TRY_CAST(p.qty_raw AS DOUBLE)                     AS quantity,
    CASE WHEN p.qty_raw IS NOT NULL THEN p.quantity_unit END AS quantity_unit,
    NULL::VARCHAR                                     AS breakdown,
    (SELECT publisher FROM load_params)                                        AS publisher,
    p.source_url                                      AS source_url,
    p.quote                                           AS quote,
    NULL::VARCHAR                                     AS series_id,
    p.note                                            AS note,
    -- no estimation flags in this format (Comtrade's own flags: see comtrade.sql)
    NULL::BOOLEAN AS is_net_wgt_estimated, NULL::BOOLEAN AS is_qty_estimated, NULL::BOOLEAN AS is_alt_qty_estimated,
    NULL::SMALLINT AS legacy_estimation_flag,
    CASE WHEN p.valuation IS NOT NULL AND p.valuation NOT IN ('CIF', 'FOB') THEN 'valuation must be CIF or FOB' END AS reject_reason,
    'write CIF or FOB in the valuation column, or leave it empty' AS reject_fix,
    NULL::VARCHAR                                     AS apart_reason,
    coalesce(p.period_raw, p.year_raw || coalesce('-' || p.month_raw, '')) AS period_text,
    p.reporter_raw                                    AS reporter_text,
    p.partner_raw                                     AS partner_text,
    p.flow_raw                                        AS flow_text,
    p.hs_raw                                          AS hs_text,
    p.value_raw                                       AS value_text,
    p.weight_raw                                      AS net_weight_text,
    p.qty_raw                                         AS quantity_text,
    NULL::VARCHAR                                     AS unit_text
FROM p
LEFT JOIN country_lookup AS rl ON rl.key = p.reporter_raw
LEFT JOIN country_by_iso3 AS rc ON rc.iso3 = rl.iso3
LEFT JOIN country_lookup AS pl ON pl.key = p.partner_raw
LEFT JOIN country_by_iso3 AS pc ON pc.iso3 = pl.iso3;
