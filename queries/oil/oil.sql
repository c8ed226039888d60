-- name: oil_rows(country, factor_set, kind, year_from:int, year_to:int)
-- Internal: oil to and from a country (crude 2709, refined products 2710 by product, LPG and other
-- gases 2711), every kind of figure: one row per published figure with tonnes, barrels, the factor
-- used with its source and edition, and, where the same delivery is also published in the other
-- unit, the implied barrels per tonne and its check.
WITH imp AS (
    SELECT reporter, partner, flow, kind, period_start, period_end, product,
           median(implied_bbl_per_tonne) AS implied_bbl_per_tonne,
           -- the worst check of the figure's pairs: implausible, then a large factor gap
           min(implied_check) FILTER (WHERE implied_check LIKE 'implausible%') AS implausible,
           min(implied_check) FILTER (WHERE implied_check LIKE 'plausible, but%') AS gap_note
    FROM implied_factors($country, $factor_set)
    WHERE basis LIKE 'published%'
    GROUP BY ALL
)
SELECT o.reporter, o.partner, o.flow, o.hs, o.product, o.product_named, o.period, o.freq, o.year, o.month, o.kind,
       o.tonnes, o.barrels, o.bbl_per_tonne, o.conversion, o.factor_set, o.factor_source, o.factor_edition,
       i.implied_bbl_per_tonne,
       CASE WHEN i.implied_bbl_per_tonne IS NOT NULL THEN coalesce(i.implausible, i.gap_note, 'plausible') END AS implied_check,
       o.value_usd, o.source, o.release, o.publisher, o.source_url
FROM oil_figures($country, $factor_set) AS o
LEFT JOIN imp AS i
  ON i.reporter = o.reporter AND i.partner = o.partner AND i.flow = o.flow AND i.kind = o.kind
 AND i.period_start = o.period_start AND i.period_end = o.period_end
 AND i.product = coalesce(cap_product(o.product), o.product)
 AND o.conversion <> 'barrels and tonnes as published'
WHERE ($kind IS NULL OR o.kind = $kind)
  AND ($year_from IS NULL OR o.year >= $year_from) AND ($year_to IS NULL OR o.year <= $year_to)
ORDER BY o.product, o.reporter, o.period_start, o.kind;

-- name: oil_conversions(country, factor_set)
-- Deliveries published both in tonnes and in barrels (and a group's barrels less its other members'
-- against the last member's tonnes): one row per pair with the implied barrels per tonne, the
-- product's plausible range, the factor the set would use, the gap to it and the check.
SELECT reporter, partner, flow, kind, product, period, barrels, tonnes, implied_bbl_per_tonne, plausible_low,
       plausible_high, factor_used, factor_gap, implied_check, basis, barrels_by, tonnes_by
FROM implied_factors($country, $factor_set)
ORDER BY product, reporter, period_start, period_end, basis;

-- name: build_cap_deliveries(country, factor_set)
-- Internal: deliveries counted against each cap period, as the temp table cap_deliveries: one row
-- per (cap period, supplier, kind) with the central figure, its low and high, whether it covers the
-- whole period, and how it was made. Candidates, each pro-rated by days where a figure straddles the
-- period: one publisher's complete set of monthly figures, then a complete set of monthly figures (a multi-month figure fills months that have none, 0 bbl
-- for January-February 2021 included), the strongest - primary monthly notifications; a figure
-- covering the whole period; calendar years tiling it (crude periods run 22 December - 21 December);
-- else a partial figure (year to date, or months missing), the largest. Where several publishers give
-- one span: the median of those in the cap's unit if any, else of all; low and high keep them all.
-- The range: the lowest and highest complete candidate, raised by any partial figure above it (the
-- year cannot be less than its first eleven months). Refined caps count refined products (2710),
-- crude caps crude (2709); LPG, LNG and gases are not counted.
CREATE OR REPLACE TEMP TABLE cap_deliveries AS
WITH m AS (SELECT * FROM cap_figures($country, $factor_set)),
spans AS (
    SELECT cap_id, cap_year, cap_period, cap_start, cap_end, cap_days, amount, unit, reporter, kind, freq, period,
           period_start, period_end, any_value(ov_days) AS ov_days, any_value(share) AS share,
           coalesce(median(amount_in_cap_unit) FILTER (WHERE in_cap_unit), median(amount_in_cap_unit)) AS central,
           min(amount_in_cap_unit) AS low, max(amount_in_cap_unit) AS high, count(*) AS figures,
           bool_or(in_cap_unit) AS in_cap_unit
    FROM m GROUP BY ALL
),
monthly AS (SELECT * FROM spans WHERE freq = 'M'),
multi AS (  -- multi-month spans (not whole years) none of whose months has a monthly figure
    SELECT s.* FROM spans AS s
    WHERE s.freq IN ('YTD', 'P') AND datediff('month', s.period_start, s.period_end) BETWEEN 1 AND 10
      AND NOT EXISTS (SELECT 1 FROM monthly AS x
                      WHERE x.cap_id = s.cap_id AND x.cap_year = s.cap_year AND x.reporter = s.reporter AND x.kind = s.kind
                        AND x.period_start <= s.period_end AND x.period_end >= s.period_start)
),
fill AS (  -- of overlapping usable spans keep the longest (equal overlapping ones are both dropped)
    SELECT a.* FROM multi AS a
    WHERE NOT EXISTS (SELECT 1 FROM multi AS b
                      WHERE b.cap_id = a.cap_id AND b.cap_year = a.cap_year AND b.reporter = a.reporter AND b.kind = a.kind
                        AND (b.period_start, b.period_end) <> (a.period_start, a.period_end)
                        AND b.period_start <= a.period_end AND b.period_end >= a.period_start
                        AND datediff('day', b.period_start, b.period_end) >= datediff('day', a.period_start, a.period_end))
),
tiles AS (SELECT * FROM monthly UNION ALL SELECT * FROM fill),
-- one source's own complete set of monthly figures in the cap's unit (China's 2021 notifications as
-- one hcein.com page lists all twelve months): the strongest candidate, before medians across sources
pub_spans AS (
    SELECT cap_id, cap_year, cap_days, reporter, kind, source_url, freq, period, period_start, period_end,
           any_value(publisher) AS publisher, any_value(ov_days) AS ov_days, median(amount_in_cap_unit) AS amount
    FROM m WHERE source_url IS NOT NULL AND in_cap_unit
    GROUP BY cap_id, cap_year, cap_days, reporter, kind, source_url, freq, period, period_start, period_end
),
pub_tiles AS (
    SELECT * FROM pub_spans WHERE freq = 'M'
    UNION ALL
    SELECT s.* FROM pub_spans AS s  -- a multi-month figure for months the source gives nothing else for
    WHERE s.freq IN ('YTD', 'P') AND datediff('month', s.period_start, s.period_end) BETWEEN 1 AND 10
      AND NOT EXISTS (SELECT 1 FROM pub_spans AS x
                      WHERE x.cap_id = s.cap_id AND x.cap_year = s.cap_year AND x.reporter = s.reporter AND x.kind = s.kind
                        AND x.source_url = s.source_url AND (x.period_start, x.period_end) <> (s.period_start, s.period_end)
                        AND x.freq IN ('M', 'YTD', 'P') AND datediff('month', x.period_start, x.period_end) <= 10
                        AND x.period_start <= s.period_end AND x.period_end >= s.period_start)
),
pub_sets AS (
    SELECT cap_id, cap_year, reporter, kind, string_agg(DISTINCT publisher, '; ') AS publisher, sum(amount) AS central,
           count(*) FILTER (WHERE freq = 'M') AS months, string_agg(period, ', ') FILTER (WHERE freq <> 'M') AS spans,
           max(period_end) AS covered_to
    FROM pub_tiles GROUP BY cap_id, cap_year, reporter, kind, source_url
    HAVING sum(ov_days) = any_value(cap_days) AND count(*) FILTER (WHERE freq = 'M') > 0
),
candidates AS (
    SELECT cap_id, cap_year, reporter, kind, 0 AS rank, true AS complete, central, central AS low, central AS high,
           months AS figures, true AS in_cap_unit, false AS prorated, covered_to,
           'sum of ' || months || ' monthly figures' || coalesce(' and ' || spans, '') || ' as published by ' || publisher AS basis
    FROM pub_sets
    UNION ALL
    SELECT cap_id, cap_year, reporter, kind, 1 AS rank, sum(ov_days) = any_value(cap_days) AS complete,
           sum(central) AS central, sum(low) AS low, sum(high) AS high, sum(figures) AS figures,
           bool_and(in_cap_unit) AS in_cap_unit, bool_or(share < 1) AS prorated, max(period_end) AS covered_to,
           CASE WHEN sum(ov_days) = any_value(cap_days)
                THEN 'sum of ' || count(*) FILTER (WHERE freq = 'M') || ' monthly figures'
                     || CASE WHEN count(*) FILTER (WHERE freq <> 'M') > 0
                             THEN ' and ' || string_agg(period, ', ') FILTER (WHERE freq <> 'M') ELSE '' END
                ELSE 'sum of ' || count(*) || ' monthly figures (' || (any_value(cap_days) - sum(ov_days)) || ' days missing)' END AS basis
    FROM tiles GROUP BY cap_id, cap_year, reporter, kind
    HAVING count(*) FILTER (WHERE freq = 'M') > 0  -- filling months needs some months
    UNION ALL
    -- a longer figure of which less than half falls in the period (a calendar year against 2321's
    -- 32-day first coal period) is a pro-rated guess, not the period's figure: not complete
    SELECT cap_id, cap_year, reporter, kind, 2, share >= 0.5, central, low, high, figures, in_cap_unit, share < 1, period_end,
           CASE WHEN share < 1 THEN 'published total for ' || period || ', pro-rated: ' || ov_days || ' of '
                     || CAST(round(ov_days / share) AS BIGINT) || ' days inside the cap period'
                ELSE 'published total for the cap period' END
    FROM spans WHERE period_start <= cap_start AND period_end >= cap_end
    UNION ALL
    SELECT cap_id, cap_year, reporter, kind, 2, sum(ov_days) = any_value(cap_days), sum(central), sum(low), sum(high),
           sum(figures), bool_and(in_cap_unit), true, max(period_end),
           'calendar years ' || string_agg(period || ' x ' || ov_days || '/' || CAST(round(ov_days / share) AS BIGINT) || ' days', ' + ' ORDER BY period)
    FROM spans WHERE freq = 'A' AND NOT (period_start <= cap_start AND period_end >= cap_end)
    GROUP BY cap_id, cap_year, reporter, kind
    UNION ALL
    SELECT cap_id, cap_year, reporter, kind, 3, false, central, low, high, figures, in_cap_unit, share < 1, period_end,
           'partial: published total to ' || strftime(period_end, '%b %Y')
    FROM spans WHERE period_start <= cap_start AND period_end < cap_end AND freq IN ('YTD', 'P')
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY cap_id, cap_year, reporter, kind
                                 -- complete first, by strength; among partial figures the largest
                                 ORDER BY complete DESC, CASE WHEN complete THEN rank END, central DESC) AS rn
    FROM candidates
),
bounds AS (
    SELECT cap_id, cap_year, reporter, kind, count(*) AS candidates,
           coalesce(min(low) FILTER (WHERE complete), max(low)) AS range_low,
           greatest(max(high) FILTER (WHERE complete), max(high)) AS range_high
    FROM candidates GROUP BY ALL
)
SELECT p.cap_id, p.cap_year, p.cap_period, p.period_start AS cap_start, p.period_end AS cap_end, p.amount, p.unit,
       r.reporter, r.kind, r.central AS delivered, r.complete, r.in_cap_unit, r.figures,
       r.basis || CASE WHEN r.prorated AND r.basis NOT LIKE '%pro-rated%' AND r.basis NOT LIKE 'calendar years%'
                       THEN ' (figures straddling the period pro-rated by days)' ELSE '' END AS basis,
       b.range_low AS low, b.range_high AS high, b.candidates
FROM ranked AS r
JOIN bounds AS b USING (cap_id, cap_year, reporter, kind)
JOIN (SELECT DISTINCT cap_id, cap_year, cap_period, period_start, period_end, amount, unit FROM stg_cap_periods) AS p
  USING (cap_id, cap_year)
WHERE r.rn = 1;

-- name: build_cap_rows(kind)
-- Internal: as the temp table cap_rows_all, each cap period's deliveries by supplier and in total, against the cap: one row per
-- (cap, cap year, supplier, kind). A figure published for a group of suppliers (CHN+RUS, the 1718
-- Committee's own combined figure) enters the all-suppliers total with the suppliers outside the
-- group; when it covers the period in the cap's unit it is the central figure, else the sum of the
-- suppliers' own is. Every other total (the suppliers' sum, the group's, a published all-suppliers
-- figure) widens the range. Barrels (or tonnes for a tonnage cap); percent_of_cap of the central figure.
CREATE OR REPLACE TEMP TABLE cap_rows_all AS
WITH d AS (SELECT * FROM cap_deliveries WHERE $kind IS NULL OR kind = $kind),
countries_only AS (
    SELECT d.* FROM d JOIN countries AS c ON c.iso3 = d.reporter AND c.is_country
),
country_sum AS (
    SELECT cap_id, cap_year, kind, sum(delivered) AS delivered, sum(low) AS low, sum(high) AS high,
           bool_and(complete) AS complete, bool_and(in_cap_unit) AS in_cap_unit,
           'sum of ' || string_agg(reporter, ', ' ORDER BY reporter) AS basis, 3 AS rank, list(reporter) AS members
    FROM countries_only GROUP BY cap_id, cap_year, kind
),
group_totals AS (  -- a group's figure plus the suppliers outside the group
    SELECT g.cap_id, g.cap_year, g.kind,
           g.delivered + coalesce(sum(o.delivered), 0) AS delivered, g.low + coalesce(sum(o.low), 0) AS low,
           g.high + coalesce(sum(o.high), 0) AS high, g.complete AND coalesce(bool_and(o.complete), true) AS complete,
           g.in_cap_unit,
           g.reporter || ' combined figure (' || g.basis || ')'
               || coalesce(' + ' || string_agg(o.reporter, ', ' ORDER BY o.reporter), '') AS basis,
           CASE WHEN g.complete AND g.in_cap_unit THEN 1 ELSE 4 END AS rank, NULL AS members
    FROM d AS g
    LEFT JOIN countries_only AS o
      ON o.cap_id = g.cap_id AND o.cap_year = g.cap_year AND o.kind = g.kind
     AND NOT list_contains(string_split(g.reporter, '+'), o.reporter)
    WHERE contains(g.reporter, '+')
    GROUP BY g.cap_id, g.cap_year, g.kind, g.reporter, g.delivered, g.low, g.high, g.complete, g.in_cap_unit, g.basis
),
published_total AS (  -- a figure published for all suppliers (reporter WLD): the range only
    SELECT cap_id, cap_year, kind, delivered, low, high, complete, in_cap_unit,
           'published all-suppliers figure (' || basis || ')' AS basis, 5 AS rank, NULL AS members
    FROM d WHERE reporter = 'WLD'
),
totals AS (
    SELECT * FROM group_totals UNION ALL BY NAME SELECT * FROM country_sum UNION ALL BY NAME SELECT * FROM published_total
),
chosen AS (
    SELECT *, row_number() OVER (PARTITION BY cap_id, cap_year, kind ORDER BY rank, delivered DESC) AS rn FROM totals
),
total_range AS (
    SELECT cap_id, cap_year, kind, coalesce(min(low) FILTER (WHERE complete), max(low)) AS low,
           greatest(max(high) FILTER (WHERE complete), max(high)) AS high, count(*) AS candidates
    FROM totals GROUP BY ALL
),
all_suppliers AS (
    SELECT c.cap_id, c.cap_year, 'all suppliers' AS reporter, c.kind, c.delivered, c.complete,
           c.basis || CASE WHEN r.candidates > 1 THEN '; range over ' || r.candidates || ' totals' ELSE '' END AS basis,
           r.low, r.high
    FROM chosen AS c JOIN total_range AS r USING (cap_id, cap_year, kind) WHERE c.rn = 1
),
rows AS (
    SELECT cap_id, cap_year, reporter, kind, delivered, complete, basis, low, high FROM d
    UNION ALL SELECT * FROM all_suppliers
),
periods AS (SELECT DISTINCT cap_id, cap_year, cap_period, period_start, period_end, amount, unit FROM stg_cap_periods)
SELECT r.cap_id AS cap, r.cap_year, p.cap_period, r.reporter, r.kind, r.delivered,
       CASE WHEN p.unit = 'bbl' THEN r.delivered END AS barrels,
       CASE WHEN p.unit = 'bbl' THEN p.amount END AS cap_barrels,
       p.unit, p.amount AS cap_amount, 100 * r.delivered / p.amount AS percent_of_cap,
       r.low, r.high, 100 * r.low / p.amount AS percent_low, 100 * r.high / p.amount AS percent_high,
       r.complete, r.basis, p.period_start AS cap_start, p.period_end AS cap_end
FROM rows AS r JOIN periods AS p USING (cap_id, cap_year);

-- name: cap_rows
-- Internal: the deliveries against each cap period (cap_rows_all), one row per (cap, cap year,
-- supplier, kind), suppliers by size and all suppliers last. Barrels or tonnes; percent of the cap.
SELECT * FROM cap_rows_all
ORDER BY cap, cap_year, kind, reporter = 'all suppliers', delivered DESC, reporter;

-- name: cap_table(factor_set)
-- Internal: per cap, cap year and supplier, the notified, customs-based (reported) and estimated
-- deliveries side by side, each with its low and high and how it was made; percent of the cap of the
-- notified figure (reads cap_rows_all built for every kind).
SELECT cap, cap_year, cap_period, reporter, unit, cap_amount,
       max(delivered) FILTER (WHERE kind = 'notified')  AS notified,
       max(low) FILTER (WHERE kind = 'notified')        AS notified_low,
       max(high) FILTER (WHERE kind = 'notified')       AS notified_high,
       max(percent_of_cap) FILTER (WHERE kind = 'notified') AS notified_percent_of_cap,
       max(basis) FILTER (WHERE kind = 'notified')      AS notified_basis,
       max(delivered) FILTER (WHERE kind = 'reported')  AS customs,
       max(low) FILTER (WHERE kind = 'reported')        AS customs_low,
       max(high) FILTER (WHERE kind = 'reported')       AS customs_high,
       max(basis) FILTER (WHERE kind = 'reported')      AS customs_basis,
       max(delivered) FILTER (WHERE kind = 'estimated') AS estimated,
       max(low) FILTER (WHERE kind = 'estimated')       AS estimated_low,
       max(high) FILTER (WHERE kind = 'estimated')      AS estimated_high,
       max(basis) FILTER (WHERE kind = 'estimated')     AS estimated_basis,
       $factor_set AS factor_set
FROM cap_rows_all
GROUP BY cap, cap_year, cap_period, reporter, unit, cap_amount
ORDER BY cap, cap_year, reporter = 'all suppliers', reporter;

-- name: cap_running_totals(country, factor_set, kind)
-- Internal: month by month within each cap period, monthly deliveries (median over publishers) by
-- supplier and all countries together, the running total, percent of the cap, and the date the cap
-- is crossed (interpolated within the month the running total passes it). A month straddling the
-- period's start or end (December against 2397's crude periods) counts with its share of days.
-- One row per (cap, month).
WITH o AS (
    SELECT * FROM cap_figures($country, $factor_set)
    WHERE freq = 'M' AND ($kind IS NULL OR kind = $kind)
),
monthly AS (
    SELECT o.cap_id AS cap, o.cap_year, o.cap_start, o.amount AS cap_amount, o.unit,
           o.ov_start AS month_start, o.ov_end AS month_end, o.period, o.reporter, o.kind,
           median(o.amount_in_cap_unit) AS delivered
    FROM o JOIN countries AS c ON c.iso3 = o.reporter AND c.is_country
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
SELECT factor_set, count(*) AS products, mode(edition) AS edition
FROM oil_factors GROUP BY factor_set ORDER BY factor_set = 'unsd' DESC, factor_set;

-- name: oil_factor_rows(factor_set)
-- Every barrels-per-tonne factor of a set (NULL = all sets), with its source.
SELECT factor_set, product, bbl_per_tonne, source, edition, source_url
FROM oil_factors WHERE $factor_set IS NULL OR factor_set = $factor_set
ORDER BY factor_set, product;

-- name: cap_period_rows
-- Every cap period (data/sanctions/caps.csv unrolled): one row per (cap, period) with its amount and
-- unit (none for 2375's crude freeze, each state's own previous-12-month level), the measure, the
-- note, the citation and what was verified. Dates inclusive.
SELECT p.cap_id AS cap, p.measure_id AS measure, p.product, p.cap_year, p.cap_period, p.period_start, p.period_end,
       p.amount, p.unit, p.note, p.citation, c.verification
FROM stg_cap_periods AS p JOIN caps AS c USING (cap_id)
ORDER BY p.product, p.period_start, p.cap_id;
