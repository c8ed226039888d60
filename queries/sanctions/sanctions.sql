-- name: define_sanctions_layer
-- Internal: the sanctions and oil layer's views and macros, created as TEMP on every connection.

-- One row per (measure, HS code or prefix) of the register and users' own measures.
CREATE OR REPLACE TEMP VIEW stg_measure_codes AS
SELECT m.measure_id, m.instrument, m.paragraph, m.adopted, m.effective, m.wind_down_end, m.in_force_to, m.direction,
       m.target, m.goods, m.exemptions, m.exemption_effect, m.unit_value_threshold_usd, m.threshold_unit,
       m.source_url, m.hs_verification, m.origin, t.code AS hs_prefix, CAST(length(t.code) AS VARCHAR) AS prefix_level
FROM measures AS m, unnest(string_split(trim(coalesce(m.hs_codes, '')), ' ')) AS t(code)
WHERE t.code <> '';

-- When a period falls against a measure: 'before' it took effect; 'straddles' its effective date;
-- 'wind-down' while contracts signed before adoption could still be delivered (the resolutions let
-- them run: 2371 30 days, 2375's textiles 90 days, 2397 paragraph 6 30 days); 'after' that; 'ended'
-- once the measure was replaced (2270's coal ban by 2321's cap on 2016-11-30).
CREATE OR REPLACE TEMP MACRO measure_timing(period_start, period_end, effective, wind_down_end, in_force_to) AS
    CASE WHEN period_end < effective THEN 'before'
         WHEN in_force_to IS NOT NULL AND period_start > in_force_to THEN 'ended'
         WHEN period_start < effective THEN 'straddles'
         WHEN wind_down_end IS NOT NULL AND period_start <= wind_down_end THEN 'wind-down'
         ELSE 'after' END;

-- How serious trade at that time is: in the wind-down (or straddling the date) it may be lawful
-- (low); after it, banned (high), unless an exemption may cover it or a luxury ban's value threshold
-- could not be checked (medium: the reason says which).
CREATE OR REPLACE TEMP MACRO trade_severity(timing, exemption_effect, threshold_check) AS
    CASE WHEN timing IN ('straddles', 'wind-down') THEN 'low'
         WHEN timing = 'after' AND (exemption_effect = 'exempt-possible' OR threshold_check = 'not checkable') THEN 'medium'
         WHEN timing = 'after' THEN 'high' END;

-- Partner-reported trade in the goods a measure covers, in the direction it bans (the target's
-- exports = partners' imports from it; supply to the target = partners' exports to it), at the
-- measure's own HS level (heading codes matched at HS4, chapters at HS2, resolved without double
-- counting), before and after the effective date. A luxury ban with a value threshold (2321's rugs
-- over USD 500, porcelain over USD 100) needs a unit value: it is matched on figures as published,
-- HS6 under the code (or the code itself where the reporter gave no HS6), with value / quantity in
-- the threshold's unit; a figure at or below the threshold is not banned and is left out, one
-- without a quantity in that unit is kept as 'not checkable'. One row per (measure, reporter, hs, period).
-- The codes of one length that a target's bans name (never NULL: an empty list matches nothing).
CREATE OR REPLACE TEMP MACRO banned_codes(country, level_wanted) AS (
    SELECT coalesce(list(DISTINCT hs_prefix), []) FROM stg_measure_codes
    WHERE target = country AND prefix_level = level_wanted AND measure_id NOT IN (SELECT measure_id FROM caps));
CREATE OR REPLACE TEMP MACRO sanctioned_flows(country, freq_wanted, source_order, dedupe) AS TABLE
WITH codes AS (  -- bans only: a capped good is not banned (caps are accounted for by cap_rows)
    SELECT * FROM stg_measure_codes
    WHERE target = country AND measure_id NOT IN (SELECT measure_id FROM caps)
),
f AS (
    -- each level's figures: the target's, in the codes its measures name at that level
    SELECT * FROM resolved_flows('2', freq_wanted, source_order, dedupe, country, banned_codes(country, '2'))
    UNION ALL SELECT * FROM resolved_flows('4', freq_wanted, source_order, dedupe, country, banned_codes(country, '4'))
    UNION ALL SELECT * FROM resolved_flows('6', freq_wanted, source_order, dedupe, country, banned_codes(country, '6'))
),
plain AS (
    SELECT c.*, f.reporter_iso3, f.partner_iso3, f.flow, f.hs, f.period, f.year, f.month, f.period_start, f.period_end,
           f.value, f.net_weight_kg, f.source, f.release, NULL::DOUBLE AS unit_value_usd, NULL::VARCHAR AS threshold_check
    FROM codes AS c
    JOIN f ON f.hs_level = c.prefix_level AND f.hs = c.hs_prefix AND f.partner_iso3 = country AND f.reporter_is_country
     AND ((c.direction = 'exports_from_target' AND f.flow = 'import') OR (c.direction = 'supply_to_target' AND f.flow = 'export'))
    WHERE c.unit_value_threshold_usd IS NULL
),
published AS (SELECT * FROM chosen_flows(freq_wanted, source_order, dedupe) WHERE partner_iso3 = country AND reporter_is_country),
thresholded AS (
    SELECT c.*, p.reporter_iso3, p.partner_iso3, p.flow, p.hs, p.period, p.year, p.month, p.period_start, p.period_end,
           p.value, p.net_weight_kg, p.source, p.release,
           CASE WHEN p.quantity_unit = c.threshold_unit AND p.quantity > 0 THEN p.value / p.quantity END AS unit_value_usd,
           CASE WHEN p.quantity_unit = c.threshold_unit AND p.quantity > 0 THEN
                     CASE WHEN p.value / p.quantity > c.unit_value_threshold_usd THEN 'above the threshold' ELSE 'at or below' END
                ELSE 'not checkable' END AS threshold_check
    FROM codes AS c
    JOIN published AS p
      ON starts_with(p.hs, c.hs_prefix) AND (p.hs_level = '6' OR p.hs = c.hs_prefix)
     AND ((c.direction = 'exports_from_target' AND p.flow = 'import') OR (c.direction = 'supply_to_target' AND p.flow = 'export'))
    WHERE c.unit_value_threshold_usd IS NOT NULL
      AND (p.hs_level = '6' OR NOT EXISTS (  -- the code itself only where no HS6 under it was published
          SELECT 1 FROM published AS q
          WHERE q.hs_level = '6' AND starts_with(q.hs, c.hs_prefix) AND q.reporter_iso3 = p.reporter_iso3
            AND q.flow = p.flow AND q.period_start = p.period_start AND q.period_end = p.period_end))
),
matched AS (
    SELECT * FROM plain
    UNION ALL BY NAME
    SELECT * FROM thresholded WHERE threshold_check <> 'at or below'
),
timed AS (
    SELECT *, measure_timing(period_start, period_end, effective, wind_down_end, in_force_to) AS timing FROM matched
)
SELECT
    measure_id AS measure, instrument, effective, wind_down_end, in_force_to, direction, goods, exemptions,
    exemption_effect, unit_value_threshold_usd, hs_prefix,
    reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, period, freq_wanted AS freq,
    year, month, period_start, period_end, value AS value_usd, net_weight_kg, unit_value_usd, threshold_check, source, release,
    timing, trade_severity(timing, exemption_effect, threshold_check) AS severity,
    CASE WHEN timing = 'straddles' THEN 'the period contains the effective date ' || strftime(effective, '%Y-%m-%d')
         WHEN timing = 'wind-down' THEN 'contracts signed before adoption could be delivered until ' || strftime(wind_down_end, '%Y-%m-%d')
         WHEN timing = 'after' AND threshold_check = 'not checkable'
             THEN 'no quantity in items: the USD ' || CAST(CAST(unit_value_threshold_usd AS BIGINT) AS VARCHAR) || ' per unit threshold could not be checked'
         WHEN timing = 'after' AND exemption_effect = 'exempt-possible' THEN 'an exemption may apply: ' || exemptions
         WHEN timing = 'after' THEN 'after the measure took effect' END AS severity_reason
FROM timed
WHERE timing <> 'ended';

-- Every oil figure to or from a country, of any kind, with its product and its tonnes and barrels.
-- Product: a product the source names (diesel, jet ...) wins over the HS code's. Barrels reported as
-- barrels are kept as published (bbl_per_tonne then derives the tonnes); otherwise barrels = tonnes
-- x the product's factor from `factor_set`, falling back to the UN Statistics Division's set. Heading
-- 2711 is not all LPG: only propane, butanes and other liquefied gases are; LNG (271111) and gases
-- have no barrels factor.
CREATE OR REPLACE TEMP MACRO oil_figures(country, factor_set) AS TABLE
WITH f AS (
    SELECT fl.*,
           coalesce(pn.product, op.product,
                    CASE WHEN starts_with(fl.hs, '2709') THEN 'crude'
                         WHEN starts_with(fl.hs, '2710') THEN 'refined'
                         WHEN starts_with(fl.hs, '2711') THEN 'petroleum_gases' END) AS oil_product
    FROM flows AS fl
    LEFT JOIN oil_product_names AS pn ON pn.name = lower(fl.product)
    LEFT JOIN oil_products AS op ON op.hs = fl.hs
    WHERE (fl.partner_iso3 = country OR fl.reporter_iso3 = country OR position(country IN fl.partner_iso3) > 0)
      AND fl.hs_level IN ('4', '6')
      AND (starts_with(fl.hs, '2709') OR starts_with(fl.hs, '2710') OR starts_with(fl.hs, '2711'))
),
k AS (
    SELECT f.*,
           coalesce(chosen.bbl_per_tonne, fallback.bbl_per_tonne) AS factor,
           CASE WHEN chosen.bbl_per_tonne IS NOT NULL THEN factor_set
                WHEN fallback.bbl_per_tonne IS NOT NULL THEN 'unsd' END AS factor_set_used,
           coalesce(chosen.source, fallback.source) AS factor_source,
           coalesce(chosen.edition, fallback.edition) AS factor_edition
    FROM f
    LEFT JOIN oil_factors AS chosen ON chosen.factor_set = factor_set AND chosen.product = f.oil_product
    LEFT JOIN oil_factors AS fallback ON fallback.factor_set = 'unsd' AND fallback.product = f.oil_product
)
SELECT
    reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, oil_product AS product, product AS product_named,
    period, freq, year, month, period_start, period_end, kind, source, release, publisher, source_url,
    CASE WHEN net_weight_kg IS NOT NULL THEN net_weight_kg / 1000
         WHEN quantity_unit = 'bbl' THEN quantity / factor END AS tonnes,
    CASE WHEN quantity_unit = 'bbl' THEN quantity
         WHEN net_weight_kg IS NOT NULL THEN net_weight_kg / 1000 * factor END AS barrels,
    factor AS bbl_per_tonne,
    CASE WHEN quantity_unit = 'bbl' AND net_weight_kg IS NULL THEN 'barrels as published; tonnes = barrels / factor'
         WHEN quantity_unit = 'bbl' THEN 'barrels and tonnes as published'
         WHEN net_weight_kg IS NOT NULL THEN 'barrels = tonnes x factor' END AS conversion,
    factor_set_used AS factor_set, factor_source, factor_edition,
    CASE WHEN currency = 'USD' THEN value END AS value_usd
FROM k
WHERE net_weight_kg IS NOT NULL OR quantity_unit = 'bbl' OR value IS NOT NULL;

-- Which cap an oil product counts against: crude, or refined products (LPG, LNG and gases are not counted).
CREATE OR REPLACE TEMP MACRO cap_product(product) AS
    CASE WHEN product = 'crude' THEN 'crude'
         WHEN product IN ('refined', 'gasoline', 'kerosene', 'gasoil', 'fuel_oil', 'lubricants', 'other_refined')
         THEN 'refined' END;

-- Published tonnes and barrels are rounded (53,000 t; 418,000 bbl): an implied factor within 1% of
-- the plausible range is not flagged.
CREATE OR REPLACE TEMP MACRO factor_rounding_tolerance() AS 0.01;
-- An implied factor more than 10% from the factor a set would use means the conversion choice changes
-- the delivery by more than a tenth: said, even when the factor is plausible.
CREATE OR REPLACE TEMP MACRO factor_gap_limit() AS 0.10;

-- The plausible barrels per tonne of each product: the lowest and highest factor the bundled sets
-- (data/oil/factors.csv) give it; refined products of unknown mix span every refined product, from
-- residual fuel oil (BP 2021: 6.35) to motor gasoline (UNSD: 8.50).
CREATE OR REPLACE TEMP VIEW stg_factor_ranges AS
SELECT product, min(bbl_per_tonne) AS low, max(bbl_per_tonne) AS high
FROM oil_factors WHERE product <> 'refined' GROUP BY product
UNION ALL
SELECT 'refined', min(bbl_per_tonne), max(bbl_per_tonne)
FROM oil_factors WHERE cap_product(product) = 'refined' AND product <> 'refined';

-- Deliveries published both in tonnes and in barrels (same supplier, kind, product and span; the
-- publishers may differ), and a group's barrels less its other members' barrels against the last
-- member's tonnes (CHN+RUS 418,000 bbl - RUS 277,365 bbl against CHN's 22,730 t): the implied
-- barrels per tonne, the plausible range and the factor the set would use. One row per pair.
CREATE OR REPLACE TEMP MACRO implied_factors(country, factor_set) AS TABLE
WITH o AS (
    SELECT *, coalesce(cap_product(product), product) AS product_group
    FROM oil_figures(country, factor_set) WHERE tonnes IS NOT NULL OR barrels IS NOT NULL
),
t AS (SELECT * FROM o WHERE conversion = 'barrels = tonnes x factor' AND tonnes > 0),
b AS (SELECT * FROM o WHERE conversion = 'barrels as published; tonnes = barrels / factor'),
direct AS (
    SELECT b.reporter, b.partner, b.flow, b.kind, b.product_group AS product, b.period, b.period_start, b.period_end,
           b.barrels, t.tonnes, b.publisher AS barrels_by, t.publisher AS tonnes_by,
           'published in barrels and in tonnes' AS basis
    FROM b JOIN t ON t.reporter = b.reporter AND t.partner = b.partner AND t.flow = b.flow AND t.kind = b.kind
                 AND t.product_group = b.product_group AND t.period_start = b.period_start AND t.period_end = b.period_end
    UNION ALL
    SELECT reporter, partner, flow, kind, product_group, period, period_start, period_end, barrels, tonnes,
           publisher, publisher, 'published in barrels and in tonnes (one figure)'
    FROM o WHERE conversion = 'barrels and tonnes as published' AND tonnes > 0
),
members AS (SELECT DISTINCT reporter AS grp, unnest(string_split(reporter, '+')) AS member FROM b WHERE contains(reporter, '+')),
member_barrels AS (
    SELECT reporter, partner, flow, kind, product_group, period_start, period_end, median(barrels) AS barrels
    FROM b WHERE NOT contains(reporter, '+') GROUP BY ALL
),
others AS (  -- per group, span and member x: the barrels of every other member
    SELECT mx.grp, mx.member AS x, ob.partner, ob.flow, ob.kind, ob.product_group, ob.period_start, ob.period_end,
           sum(ob.barrels) AS barrels, count(*) AS n,
           string_agg(ob.reporter || ' ' || CAST(round(ob.barrels) AS BIGINT), ' + ') AS what
    FROM members AS mx JOIN members AS mo ON mo.grp = mx.grp AND mo.member <> mx.member
    JOIN member_barrels AS ob ON ob.reporter = mo.member
    GROUP BY ALL
),
remainder AS (
    SELECT tx.reporter, g.partner, g.flow, g.kind, g.product_group, g.period, g.period_start, g.period_end,
           g.barrels - ot.barrels AS barrels, tx.tonnes, g.publisher AS barrels_by, tx.publisher AS tonnes_by,
           g.reporter || ' ' || CAST(round(g.barrels) AS BIGINT) || ' bbl minus ' || ot.what || ' bbl, against '
               || tx.reporter || ' ' || CAST(round(tx.tonnes) AS BIGINT) || ' t' AS basis
    FROM b AS g
    JOIN others AS ot ON ot.grp = g.reporter AND ot.partner = g.partner AND ot.flow = g.flow AND ot.kind = g.kind
                     AND ot.product_group = g.product_group AND ot.period_start = g.period_start AND ot.period_end = g.period_end
                     AND ot.n = len(string_split(g.reporter, '+')) - 1
    JOIN t AS tx ON tx.reporter = ot.x AND tx.partner = g.partner AND tx.flow = g.flow AND tx.kind = g.kind
                AND tx.product_group = g.product_group AND tx.period_start = g.period_start AND tx.period_end = g.period_end
),
pairs AS (SELECT * FROM direct UNION ALL SELECT * FROM remainder),
checked AS (
    SELECT p.*, p.barrels / p.tonnes AS implied, r.low, r.high,
           coalesce(chosen.bbl_per_tonne, fallback.bbl_per_tonne) AS factor_used
    FROM pairs AS p
    LEFT JOIN stg_factor_ranges AS r ON r.product = p.product
    LEFT JOIN oil_factors AS chosen ON chosen.factor_set = factor_set AND chosen.product = p.product
    LEFT JOIN oil_factors AS fallback ON fallback.factor_set = 'unsd' AND fallback.product = p.product
)
SELECT reporter, partner, flow, kind, product, period, period_start, period_end, barrels, tonnes,
       implied AS implied_bbl_per_tonne, low AS plausible_low, high AS plausible_high, factor_used,
       implied / factor_used - 1 AS factor_gap,
       CASE WHEN low IS NULL THEN 'no plausible range for this product'
            WHEN implied < low * (1 - factor_rounding_tolerance()) OR implied > high * (1 + factor_rounding_tolerance())
            THEN 'implausible: outside ' || low || '-' || high || ' bbl/t; the tonnes and the barrels cannot both be true'
            WHEN abs(implied / factor_used - 1) > factor_gap_limit()
            THEN 'plausible, but ' || CAST(round(100 * (implied / factor_used - 1)) AS BIGINT) || '% from the factor used ('
                 || factor_used || ' bbl/t)'
            ELSE 'plausible' END AS implied_check,
       basis, barrels_by, tonnes_by
FROM checked;

-- The periods of every cap: a cap that repeats yearly gets one period per year up to next year; a
-- cap superseded by a later measure ends the day before (2375's crude freeze on 2017-12-21, 2321's
-- coal cap on 2017-08-04). cap_year is the year the period ends in (2397's crude periods run from
-- 22 December to 21 December: the period ending 2018-12-21 is cap year 2018).
CREATE OR REPLACE TEMP VIEW stg_cap_periods AS
SELECT *, year(period_end) AS cap_year,
       strftime(period_start, '%Y-%m-%d') || '..' || strftime(period_end, '%Y-%m-%d') AS cap_period,
       datediff('day', period_start, period_end) + 1 AS cap_days
FROM (
    SELECT
        c.cap_id, c.measure_id, c.product, c.amount, c.unit, c.note, c.source_url, c.citation,
        CAST(c.first_period_start + to_years(CAST(k.n AS INTEGER)) AS DATE) AS period_start,
        CASE WHEN c.superseded_from IS NOT NULL
             THEN least(CAST(c.first_period_end + to_years(CAST(k.n AS INTEGER)) AS DATE),
                        CAST(c.superseded_from - INTERVAL 1 DAY AS DATE))
             ELSE CAST(c.first_period_end + to_years(CAST(k.n AS INTEGER)) AS DATE) END AS period_end
    FROM caps AS c, range(0, 30) AS k(n)
    WHERE (c.repeats = 'yearly' OR k.n = 0)
      AND c.first_period_start + to_years(CAST(k.n AS INTEGER)) <= make_date(year(current_date) + 1, 12, 31)
      AND (c.superseded_from IS NULL OR c.first_period_start + to_years(CAST(k.n AS INTEGER)) < c.superseded_from)
);

-- Figures against the cap periods they overlap, pro-rated by days: a figure that straddles a cap
-- period's start or end (every calendar year and every December against 2397's 22 December crude
-- periods, November 2016 against 2321's first coal period) counts with the share of its days inside
-- the period, and says so. Oil: supply to the country in barrels or tonnes; coal (2321's cap on the
-- DPRK's exports): partners' imports of coal (2701) and lignite (2702) from it as published at HS4, in
-- tonnes or USD. One row per (cap period, figure); amount in the cap's unit.
CREATE OR REPLACE TEMP MACRO cap_figures(country, factor_set) AS TABLE
WITH o AS (
    SELECT reporter, kind, freq, period, period_start, period_end, month, publisher, source_url,
           cap_product(product) AS cap_product, tonnes, barrels, NULL::DOUBLE AS usd, conversion
    FROM oil_figures(country, factor_set)
    WHERE partner = country AND flow = 'export'
    UNION ALL
    SELECT reporter_iso3, kind, freq, period, period_start, period_end, month, publisher, source_url, 'coal',
           net_weight_kg / 1000, NULL, CASE WHEN currency = 'USD' THEN value END, 'as published'
    FROM flows
    WHERE partner_iso3 = country AND flow = 'import' AND hs_level = '4' AND hs IN ('2701', '2702') AND reporter_is_country
),
ov AS (
    SELECT p.cap_id, p.cap_year, p.cap_period, p.period_start AS cap_start, p.period_end AS cap_end, p.cap_days,
           p.amount, p.unit, o.reporter, o.kind, o.freq, o.period, o.period_start, o.period_end, o.month, o.publisher,
           o.source_url, greatest(o.period_start, p.period_start) AS ov_start, least(o.period_end, p.period_end) AS ov_end,
           datediff('day', o.period_start, o.period_end) + 1 AS figure_days,
           CASE p.unit WHEN 'bbl' THEN o.barrels WHEN 't' THEN o.tonnes WHEN 'USD' THEN o.usd END AS full_amount,
           -- a figure published in the cap's own unit beats one converted into it
           (p.unit = 'bbl' AND o.conversion LIKE 'barrels%as published%')
             OR (p.unit = 't' AND o.conversion IN ('barrels = tonnes x factor', 'as published'))
             OR p.unit = 'USD' AS in_cap_unit
    FROM stg_cap_periods AS p
    JOIN o ON o.cap_product = p.product AND o.period_start <= p.period_end AND o.period_end >= p.period_start
)
SELECT *, datediff('day', ov_start, ov_end) + 1 AS ov_days,
       (datediff('day', ov_start, ov_end) + 1) / figure_days AS share,
       full_amount * (datediff('day', ov_start, ov_end) + 1) / figure_days AS amount_in_cap_unit
FROM ov WHERE full_amount IS NOT NULL;

-- name: sanctioned_competing_figures(country, freq)
-- Internal: whether flows to or from `country` as partner (every figure the banned-trade queries read
-- has it as partner) have more than one current reported USD figure; zero lets them skip choosing one
-- per flow. Scoped to the partner so that one country's question does not count the whole store's
-- figures. On one 64-bit hash of the flow's identity (a collision can only say "competing" where
-- none compete, which costs the choice, never a wrong figure). One row; figures beyond the first of
-- their flow.
SELECT count(*) - count(DISTINCT hash(reporter_iso3, partner_iso3, flow, hs, period_start, period_end))
FROM stg_reported_usd
WHERE freq = $freq AND partner_iso3 = $country;

-- name: sanctioned_trade_rows(country, freq, source_order, dedupe:bool, measure, include_before:bool)
-- Internal: partner-reported trade in banned goods, in the banned direction: one row per (measure,
-- reporter, hs, period) from the measure's effective date (timed straddles, wind-down or after, with
-- its severity and why), and before it when asked. USD as reported; kg; unit value in USD per unit.
SELECT measure, instrument, effective, wind_down_end, direction, goods, hs_prefix, reporter, partner, flow, hs, period,
       freq, value_usd, net_weight_kg, unit_value_usd, threshold_check, timing, severity, severity_reason, source, release
FROM sanctioned_flows($country, $freq, $source_order, $dedupe)
WHERE ($measure IS NULL OR measure = $measure) AND ($include_before OR timing <> 'before')
ORDER BY measure, reporter, hs, period_start;

-- name: sanctioned_trade_summary(country, freq, source_order, dedupe:bool)
-- Internal: per measure and reporter, banned-direction trade after the wind-down (value, weight,
-- first and last period, periods), trade during the wind-down, in a period straddling the date,
-- the same goods in the 12 months (or the year) before for comparison, and the worst severity with
-- why. USD and kg.
WITH s AS (SELECT * FROM sanctioned_flows($country, $freq, $source_order, $dedupe))
SELECT
    measure, any_value(instrument) AS instrument, any_value(effective) AS effective,
    any_value(wind_down_end) AS wind_down_end, any_value(direction) AS direction,
    any_value(goods) AS goods, any_value(exemptions) AS exemptions, any_value(exemption_effect) AS exemption_effect,
    reporter, any_value(partner) AS partner,
    sum(value_usd) FILTER (WHERE timing = 'after')        AS value_after_usd,
    sum(net_weight_kg) FILTER (WHERE timing = 'after')    AS weight_after_kg,
    min(period) FILTER (WHERE timing = 'after')           AS first_period_after,
    max(period) FILTER (WHERE timing = 'after')           AS last_period_after,
    count(DISTINCT period) FILTER (WHERE timing = 'after') AS periods_after,
    sum(value_usd) FILTER (WHERE timing = 'wind-down')     AS value_wind_down_usd,
    sum(net_weight_kg) FILTER (WHERE timing = 'wind-down') AS weight_wind_down_kg,
    min(period) FILTER (WHERE timing = 'wind-down')        AS first_period_wind_down,
    max(period) FILTER (WHERE timing = 'wind-down')        AS last_period_wind_down,
    sum(value_usd) FILTER (WHERE timing = 'straddles')     AS value_straddling_usd,
    sum(value_usd) FILTER (WHERE timing = 'before' AND period_start >= effective - INTERVAL 12 MONTH
                                 AND period_end < effective) AS value_12m_before_usd,
    sum(net_weight_kg) FILTER (WHERE timing = 'before' AND period_start >= effective - INTERVAL 12 MONTH
                                 AND period_end < effective) AS weight_12m_before_kg,
    -- a period that merely contains the effective date (the whole of 2017 against 2371) is no finding
    CASE WHEN bool_or(severity = 'high') THEN 'high' WHEN bool_or(severity = 'medium') THEN 'medium'
         WHEN bool_or(timing = 'wind-down') THEN 'low' END AS severity,
    coalesce(any_value(severity_reason) FILTER (WHERE severity = 'high'),
             any_value(severity_reason) FILTER (WHERE severity = 'medium'),
             any_value(severity_reason) FILTER (WHERE timing = 'wind-down')) AS severity_reason
FROM s
GROUP BY measure, reporter
ORDER BY measure, value_after_usd DESC NULLS LAST, reporter;

-- name: measure_rows(country)
-- The sanctions register (bundled and users' own): one row per measure, with adopted, in-force and
-- wind-down dates, direction, HS codes, exemptions, value thresholds, its citation and what was
-- verified against which text.
SELECT measure_id, instrument, paragraph, adopted, effective, wind_down_end, in_force_to, direction, target, hs_codes,
       goods, exemptions, exemption_effect, unit_value_threshold_usd, threshold_unit, citation, verification,
       source_url, hs_verification, origin
FROM measures
WHERE $country IS NULL OR target = $country
ORDER BY effective, measure_id;

-- name: add_user_measures(path, added_from)
-- Internal: add measures from a user's CSV (the register's columns) to measures_user.
INSERT INTO measures_user BY NAME
SELECT *, now()::TIMESTAMP AS added_at, $added_from AS added_from
FROM read_csv($path, header = true, columns = {
    'measure_id': 'VARCHAR', 'instrument': 'VARCHAR', 'paragraph': 'VARCHAR', 'adopted': 'DATE', 'effective': 'DATE',
    'direction': 'VARCHAR', 'target': 'VARCHAR', 'hs_codes': 'VARCHAR', 'hs_revision': 'VARCHAR', 'goods': 'VARCHAR',
    'exemptions': 'VARCHAR', 'source_url': 'VARCHAR', 'hs_verification': 'VARCHAR', 'wind_down_end': 'DATE',
    'in_force_to': 'DATE', 'exemption_effect': 'VARCHAR', 'unit_value_threshold_usd': 'DOUBLE', 'threshold_unit': 'VARCHAR',
    'citation': 'VARCHAR', 'verification': 'VARCHAR'});

-- name: user_measure_problems
-- Internal: measures just added that cannot work: unknown direction, a target that is not a known
-- country, a measure id used twice, or HS codes that are not 2, 4 or 6 digits.
SELECT measure_id, 'direction' AS field, direction AS value,
       'direction must be exports_from_target or supply_to_target' AS reason
FROM measures_user WHERE direction NOT IN ('exports_from_target', 'supply_to_target')
UNION ALL
SELECT measure_id, 'target', target, 'unknown country code (use ISO3, e.g. PRK)'
FROM measures_user WHERE target NOT IN (SELECT iso3 FROM countries)
UNION ALL
SELECT measure_id, 'measure_id', measure_id, 'measure id used twice'
FROM (SELECT measure_id FROM measures GROUP BY measure_id HAVING count(*) > 1)
UNION ALL
SELECT measure_id, 'hs_codes', hs_codes, 'HS codes must be 2, 4 or 6 digits separated by spaces'
FROM measures_user
WHERE NOT regexp_full_match(trim(coalesce(hs_codes, '')), '(([0-9]{2}|[0-9]{4}|[0-9]{6})( +|$))*')
UNION ALL
SELECT measure_id, 'citation', NULL, 'a measure needs its citation (or at least a source_url)'
FROM measures_user WHERE coalesce(nullif(trim(citation), ''), nullif(trim(source_url), '')) IS NULL
UNION ALL
SELECT measure_id, 'wind_down_end', CAST(wind_down_end AS VARCHAR), 'the wind-down cannot end before the measure takes effect'
FROM measures_user WHERE wind_down_end < effective;
