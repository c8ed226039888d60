-- name: report_discrepancy_cells(country, top:int)
-- Internal: needs the mirror build (mp_final). The country's flows by partner, year and direction
-- (as the country sees them: its imports = the partner's exports), both reports summed in USD
-- (the importer's at FOB) and the discrepancy index (X - M_fob) / (X + M_fob) of the sums, for its
-- `top` partners by trade. One row per (partner, direction, year); years with one report only
-- keep reported_by so a chart can show who is silent.
WITH m AS (
    SELECT CASE WHEN exporter = $country THEN importer ELSE exporter END AS partner,
           CASE WHEN exporter = $country THEN 'exports' ELSE 'imports' END AS direction,
           year, value_exporter_usd AS x, value_importer_fob_usd AS m_fob, value_importer_usd AS m_cif,
           coalesce(source_exporter, source_importer) AS source
    FROM mp_final
    WHERE (exporter = $country OR importer = $country) AND exporter <> importer
),
top AS (
    SELECT partner FROM m GROUP BY partner
    ORDER BY sum(coalesce(greatest(x, m_fob), x, m_fob, 0)) DESC, partner LIMIT $top
)
SELECT m.partner, c.name AS partner_name, m.direction, m.year,
       sum(m.x) AS exporter_reported_usd, sum(m.m_cif) AS importer_reported_usd,
       sum(m.m_fob) AS importer_reported_fob_usd,
       -- both sides known (a side that reported nothing is a known zero); else no index
       CASE WHEN count(m.x) > 0 AND count(m.m_fob) > 0 AND sum(m.x) + sum(m.m_fob) > 0
            THEN (sum(m.x) - sum(m.m_fob)) / (sum(m.x) + sum(m.m_fob)) END AS discrepancy_index,
       CASE WHEN count(m.x) > 0 AND count(m.m_fob) > 0 THEN 'both'
            WHEN count(m.x) > 0 THEN 'exporter only' ELSE 'importer only' END AS reported_by,
       string_agg(DISTINCT m.source, ', ') AS sources
FROM m JOIN top USING (partner)
LEFT JOIN country_by_iso3 AS c ON c.iso3 = m.partner
GROUP BY ALL
ORDER BY m.partner, m.direction, m.year;

-- name: report_pair_to_show(country, year_from:int, year_to:int)
-- Internal: needs the mirror build at HS4 (mp_reconciled). The pair-product of the country's trade
-- the mirror section draws: the most years reported by both sides in the range (the largest trade,
-- in USD at FOB, breaking ties, then the code and the countries); where no flow of the country has
-- both reports, the most years reported by either side. One row (none: no flows), `both` saying
-- which rule chose it. In SQL, not over the country's rows in pandas: a large country's HS4 rows
-- over 30 BACI-scale years are tens of millions; one scan, each pair-product summed both ways.
WITH g AS (
    SELECT exporter, importer, hs,
           count(DISTINCT year) FILTER (reported_by = 'both') AS both_years,
           coalesce(sum(coalesce(value_exporter_usd, value_importer_fob_usd)) FILTER (reported_by = 'both'), 0) AS both_usd,
           count(DISTINCT year) AS any_years,
           coalesce(sum(coalesce(value_exporter_usd, value_importer_fob_usd)), 0) AS any_usd
    FROM mp_reconciled
    WHERE (exporter_n = iso_num($country) AND exporter = $country OR importer_n = iso_num($country) AND importer = $country)
      AND year BETWEEN $year_from AND $year_to
    GROUP BY exporter, importer, hs
),
rule AS (SELECT coalesce(max(both_years), 0) > 0 AS both FROM g)
SELECT exporter, importer, hs, CASE WHEN rule.both THEN both_years ELSE any_years END AS years,
       CASE WHEN rule.both THEN both_usd ELSE any_usd END AS usd, rule.both AS both
FROM g, rule
WHERE both_years > 0 OR NOT rule.both
ORDER BY years DESC, usd DESC, hs, exporter, importer
LIMIT 1;

-- name: report_coverage(country, year_from:int, year_to:int, top:int)
-- Who reports the country's trade, when: one row per (reporter, year) over the `top` reporters
-- (by figures) and every year in the range, with the number of current figures (0 = a gap) and
-- the kinds and sources behind them. Figures where the country is reporter or partner.
-- The figures counted by reporter, year, kind and source first: what the later parts read twice
-- is that small table, not the country's every figure (kept whole, a large country's are millions).
WITH f AS (
    SELECT reporter_iso3 AS reporter, year, kind, source, count(*) AS n
    FROM flows
    WHERE (partner_iso3 = $country OR reporter_iso3 = $country) AND year BETWEEN $year_from AND $year_to
    GROUP BY ALL
),
reporters AS (SELECT reporter FROM f GROUP BY reporter ORDER BY sum(n) DESC, reporter LIMIT $top),
years AS (SELECT range AS year FROM range($year_from, $year_to + 1)),
cells AS (
    SELECT r.reporter, coalesce(c.name, r.reporter) AS reporter_name, CAST(y.year AS INTEGER) AS year,
           CAST(coalesce(sum(f.n), 0) AS BIGINT) AS figures,
           coalesce(string_agg(DISTINCT f.kind, ', ' ORDER BY f.kind), '') AS kinds,
           coalesce(string_agg(DISTINCT f.source, ', ' ORDER BY f.source), '') AS sources
    FROM reporters AS r CROSS JOIN years AS y
    LEFT JOIN f ON f.reporter = r.reporter AND f.year = y.year
    LEFT JOIN country_by_iso3 AS c ON c.iso3 = r.reporter
    GROUP BY ALL
),
published AS (SELECT DISTINCT reporter_iso3 AS reporter, year FROM coverage_pairs WHERE partner_iso3 = $country)
-- the coverage vocabulary (queries/coverage): a year with no figure is a reported zero only where
-- the reporter is known to have published it for the country
SELECT cells.reporter, reporter_name, cells.year, figures,
       CASE WHEN figures > 0 THEN 'reported' WHEN p.reporter IS NOT NULL THEN 'reported nothing'
            ELSE 'not available' END AS state,
       kinds, sources
FROM cells LEFT JOIN published AS p ON p.reporter = cells.reporter AND p.year = cells.year
ORDER BY cells.reporter, cells.year;

-- name: report_unit_values(country, top:int, partners:int)
-- Unit values (USD per kg) of the country's trade beside every other pair's for the same HS code
-- and year: per (hs, year) the distribution over all annual figures in the store with a weight
-- (p10, p25, median, p75, p90, count) and the country's own pairs' values, for the `top` HS
-- codes of the country's trade with weights and its `partners` largest partners in them.
-- One row per (hs, year, reporter, partner, flow). The figures are read where each part needs them,
-- not kept as one table (NOT MATERIALIZED): a CTE read twice is materialised, and this one holds
-- every weighted figure in the world (a 300M-flow store's: 35 GB of temp files for six codes).
WITH uv AS NOT MATERIALIZED (
    SELECT hs, year, reporter_iso3 AS reporter, partner_iso3 AS partner, flow, kind, source,
           value / net_weight_kg AS usd_per_kg, value, net_weight_kg
    FROM flows
    WHERE freq = 'A' AND net_weight_kg > 0 AND value > 0 AND hs <> 'TOTAL' AND currency = 'USD'
),
mine AS NOT MATERIALIZED (SELECT * FROM uv WHERE reporter = $country OR partner = $country),
top AS (SELECT hs FROM mine GROUP BY hs ORDER BY sum(value) DESC, hs LIMIT $top),
top_partners AS (
    SELECT CASE WHEN reporter = $country THEN partner ELSE reporter END AS other
    FROM mine WHERE hs IN (SELECT hs FROM top) GROUP BY other ORDER BY sum(value) DESC, other LIMIT $partners
),
dist AS (
    SELECT hs, year, quantile_cont(usd_per_kg, 0.10) AS p10, quantile_cont(usd_per_kg, 0.25) AS p25,
           median(usd_per_kg) AS median, quantile_cont(usd_per_kg, 0.75) AS p75,
           quantile_cont(usd_per_kg, 0.90) AS p90, count(*) AS pairs
    FROM uv WHERE hs IN (SELECT hs FROM top) GROUP BY hs, year
)
SELECT m.hs, coalesce(h.description, m.hs) AS product, m.year, m.reporter, m.partner, m.flow, m.kind, m.source,
       m.usd_per_kg, m.value AS value_usd, m.net_weight_kg, d.p10, d.p25, d.median, d.p75, d.p90, d.pairs
FROM mine AS m
JOIN top USING (hs)
JOIN top_partners AS tp ON tp.other = CASE WHEN m.reporter = $country THEN m.partner ELSE m.reporter END
JOIN dist AS d USING (hs, year)
LEFT JOIN (SELECT hs, any_value(description) AS description FROM hs_codes GROUP BY hs) AS h ON h.hs = m.hs
ORDER BY m.hs, m.year, m.reporter, m.partner, m.flow, m.kind, m.source;  -- one order

-- name: report_sources(country)
-- The sources behind the country's current figures, with their citations: one row per (source,
-- release, kind, publisher, URL) with the figures it gives and the years they cover.
SELECT source, release, kind, coalesce(publisher, '') AS publisher, coalesce(source_url, '') AS source_url,
       count(*) AS figures, min(year) AS first_year, max(year) AS last_year
FROM flows
WHERE partner_iso3 = $country OR reporter_iso3 = $country
GROUP BY ALL
ORDER BY source, release, kind, figures DESC, publisher, source_url;  -- every group key: one order

-- name: report_rebuilt_top(top:int)
-- Internal: a rebuilt-by-partner frame (registered as report_input) with the partners beyond the
-- `top` by total trade summed into 'other partners', so a chart stays small at world scale.
-- One row per (year, partner); USD, FOB.
WITH ranked AS (
    SELECT partner, sum(coalesce(imports_usd, 0) + coalesce(exports_usd, 0)) AS total
    FROM report_input GROUP BY partner
),
top AS (SELECT partner FROM ranked ORDER BY total DESC, partner LIMIT $top)
SELECT r.year, CASE WHEN t.partner IS NULL THEN 'OTH' ELSE r.partner END AS partner,
       CASE WHEN t.partner IS NULL THEN 'other partners' ELSE r.partner_name END AS partner_name,
       sum(r.imports_usd) AS imports_usd, sum(r.exports_usd) AS exports_usd,
       -- a total summed from the HS lines in the store, not published: maybe only part of the trade
       coalesce(bool_or(r.imports_usd IS NOT NULL AND starts_with(r.imports_note, 'summed')), false) AS imports_partial,
       coalesce(bool_or(r.exports_usd IS NOT NULL AND starts_with(r.exports_note, 'summed')), false) AS exports_partial,
       string_agg(DISTINCT r.source, ', ') AS source
FROM report_input AS r LEFT JOIN top AS t ON t.partner = r.partner
WHERE r.imports_usd IS NOT NULL OR r.exports_usd IS NOT NULL
GROUP BY ALL
ORDER BY r.year, partner;

-- name: report_flag_points
-- Internal: flags (registered as report_input) per year, detector and severity: how many, and the
-- reason of the highest-scoring one, for the timeline. One row per (year, detector, severity).
SELECT CAST(left(CAST(period AS VARCHAR), 4) AS INTEGER) AS year, detector, severity, count(*) AS flags,
       arg_max(reason, coalesce(score, 0)) AS example_reason,
       arg_max(concat_ws(' ', reporter, flow, partner, hs), coalesce(score, 0)) AS example_series
FROM report_input
GROUP BY ALL
ORDER BY year, detector, severity;

-- name: report_banned_points
-- Internal: trade in banned goods (registered as report_input, one row per measure and figure) per
-- year and goods, each figure counted once however many measures cover it. One row per (year, hs2
-- chapter); USD.
WITH figures AS (
    SELECT reporter, partner, flow, hs, period, any_value(value_usd) AS value_usd, any_value(goods) AS goods,
           string_agg(DISTINCT measure, ', ') AS measures, any_value(source) AS source
    FROM report_input
    WHERE freq = 'A'
    GROUP BY reporter, partner, flow, hs, period
)
SELECT CAST(left(period, 4) AS INTEGER) AS year, left(hs, 2) AS chapter, any_value(goods) AS goods,
       sum(value_usd) AS value_usd, count(DISTINCT reporter) AS reporters, count(*) AS figures,
       string_agg(DISTINCT measures, '; ') AS measures, string_agg(DISTINCT source, ', ') AS source
FROM figures
GROUP BY ALL
ORDER BY year, chapter;

-- name: report_oil_points(country, top:int)
-- Internal: annual oil to the country (Store.oil rows, registered as report_input) per year,
-- product, kind of figure and supplier - the `top` suppliers by tonnes, the rest as 'others' -
-- in tonnes and barrels (the median over publishers of one supplier's figure, then summed).
WITH per_supplier AS (
    SELECT year, product, kind, reporter, median(tonnes) AS tonnes, median(barrels) AS barrels,
           any_value(bbl_per_tonne) AS bbl_per_tonne, string_agg(DISTINCT publisher, '; ') AS publisher
    FROM report_input
    WHERE freq = 'A' AND partner = $country AND flow = 'export'
    GROUP BY year, product, kind, reporter
),
top AS (SELECT reporter FROM per_supplier GROUP BY reporter ORDER BY sum(tonnes) DESC NULLS LAST, reporter LIMIT $top)
SELECT p.year, p.product, p.kind, coalesce(t.reporter, 'others') AS reporter, sum(p.tonnes) AS tonnes,
       sum(p.barrels) AS barrels, CASE WHEN count(*) = 1 THEN any_value(p.bbl_per_tonne) END AS bbl_per_tonne,
       left(string_agg(DISTINCT p.publisher, '; '), 300) AS publisher
FROM per_supplier AS p LEFT JOIN top AS t ON t.reporter = p.reporter
GROUP BY ALL
ORDER BY p.year, p.product, p.kind, reporter;

-- name: report_country(country)
-- Internal: the country's name and the first and last year of the figures that involve it.
SELECT (SELECT name FROM country_by_iso3 WHERE iso3 = $country) AS name, min(year) AS first_year,
       max(year) AS last_year
FROM flows
WHERE partner_iso3 = $country OR reporter_iso3 = $country;

-- name: report_batch_releases(since:int)
-- Internal: the sources and releases the loads after `since` brought in, as one line of text.
SELECT string_agg(DISTINCT source || ' ' || release, ', ') FROM loads WHERE load_id > $since;

-- name: report_flag_sources(reporter, partner, hs, flow, kinds)
-- Internal: who published the figures of one series (`hs` and `flow` NULL = any), kinds given as a
-- list: each publisher with its source and release, most figures first, four at most.
SELECT coalesce(publisher, source) || ' (' || source || ', release ' || release || ')' AS cited
FROM flows
WHERE reporter_iso3 = $reporter AND partner_iso3 = $partner AND ($hs IS NULL OR hs = $hs)
  AND ($flow IS NULL OR flow = $flow) AND list_contains($kinds, kind)
GROUP BY cited
ORDER BY count(*) DESC, cited
LIMIT 4;

-- name: report_country_names
-- Internal: every country's ISO3 code and name, for the report's words (codes stay in the data).
-- One row per ISO3.
SELECT iso3, any_value(name) AS name FROM country_by_iso3 GROUP BY iso3;

-- name: report_hs_names
-- Internal: one description per HS code at levels 2, 4 and 6, from the latest revision that has it
-- (descriptions change little between revisions; the latest reads best). One row per code.
SELECT hs, arg_max(description, classification) AS description
FROM hs_codes
WHERE level IN (2, 4, 6) AND description IS NOT NULL
GROUP BY hs;
