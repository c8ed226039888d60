-- name: mirror_rows(exporter, importer, hs, year_from:int, year_to:int)
-- Internal: the rows of db.mirror(): one row per (period, exporter, importer, hs) from the built
-- mirror (mp_reconciled). Values in current USD (importer's converted to FOB), weights in kg,
-- unit values in USD/kg, weight_exporter in [0, 1] with its interval bounds; value_reconciled_low/
-- high_usd bound the reconciled value at the build's interval level (reconciled_log_se: its log
-- standard error, _noise without the margin's error); value_reconciled_mean_usd is the reconciled
-- value divided by its log-normal excess (unbiased in levels: what totals add); product_bias_*: the
-- reporter's persistent misreporting of the product taken out before reconciling (ln; NULL where
-- none was found). NULL filters match everything; hs is a prefix.
SELECT
    period, freq, year, month, exporter, importer, hs, hs_level,
    value_exporter_usd, value_importer_usd, value_importer_fob_usd, gap_usd, log_ratio, discrepancy_index,
    reported_by, cif_fob_factor, cif_fob_method,
    weight_exporter, weight_exporter_low, weight_exporter_high,
    value_reconciled_usd, value_reconciled_mean_usd, product_bias_exporter, product_bias_importer,
    value_reconciled_usd * exp(-(SELECT z FROM mp_interval) * reconciled_log_se) AS value_reconciled_low_usd,
    value_reconciled_usd * exp((SELECT z FROM mp_interval) * reconciled_log_se) AS value_reconciled_high_usd,
    reconciled_log_se, reconciled_log_se_noise, reconciled_share_importer, cif_fob_se,
    weight_exporter_kg, weight_importer_kg, weight_gap_kg, weight_log_ratio,
    unit_value_exporter_usd_kg, unit_value_importer_fob_usd_kg,
    hk_reexports_usd, hk_china_value_usd, valuation_importer,
    source_exporter, source_importer, release_exporter, release_importer,
    resolved_exporter, resolved_importer, figures_considered
FROM mp_reconciled
-- countries compared as integers first (pair_key's bits), then as names (iso_num is exact only for
-- letters), so that one country's rows are found without decoding every flow's names
WHERE ($exporter IS NULL OR exporter_n = iso_num($exporter) AND exporter = $exporter)
  AND ($importer IS NULL OR importer_n = iso_num($importer) AND importer = $importer)
  AND ($hs IS NULL OR starts_with(hs, $hs) OR hs = 'TOTAL' AND $hs = 'TOTAL')
  AND ($year_from IS NULL OR year >= $year_from)
  AND ($year_to IS NULL OR year <= $year_to)
ORDER BY period_start, exporter, importer, hs;

-- name: cif_fob_pair_rows
-- Internal: the estimated CIF/FOB margin of each exporter-importer pair (mp_cif_pairs): observations,
-- the pair's median ln ratio, the estimate tau (shrunk pair median, or the gravity prediction) and
-- its standard error, before clipping to [0, max_margin]. One row per pair; ln units.
SELECT exporter, importer, n_value AS observations, median_value AS pair_median, m0_value AS all_pairs_median,
       tau_value AS tau, tau_se, coalesce(label, 'pair estimate') AS estimate, n_uv AS unit_value_observations,
       tau_uv AS tau_unit_value
FROM mp_cif_pairs
ORDER BY exporter, importer;

-- name: reliability_rows
-- Internal: each country's reporting reliability as exporter and as importer (rel_country): the
-- fixed effect of |ln(X/M_fob)|, sigma, the implied variance, the number of flows, and whether imputed;
-- with the effect's standard error and the interval model's log variance s2 of its reports (mp_sigma).
SELECT r.role, r.country, r.flows, r.effect, s.effect_se, r.sigma, r.variance, s.s2 AS log_variance, r.imputed
FROM rel_country AS r
LEFT JOIN mp_sigma AS s ON s.role = r.role AND s.country = r.country
ORDER BY r.role, r.variance DESC;

-- name: build_reconstruction(country, freq)
-- Internal: a country's trade as its partners report it, as the temp table rc_flows. One row per
-- (period, partner, hs): imports = partners' exports to it (FOB), exports = partners' imports from
-- it converted to FOB, with how the partner's figure was resolved (published, or summed from HS
-- lines); a partner that reported nothing for a code it published the period for counts as 0.
-- var_*: the figure's variance from its reporter's noise (USD^2, log-normal: v^2 (e^s2 - 1));
-- cif_fob_se: the margin's standard error of the partner's imports (ln units, common to the pair).
-- The country is found by its integer key first (as in mirror_rows).
CREATE OR REPLACE TEMP TABLE rc_flows AS
SELECT period, year, month, period_start, period_end, exporter AS partner, hs,
       value_exporter_usd AS imports_usd, NULL::DOUBLE AS exports_usd, source_exporter AS source,
       resolved_exporter AS resolved,
       pow(value_exporter_usd, 2) * (exp(s2_exporter) - 1) AS var_imports, NULL::DOUBLE AS var_exports,
       NULL::DOUBLE AS cif_fob_se
FROM mp_reconciled
WHERE importer_n = iso_num($country) AND importer = $country AND value_exporter_usd IS NOT NULL
UNION ALL
SELECT period, year, month, period_start, period_end, importer AS partner, hs,
       NULL::DOUBLE, value_importer_fob_usd, source_importer, resolved_importer,
       NULL::DOUBLE, pow(value_importer_fob_usd, 2) * (exp(s2_importer) - 1), cif_fob_se
FROM mp_reconciled
WHERE exporter_n = iso_num($country) AND exporter = $country AND value_importer_fob_usd IS NOT NULL;

-- name: build_reconstruction_totals
-- Internal: the rebuilt trade per (period, partner) with its variance, as rc_partner_totals: the
-- flows' noise adds up, the margin's error is common to all of a partner's imports from the
-- country (so it enters as (sum of exports)^2 x cif_fob_se^2). USD and USD^2.
CREATE OR REPLACE TEMP TABLE rc_partner_totals AS
SELECT period_start, period_end, partner,
       sum(imports_usd) AS imports_usd, sum(exports_usd) AS exports_usd,
       sum(var_imports) AS var_imports,
       sum(var_exports) + pow(sum(exports_usd), 2) * pow(coalesce(max(cif_fob_se), 0), 2) AS var_exports
FROM rc_flows
GROUP BY ALL;

-- name: build_reporting_periods(country, freq)
-- Internal: what each partner published in each period (queries/coverage), as rc_reporting: one
-- row per (partner, period) with whether it published its exports to / imports from `country`
-- (then an absent figure is a zero) and whether it published those flows for anyone at all.
CREATE OR REPLACE TEMP TABLE rc_reporting AS
WITH p AS (
    SELECT reporter_iso3 AS partner, period_start, period_end,
           bool_or(flow = 'export') AS exports_to, bool_or(flow = 'import') AS imports_from
    FROM coverage_pairs
    WHERE kind = 'reported' AND freq = $freq AND partner_iso3 = $country
    GROUP BY ALL
),
r AS (
    SELECT reporter_iso3 AS partner, period_start, period_end, any_value(period) AS period, any_value(year) AS year,
           any_value(month) AS month, bool_or(flow = 'export') AS any_exports, bool_or(flow = 'import') AS any_imports
    FROM coverage_reporters
    WHERE kind = 'reported' AND freq = $freq
    GROUP BY reporter_iso3, period_start, period_end
)
SELECT partner, period_start, period_end, r.period, r.year, r.month, coalesce(p.exports_to, false) AS exports_to,
       coalesce(p.imports_from, false) AS imports_from, coalesce(r.any_exports, false) AS any_exports,
       coalesce(r.any_imports, false) AS any_imports
FROM r FULL OUTER JOIN p USING (partner, period_start, period_end);

-- name: reconstruct_by_partner(year_from:int, year_to:int)
-- Internal: the rebuilt trade by partner and period. One row per (period, partner); USD, FOB.
-- Each side has a state in the coverage vocabulary - 'reported', 'reported nothing' (the partner
-- published the period for this country: a zero), 'not available' (it did not, or its report is
-- not loaded) - with a note saying why, and a basis: the partner's published total, or a total
-- summed from the HS lines in the store (then it may be only part of the partner's trade).
-- *_low / *_high: each total's interval at the build's level (log-normal; the reporters' noise
-- and the margin's error, mirror/intervals.py).
WITH partners AS (SELECT DISTINCT partner FROM rc_flows),
periods AS (
    -- the periods of any partner's report of the country, and those its partners published at all
    SELECT DISTINCT period, year, month, period_start, period_end FROM rc_flows
    UNION
    SELECT DISTINCT r.period, r.year, r.month, r.period_start, r.period_end
    FROM rc_reporting AS r JOIN partners USING (partner)
    WHERE r.period IS NOT NULL
),
grid AS (SELECT * FROM partners CROSS JOIN periods),
sums AS (
    SELECT period_start, period_end, partner, sum(imports_usd) AS imports_usd, sum(exports_usd) AS exports_usd,
           count(imports_usd) AS n_imports, count(exports_usd) AS n_exports, string_agg(DISTINCT source, '+') AS source,
           bool_and(resolved = 'reported') FILTER (WHERE imports_usd IS NOT NULL) AS imports_published_total,
           bool_and(resolved = 'reported') FILTER (WHERE exports_usd IS NOT NULL) AS exports_published_total
    FROM rc_flows GROUP BY ALL
)
SELECT
    g.period, g.year, g.month, g.partner, c.name AS partner_name, 'TOTAL' AS hs,
    s.imports_usd, s.exports_usd,
    slot_state(s.n_imports > 0, coalesce(rp.exports_to, false)) AS imports_status,
    slot_state(s.n_exports > 0, coalesce(rp.imports_from, false)) AS exports_status,
    CASE WHEN s.n_imports > 0 AND s.imports_published_total THEN 'the partner''s published total'
         WHEN s.n_imports > 0 THEN 'summed from the HS lines in the store (no published total: may be part of the trade)'
         WHEN rp.exports_to THEN 'the partner published its exports to this country for the period, without this trade'
         WHEN rp.any_exports THEN 'not available: the partner''s exports to others are loaded, none to this country'
         ELSE 'not available: no exports of the partner for this period in the store' END AS imports_note,
    CASE WHEN s.n_exports > 0 AND s.exports_published_total THEN 'the partner''s published total'
         WHEN s.n_exports > 0 THEN 'summed from the HS lines in the store (no published total: may be part of the trade)'
         WHEN rp.imports_from THEN 'the partner published its imports from this country for the period, without this trade'
         WHEN rp.any_imports THEN 'not available: the partner''s imports from others are loaded, none from this country'
         ELSE 'not available: no imports of the partner for this period in the store' END AS exports_note,
    s.source,
    s.imports_usd * exp(-(SELECT z_nominal FROM mp_interval) * sqrt(t.var_imports) / nullif(s.imports_usd, 0)) AS imports_usd_low,
    s.imports_usd * exp((SELECT z_nominal FROM mp_interval) * sqrt(t.var_imports) / nullif(s.imports_usd, 0)) AS imports_usd_high,
    s.exports_usd * exp(-(SELECT z_nominal FROM mp_interval) * sqrt(t.var_exports) / nullif(s.exports_usd, 0)) AS exports_usd_low,
    s.exports_usd * exp((SELECT z_nominal FROM mp_interval) * sqrt(t.var_exports) / nullif(s.exports_usd, 0)) AS exports_usd_high
FROM grid AS g
LEFT JOIN sums AS s USING (period_start, period_end, partner)
LEFT JOIN rc_partner_totals AS t USING (period_start, period_end, partner)
LEFT JOIN rc_reporting AS rp USING (partner, period_start, period_end)
LEFT JOIN country_by_iso3 AS c ON c.iso3 = g.partner
WHERE ($year_from IS NULL OR g.year >= $year_from) AND ($year_to IS NULL OR g.year <= $year_to)
ORDER BY g.period_start, coalesce(s.imports_usd, 0) + coalesce(s.exports_usd, 0) DESC, g.partner;

-- name: reconstruct_by_period(year_from:int, year_to:int)
-- Internal: the rebuilt trade by period, all partners together. One row per period; USD, FOB.
-- partners_not_available_*: partners that report the country's trade in other periods but whose
-- report of this period is not in the store - the period's total lacks them (it is not a fall).
-- *_low / *_high: each total's interval (partners' noise adds up, each partner's margin error counts whole).
WITH partners_i AS (SELECT DISTINCT partner FROM rc_flows WHERE imports_usd IS NOT NULL),
partners_x AS (SELECT DISTINCT partner FROM rc_flows WHERE exports_usd IS NOT NULL),
sums AS (
    SELECT period, year, month, period_start, period_end,
           sum(imports_usd) AS imports_usd, sum(exports_usd) AS exports_usd,
           count(DISTINCT partner) FILTER (WHERE imports_usd IS NOT NULL) AS partners_reporting_exports_to,
           count(DISTINCT partner) FILTER (WHERE exports_usd IS NOT NULL) AS partners_reporting_imports_from
    FROM rc_flows
    GROUP BY period, year, month, period_start, period_end
)
SELECT s.period, s.year, s.month, 'all partners' AS partner, 'TOTAL' AS hs, s.imports_usd, s.exports_usd,
       s.partners_reporting_exports_to, s.partners_reporting_imports_from,
       (SELECT count(*) FROM partners_i AS p WHERE NOT EXISTS (
            SELECT 1 FROM rc_flows AS f WHERE f.partner = p.partner AND f.period_start = s.period_start
              AND f.period_end = s.period_end AND f.imports_usd IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM rc_reporting AS r WHERE r.partner = p.partner AND r.exports_to
              AND r.period_start = s.period_start AND r.period_end = s.period_end)) AS partners_not_available_imports,
       (SELECT count(*) FROM partners_x AS p WHERE NOT EXISTS (
            SELECT 1 FROM rc_flows AS f WHERE f.partner = p.partner AND f.period_start = s.period_start
              AND f.period_end = s.period_end AND f.exports_usd IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM rc_reporting AS r WHERE r.partner = p.partner AND r.imports_from
              AND r.period_start = s.period_start AND r.period_end = s.period_end)) AS partners_not_available_exports,
       s.imports_usd * exp(-(SELECT z_nominal FROM mp_interval) * sqrt(v.var_imports) / nullif(s.imports_usd, 0)) AS imports_usd_low,
       s.imports_usd * exp((SELECT z_nominal FROM mp_interval) * sqrt(v.var_imports) / nullif(s.imports_usd, 0)) AS imports_usd_high,
       s.exports_usd * exp(-(SELECT z_nominal FROM mp_interval) * sqrt(v.var_exports) / nullif(s.exports_usd, 0)) AS exports_usd_low,
       s.exports_usd * exp((SELECT z_nominal FROM mp_interval) * sqrt(v.var_exports) / nullif(s.exports_usd, 0)) AS exports_usd_high
FROM sums AS s
LEFT JOIN (SELECT period_start, period_end, sum(var_imports) AS var_imports, sum(var_exports) AS var_exports
           FROM rc_partner_totals GROUP BY ALL) AS v USING (period_start, period_end)
WHERE ($year_from IS NULL OR s.year >= $year_from) AND ($year_to IS NULL OR s.year <= $year_to)
ORDER BY s.period_start;

-- name: reconstruct_by_hs(year_from:int, year_to:int)
-- Internal: the rebuilt trade by period and HS code (chapter or heading, as built), all partners
-- together, with the HS section. One row per (period, hs); USD, FOB.
SELECT
    r.period, r.year, r.month, 'all partners' AS partner, r.hs, s.section, s.section_name,
    sum(r.imports_usd) AS imports_usd, sum(r.exports_usd) AS exports_usd,
    count(DISTINCT r.partner) AS partners
FROM rc_flows AS r
LEFT JOIN stg_hs_sections AS s ON s.chapter = left(r.hs, 2)
WHERE ($year_from IS NULL OR r.year >= $year_from) AND ($year_to IS NULL OR r.year <= $year_to)
GROUP BY r.period, r.year, r.month, r.period_start, r.hs, s.section, s.section_name
ORDER BY r.period_start, r.hs;

-- name: reconstruct_by_section(year_from:int, year_to:int)
-- Internal: the rebuilt trade by period and HS section (built at chapter level), all partners
-- together. One row per (period, section); USD, FOB.
SELECT
    r.period, r.year, r.month, 'all partners' AS partner, s.section AS hs, s.section_name,
    sum(r.imports_usd) AS imports_usd, sum(r.exports_usd) AS exports_usd,
    count(DISTINCT r.partner) AS partners
FROM rc_flows AS r
LEFT JOIN stg_hs_sections AS s ON s.chapter = left(r.hs, 2)
WHERE ($year_from IS NULL OR r.year >= $year_from) AND ($year_to IS NULL OR r.year <= $year_to)
GROUP BY r.period, r.year, r.month, r.period_start, s.section, s.section_number, s.section_name
ORDER BY r.period_start, s.section_number;

-- name: compare_kinds(country, kind, hs)
-- Customs-reported figures beside analysts' estimates (kind 'estimated') or UN notifications
-- ('notified') of the same flow and the same span (annual vs annual, Jan-Nov vs Jan-Nov), for
-- flows to or from `country` (NULL = all). One row per (flow, goods, unit, period, customs reporter):
-- the exporter's and the importer's customs are kept apart; where several publishers give a
-- figure, the median is compared and the count and range are shown.
WITH f AS (
    SELECT * FROM stg_figures_oriented
    WHERE measure IS NOT NULL AND ($country IS NULL OR origin = $country OR destination = $country)
),
g AS (
    SELECT origin, destination, direction, hs, coalesce(product, '') AS product, measure_unit,
           period, freq, period_start, period_end, kind,
           CASE WHEN kind = 'reported' THEN reporter_iso3 END AS customs_of,
           count(*) AS figures, median(measure) AS value, min(measure) AS low, max(measure) AS high,
           string_agg(DISTINCT coalesce(publisher, source), '; ') AS publishers
    FROM f
    GROUP BY ALL
)
SELECT
    r.origin, r.destination, r.direction, r.hs, r.product, r.measure_unit AS unit, r.period, r.freq,
    r.customs_of,
    r.value AS reported_value, r.figures AS reported_figures, r.low AS reported_low, r.high AS reported_high,
    r.publishers AS reported_by,
    o.kind AS other_kind, o.value AS other_value, o.figures AS other_figures, o.publishers AS other_by,
    o.value - r.value AS gap, CASE WHEN r.value <> 0 THEN o.value / r.value END AS ratio
FROM g AS r
JOIN g AS o
  ON o.origin = r.origin AND o.destination = r.destination AND o.direction = r.direction AND o.hs = r.hs
 AND o.product = r.product AND o.measure_unit = r.measure_unit
 AND o.period_start = r.period_start AND o.period_end = r.period_end
WHERE r.kind = 'reported' AND o.kind = coalesce($kind, o.kind) AND o.kind <> 'reported'
  AND ($hs IS NULL OR r.hs = $hs)
ORDER BY r.origin, r.destination, r.direction, r.hs, r.period_start, r.customs_of;

-- name: compare_reporters(country, hs)
-- The same flow as each side reports it, for published figures of any unit: the origin's report
-- (its exports) beside the destination's (its imports), same goods and same span. One row per
-- (flow, goods, unit, period); medians where several publishers give a figure.
WITH f AS (
    SELECT * FROM stg_figures_oriented
    WHERE kind = 'reported' AND direction = 'one-way' AND measure IS NOT NULL
      AND ($country IS NULL OR origin = $country OR destination = $country)
),
g AS (
    SELECT origin, destination, hs, coalesce(product, '') AS product, measure_unit, period, freq, period_start,
           period_end, reporter_iso3 = origin AS by_origin,
           count(*) AS figures, median(measure) AS value, string_agg(DISTINCT coalesce(publisher, source), '; ') AS publishers
    FROM f
    GROUP BY ALL
)
SELECT x.origin, x.destination, x.hs, x.product, x.measure_unit AS unit, x.period, x.freq,
       x.value AS origin_reports, x.figures AS origin_figures, x.publishers AS origin_by,
       m.value AS destination_reports, m.figures AS destination_figures, m.publishers AS destination_by,
       m.value - x.value AS gap, CASE WHEN x.value <> 0 THEN m.value / x.value END AS ratio
FROM g AS x
JOIN g AS m
  ON m.origin = x.origin AND m.destination = x.destination AND m.hs = x.hs AND m.product = x.product
 AND m.measure_unit = x.measure_unit AND m.period_start = x.period_start AND m.period_end = x.period_end
WHERE x.by_origin AND NOT m.by_origin AND ($hs IS NULL OR x.hs = $hs)
ORDER BY x.origin, x.destination, x.hs, x.period_start;

-- name: flow_alternatives(reporter, partner, flow)
-- Every current figure of a reporter-partner flow, all sources, kinds and frequencies, so that the
-- alternatives to the figure the mirror chose stay visible. One row per figure; value in its currency.
SELECT source, release, kind, freq, period, reporter_iso3, partner_iso3, flow, hs, product, value, currency,
       net_weight_kg, quantity, quantity_unit, publisher, source_url
FROM flows
WHERE ($reporter IS NULL OR reporter_iso3 = $reporter) AND ($partner IS NULL OR partner_iso3 = $partner)
  AND ($flow IS NULL OR flow = $flow)
ORDER BY period_start, period_end, hs, kind, source;
