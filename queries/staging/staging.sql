-- name: define_staging
-- Staging views (rename, cast, filter only), created as TEMP on every connection so that they
-- always match this version of trade-mirror, on read-only connections too.

-- Every current figure with a value in a currency other than USD, with the average exchange rate
-- that converts it (data/exchange_rates.csv): the month's average for a monthly figure where the
-- table has it, else the year's; a span within one year (year to date) takes the year's average.
-- usd_rate is NULL where the table has no rate: such figures are listed by currencies_without_rate,
-- never silently dropped.
CREATE OR REPLACE TEMP VIEW stg_converted AS
SELECT
    f.*,
    coalesce(rm.per_usd, ra.per_usd)                                           AS usd_rate,
    CASE WHEN rm.per_usd IS NOT NULL THEN 'monthly average ' || rm.period
         WHEN ra.per_usd IS NOT NULL THEN 'annual average ' || ra.period END AS usd_rate_basis,
    coalesce(rm.source, ra.source)                                             AS usd_rate_source,
    coalesce(rm.source_url, ra.source_url)                                     AS usd_rate_url
FROM flows AS f
LEFT JOIN exchange_rates AS rm
  ON rm.freq = 'M' AND f.freq = 'M' AND rm.currency = f.currency AND rm.year = f.year AND rm.month = f.month
LEFT JOIN exchange_rates AS ra
  ON ra.freq = 'A' AND ra.currency = f.currency AND ra.year = year(f.period_start) AND ra.year = year(f.period_end)
WHERE f.currency <> 'USD' AND f.value IS NOT NULL;

-- Current, customs-reported figures in USD between two reporters of goods: what mirror
-- comparisons use. One row per figure (several sources may carry the same flow: see chosen_flows).
-- Figures published in another currency enter converted at stg_converted's rate (value_original,
-- currency_original, usd_rate and usd_rate_basis say how), unless the same source also published
-- the flow in USD: a figure as published is preferred to a conversion of another.
CREATE OR REPLACE TEMP VIEW stg_reported_usd AS
SELECT
    source, release, load_id, source_row, freq, period, year, month, period_start, period_end,
    reporter_iso3, partner_iso3, reporter_is_country, partner_is_country, flow,
    classification, hs, hs_level, value, valuation, net_weight_kg, quantity, quantity_unit,
    value AS value_original, 'USD' AS currency_original, 1.0::DOUBLE AS usd_rate, NULL::VARCHAR AS usd_rate_basis,
    reporter_n, partner_n, hs_n
FROM flows
WHERE kind = 'reported'
  AND currency = 'USD'
  AND value IS NOT NULL
  AND flow IN ('export', 'import', 're-export', 're-import')
  AND hs_level IN ('2', '4', '6', 'TOTAL')
UNION ALL
SELECT
    c.source, c.release, c.load_id, c.source_row, c.freq, c.period, c.year, c.month, c.period_start, c.period_end,
    c.reporter_iso3, c.partner_iso3, c.reporter_is_country, c.partner_is_country, c.flow,
    c.classification, c.hs, c.hs_level, c.value / c.usd_rate, c.valuation, c.net_weight_kg, c.quantity,
    c.quantity_unit, c.value, c.currency, c.usd_rate, c.usd_rate_basis, c.reporter_n, c.partner_n, c.hs_n
FROM stg_converted AS c
WHERE c.kind = 'reported'
  AND c.usd_rate IS NOT NULL
  AND c.flow IN ('export', 'import', 're-export', 're-import')
  AND c.hs_level IN ('2', '4', '6', 'TOTAL')
  AND NOT EXISTS (
      SELECT 1 FROM flows AS u
      WHERE u.currency = 'USD' AND u.kind = 'reported' AND u.value IS NOT NULL AND u.source = c.source
        AND u.reporter_iso3 = c.reporter_iso3 AND u.partner_iso3 = c.partner_iso3 AND u.flow = c.flow
        AND u.hs = c.hs AND u.period_start = c.period_start AND u.period_end = c.period_end);

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

-- name: usd_conversions(country)
-- One row per current figure published in a currency other than USD (NULL country = all; else
-- figures with the country on either side): the value as published, the rate used (currency units
-- per USD), its basis and source, the value in USD, and whether comparisons use it.
SELECT c.source, c.kind, c.reporter_iso3, c.partner_iso3, c.flow, c.hs, c.freq, c.period, c.publisher,
       c.value AS value_original, c.currency AS currency_original, c.usd_rate, c.usd_rate_basis,
       c.value / c.usd_rate AS value_usd, c.usd_rate_source, c.usd_rate_url,
       CASE WHEN c.usd_rate IS NULL THEN 'not used: no rate for ' || c.currency || ' in ' || c.period
            WHEN c.kind <> 'reported' THEN 'not in mirror comparisons: a ' || c.kind || ' figure'
            WHEN EXISTS (SELECT 1 FROM stg_reported_usd AS s
                         WHERE s.currency_original = c.currency AND s.source = c.source AND s.load_id = c.load_id
                           AND s.source_row = c.source_row) THEN 'used in comparisons'
            ELSE 'not used: the same source published this flow in USD, or it is not a flow of goods' END AS status
FROM stg_converted AS c
WHERE $country IS NULL OR $country IN (c.reporter_iso3, c.partner_iso3)
ORDER BY c.currency, c.period, c.reporter_iso3, c.partner_iso3, c.flow, c.hs;

-- name: currencies_without_rate
-- One row per (currency, frequency, period) of current figures that no rate in
-- data/exchange_rates.csv converts to USD, with how many figures wait for one: they are kept
-- (in `flows`, in their own currency) and left out of USD comparisons until a rate is added.
SELECT currency, freq, period, count(*) AS figures, string_agg(DISTINCT source, ', ') AS sources,
       CASE WHEN year(period_start) <> year(period_end) THEN 'a span over several years: no single average'
            WHEN NOT EXISTS (SELECT 1 FROM exchange_rates AS r WHERE r.currency = c.currency)
            THEN 'no rate for ' || currency || ' in data/exchange_rates.csv'
            ELSE 'no rate for ' || currency || ' in ' || year(period_start) END AS reason
FROM stg_converted AS c
WHERE usd_rate IS NULL
GROUP BY ALL
ORDER BY currency, period;
