-- name: oil_rows(country, factor_set, kind, year_from:int, year_to:int)
-- Internal: oil to and from a country (crude 2709, refined products 2710 by product, LPG 2711), every
-- kind of figure: one row per published figure with tonnes, barrels, the factor used and its source.
SELECT reporter, partner, flow, hs, product, product_named, period, freq, year, month, kind,
       tonnes, barrels, bbl_per_tonne, conversion, factor_set, factor_source, value_usd,
       source, release, publisher, source_url
FROM oil_figures($country, $factor_set)
WHERE ($kind IS NULL OR kind = $kind)
  AND ($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to)
ORDER BY product, reporter, period_start, kind;

-- name: build_cap_deliveries(country, factor_set)
-- Internal: deliveries counted against each cap period, as the temp table cap_deliveries: for each
-- cap period, supplier and kind (notified / reported / estimated), the best available total in the
-- cap's unit: a figure covering exactly the cap period, else the latest year-to-date figure inside it,
-- else the sum of monthly figures. Where several publishers give a figure, their median. Refined
-- caps count refined products (2710; LPG is not counted); crude caps crude (2709).
CREATE OR REPLACE TEMP TABLE cap_deliveries AS
WITH o AS (
    SELECT *, cap_product(product) AS cap_product
    FROM oil_figures($country, $factor_set)
    WHERE partner = $country AND flow = 'export'
),
m AS (
    SELECT p.cap_id, p.cap_year, p.period_start AS cap_start, p.period_end AS cap_end, p.amount, p.unit,
           o.reporter, o.kind, o.freq, o.period, o.period_start, o.period_end, o.month,
           CASE WHEN p.unit = 'bbl' THEN o.barrels ELSE o.tonnes END AS amount_in_cap_unit,
           -- a figure published in the cap's own unit beats one converted into it
           (p.unit = 'bbl' AND o.conversion LIKE 'barrels%as published%')
             OR (p.unit = 't' AND o.conversion = 'barrels = tonnes x factor') AS in_cap_unit
    FROM stg_cap_periods AS p
    JOIN o ON o.cap_product = p.product AND o.period_start >= p.period_start AND o.period_end <= p.period_end
    WHERE p.unit IN ('bbl', 't')
),
-- several figures for the same supplier, kind and span (several publishers, t and bbl): the median of
-- those published in the cap's unit if any, else of the converted ones; low and high show conflicts
spans AS (
    SELECT cap_id, cap_year, cap_start, cap_end, amount, unit, reporter, kind, freq, period, period_start, period_end,
           coalesce(median(amount_in_cap_unit) FILTER (WHERE in_cap_unit), median(amount_in_cap_unit)) AS amount_in_cap_unit,
           count(*) AS figures, min(amount_in_cap_unit) AS low, max(amount_in_cap_unit) AS high
    FROM m WHERE amount_in_cap_unit IS NOT NULL
    GROUP BY cap_id, cap_year, cap_start, cap_end, amount, unit, reporter, kind, freq, period, period_start, period_end
),
whole AS (
    SELECT *, 'published total for the cap period' AS basis, 1 AS rank FROM spans
    WHERE period_start = cap_start AND period_end = cap_end
),
ytd AS (
    SELECT * EXCLUDE (rn), 'published total to ' || strftime(period_end, '%b %Y') AS basis, 2 AS rank FROM (
        SELECT *, row_number() OVER (PARTITION BY cap_id, cap_year, reporter, kind ORDER BY period_end DESC) AS rn
        FROM spans WHERE period_start = cap_start AND period_end < cap_end AND freq <> 'M')
    WHERE rn = 1
),
months AS (
    SELECT cap_id, cap_year, any_value(cap_start) AS cap_start, any_value(cap_end) AS cap_end, any_value(amount) AS amount,
           any_value(unit) AS unit, reporter, kind, 'M' AS freq, 'sum of months' AS period,
           min(period_start) AS period_start, max(period_end) AS period_end, sum(amount_in_cap_unit) AS amount_in_cap_unit,
           count(*) AS figures, sum(low) AS low, sum(high) AS high,
           'sum of ' || count(*) || ' monthly figures' AS basis, 3 AS rank
    FROM spans WHERE freq = 'M'
    GROUP BY cap_id, cap_year, reporter, kind
),
candidates AS (
    SELECT * FROM whole UNION ALL BY NAME SELECT * FROM ytd UNION ALL BY NAME SELECT * FROM months
)
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY cap_id, cap_year, reporter, kind ORDER BY rank) AS rn FROM candidates
) WHERE rn = 1;

-- name: cap_rows(kind)
-- Internal: each cap period's deliveries by supplier and in total (suppliers that are countries;
-- published groups such as CHN+RUS are shown but not added), against the cap: one row per (cap,
-- cap year, reporter). Barrels (or tonnes for a tonnage cap); percent_of_cap.
WITH d AS (SELECT * FROM cap_deliveries WHERE $kind IS NULL OR kind = $kind),
per_reporter AS (
    SELECT cap_id AS cap, cap_year, reporter, kind, amount_in_cap_unit AS delivered, unit, amount AS cap_amount, basis,
           cap_start, cap_end, figures, low, high
    FROM d
),
total AS (
    SELECT d.cap_id AS cap, d.cap_year, 'all suppliers' AS reporter, d.kind, sum(d.amount_in_cap_unit) AS delivered,
           any_value(d.unit) AS unit, any_value(d.amount) AS cap_amount,
           'sum of ' || string_agg(d.reporter, ', ' ORDER BY d.reporter) AS basis,
           any_value(d.cap_start) AS cap_start, any_value(d.cap_end) AS cap_end,
           sum(d.figures) AS figures, sum(d.low) AS low, sum(d.high) AS high
    FROM d JOIN countries AS c ON c.iso3 = d.reporter AND c.is_country
    GROUP BY d.cap_id, d.cap_year, d.kind
)
SELECT cap, cap_year, reporter, kind, delivered,
       CASE WHEN unit = 'bbl' THEN delivered END AS barrels,
       CASE WHEN unit = 'bbl' THEN cap_amount END AS cap_barrels,
       unit, cap_amount, 100 * delivered / cap_amount AS percent_of_cap, basis, figures, low, high, cap_start, cap_end
FROM (SELECT DISTINCT * FROM per_reporter UNION ALL BY NAME SELECT * FROM total)
ORDER BY cap, cap_year, kind, reporter = 'all suppliers', delivered DESC;

-- name: cap_running_totals(country, factor_set, kind)
-- Internal: month by month within each cap period, monthly deliveries (median over publishers) by
-- supplier and all countries together, the running total, percent of the cap, and the date the cap
-- is crossed (interpolated within the month the running total passes it). One row per (cap, month).
WITH o AS (
    SELECT *, cap_product(product) AS cap_product
    FROM oil_figures($country, $factor_set)
    WHERE partner = $country AND flow = 'export' AND freq = 'M' AND ($kind IS NULL OR kind = $kind)
),
monthly AS (
    SELECT p.cap_id AS cap, p.cap_year, p.period_start AS cap_start, p.amount AS cap_amount, p.unit,
           o.period_start AS month_start, o.period_end AS month_end, o.period, o.reporter, o.kind,
           median(CASE WHEN p.unit = 'bbl' THEN o.barrels ELSE o.tonnes END) AS delivered
    FROM stg_cap_periods AS p
    JOIN o ON o.cap_product = p.product AND o.period_start >= p.period_start AND o.period_end <= p.period_end
    JOIN countries AS c ON c.iso3 = o.reporter AND c.is_country
    WHERE p.unit IN ('bbl', 't')
    GROUP BY ALL
),
by_month AS (
    SELECT cap, cap_year, any_value(cap_amount) AS cap_amount, any_value(unit) AS unit, kind, month_start,
           any_value(month_end) AS month_end, any_value(period) AS period, sum(delivered) AS delivered,
           string_agg(reporter || ' ' || CAST(round(delivered) AS BIGINT), ', ' ORDER BY reporter) AS by_supplier
    FROM monthly GROUP BY cap, cap_year, kind, month_start
),
running AS (
    SELECT *, sum(delivered) OVER (PARTITION BY cap, cap_year, kind ORDER BY month_start) AS running_total
    FROM by_month
)
SELECT cap, cap_year, kind, period, by_supplier, delivered, running_total, unit, cap_amount,
       100 * running_total / cap_amount AS percent_of_cap,
       CASE WHEN running_total >= cap_amount AND running_total - delivered < cap_amount
            THEN CAST(month_start + INTERVAL 1 DAY * CAST(floor((cap_amount - (running_total - delivered)) / delivered
                 * (datediff('day', month_start, month_end) + 1)) AS INTEGER) AS DATE) END AS cap_crossed_on
FROM running
ORDER BY cap, cap_year, kind, month_start;

-- name: notifications_vs_customs(country, factor_set, unit)
-- Internal: month by month (and for any other span both sides publish), each supplier's notified
-- refined-petroleum deliveries to `country` beside its customs-reported refined-product exports
-- there, in one unit (tonnes or barrels). A notification by a group of suppliers (CHN+RUS) is set
-- against the sum of its members' customs figures. Gaps both ways: notified but not in customs,
-- and in customs but not notified. One row per (supplier, period).
WITH o AS (
    SELECT * FROM oil_figures($country, $factor_set)
    WHERE partner = $country AND flow = 'export'
      AND cap_product(product) = 'refined'
),
notified AS (
    SELECT reporter AS supplier, period, freq, period_start, period_end,
           median(CASE WHEN $unit = 'bbl' THEN barrels ELSE tonnes END) AS notified, count(*) AS notified_figures,
           string_agg(DISTINCT publisher, '; ') AS notified_by
    FROM o WHERE kind = 'notified' GROUP BY ALL
),
customs_products AS (
    -- one figure per product and span (median over publishers), then summed over products
    SELECT reporter, period_start, period_end, any_value(period) AS period, product,
           median(CASE WHEN $unit = 'bbl' THEN barrels ELSE tonnes END) AS amount,
           string_agg(DISTINCT publisher, '; ') AS publishers
    FROM o WHERE kind = 'reported' GROUP BY reporter, period_start, period_end, product
),
customs AS (
    SELECT reporter, period_start, period_end, any_value(period) AS period, sum(amount) AS customs,
           string_agg(product || ' ' || CAST(round(amount, 1) AS VARCHAR), ', ' ORDER BY product) AS customs_products,
           string_agg(DISTINCT publishers, '; ') AS customs_by
    FROM customs_products GROUP BY reporter, period_start, period_end
),
members AS (
    SELECT DISTINCT supplier, unnest(string_split(supplier, '+')) AS member FROM notified
),
customs_for_supplier AS (
    SELECT mb.supplier, c.period_start, c.period_end, any_value(c.period) AS period, sum(c.customs) AS customs,
           string_agg(c.reporter || ': ' || c.customs_products, '; ') AS customs_products,
           string_agg(DISTINCT c.customs_by, '; ') AS customs_by, count(DISTINCT c.reporter) AS members_reporting,
           any_value(len(string_split(mb.supplier, '+'))) AS members
    FROM members AS mb JOIN customs AS c ON c.reporter = mb.member
    GROUP BY mb.supplier, c.period_start, c.period_end
),
spans AS (
    SELECT supplier, period_start, period_end FROM notified
    UNION SELECT reporter, period_start, period_end FROM customs
)
SELECT
    s.supplier, coalesce(n.period, cs.period) AS period,
    coalesce(n.freq, CASE WHEN s.period_start = date_trunc('month', s.period_end) THEN 'M' END) AS freq,
    $unit AS unit, n.notified, cs.customs, n.notified - cs.customs AS gap,
    CASE WHEN n.notified IS NOT NULL AND cs.customs IS NULL THEN 'notified; no customs figure published for this span'
         WHEN n.notified IS NULL AND cs.customs IS NOT NULL THEN 'customs exports; no notification published for this span'
         WHEN n.notified > cs.customs THEN 'notified more than customs reports'
         WHEN n.notified < cs.customs THEN 'customs reports more than notified'
         ELSE 'equal' END AS finding,
    cs.customs_products, cs.members_reporting, cs.members, n.notified_by, cs.customs_by, s.period_start, s.period_end
FROM spans AS s
LEFT JOIN notified AS n ON n.supplier = s.supplier AND n.period_start = s.period_start AND n.period_end = s.period_end
LEFT JOIN customs_for_supplier AS cs ON cs.supplier = s.supplier AND cs.period_start = s.period_start AND cs.period_end = s.period_end
WHERE n.notified IS NOT NULL OR cs.customs IS NOT NULL
ORDER BY s.supplier, s.period_start, s.period_end;

-- name: factor_sets
-- The sets of barrels-per-tonne factors available (data/oil/factors.csv), with how many products each covers.
SELECT factor_set, count(*) AS products FROM oil_factors GROUP BY factor_set ORDER BY factor_set = 'unsd' DESC, factor_set;

-- name: oil_factor_rows(factor_set)
-- Every barrels-per-tonne factor of a set (NULL = all sets), with its source.
SELECT factor_set, product, bbl_per_tonne, source, source_url
FROM oil_factors WHERE $factor_set IS NULL OR factor_set = $factor_set
ORDER BY factor_set, product;
