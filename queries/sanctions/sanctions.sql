-- name: define_sanctions_layer
-- Internal: the sanctions and oil layer's views and macros, created as TEMP on every connection.

-- One row per (measure, HS code or prefix) of the register and users' own measures.
CREATE OR REPLACE TEMP VIEW stg_measure_codes AS
SELECT m.measure_id, m.instrument, m.paragraph, m.adopted, m.effective, m.direction, m.target, m.goods,
       m.exemptions, m.source_url, m.hs_verification, m.origin, t.code AS hs_prefix, CAST(length(t.code) AS VARCHAR) AS prefix_level
FROM measures AS m, unnest(string_split(trim(coalesce(m.hs_codes, '')), ' ')) AS t(code)
WHERE t.code <> '';

-- Partner-reported trade in the goods a measure covers, in the direction it bans (the target's
-- exports = partners' imports from it; supply to the target = partners' exports to it), at the
-- measure's own HS level (heading codes matched at HS4, chapters at HS2, resolved without double
-- counting), before and after the effective date. One row per (measure, reporter, hs, period).
CREATE OR REPLACE TEMP MACRO sanctioned_flows(country, freq_wanted, source_order, dedupe) AS TABLE
WITH codes AS (  -- bans only: a capped good is not banned (caps are accounted for by cap_rows)
    SELECT * FROM stg_measure_codes
    WHERE target = country AND measure_id NOT IN (SELECT measure_id FROM caps)
),
f AS (
    SELECT * FROM resolved_flows('2', freq_wanted, source_order, dedupe)
    UNION ALL SELECT * FROM resolved_flows('4', freq_wanted, source_order, dedupe)
    UNION ALL SELECT * FROM resolved_flows('6', freq_wanted, source_order, dedupe)
)
SELECT
    c.measure_id AS measure, c.instrument, c.effective, c.direction, c.goods, c.exemptions, c.hs_prefix,
    f.reporter_iso3 AS reporter, f.partner_iso3 AS partner, f.flow, f.hs, f.period, freq_wanted AS freq,
    f.year, f.month, f.period_start, f.period_end,
    f.value AS value_usd, f.net_weight_kg, f.source, f.release,
    CASE WHEN f.period_start >= c.effective THEN 'after'
         WHEN f.period_end >= c.effective THEN 'straddles'
         ELSE 'before' END AS timing
FROM codes AS c
JOIN f
  ON f.hs_level = c.prefix_level AND f.hs = c.hs_prefix AND f.partner_iso3 = country AND f.reporter_is_country
 AND ((c.direction = 'exports_from_target' AND f.flow = 'import')
   OR (c.direction = 'supply_to_target' AND f.flow = 'export'));

-- Every oil figure to or from a country, of any kind, with its product and its tonnes and barrels.
-- Product: a product the source names (diesel, jet ...) wins over the HS code's. Barrels reported as
-- barrels are kept as published (bbl_per_tonne then derives the tonnes); otherwise barrels = tonnes
-- x the product's factor from `factor_set`, falling back to the UN Statistics Division's set.
CREATE OR REPLACE TEMP MACRO oil_figures(country, factor_set) AS TABLE
WITH f AS (
    SELECT fl.*,
           coalesce(pn.product, op.product,
                    CASE WHEN starts_with(fl.hs, '2709') THEN 'crude'
                         WHEN starts_with(fl.hs, '2710') THEN 'refined'
                         WHEN starts_with(fl.hs, '2711') THEN 'lpg' END) AS oil_product
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
           CASE WHEN chosen.bbl_per_tonne IS NOT NULL THEN factor_set ELSE 'unsd' END AS factor_set_used,
           coalesce(chosen.source, fallback.source) AS factor_source
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
    factor_set_used AS factor_set, factor_source,
    CASE WHEN currency = 'USD' THEN value END AS value_usd
FROM k
WHERE net_weight_kg IS NOT NULL OR quantity_unit = 'bbl' OR value IS NOT NULL;

-- Which cap an oil product counts against: crude, or refined products (LPG is not counted).
CREATE OR REPLACE TEMP MACRO cap_product(product) AS
    CASE WHEN product = 'crude' THEN 'crude'
         WHEN product IN ('refined', 'gasoline', 'kerosene', 'gasoil', 'fuel_oil', 'lubricants', 'other_refined')
         THEN 'refined' END;

-- The periods of every cap: a cap that repeats yearly gets one period per year up to next year;
-- a cap superseded by a later measure ends there.
CREATE OR REPLACE TEMP VIEW stg_cap_periods AS
SELECT
    c.cap_id, c.measure_id, c.product, c.amount, c.unit, c.note, c.source_url,
    CAST(c.first_period_start + to_years(CAST(k.n AS INTEGER)) AS DATE) AS period_start,
    CAST(c.first_period_end + to_years(CAST(k.n AS INTEGER)) AS DATE) AS period_end,
    year(c.first_period_start) + CAST(k.n AS INTEGER) AS cap_year
FROM caps AS c, range(0, 30) AS k(n)
WHERE (c.repeats = 'yearly' OR k.n = 0)
  AND c.first_period_start + to_years(CAST(k.n AS INTEGER)) <= make_date(year(current_date) + 1, 12, 31);

-- name: sanctioned_trade_rows(country, freq, source_order, dedupe:bool, measure, include_before:bool)
-- Internal: partner-reported trade in banned goods, in the banned direction: one row per (measure,
-- reporter, hs, period) after (or straddling) the measure's effective date, and before it when asked.
-- USD as reported; kg.
SELECT measure, instrument, effective, direction, goods, hs_prefix, reporter, partner, flow, hs, period, freq,
       value_usd, net_weight_kg, timing, source, release
FROM sanctioned_flows($country, $freq, $source_order, $dedupe)
WHERE ($measure IS NULL OR measure = $measure) AND ($include_before OR timing <> 'before')
ORDER BY measure, reporter, hs, period_start;

-- name: sanctioned_trade_summary(country, freq, source_order, dedupe:bool)
-- Internal: per measure and reporter, banned-direction trade after the effective date (value, weight,
-- first and last period, periods), what straddles the date, and the same goods in the 12 months
-- (or the year) before it for comparison. USD and kg.
SELECT
    measure, any_value(instrument) AS instrument, any_value(effective) AS effective, any_value(direction) AS direction,
    any_value(goods) AS goods, any_value(exemptions) AS exemptions, reporter, any_value(partner) AS partner,
    sum(value_usd) FILTER (WHERE timing = 'after')        AS value_after_usd,
    sum(net_weight_kg) FILTER (WHERE timing = 'after')    AS weight_after_kg,
    min(period) FILTER (WHERE timing = 'after')           AS first_period_after,
    max(period) FILTER (WHERE timing = 'after')           AS last_period_after,
    count(DISTINCT period) FILTER (WHERE timing = 'after') AS periods_after,
    sum(value_usd) FILTER (WHERE timing = 'straddles')    AS value_straddling_usd,
    sum(value_usd) FILTER (WHERE timing = 'before' AND period_start >= effective - INTERVAL 12 MONTH
                                 AND period_end < effective) AS value_12m_before_usd,
    sum(net_weight_kg) FILTER (WHERE timing = 'before' AND period_start >= effective - INTERVAL 12 MONTH
                                 AND period_end < effective) AS weight_12m_before_kg
FROM sanctioned_flows($country, $freq, $source_order, $dedupe)
GROUP BY measure, reporter
ORDER BY measure, value_after_usd DESC NULLS LAST, reporter;

-- name: measure_rows(country)
-- The sanctions register (bundled and users' own): one row per measure, with its HS codes, cap
-- reference, exemptions, source and how its HS list was verified.
SELECT measure_id, instrument, paragraph, adopted, effective, direction, target, hs_codes, goods, exemptions,
       source_url, hs_verification, origin
FROM measures
WHERE $country IS NULL OR target = $country
ORDER BY effective, measure_id;

-- name: add_user_measures(path, added_from)
-- Internal: add measures from a user's CSV (the register's columns) to measures_user.
INSERT INTO measures_user
SELECT *, now()::TIMESTAMP, $added_from
FROM read_csv($path, header = true, columns = {
    'measure_id': 'VARCHAR', 'instrument': 'VARCHAR', 'paragraph': 'VARCHAR', 'adopted': 'DATE', 'effective': 'DATE',
    'direction': 'VARCHAR', 'target': 'VARCHAR', 'hs_codes': 'VARCHAR', 'hs_revision': 'VARCHAR', 'goods': 'VARCHAR',
    'exemptions': 'VARCHAR', 'source_url': 'VARCHAR', 'hs_verification': 'VARCHAR'});

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
WHERE NOT regexp_full_match(trim(coalesce(hs_codes, '')), '(([0-9]{2}|[0-9]{4}|[0-9]{6})( +|$))*');
