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
       CASE WHEN sum(m.x) > 0 AND sum(m.m_fob) > 0 THEN (sum(m.x) - sum(m.m_fob)) / (sum(m.x) + sum(m.m_fob)) END
           AS discrepancy_index,
       CASE WHEN count(m.x) > 0 AND count(m.m_fob) > 0 THEN 'both'
            WHEN count(m.x) > 0 THEN 'exporter only' ELSE 'importer only' END AS reported_by,
       string_agg(DISTINCT m.source, ', ') AS sources
FROM m JOIN top USING (partner)
LEFT JOIN country_by_iso3 AS c ON c.iso3 = m.partner
GROUP BY ALL
ORDER BY m.partner, m.direction, m.year;

-- name: report_coverage(country, year_from:int, year_to:int, top:int)
-- Who reports the country's trade, when: one row per (reporter, year) over the `top` reporters
-- (by figures) and every year in the range, with the number of current figures (0 = a gap) and
-- the kinds and sources behind them. Figures where the country is reporter or partner.
WITH f AS (
    SELECT reporter_iso3 AS reporter, year, kind, source
    FROM flows
    WHERE (partner_iso3 = $country OR reporter_iso3 = $country) AND year BETWEEN $year_from AND $year_to
),
reporters AS (SELECT reporter FROM f GROUP BY reporter ORDER BY count(*) DESC, reporter LIMIT $top),
years AS (SELECT range AS year FROM range($year_from, $year_to + 1))
SELECT r.reporter, coalesce(c.name, r.reporter) AS reporter_name, CAST(y.year AS INTEGER) AS year,
       count(f.reporter) AS figures,
       coalesce(string_agg(DISTINCT f.kind, ', ' ORDER BY f.kind), '') AS kinds,
       coalesce(string_agg(DISTINCT f.source, ', ' ORDER BY f.source), '') AS sources
FROM reporters AS r CROSS JOIN years AS y
LEFT JOIN f ON f.reporter = r.reporter AND f.year = y.year
LEFT JOIN country_by_iso3 AS c ON c.iso3 = r.reporter
GROUP BY ALL
ORDER BY r.reporter, year;

-- name: report_unit_values(country, top:int)
-- Unit values (USD per kg) of the country's trade beside every other pair's for the same HS code
-- and year: per (hs, year) the distribution over all annual figures in the store with a weight
-- (p10, p25, median, p75, p90, count) and the country's own pairs' values, for the `top` HS
-- codes of the country's trade with weights. One row per (hs, year, reporter, partner, flow).
WITH uv AS (
    SELECT hs, year, reporter_iso3 AS reporter, partner_iso3 AS partner, flow, kind, source,
           value / net_weight_kg AS usd_per_kg, value, net_weight_kg
    FROM flows
    WHERE freq = 'A' AND net_weight_kg > 0 AND value > 0 AND hs <> 'TOTAL' AND currency = 'USD'
),
mine AS (SELECT * FROM uv WHERE reporter = $country OR partner = $country),
top AS (SELECT hs FROM mine GROUP BY hs ORDER BY sum(value) DESC, hs LIMIT $top),
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
JOIN dist AS d USING (hs, year)
LEFT JOIN (SELECT hs, any_value(description) AS description FROM hs_codes GROUP BY hs) AS h ON h.hs = m.hs
ORDER BY m.hs, m.year, m.reporter, m.partner;

-- name: report_sources(country)
-- The sources behind the country's current figures, with their citations: one row per (source,
-- release, kind, publisher, URL) with the figures it gives and the years they cover.
SELECT source, release, kind, coalesce(publisher, '') AS publisher, coalesce(source_url, '') AS source_url,
       count(*) AS figures, min(year) AS first_year, max(year) AS last_year
FROM flows
WHERE partner_iso3 = $country OR reporter_iso3 = $country
GROUP BY ALL
ORDER BY source, release, kind, figures DESC, publisher;
