-- name: define_staging
-- Staging views (rename, cast, filter only), created as TEMP on every connection so that they
-- always match this version of trade-mirror, on read-only connections too.

-- Current, customs-reported figures in USD between two reporters of goods: what mirror
-- comparisons use. One row per figure (several sources may carry the same flow: see chosen_flows).
CREATE OR REPLACE TEMP VIEW stg_reported_usd AS
SELECT
    source, release, load_id, source_row, freq, period, year, month, period_start, period_end,
    reporter_iso3, partner_iso3, reporter_is_country, partner_is_country, flow,
    classification, hs, hs_level, value, valuation, net_weight_kg, quantity, quantity_unit
FROM flows
WHERE kind = 'reported'
  AND currency = 'USD'
  AND value IS NOT NULL
  AND flow IN ('export', 'import', 're-export', 're-import')
  AND hs_level IN ('2', '4', '6', 'TOTAL');

-- Every current figure in any currency or unit, with a canonical orientation for comparing
-- figures of different kinds: an export by A to B and an import by B from A are the same flow
-- (origin A, destination B); a two-way total is keyed by the two countries in alphabetical order.
CREATE OR REPLACE TEMP VIEW stg_figures_oriented AS
SELECT
    *,
    CASE WHEN flow IN ('export', 're-export') THEN reporter_iso3
         WHEN flow IN ('import', 're-import') THEN partner_iso3
         ELSE least(reporter_iso3, partner_iso3) END   AS origin,
    CASE WHEN flow IN ('export', 're-export') THEN partner_iso3
         WHEN flow IN ('import', 're-import') THEN reporter_iso3
         ELSE greatest(reporter_iso3, partner_iso3) END AS destination,
    CASE WHEN flow = 'two-way' THEN 'two-way' ELSE 'one-way' END AS direction,
    CASE WHEN value IS NOT NULL THEN currency
         WHEN net_weight_kg IS NOT NULL THEN 'kg'
         ELSE quantity_unit END                         AS measure_unit,
    coalesce(value, net_weight_kg, quantity)            AS measure
FROM flows;

-- HS codes with their chapter (2 digits), heading (4) and section.
CREATE OR REPLACE TEMP VIEW stg_hs_sections AS
SELECT DISTINCT h.hs AS chapter, s.section, s.number AS section_number, s.name AS section_name
FROM hs_codes AS h
JOIN hs_sections AS s ON h.hs BETWEEN s.chapter_from AND s.chapter_to
WHERE h.level = 2;
