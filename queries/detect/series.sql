-- name: define_detect_layer
-- Internal: the figures every series is made of (TEMP macro on every connection, read by
-- detect_series and detect_series_reported): one row per current customs-reported figure of the
-- trade of `countries_wanted` at one frequency, in USD and in kg, with its unit; in the years
-- year_from to year_to (NULL: from the first, to the last).
CREATE OR REPLACE TEMP MACRO series_figures(freq_wanted, countries_wanted, include_estimated, year_from, year_to) AS TABLE
SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, hs_level, period, period_start, month,
       'USD' AS unit, value AS amount
FROM flows
WHERE kind = 'reported' AND freq = freq_wanted AND currency = 'USD' AND value IS NOT NULL
  AND reporter_is_country AND flow IN ('export', 'import', 'two-way') AND hs_level IN ('2', '4', '6', 'TOTAL')
  AND (list_contains(countries_wanted, reporter_iso3) OR list_contains(countries_wanted, partner_iso3))
  AND year BETWEEN coalesce(year_from, year) AND coalesce(year_to, year)
UNION ALL
SELECT reporter_iso3, partner_iso3, flow, hs, hs_level, period, period_start, month, 'kg', net_weight_kg
FROM flows
WHERE kind = 'reported' AND freq = freq_wanted AND net_weight_kg IS NOT NULL
  -- a weight Comtrade estimated (isNetWgtEstimated) is no measurement: left out unless asked for
  AND (include_estimated OR NOT coalesce(is_net_wgt_estimated, false))
  AND reporter_is_country AND flow IN ('export', 'import', 'two-way') AND hs_level IN ('2', '4', '6', 'TOTAL')
  AND (list_contains(countries_wanted, reporter_iso3) OR list_contains(countries_wanted, partner_iso3))
  AND year BETWEEN coalesce(year_from, year) AND coalesce(year_to, year);

-- name: detect_series(freq, countries, include_estimated:bool, year_from:int, year_to:int)
-- Internal: every reported series as detectors read it: one row per (reporter, partner, flow, hs,
-- unit, period) of current customs-reported figures at one frequency, the median where several
-- publishers or sources give the same figure (never their sum), and how many figures it is the
-- median of. Units: USD or kg. Only the trade of `countries` (the country of interest and its
-- neighbours) in the years year_from to year_to (NULL: all) is read: a world store can be large.
-- Absence is data (queries/coverage): in a period whose pair-flow is published, a code of the
-- series with no figure (and no figure for a finer code inside it) is a zero the source did not
-- write - a row with amount 0 and figures 0 ("implicit zero"). Periods not published have no row. Rows in no particular order. The definition of what
-- the detectors read: their matrix (mirror/detect/panel.py) is made from its parts
-- (detect_series_reported, _published, _present) without these rows, and tests check it holds
-- them; the versions behind a median are detect_figure_versions.
WITH f AS (SELECT * FROM series_figures($freq, $countries, $include_estimated, $year_from, $year_to)),
reported AS (
    SELECT reporter, partner, flow, hs, unit, period, any_value(period_start) AS period_start,
           any_value(month) AS month, median(amount) AS amount, count(*) AS figures
    FROM f
    GROUP BY reporter, partner, flow, hs, hs_level, unit, period
),
series AS (SELECT DISTINCT reporter, partner, flow, hs, unit FROM f WHERE hs <> 'TOTAL'),
published AS (
    SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, period, period_start, period_end, month
    FROM coverage_pairs
    WHERE kind = 'reported' AND freq = $freq
      AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
      AND year BETWEEN coalesce($year_from, year) AND coalesce($year_to, year)
),
present AS (
    SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, period_start, period_end, hs
    FROM present_codes($freq, 'reported')
    WHERE (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
      AND year(period_start) BETWEEN coalesce($year_from, year(period_start)) AND coalesce($year_to, year(period_start))
),
implicit AS (
    SELECT s.reporter, s.partner, s.flow, s.hs, s.unit, p.period, p.period_start, p.month,
           0.0 AS amount, 0 AS figures
    FROM series AS s
    JOIN published AS p USING (reporter, partner, flow)
    ANTI JOIN present AS x
      ON x.reporter = s.reporter AND x.partner = s.partner AND x.flow = s.flow AND x.hs = s.hs
     AND x.period_start = p.period_start AND x.period_end = p.period_end
)
SELECT * FROM reported
UNION ALL
SELECT * FROM implicit;

-- name: detect_series_reported(freq, countries, include_estimated:bool, year_from:int, year_to:int)
-- Internal: the rows of detect_series with figures (its `reported` part, the same figures and
-- medians), for the panel's reader (mirror/detect/panel.py, from_parts), which puts the implicit
-- zeros into the matrix itself from detect_series_published and detect_series_present: as rows
-- they are a row per series and published period, most of a long panel (a large country's
-- 30 years: 180 million rows for 10 million figures). Rows in no particular order.
-- The median only where three or more figures give one amount (a few): a median per group holds
-- every value in memory and does not spill, and one figure is its own median, two their mean
-- (lo * 0.5 + hi * 0.5: DuckDB's median of two, to the bit). The figures are read twice, not kept
-- (NOT MATERIALIZED): a CTE read twice is kept whole (a large country's every figure), and on the
-- 239,504-series benchmark two scans are faster (1.6-2.0 s against 2.1-2.8 s).
WITH f AS NOT MATERIALIZED (SELECT * FROM series_figures($freq, $countries, $include_estimated, $year_from, $year_to)),
g AS (
    SELECT reporter, partner, flow, hs, hs_level, unit, period, any_value(period_start) AS period_start,
           any_value(month) AS month, min(amount) AS lo, max(amount) AS hi, count(*) AS figures
    FROM f
    GROUP BY reporter, partner, flow, hs, hs_level, unit, period
),
several AS (
    SELECT reporter, partner, flow, hs, hs_level, unit, period, median(amount) AS amount
    FROM f SEMI JOIN (SELECT * FROM g WHERE figures > 2) AS m USING (reporter, partner, flow, hs, hs_level, unit, period)
    GROUP BY reporter, partner, flow, hs, hs_level, unit, period
)
SELECT g.reporter, g.partner, g.flow, g.hs, g.unit, g.period, g.period_start, g.month,
       CASE WHEN g.figures = 1 THEN g.lo WHEN g.figures = 2 THEN g.lo * 0.5 + g.hi * 0.5 ELSE s.amount END AS amount,
       g.figures
FROM g
LEFT JOIN several AS s USING (reporter, partner, flow, hs, hs_level, unit, period);

-- name: detect_series_size(freq, countries, include_estimated:bool, year_from:int, year_to:int)
-- Internal: how large the detectors' panel of `countries`' trade would be, before it is read: its
-- series (reporter, partner, flow, hs, unit: as many as detect_series_reported's) and the periods
-- with figures (the panel's columns, or fewer: it adds published periods without one). One row.
-- One scan (a CTE read twice would be kept whole: a large country's every figure).
SELECT count(DISTINCT (reporter, partner, flow, hs, unit)) AS series, count(DISTINCT period_start) AS periods
FROM series_figures($freq, $countries, $include_estimated, $year_from, $year_to);

-- name: detect_series_published(freq, countries, year_from:int, year_to:int)
-- Internal: the published reporter-partner-flow-periods of `countries`' trade (detect_series'
-- `published`): where a series' code without a figure is an implicit zero. Rows in no particular order.
SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, period, period_start, month
FROM coverage_pairs
WHERE kind = 'reported' AND freq = $freq
  AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
  AND year BETWEEN coalesce($year_from, year) AND coalesce($year_to, year);

-- name: detect_series_present(freq, countries, year_from:int, year_to:int)
-- Internal: the codes a figure speaks for in each reporter-partner-flow-period of `countries`'
-- trade (detect_series' `present`: its own and its parents'), limited to codes of the countries'
-- figures at HS2, HS4 or HS6 (the series' codes, or more): where no implicit zero goes, in either
-- unit. Rows in no particular order.
WITH codes AS (
    SELECT DISTINCT reporter_iso3, partner_iso3, flow, hs
    FROM flows
    WHERE kind = 'reported' AND freq = $freq AND reporter_is_country AND flow IN ('export', 'import', 'two-way')
      AND hs_level IN ('2', '4', '6')
      AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
      AND year BETWEEN coalesce($year_from, year) AND coalesce($year_to, year)
)
SELECT p.reporter_iso3 AS reporter, p.partner_iso3 AS partner, p.flow, p.hs, p.period_start
FROM present_codes($freq, 'reported') AS p
SEMI JOIN codes AS c
  ON c.reporter_iso3 = p.reporter_iso3 AND c.partner_iso3 = p.partner_iso3 AND c.flow = p.flow AND c.hs = p.hs
WHERE (list_contains($countries, p.reporter_iso3) OR list_contains($countries, p.partner_iso3))
  AND year(p.period_start) BETWEEN coalesce($year_from, year(p.period_start)) AND coalesce($year_to, year(p.period_start));

-- name: detect_figure_versions(freq, countries, include_estimated:bool, reporters, codes)
-- Internal: every version behind a median of detect_series (the same figures) where several
-- publishers or sources give one figure, for the given reporters and HS codes only (the series a
-- run found several figures for): one row per (reporter, partner, flow, hs, unit, period) with the
-- lowest and highest figure and each publisher's, so that a conflict is a finding and not only a median.
WITH f AS (
    SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, hs_level, period, period_start,
           'USD' AS unit, value AS amount, coalesce(publisher, source) AS who
    FROM flows
    WHERE kind = 'reported' AND freq = $freq AND currency = 'USD' AND value IS NOT NULL
      AND reporter_is_country AND flow IN ('export', 'import', 'two-way') AND hs_level IN ('2', '4', '6', 'TOTAL')
      AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
      AND list_contains($reporters, reporter_iso3) AND list_contains($codes, hs)
    UNION ALL
    SELECT reporter_iso3, partner_iso3, flow, hs, hs_level, period, period_start, 'kg', net_weight_kg,
           coalesce(publisher, source)
    FROM flows
    WHERE kind = 'reported' AND freq = $freq AND net_weight_kg IS NOT NULL
      AND ($include_estimated OR NOT coalesce(is_net_wgt_estimated, false))
      AND reporter_is_country AND flow IN ('export', 'import', 'two-way') AND hs_level IN ('2', '4', '6', 'TOTAL')
      AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3))
      AND list_contains($reporters, reporter_iso3) AND list_contains($codes, hs)
)
SELECT reporter, partner, flow, hs, unit, period, any_value(period_start) AS period_start, median(amount) AS amount,
       min(amount) AS low, max(amount) AS high,
       string_agg(who || ': ' || printf('%,.0f', amount), '; ' ORDER BY amount) AS versions
FROM f
GROUP BY reporter, partner, flow, hs, hs_level, unit, period
HAVING count(*) > 1
ORDER BY reporter, partner, flow, hs, unit, period_start;

-- name: detect_estimated_weights(freq, countries)
-- Internal: how many current reported weights of the country's trade Comtrade marked as estimated
-- (isNetWgtEstimated) at one frequency: what the tonnes series leave out by default. One row.
SELECT count(*) AS estimated_weights
FROM flows
WHERE kind = 'reported' AND freq = $freq AND net_weight_kg IS NOT NULL AND coalesce(is_net_wgt_estimated, false)
  AND (list_contains($countries, reporter_iso3) OR list_contains($countries, partner_iso3));

-- name: detect_estimates(freq)
-- Internal: physical or value estimates of flows (kind 'estimated'), by (reporter, partner, flow, hs,
-- unit, period): what a reporting gap's missing volume can be compared with. Median over publishers.
SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, period, any_value(year) AS year,
       CASE WHEN net_weight_kg IS NOT NULL THEN 'kg' ELSE 'USD' END AS unit,
       median(coalesce(net_weight_kg, CASE WHEN currency = 'USD' THEN value END)) AS amount,
       string_agg(DISTINCT coalesce(publisher, source), '; ') AS publishers
FROM flows
WHERE kind = 'estimated' AND freq = $freq AND (net_weight_kg IS NOT NULL OR currency = 'USD')
GROUP BY ALL;

-- name: detect_context(freq)
-- Internal: the pair's trade of any kind at one frequency (reported preferred, estimated otherwise),
-- by (reporter, partner, flow, hs, period) in USD: the "other trade" a reporting gap is judged against.
-- Two-way totals are listed under both countries' views.
WITH f AS (
    SELECT reporter_iso3 AS a, partner_iso3 AS b, flow, hs, period, year, kind, value
    FROM flows
    WHERE freq = $freq AND currency = 'USD' AND value IS NOT NULL AND kind IN ('reported', 'estimated')
      AND hs = 'TOTAL'  -- a gap is judged against the pair's total trade
),
oriented AS (
    -- exports of A to B: A's exports, B's imports, or the two-way total of A and B
    SELECT a AS exporter, b AS importer, hs, period, year, kind, value, flow FROM f WHERE flow = 'export'
    UNION ALL SELECT b, a, hs, period, year, kind, value, flow FROM f WHERE flow = 'import'
    UNION ALL SELECT a, b, hs, period, year, kind, value, flow FROM f WHERE flow = 'two-way'
    UNION ALL SELECT b, a, hs, period, year, kind, value, flow FROM f WHERE flow = 'two-way'
)
SELECT exporter, importer, hs, period, any_value(year) AS year, flow = 'two-way' AS two_way,
       median(value) FILTER (WHERE kind = 'reported') AS reported, median(value) FILTER (WHERE kind = 'estimated') AS estimated
FROM oriented
GROUP BY exporter, importer, hs, period, flow = 'two-way';

-- name: detect_bans(country)
-- Internal: bans (not caps) against a country (NULL: against any country) with their target, HS
-- codes, direction and effective date.
SELECT measure_id AS measure, instrument, effective, direction, hs_prefix, goods, target
FROM stg_measure_codes
WHERE ($country IS NULL OR target = $country) AND measure_id NOT IN (SELECT measure_id FROM caps);

-- name: data_version
-- Internal: the state of the store flags are computed on: the last load and every source's latest release.
SELECT coalesce(max(load_id), 0) AS data_version,
       (SELECT string_agg(source || ' ' || release, '; ' ORDER BY source)
        FROM (SELECT source, max_by(release, load_id) AS release FROM loads GROUP BY source)) AS releases
FROM loads;

-- name: replace_flags(data_version:int, country, freq)
-- Internal: store freshly computed flags (registered as new_flags) for one state, country and frequency.
DELETE FROM flags WHERE data_version = $data_version AND country = $country AND freq = $freq;

-- name: insert_flags(data_version:int, releases, country)
-- Internal: insert the flags registered as new_flags.
INSERT INTO flags BY NAME
SELECT $data_version AS data_version, $releases AS releases, $country AS country, now()::TIMESTAMP AS computed_at, *
FROM new_flags;

-- name: stored_flags(country, detector)
-- Flags stored by `trade-mirror detect` (or a refresh), newest state first: one row per flag.
SELECT * FROM flags
WHERE ($country IS NULL OR country = $country) AND ($detector IS NULL OR detector = $detector)
ORDER BY data_version DESC, severity, detector, reporter, period;

-- name: detect_mirror_pairs(neighbours, countries)
-- Internal: the rows of the built mirror the outlier and rerouting detectors read: flows both
-- sides report, and flows from the target's neighbours reported by the importer only. USD, FOB.
SELECT period, freq, year, exporter, importer, hs, value_exporter_usd, value_importer_fob_usd, log_ratio
FROM mp_final
WHERE (list_contains($countries, exporter) OR list_contains($countries, importer))
  -- a one-sided row counts only where the silent side is known to have reported nothing
  AND (reported_by = 'both'
       OR (reported_by = 'importer only, exporter reported nothing' AND list_contains($neighbours, exporter)));

-- name: build_mirror_outlier_candidates(min_history:int, z:float, min_ratio:float, country)
-- Internal: the candidate mirror outliers of `country`'s pairs in the built mirror, as the temp table
-- mo_cand (detect_mirror_outliers tests them against the world, a chunk of years at a time): its
-- rows whose ln(M_fob/X) is beyond the thresholds against the pair-product's own periods (robust z:
-- median and MAD scaled by 1/0.6745, as statsmodels' robust scale). The country is found by its
-- integer key first (as in mirror_rows). The mirror is read as a view (not copied), on its integer
-- keys (hs_num, year, month: one build has one level and frequency).
CREATE OR REPLACE TEMP TABLE mo_cand AS
WITH mine AS MATERIALIZED (
    SELECT period, freq, year, month, exporter, importer, hs, hs_num, value_exporter_usd, value_importer_fob_usd,
           log_ratio
    FROM mp_final
    WHERE log_ratio IS NOT NULL
      AND (exporter_n = iso_num($country) AND exporter = $country OR importer_n = iso_num($country) AND importer = $country)
),
own AS (
    SELECT exporter, importer, hs, count(*) AS n_own, median(log_ratio) AS own_center,
           mad(log_ratio) / 0.6744897501960817 AS own_scale
    FROM mine
    GROUP BY exporter, importer, hs HAVING count(*) >= $min_history
)
SELECT m.*, own.n_own, own.own_center, (m.log_ratio - own.own_center) / nullif(own.own_scale, 0) AS z_own
FROM mine AS m JOIN own USING (exporter, importer, hs)
WHERE abs((m.log_ratio - own.own_center) / nullif(own.own_scale, 0)) >= $z AND abs(m.log_ratio) >= $min_ratio;

-- name: detect_mirror_outliers(z:float, year_from:int, year_to:int)
-- Internal: the candidates of mo_cand in the years year_from..year_to that are also beyond the
-- threshold against all pairs of the product in the period (the whole world's cross-section:
-- median and MAD as above); only those rows are returned. The cross-sections are computed only for
-- the candidates' products and periods, and a chunk of years at a time (the detector walks the
-- build's chunks): an exact median per group holds its values in memory and does not spill, and a
-- 30-year panel's candidates reach every product and period - its whole mirror (264 million log
-- ratios at HS4) at once wrote 49 GB of temp files and filled the disk.
WITH p AS NOT MATERIALIZED (
    SELECT hs_num, year, month, log_ratio
    FROM mp_final WHERE log_ratio IS NOT NULL AND year BETWEEN $year_from AND $year_to
),
cand AS MATERIALIZED (SELECT * FROM mo_cand WHERE year BETWEEN $year_from AND $year_to),
cs AS (
    SELECT hs_num, year, month, count(*) AS n_cs, median(log_ratio) AS cs_center,
           mad(log_ratio) / 0.6744897501960817 AS cs_scale
    FROM p SEMI JOIN (SELECT DISTINCT hs_num, year, month FROM cand) AS k
      ON k.hs_num = p.hs_num AND k.year = p.year AND k.month IS NOT DISTINCT FROM p.month
    GROUP BY hs_num, year, month
),
z AS (
    SELECT c.period, c.freq, c.exporter, c.importer, c.hs, c.value_exporter_usd, c.value_importer_fob_usd, c.log_ratio,
           c.n_own, c.own_center, cs.cs_center, c.z_own,
           CASE WHEN cs.n_cs > 2 THEN (c.log_ratio - cs.cs_center) / nullif(cs.cs_scale, 0) END AS z_cs
    FROM cand AS c JOIN cs ON cs.hs_num = c.hs_num AND cs.year = c.year AND cs.month IS NOT DISTINCT FROM c.month
)
SELECT * FROM z WHERE abs(z_cs) >= $z OR z_cs IS NULL;

-- name: mirror_outlier_candidate_years
-- Internal: the years of mo_cand (the chunks detect_mirror_outliers needs to read).
SELECT DISTINCT year FROM mo_cand ORDER BY year;

-- name: drop_mirror_outlier_candidates
-- Internal: mo_cand dropped after the test.
DROP TABLE IF EXISTS mo_cand;

-- name: unit_value_flow_hashes(freq, include_estimated:bool, year_from:int, year_to:int)
-- Internal: the 64-bit hash of the flow of every figure detect_unit_values reads for the years
-- year_from..year_to (the same rows and the same hash as its `kept`), which the detector sorts to
-- find the flows with competing figures. One row per figure.
SELECT hash(reporter_iso3, partner_iso3, flow, hs, period, month) AS h
FROM flows
WHERE kind = 'reported' AND freq = $freq AND currency = 'USD' AND value > 0 AND net_weight_kg > 0
  AND hs_level IN ('2', '4', '6') AND flow IN ('export', 'import') AND year BETWEEN $year_from AND $year_to
  AND ($include_estimated OR NOT coalesce(is_net_wgt_estimated, false));

-- name: detect_unit_values(freq, z:float, min_ratio:float, include_estimated:bool, country, year_from:int, year_to:int)
-- Internal: candidate unit-value outliers of `country`'s trade (it the reporter or the partner):
-- ln(USD/kg) robust z against the same product, period and side (exports FOB, imports CIF) over
-- every reported figure with a value and a weight, in cross-sections of at least 8 reports. Only rows beyond the thresholds are returned, each with
-- estimated_excluded: the reports of its cross-section left out because Comtrade estimated their
-- weight (isNetWgtEstimated; a price per kg of an estimated weight is the estimator's, not the
-- trader's), unless include_estimated (the flows with competing figures: uv_repeated, registered by
-- the detector). The cross-sections are those of the country's products,
-- periods and sides only, each one's values in one list, and the world's
-- figures are read from the store, not copied: at 50 million flows (92 million figures) a copy and
-- every cross-section's two exact medians ran out of a 1.5 GB limit. For the periods of years
-- year_from..year_to (a cross-section is one period's: the detector asks for a chunk of years at a
-- time, so that memory does not grow with years; row groups of other years are skipped).
WITH w AS NOT MATERIALIZED (
    SELECT reporter_iso3 AS reporter, partner_iso3 AS partner, flow, hs, period, month, value, net_weight_kg,
           coalesce(is_net_wgt_estimated, false) AS estimated, hash(reporter_iso3, partner_iso3, flow, hs, period, month) AS h
    FROM flows
    WHERE kind = 'reported' AND freq = $freq AND currency = 'USD' AND value > 0 AND net_weight_kg > 0
      AND hs_level IN ('2', '4', '6') AND flow IN ('export', 'import') AND year BETWEEN $year_from AND $year_to
),
kept AS NOT MATERIALIZED (SELECT * FROM w WHERE $include_estimated OR NOT estimated),
-- A flow with competing figures (sources, publishers) counts once, at their median. Few flows have
-- them, so they are found on one 64-bit hash of the flow, the repeated ones registered by the
-- detector as uv_repeated (unit_value_flow_hashes: sorted in numpy, a fifth of the CPU of a hash
-- aggregate over every figure), and only they are grouped; a hash collision only sends two single
-- figures through the grouping, which keeps them apart by the columns themselves.
dup AS (SELECT h FROM uv_repeated),
f AS NOT MATERIALIZED (
    SELECT reporter, partner, flow, hs, period, month, value AS amount, net_weight_kg AS amount_kg
    FROM kept ANTI JOIN dup USING (h)
    UNION ALL
    SELECT reporter, partner, flow, hs, period, month, median(value), median(net_weight_kg)
    FROM kept SEMI JOIN dup USING (h)
    GROUP BY reporter, partner, flow, hs, period, month
),
excluded AS (
    SELECT hs, period, flow, count(*) AS estimated_excluded
    FROM w WHERE estimated AND NOT $include_estimated
    GROUP BY ALL
),
u AS NOT MATERIALIZED (SELECT *, ln(amount / amount_kg) AS log_uv FROM f),
-- the country's figures, and the world's cross-sections of their products, periods and sides only
-- (read again from the store, not copied: a BACI-scale panel is a hundred million figures)
mine AS MATERIALIZED (SELECT * FROM u WHERE reporter = $country OR partner = $country),
g AS NOT MATERIALIZED (
    SELECT u.hs, u.period, u.flow, u.log_uv FROM u SEMI JOIN (SELECT DISTINCT hs, period, flow FROM mine) USING (hs, period, flow)
),
-- each cross-section's values as one list (held once), its median, then the median of the
-- deviations from it (what mad() computes): 20% less than two median aggregates and a join back
vals AS (SELECT hs, period, flow, count(*) AS n, list(log_uv) AS v FROM g GROUP BY hs, period, flow HAVING count(*) >= 8),
centred AS (SELECT hs, period, flow, n, v, list_median(v) AS center FROM vals),
cs AS (
    SELECT hs, period, flow, n, center,
           list_median(list_transform(v, lambda x: abs(x - center))) / 0.6744897501960817 AS scale
    FROM centred
)
SELECT u.*, cs.n, cs.center, (u.log_uv - cs.center) / nullif(cs.scale, 0) AS z,
       coalesce(e.estimated_excluded, 0) AS estimated_excluded
FROM mine AS u JOIN cs USING (hs, period, flow)
LEFT JOIN excluded AS e USING (hs, period, flow)
WHERE abs((u.log_uv - cs.center) / nullif(cs.scale, 0)) >= $z AND abs(u.log_uv - cs.center) >= $min_ratio;

-- name: detect_relabel_pairs(freq, exporters, target, prefixes)
-- Internal: both reports, in kg and USD, of the target's banned products at HS6 between its
-- neighbours (exporters) and third countries: one row per (period, exporter, importer, hs). The
-- target's goods relabelled as a neighbour's show as the importer's tonnes "from" the neighbour
-- beyond the neighbour's own reported exports. An exporter that published the period for the
-- importer without the code reported nothing (kg 0); one that did not is not available (NULL).
WITH reports AS (  -- both sides in one scan: the exporter's exports and the importer's imports
    SELECT period_start, period_end, any_value(period) AS period, flow,
           CASE flow WHEN 'export' THEN reporter_iso3 ELSE partner_iso3 END AS exporter,
           CASE flow WHEN 'export' THEN partner_iso3 ELSE reporter_iso3 END AS importer,
           hs, median(net_weight_kg) AS kg, median(value) FILTER (WHERE currency = 'USD') AS usd
    FROM flows
    WHERE kind = 'reported' AND freq = $freq AND hs_level = '6'
      AND ((flow = 'export' AND list_contains($exporters, reporter_iso3) AND partner_iso3 <> $target AND partner_is_country)
        OR (flow = 'import' AND list_contains($exporters, partner_iso3) AND reporter_iso3 <> $target AND reporter_is_country))
      AND len(list_filter($prefixes, lambda p: starts_with(hs, p))) > 0
    GROUP BY period_start, period_end, flow, reporter_iso3, partner_iso3, hs
),
x AS (SELECT period_start, period_end, exporter, importer, hs, kg AS kg_exporter, usd AS usd_exporter
      FROM reports WHERE flow = 'export'),
m AS (SELECT period_start, period_end, period, exporter, importer, hs, kg AS kg_importer, usd AS usd_importer
      FROM reports WHERE flow = 'import')
SELECT m.period, m.period_start, m.period_end, m.exporter, m.importer, m.hs, m.kg_importer, m.usd_importer,
       CASE WHEN x.exporter IS NOT NULL THEN x.kg_exporter WHEN c.reporter_iso3 IS NOT NULL THEN 0.0 END AS kg_exporter,
       x.usd_exporter
FROM m
LEFT JOIN x USING (period_start, period_end, exporter, importer, hs)
LEFT JOIN coverage_pairs AS c
  ON x.exporter IS NULL AND c.kind = 'reported' AND c.freq = $freq AND c.flow = 'export'
 AND c.reporter_iso3 = m.exporter AND c.partner_iso3 = m.importer
 AND c.period_start = m.period_start AND c.period_end = m.period_end
WHERE m.kg_importer > 0
ORDER BY m.exporter, m.importer, m.hs, m.period_start;

-- name: detect_roundabout_panel(target, neighbours)
-- Internal: the exports of every third country that exports to the target's neighbours, by product
-- and destination, from the built mirror (mp_final, exporters' own reports, USD): one row per
-- (period, exporter, destination, hs) with a positive value, destinations other than the target.
-- The "Eurasian Roundabout" panel: neighbours are the treated destinations, the rest comparisons.
WITH suppliers AS (
    SELECT DISTINCT exporter FROM mp_final
    WHERE list_contains($neighbours, importer) AND value_exporter_usd > 0
      AND exporter <> $target AND NOT list_contains($neighbours, exporter)
)
SELECT f.period, f.period_start, f.period_end, f.exporter, f.importer AS destination, f.hs, f.value_exporter_usd AS usd
FROM mp_final AS f JOIN suppliers USING (exporter)
WHERE f.value_exporter_usd > 0 AND f.importer <> $target AND f.hs <> 'TOTAL';

-- name: detect_world_unit_values(freq, codes)
-- Internal: the world unit value of each code and period, the price-neutral deflator of a USD level
-- shift (mirror/detect/breaks.py price_neutral): the median of ln(USD / kg) over every current
-- customs-reported figure of the code in the period with a positive value and weight, any reporter
-- and partner (weights Comtrade estimated left out), and how many figures it is the median of.
SELECT hs, period, median(ln(value / net_weight_kg)) AS log_uv, count(*) AS flows
FROM flows
WHERE kind = 'reported' AND freq = $freq AND currency = 'USD' AND value > 0 AND net_weight_kg > 0
  AND NOT coalesce(is_net_wgt_estimated, false) AND list_contains($codes, hs)
GROUP BY hs, period;
