-- name: params_stage_comtrade(source, release)
-- The load's parameters as a one-row temp table, read by the staging view below (views take no parameters).
CREATE OR REPLACE TEMP TABLE load_params AS SELECT $source AS source, $release AS release;

-- name: comtrade_measures_text
-- Internal: how stage_comtrade reads the measures (values, weight, quantity, estimation flags) of a
-- `raw` read as text: missing-value tokens are no figure, the rest is cast (a NULL beside text
-- that is there is the row's problem, named with the text).
CREATE OR REPLACE TEMP MACRO measure_field(x) AS missing_to_null(x);
CREATE OR REPLACE TEMP MACRO measure_number(x) AS TRY_CAST(x AS DOUBLE);
CREATE OR REPLACE TEMP MACRO measure_flag(x) AS TRY_CAST(x AS BOOLEAN);
CREATE OR REPLACE TEMP MACRO measure_smallint(x) AS TRY_CAST(x AS SMALLINT);
CREATE OR REPLACE TEMP MACRO measure_text(x) AS x;

-- name: comtrade_measures_typed
-- Internal: the same for a `raw` whose measures DuckDB's reader typed (base.read_typed): taken as
-- read. Every value parsed and every number is finite, not negative and within the plausible
-- bounds, so no check names a measure's text: it is not kept (NULL).
CREATE OR REPLACE TEMP MACRO measure_field(x) AS x;
CREATE OR REPLACE TEMP MACRO measure_number(x) AS x;
CREATE OR REPLACE TEMP MACRO measure_flag(x) AS x;
CREATE OR REPLACE TEMP MACRO measure_smallint(x) AS x;
CREATE OR REPLACE TEMP MACRO measure_text(x) AS NULL::VARCHAR;

-- name: stage_comtrade
-- One staged row per data row of any Comtrade layout (API JSON/CSV, comtradr snake_case, bulk
-- TSV, legacy long and short CSV), read into `raw` with trade-mirror's field names. Values in
-- USD as published; weights in kg. Rows that break a total down (customs procedure, mode of
-- transport or supply, second partner, sub-flows such as DX or MIP) get `breakdown` set, so that
-- they are kept but never summed into totals.
CREATE OR REPLACE TEMP VIEW staged_rows AS
WITH r AS (
    SELECT
        source_row,
        -- (a field's usual values pass as they are: the trims and token tests, a good part of
        -- staging's time, run only on the others, which they leave as they were)
        CASE WHEN freq_code IN ('A', 'M') THEN freq_code ELSE upper(missing_to_null(freq_code)) END AS freq_code,
        nullif(trim(ref_year), '')                            AS ref_year,
        CASE WHEN ref_month = '52' THEN '52' ELSE missing_to_null(ref_month) END AS ref_month,
        nullif(trim(period), '')                              AS period_raw,
        nullif(trim(reporter_code), '')                       AS reporter_code,
        -- ISO columns are used only when a file has no codes (user extracts): Comtrade's own ISO
        -- field (S19, W00, X1 ...) or ISO3, resolved through country_code_years.
        upper(nullif(trim(reporter_iso), ''))                 AS reporter_iso,
        nullif(trim(partner_code), '')                        AS partner_code,
        upper(nullif(trim(partner_iso), ''))                  AS partner_iso,
        CASE WHEN partner2_code = '0' THEN '0' ELSE missing_to_null(partner2_code) END AS partner2_code,
        CASE WHEN flow_code IN ('X', 'M') THEN flow_code ELSE upper(nullif(trim(flow_code), '')) END AS flow_code,
        -- identifying fields as written, for messages (NaN, not NAN)
        CASE WHEN flow_code IN ('X', 'M') THEN flow_code ELSE nullif(trim(flow_code), '') END AS flow_code_text,
        nullif(trim(flow_desc), '')                           AS flow_desc_text,
        nullif(trim(cmd_code), '')                            AS cmd_code_text,
        lower(nullif(trim(flow_desc), ''))                    AS flow_desc,
        CASE WHEN classification_code IN ('H0', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6') THEN classification_code
             ELSE upper(missing_to_null(classification_code)) END AS classification_code,
        upper(nullif(trim(cmd_code), ''))                     AS cmd_code,
        CASE WHEN customs_code = 'C00' THEN 'C00' ELSE upper(missing_to_null(customs_code)) END AS customs_code,
        CASE WHEN mot_code = '0' THEN '0' ELSE missing_to_null(mot_code) END AS mot_code,
        CASE WHEN mos_code = '0' THEN '0' ELSE missing_to_null(mos_code) END AS mos_code,
        missing_to_null(qty_unit_code)                        AS qty_unit_code,
        missing_to_null(qty_unit_abbr)                        AS qty_unit_abbr,
        -- measures: text with missing-value tokens made NULL, or typed as read (comtrade_measures_*)
        measure_field(qty)                                    AS qty,
        measure_field(net_wgt)                                AS net_wgt,
        measure_field(cif_value)                              AS cif_value,
        measure_field(fob_value)                              AS fob_value,
        measure_field(primary_value)                          AS primary_value,
        -- Comtrade's estimation flags (True/False, TRUE/FALSE from R, true/false in JSON; the
        -- legacy flag is a number): kept so that detectors can set estimated weights apart.
        measure_field(is_qty_estimated)                       AS is_qty_estimated,
        measure_field(is_alt_qty_estimated)                   AS is_alt_qty_estimated,
        measure_field(is_net_wgt_estimated)                   AS is_net_wgt_estimated,
        measure_field(legacy_estimation_flag)                 AS legacy_estimation_flag
    FROM raw
),
typed AS (
    SELECT
        r.*,
        coalesce(TRY_CAST(ref_year AS INTEGER), TRY_CAST(left(period_raw, 4) AS INTEGER)) AS y,
        CASE
            WHEN freq_code IN ('A', 'M') THEN freq_code
            WHEN length(period_raw) = 6 THEN 'M'
            WHEN TRY_CAST(ref_month AS INTEGER) BETWEEN 1 AND 12 THEN 'M'
            ELSE 'A'
        END AS f,
        measure_number(coalesce(primary_value, cif_value, fob_value)) AS v,
        measure_number(cif_value) AS cif,
        measure_number(fob_value) AS fob,
        measure_number(net_wgt) AS kg,
        measure_number(qty) AS q,
        measure_flag(is_net_wgt_estimated) AS est_wgt,
        measure_flag(is_qty_estimated) AS est_qty,
        measure_flag(is_alt_qty_estimated) AS est_alt_qty,
        measure_smallint(legacy_estimation_flag) AS legacy_flag,
        -- Flow codes: API/bulk letters, legacy numbers (1 import, 2 export, 3 re-export, 4 re-import),
        -- or only a description in user extracts.
        CASE coalesce(flow_code, '')
            WHEN 'X' THEN 'export' WHEN '2' THEN 'export' WHEN 'DX' THEN 'export'
            WHEN 'XIP' THEN 'export' WHEN 'XOP' THEN 'export'
            WHEN 'M' THEN 'import' WHEN '1' THEN 'import' WHEN 'FM' THEN 'import'
            WHEN 'MIP' THEN 'import' WHEN 'MOP' THEN 'import'
            WHEN 'RX' THEN 're-export' WHEN '3' THEN 're-export'
            WHEN 'RM' THEN 're-import' WHEN '4' THEN 're-import'
            WHEN '' THEN CASE flow_desc
                WHEN 'export' THEN 'export' WHEN 'exports' THEN 'export'
                WHEN 'import' THEN 'import' WHEN 'imports' THEN 'import'
                WHEN 're-export' THEN 're-export' WHEN 're-exports' THEN 're-export'
                WHEN 're-import' THEN 're-import' WHEN 're-imports' THEN 're-import'
            END
        END AS fl,
        -- Codes that lost a leading zero (5-digit HS6 from spreadsheets) get it back.
        CASE
            WHEN cmd_code = 'TOTAL' THEN 'TOTAL'
            WHEN regexp_full_match(cmd_code, '[0-9]+') AND length(cmd_code) % 2 = 1 THEN '0' || cmd_code
            ELSE cmd_code
        END AS code
    FROM r
),
located AS (
    SELECT
        t.*,
        CASE WHEN f = 'M' THEN coalesce(
            CASE WHEN TRY_CAST(ref_month AS INTEGER) BETWEEN 1 AND 12 THEN TRY_CAST(ref_month AS INTEGER) END,
            CASE WHEN length(period_raw) = 6 THEN TRY_CAST(right(period_raw, 2) AS INTEGER) END)
        END AS m
    FROM typed AS t
),
checked AS (
    -- A row's first problem, as {field, value, reason, fix}: the period's fields must agree with
    -- each other (a refYear of 2019 beside period 201801 is not a figure for 2019-01), and only
    -- the frequencies the store holds pass (a quarterly figure is never stored as a month).
    SELECT
        l.*,
        CASE
            -- the usual row first (an annual figure whose period, refYear and refMonth 52 agree, an HS
            -- revision, its flags read): no problem, and none of the tests below runs on it
            WHEN l.freq_code = 'A' AND l.ref_month = '52' AND l.period_raw = l.ref_year AND CAST(l.y AS VARCHAR) = l.period_raw
                 AND l.classification_code IN ('H0', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HS')
                 AND (l.est_wgt IS NOT NULL OR l.is_net_wgt_estimated IS NULL)
                 AND (l.est_qty IS NOT NULL OR l.is_qty_estimated IS NULL)
                 AND (l.est_alt_qty IS NOT NULL OR l.is_alt_qty_estimated IS NULL)
                 AND (l.legacy_flag IS NOT NULL OR l.legacy_estimation_flag IS NULL) THEN NULL
            WHEN l.freq_code IS NOT NULL AND l.freq_code NOT IN ('A', 'M') THEN {
                'field': 'freq', 'value': l.freq_code,
                'reason': 'freqCode ' || l.freq_code || ' is not a frequency trade-mirror stores: it keeps annual (A) and monthly (M) figures',
                'fix': 'download the annual (A) or monthly (M) data of the same flows from UN Comtrade'}
            WHEN l.period_raw IS NOT NULL AND NOT is_missing_token(l.period_raw)
                 AND NOT regexp_full_match(l.period_raw, '\d{4}|\d{6}') THEN {
                'field': 'period', 'value': l.period_raw, 'reason': 'period not understood',
                'fix': 'Comtrade periods are YYYY (annual) or YYYYMM (monthly)'}
            WHEN l.ref_year IS NOT NULL AND l.period_raw IS NOT NULL AND NOT is_missing_token(l.ref_year)
                 AND NOT is_missing_token(l.period_raw) AND left(l.period_raw, 4) <> l.ref_year THEN {
                'field': 'period', 'value': l.period_raw,
                'reason': 'period ' || l.period_raw || ' and refYear ' || l.ref_year || ' disagree',
                'fix': 'the file was edited or joined from two downloads: download it again, or correct refYear or period'}
            WHEN l.freq_code = 'A' AND length(l.period_raw) = 6 THEN {
                'field': 'freq', 'value': l.freq_code,
                'reason': 'freqCode ''A'' (annual) and period ' || l.period_raw || ' (a month) disagree',
                'fix': 'download the file again, or correct freqCode (M for a month) or period (YYYY for a year)'}
            WHEN l.freq_code = 'M' AND length(l.period_raw) = 4 THEN {
                'field': 'freq', 'value': l.freq_code,
                'reason': 'freqCode ''M'' (monthly) and period ' || l.period_raw || ' (a year) disagree',
                'fix': 'download the file again, or correct freqCode (A for a year) or period (YYYYMM for a month)'}
            WHEN length(l.period_raw) = 6 AND TRY_CAST(l.ref_month AS INTEGER) BETWEEN 1 AND 12
                 AND TRY_CAST(l.ref_month AS INTEGER) <> TRY_CAST(right(l.period_raw, 2) AS INTEGER) THEN {
                'field': 'period', 'value': l.period_raw,
                'reason': 'period ' || l.period_raw || ' and refMonth ' || l.ref_month || ' disagree',
                'fix': 'the file was edited or joined from two downloads: download it again, or correct refMonth or period'}
            WHEN l.freq_code = 'A' AND TRY_CAST(l.ref_month AS INTEGER) BETWEEN 1 AND 12 THEN {
                'field': 'freq', 'value': l.freq_code,
                'reason': 'freqCode ''A'' (annual) and refMonth ' || l.ref_month || ' (a month) disagree',
                'fix': 'Comtrade writes refMonth 52 on annual rows: download the file again, or correct freqCode or refMonth'}
            WHEN l.classification_code IS NOT NULL AND NOT regexp_full_match(l.classification_code, 'H[0-6]|HS') THEN {
                'field': NULL, 'value': NULL, 'reason': 'classification ' || l.classification_code || ' is not HS',
                'fix': 'trade-mirror compares HS data: download the same data in HS (H0-H6)'}
            ELSE coalesce(  -- the estimation flags, in this order, then the legacy flag
                estimation_flag_problem(l.est_wgt, l.is_net_wgt_estimated, 'isNetWgtEstimated'),
                estimation_flag_problem(l.est_qty, l.is_qty_estimated, 'isQtyEstimated'),
                estimation_flag_problem(l.est_alt_qty, l.is_alt_qty_estimated, 'isAltQtyEstimated'),
                CASE WHEN l.legacy_flag IS NULL AND l.legacy_estimation_flag IS NOT NULL THEN {
                    'field': NULL, 'value': NULL, 'reason': 'legacyEstimationFlag ' || l.legacy_estimation_flag || ' is not a number',
                    'fix': 'write the legacy flag as a number, or leave it empty'} END)
        END AS rej
    FROM located AS l
)
SELECT
    l.source_row,
    (SELECT source FROM load_params)                                   AS source,
    (SELECT release FROM load_params)                                  AS release,
    'reported'                                AS kind,
    l.f                                       AS freq,
    CASE WHEN l.f = 'M' THEN printf('%04d-%02d', l.y, l.m) ELSE CAST(l.y AS VARCHAR) END AS period,
    l.y                                       AS year,
    l.m                                       AS month,
    CASE WHEN l.f = 'A' AND l.y BETWEEN 1900 AND 2100 THEN make_date(l.y, 1, 1)
         WHEN l.f = 'M' AND l.y BETWEEN 1900 AND 2100 AND l.m BETWEEN 1 AND 12 THEN make_date(l.y, l.m, 1) END AS period_start,
    CASE WHEN l.f = 'A' AND l.y BETWEEN 1900 AND 2100 THEN make_date(l.y, 12, 31)
         WHEN l.f = 'M' AND l.y BETWEEN 1900 AND 2100 AND l.m BETWEEN 1 AND 12 THEN last_day(make_date(l.y, l.m, 1)) END AS period_end,
    coalesce(rc.iso3, ri.iso3)                AS reporter_iso3,
    -- the file's own code only (NULL in ISO-only extracts), so that figure keys stay as they were
    l.reporter_code                           AS reporter_code,
    coalesce(rc.is_country, ri.is_country)    AS reporter_is_country,
    coalesce(pc.iso3, pi.iso3)                AS partner_iso3,
    l.partner_code                            AS partner_code,
    coalesce(pc.is_country, pi.is_country)    AS partner_is_country,
    l.fl                                      AS flow,
    CASE WHEN regexp_full_match(l.classification_code, 'H[0-6]') THEN l.classification_code END AS classification,
    l.code                                    AS hs,
    CASE WHEN l.code = 'TOTAL' THEN 'TOTAL'
         WHEN regexp_full_match(l.code, '[0-9]{2}|[0-9]{4}|[0-9]{6}') THEN CAST(length(l.code) AS VARCHAR) END AS hs_level,
    NULL::VARCHAR                             AS product,
    l.v                                       AS value,
    'USD'                                     AS currency,
    -- Valuation as the reporter states it (cif/fob columns); otherwise the IMTS convention that
    -- Comtrade follows: imports CIF, exports FOB.
    CASE WHEN l.fl IN ('import', 're-import') AND l.cif > 0 THEN 'CIF'
         WHEN l.fl IN ('export', 're-export') AND l.fob > 0 THEN 'FOB'
         WHEN l.cif > 0 AND coalesce(l.fob, 0) = 0 THEN 'CIF'
         WHEN l.fob > 0 AND coalesce(l.cif, 0) = 0 THEN 'FOB'
         WHEN l.fl IN ('import', 're-import') THEN 'CIF'
         WHEN l.fl IN ('export', 're-export') THEN 'FOB' END AS valuation,
    -- Comtrade writes 0 for "not available" weight and quantity on rows that have a value.
    CASE WHEN l.kg = 0 AND l.v > 0 THEN NULL ELSE l.kg END AS net_weight_kg,
    CASE WHEN l.q = 0 AND l.v > 0 THEN NULL
         WHEN coalesce(l.qty_unit_code, '-1') = '-1' AND l.qty_unit_abbr IS NULL THEN NULL
         ELSE l.q END                         AS quantity,
    CASE WHEN coalesce(l.qty_unit_code, '-1') = '-1' THEN NULL
         ELSE coalesce(u.abbr, l.qty_unit_abbr, 'unit ' || l.qty_unit_code) END AS quantity_unit,
    nullif(concat_ws(';',
        CASE WHEN coalesce(l.customs_code, 'C00') <> 'C00' THEN 'customs=' || l.customs_code END,
        CASE WHEN coalesce(l.mot_code, '0') <> '0' THEN 'mot=' || l.mot_code END,
        CASE WHEN coalesce(l.mos_code, '0') <> '0' THEN 'mos=' || l.mos_code END,
        CASE WHEN coalesce(l.partner2_code, '0') NOT IN ('0', '') THEN 'partner2=' || l.partner2_code END,
        CASE WHEN l.flow_code IN ('DX', 'FM', 'MIP', 'MOP', 'XIP', 'XOP') THEN 'flow=' || l.flow_code END
    ), '')                                    AS breakdown,
    'UN Comtrade'                             AS publisher,
    NULL::VARCHAR                             AS source_url,
    NULL::VARCHAR                             AS quote,
    NULL::VARCHAR                             AS series_id,
    NULL::VARCHAR                             AS note,
    l.est_wgt                                 AS is_net_wgt_estimated,
    l.est_qty                                 AS is_qty_estimated,
    l.est_alt_qty                             AS is_alt_qty_estimated,
    l.legacy_flag                             AS legacy_estimation_flag,
    l.rej.reason                              AS reject_reason,
    l.rej.fix                                 AS reject_fix,
    l.rej.field                               AS reject_field,
    l.rej.value                               AS reject_value,
    NULL::VARCHAR                             AS apart_reason,
    coalesce(l.period_raw, l.ref_year)        AS period_text,
    coalesce(l.reporter_code, l.reporter_iso) AS reporter_text,
    coalesce(l.partner_code, l.partner_iso)   AS partner_text,
    coalesce(l.flow_code_text, l.flow_desc_text) AS flow_text,
    l.cmd_code_text                           AS hs_text,
    measure_text(coalesce(l.primary_value, l.cif_value, l.fob_value)) AS value_text,
    measure_text(l.net_wgt)                   AS net_weight_text,
    measure_text(l.qty)                       AS quantity_text,
    NULL::VARCHAR                             AS unit_text
FROM checked AS l
LEFT JOIN countries AS rc ON rc.comtrade_code = l.reporter_code
LEFT JOIN country_code_years AS ri ON l.reporter_code IS NULL AND ri.key = l.reporter_iso AND ri.year = l.y
LEFT JOIN countries AS pc ON pc.comtrade_code = l.partner_code
LEFT JOIN country_code_years AS pi ON l.partner_code IS NULL AND pi.key = l.partner_iso AND pi.year = l.y
LEFT JOIN qty_units AS u ON u.code = l.qty_unit_code;
