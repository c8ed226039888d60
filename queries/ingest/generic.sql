-- name: params_stage_generic(source, release, kind, publisher, currency, value_scale:float, weight_factor:float, freq, decimal, thousands, c_year, c_month, c_period, c_reporter, c_partner, c_flow, c_hs, c_product, c_quantity_unit, c_valuation, c_classification, c_source_url, c_quote, c_note)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release, $kind AS kind, $publisher AS publisher, $currency AS currency, $value_scale AS value_scale, $weight_factor AS weight_factor, $freq AS freq, $decimal AS decimal, $thousands AS thousands, $c_year AS c_year, $c_month AS c_month, $c_period AS c_period, $c_reporter AS c_reporter, $c_partner AS c_partner, $c_flow AS c_flow, $c_hs AS c_hs, $c_product AS c_product, $c_quantity_unit AS c_quantity_unit, $c_valuation AS c_valuation, $c_classification AS c_classification, $c_source_url AS c_source_url, $c_quote AS c_quote, $c_note AS c_note;

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
        coalesce(replace(coalesce(nullif(trim(period), ''), (SELECT c_period FROM load_params)), '/', '-'),
                 coalesce(nullif(trim(year), ''), (SELECT c_year FROM load_params))
                 || coalesce('-' || coalesce(nullif(trim(month), ''), (SELECT c_month FROM load_params)), '')) AS period_text_raw,
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
        -- The kind of period the text is (NULL: not one that a generic CSV can hold): a year, a
        -- month (YYYY-MM, YYYYMM, or a year with a month column) or January to a month.
        CASE
            WHEN period_raw IS NULL OR regexp_full_match(period_raw, '\d{4}')
                THEN CASE WHEN month_raw IS NOT NULL THEN 'M' ELSE 'A' END
            WHEN regexp_full_match(period_raw, '\d{4}-?\d{2}') THEN 'M'
            WHEN regexp_full_match(period_raw, '\d{4}-01\.\.\d{2}') THEN 'YTD'
        END AS pat,
        CASE WHEN regexp_full_match(hs_raw, '[0-9]+') AND length(hs_raw) % 2 = 1 THEN '0' || hs_raw ELSE hs_raw END AS code,
        -- numbers as the mapping says they are written (decimal = ",", thousands = "." for
        -- European tables); otherwise as they are, so that "1.253,2" is refused, not misread
        CASE WHEN (SELECT decimal FROM load_params) = '.' AND (SELECT thousands FROM load_params) = '' THEN value_raw
             ELSE replace(replace(value_raw, (SELECT thousands FROM load_params), ''), (SELECT decimal FROM load_params), '.') END AS value_num,
        CASE WHEN (SELECT decimal FROM load_params) = '.' AND (SELECT thousands FROM load_params) = '' THEN weight_raw
             ELSE replace(replace(weight_raw, (SELECT thousands FROM load_params), ''), (SELECT decimal FROM load_params), '.') END AS weight_num,
        CASE WHEN (SELECT decimal FROM load_params) = '.' AND (SELECT thousands FROM load_params) = '' THEN qty_raw
             ELSE replace(replace(qty_raw, (SELECT thousands FROM load_params), ''), (SELECT decimal FROM load_params), '.') END AS qty_num
    FROM r
),
q AS (
    SELECT
        p.*,
        coalesce((SELECT freq FROM load_params), p.pat) AS f,
        -- A row's first problem with its period, as {field, value, reason, fix}: a date, a quarter
        -- or a span is never read as the year it starts with, and the mapping's freq and the
        -- period's own form must agree.
        CASE
            WHEN p.pat IS NULL AND regexp_full_match(p.period_raw, '\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{8}') THEN {
                'field': 'period', 'value': p.period_text_raw, 'reason': 'a date, not a period',
                'fix': 'give the period as YYYY, YYYY-MM or YYYYMM (a monthly table names its month, not a day)'}
            WHEN p.pat IS NULL AND regexp_full_match(p.period_raw, '\d{4}-?[Qq][1-4]|[Qq][1-4][ -]?\d{4}') THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': 'a quarter: trade-mirror stores annual, monthly and January-to-month figures',
                'fix': 'load the monthly figures of the quarter, or the year'}
            WHEN p.pat IS NULL AND regexp_full_match(p.period_raw, '\d{4}-\d{2}\.\.\d{2}') THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': CASE WHEN TRY_CAST(right(p.period_raw, 2) AS INTEGER) < TRY_CAST(substr(p.period_raw, 6, 2) AS INTEGER)
                               THEN 'the span ends before it starts'
                               ELSE 'a span that does not start in January (a generic CSV holds years, months and January-to-month spans)' END,
                'fix': CASE WHEN TRY_CAST(right(p.period_raw, 2) AS INTEGER) < TRY_CAST(substr(p.period_raw, 6, 2) AS INTEGER)
                            THEN 'write a span as YYYY-01..MM (January to month MM)'
                            ELSE 'load the months of the span, or cite the span in the public-record layout (which keeps other spans)' END}
            WHEN p.pat IS NULL THEN {
                'field': 'period', 'value': p.period_text_raw, 'reason': 'period not understood',
                'fix': 'give the year as YYYY (and the month as 1-12, or the period as YYYYMM, YYYY-MM or YYYY-01..MM)'}
            WHEN p.year_raw IS NOT NULL AND p.period_raw IS NOT NULL AND NOT regexp_full_match(p.period_raw, '\d{4}')
                 AND TRY_CAST(p.year_raw AS INTEGER) IS DISTINCT FROM TRY_CAST(left(p.period_raw, 4) AS INTEGER) THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': 'period ' || p.period_raw || ' and year ' || p.year_raw || ' disagree',
                'fix': 'map either a period or a year (and month) column, or correct the row'}
            WHEN (SELECT freq FROM load_params) = 'A' AND p.pat <> 'A' THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': 'the mapping''s freq ''A'' (annual) and period ' || p.period_text_raw || ' (' || CASE p.pat WHEN 'M' THEN 'a month' ELSE 'January to a month' END || ') disagree',
                'fix': 'remove freq from the mapping (the period says what it is), or give annual periods as YYYY'}
            WHEN (SELECT freq FROM load_params) = 'M' AND p.pat <> 'M' THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': 'the mapping''s freq ''M'' (monthly) and period ' || p.period_text_raw || ' (' || CASE p.pat WHEN 'A' THEN 'a year' ELSE 'January to a month' END || ') disagree',
                'fix': 'remove freq from the mapping (the period says what it is), or give monthly periods as YYYY-MM'}
            WHEN (SELECT freq FROM load_params) = 'YTD' AND p.pat = 'A' THEN {
                'field': 'period', 'value': p.period_text_raw,
                'reason': 'the mapping''s freq ''YTD'' (January to a month) and period ' || p.period_text_raw || ' (a year) disagree',
                'fix': 'give January-to-month periods as YYYY-MM or YYYY-01..MM, or remove freq from the mapping'}
            WHEN p.valuation IS NOT NULL AND p.valuation NOT IN ('CIF', 'FOB') THEN {
                'field': NULL, 'value': NULL, 'reason': 'valuation must be CIF or FOB',
                'fix': 'write CIF or FOB in the valuation column, or leave it empty'}
        END AS rej
    FROM p
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
    TRY_CAST(p.value_num AS DOUBLE) * (SELECT value_scale FROM load_params)    AS value,
    CASE WHEN p.value_raw IS NOT NULL THEN (SELECT currency FROM load_params) END AS currency,
    CASE WHEN p.valuation IN ('CIF', 'FOB') THEN p.valuation END AS valuation,
    TRY_CAST(p.weight_num AS DOUBLE) * (SELECT weight_factor FROM load_params) AS net_weight_kg,
    TRY_CAST(p.qty_num AS DOUBLE)                     AS quantity,
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
    p.rej.reason                                      AS reject_reason,
    p.rej.fix                                         AS reject_fix,
    p.rej.field                                       AS reject_field,
    p.rej.value                                       AS reject_value,
    NULL::VARCHAR                                     AS apart_reason,
    p.period_text_raw                                 AS period_text,
    p.reporter_raw                                    AS reporter_text,
    p.partner_raw                                     AS partner_text,
    p.flow_raw                                        AS flow_text,
    p.hs_raw                                          AS hs_text,
    p.value_raw                                       AS value_text,
    p.weight_raw                                      AS net_weight_text,
    p.qty_raw                                         AS quantity_text,
    NULL::VARCHAR                                     AS unit_text
FROM q AS p
LEFT JOIN country_lookup AS rl ON rl.key = p.reporter_raw
LEFT JOIN country_by_iso3 AS rc ON rc.iso3 = rl.iso3
LEFT JOIN country_lookup AS pl ON pl.key = p.partner_raw
LEFT JOIN country_by_iso3 AS pc ON pc.iso3 = pl.iso3;
