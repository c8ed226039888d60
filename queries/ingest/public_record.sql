-- name: params_stage_public_record(source, release)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release;

-- name: stage_public_record
-- One staged row per row of a cited public-record table (series_id, reporter_iso3, partner_iso3,
-- flow, hs, period, value, unit, source_publisher, source_url, quote, note), joined to `series`
-- (the direction of analyst estimates, and which series are not flows). Money stays in its
-- published currency; tonnes become net_weight_kg; barrels become quantity in bbl.
CREATE OR REPLACE TEMP VIEW staged_rows AS
WITH r AS (
    SELECT
        source_row,
        nullif(trim(series_id), '')           AS series_id,
        upper(nullif(trim(reporter_iso3), '')) AS reporter,
        upper(nullif(trim(partner_iso3), ''))  AS partner,
        upper(nullif(trim(flow), ''))          AS flow_code,
        nullif(trim(hs), '')                   AS hs_raw,
        nullif(trim(period), '')               AS period_raw,
        missing_to_null(value)                AS value_raw,
        lower(nullif(trim(unit), ''))          AS unit,
        missing_to_null(source_publisher)     AS publisher,
        missing_to_null(source_url)           AS source_url,
        missing_to_null(quote)                AS quote,
        missing_to_null(note)                 AS note
    FROM raw
),
p AS (
    -- Periods as published: YYYY, YYYY-MM, YYYY-MM..MM (cumulative within a year: year-to-date
    -- when it starts in January), YYYY..YYYY and YYYY-MM..YYYY-MM (spans, e.g. Indian fiscal years).
    SELECT
        r.*,
        CASE
            WHEN regexp_full_match(period_raw, '\d{4}') THEN 'A'
            WHEN regexp_full_match(period_raw, '\d{4}-\d{2}') THEN 'M'
            WHEN regexp_full_match(period_raw, '\d{4}-01\.\.\d{2}') THEN 'YTD'
            WHEN regexp_full_match(period_raw, '\d{4}-\d{2}\.\.\d{2}|\d{4}\.\.\d{4}|\d{4}-\d{2}\.\.\d{4}-\d{2}') THEN 'P'
        END AS f,
        TRY_CAST(left(period_raw, 4) AS INTEGER) AS y1,
        CASE
            WHEN regexp_full_match(period_raw, '\d{4}') OR regexp_full_match(period_raw, '\d{4}\.\.\d{4}') THEN 1
            ELSE TRY_CAST(substr(period_raw, 6, 2) AS INTEGER)
        END AS m1,
        CASE
            WHEN regexp_full_match(period_raw, '\d{4}(-\d{2})?(\.\.\d{2})?') THEN TRY_CAST(left(period_raw, 4) AS INTEGER)
            ELSE TRY_CAST(regexp_extract(period_raw, '\.\.(\d{4})', 1) AS INTEGER)
        END AS y2,
        CASE
            WHEN regexp_full_match(period_raw, '\d{4}') OR regexp_full_match(period_raw, '\d{4}\.\.\d{4}') THEN 12
            WHEN regexp_full_match(period_raw, '\d{4}-\d{2}') THEN TRY_CAST(substr(period_raw, 6, 2) AS INTEGER)
            ELSE TRY_CAST(right(period_raw, 2) AS INTEGER)
        END AS m2,
        -- HS as published: a code with an optional product in brackets (271019(diesel)), TOTAL,
        -- or a group label (2701+7201, 50-63, MINERALS) kept as written.
        CASE
            WHEN upper(hs_raw) = 'TOTAL' THEN 'TOTAL'
            WHEN regexp_full_match(hs_raw, '(\d{2}|\d{4}|\d{6})(\(.+\))?') THEN regexp_extract(hs_raw, '^(\d+)', 1)
            ELSE hs_raw
        END AS code,
        CASE
            WHEN upper(hs_raw) = 'TOTAL' THEN 'TOTAL'
            WHEN regexp_full_match(hs_raw, '(\d{2}|\d{4}|\d{6})(\(.+\))?') THEN CAST(length(regexp_extract(hs_raw, '^(\d+)', 1)) AS VARCHAR)
            WHEN hs_raw IS NOT NULL THEN 'group'
        END AS level,
        nullif(regexp_extract(hs_raw, '^\d+\((.+)\)$', 1), '') AS product_name,
        TRY_CAST(value_raw AS DOUBLE) AS v
    FROM r
),
j AS (
    SELECT
        p.*,
        s.flow AS series_flow,
        s.apart_reason AS series_apart,
        CASE
            WHEN s.apart_reason IS NOT NULL THEN s.apart_reason
            WHEN p.unit = 'percent' THEN 'share (percent)'
            WHEN p.unit = 'barrels/day' THEN 'rate in barrels per day'
            WHEN p.unit = 'shipments' THEN 'count of shipments'
            WHEN p.period_raw IS NOT NULL AND p.f IS NULL THEN 'period is not a calendar span: ' || p.period_raw
        END AS apart
    FROM p
    LEFT JOIN series AS s ON s.series_id = p.series_id
)
SELECT
    j.source_row,
    (SELECT source FROM load_params)                                   AS source,
    (SELECT release FROM load_params)                                  AS release,
    CASE j.flow_code WHEN 'N' THEN 'notified' WHEN 'E' THEN 'estimated' ELSE 'reported' END AS kind,
    j.f                                       AS freq,
    j.period_raw                              AS period,
    j.y1                                      AS year,
    CASE WHEN j.f IN ('M', 'YTD') THEN j.m2 END AS month,
    CASE WHEN j.y1 BETWEEN 1900 AND 2100 AND j.m1 BETWEEN 1 AND 12 THEN make_date(j.y1, j.m1, 1) END AS period_start,
    CASE WHEN j.y2 BETWEEN 1900 AND 2100 AND j.m2 BETWEEN 1 AND 12 THEN last_day(make_date(j.y2, j.m2, 1)) END AS period_end,
    rep.iso3                                  AS reporter_iso3,
    NULL::VARCHAR                             AS reporter_code,
    rep.is_country                            AS reporter_is_country,
    par.iso3                                  AS partner_iso3,
    NULL::VARCHAR                             AS partner_code,
    par.is_country                            AS partner_is_country,
    CASE
        WHEN j.series_flow IS NOT NULL THEN j.series_flow
        WHEN j.flow_code IN ('X', 'N') THEN 'export'
        WHEN j.flow_code = 'M' THEN 'import'
        WHEN j.flow_code = 'T' THEN 'two-way'
    END                                       AS flow,
    NULL::VARCHAR                             AS classification,
    j.code                                    AS hs,
    j.level                                   AS hs_level,
    j.product_name                            AS product,
    CASE WHEN j.unit IN ('usd', 'cny', 'krw', 'thb', 'eur', 'jpy', 'rub', 'inr') THEN j.v END AS value,
    CASE WHEN j.unit IN ('usd', 'cny', 'krw', 'thb', 'eur', 'jpy', 'rub', 'inr') THEN upper(j.unit) END AS currency,
    NULL::VARCHAR                             AS valuation,
    CASE WHEN j.unit IN ('tonnes', 't', 'tons', 'kg') THEN j.v * CASE WHEN j.unit = 'kg' THEN 1 ELSE 1000 END END AS net_weight_kg,
    CASE WHEN j.unit IN ('barrels', 'bbl') THEN j.v END AS quantity,
    CASE WHEN j.unit IN ('barrels', 'bbl') THEN 'bbl' END AS quantity_unit,
    NULL::VARCHAR                             AS breakdown,
    j.publisher                               AS publisher,
    j.source_url                              AS source_url,
    j.quote                                   AS quote,
    j.series_id                               AS series_id,
    j.note                                    AS note,
    -- no estimation flags in this format (Comtrade's own flags: see comtrade.sql)
    NULL::BOOLEAN AS is_net_wgt_estimated, NULL::BOOLEAN AS is_qty_estimated, NULL::BOOLEAN AS is_alt_qty_estimated,
    NULL::SMALLINT AS legacy_estimation_flag,
    CASE
        WHEN j.apart IS NULL AND j.flow_code = 'E' AND j.series_flow IS NULL
            THEN 'estimate series ' || coalesce(j.series_id, '(none)') || ' has no direction in series.csv'
        WHEN j.apart IS NULL AND j.unit IS NOT NULL
             AND j.unit NOT IN ('usd', 'cny', 'krw', 'thb', 'eur', 'jpy', 'rub', 'inr', 'tonnes', 't', 'tons', 'kg', 'barrels', 'bbl')
            THEN 'unit ' || j.unit || ' is not a currency, tonnes or barrels'
        WHEN j.apart IS NULL AND j.unit IS NULL THEN 'unit missing'
        WHEN j.apart IS NULL AND j.source_url IS NULL THEN 'a cited figure needs its source_url'
    END                                       AS reject_reason,
    'correct the row: cited figures need series_id, reporter, partner, flow, hs, period, value, unit and source_url' AS reject_fix,
    NULL::VARCHAR AS reject_field, NULL::VARCHAR AS reject_value,
    j.apart                                   AS apart_reason,
    j.period_raw                              AS period_text,
    j.reporter                                AS reporter_text,
    j.partner                                 AS partner_text,
    j.flow_code                               AS flow_text,
    j.hs_raw                                  AS hs_text,
    -- the value as text where it is money, or kept apart (the apart table stores it); a row whose
    -- unit is unknown is refused for its unit alone, not also as "not a number"
    CASE WHEN j.unit IN ('usd', 'cny', 'krw', 'thb', 'eur', 'jpy', 'rub', 'inr') OR j.apart IS NOT NULL THEN j.value_raw END AS value_text,
    CASE WHEN j.unit IN ('tonnes', 't', 'tons', 'kg') THEN j.value_raw END AS net_weight_text,
    CASE WHEN j.unit IN ('barrels', 'bbl') THEN j.value_raw END AS quantity_text,
    j.unit                                    AS unit_text
FROM j
LEFT JOIN country_by_iso3 AS rep ON rep.iso3 = j.reporter
LEFT JOIN country_by_iso3 AS par ON par.iso3 = j.partner;
