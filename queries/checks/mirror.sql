-- name: check_mirror_unique_keys
-- Internal: offending rows of a built mirror: more than one row per flow (pair_key = period,
-- exporter, importer, hs), or a key that does not decode back to the flow it was made from.
SELECT pair_key, count(*) AS rows
FROM mp_base
GROUP BY pair_key
HAVING count(*) > 1
UNION ALL
SELECT r.pair_key, 1
FROM (SELECT * FROM mp_resolved WHERE pair_key IS NOT NULL AND flow = 'export' LIMIT 1000) AS r
JOIN mp_pairs AS p ON p.period_start = r.period_start AND p.exporter = r.reporter_iso3 AND p.importer = r.partner_iso3
 AND p.hs = r.hs
WHERE p.value_exporter_usd IS DISTINCT FROM r.value;

-- name: check_mirror_reported_by
-- Internal: offending rows of a built mirror: a pair with no report on either side (then reported_by
-- could not say who reported it), or one whose provenance is missing.
SELECT pair_key, value_exporter_usd, value_importer_usd
FROM mp_base
WHERE (value_exporter_usd IS NULL AND value_importer_usd IS NULL)
   OR (value_exporter_usd IS NOT NULL AND prov_exporter IS NULL)
   OR (value_importer_usd IS NOT NULL AND prov_importer IS NULL);

-- name: check_mirror_sums_equal_staged
-- Internal: offending rows: the mirror's sums of exporter- and importer-reported values differ
-- from the sums of the resolved flows between countries it was built from (a join that lost or
-- doubled a figure). One row per side that does not add up.
WITH r AS (
    SELECT flow, sum(value) AS staged
    FROM mp_resolved
    WHERE reporter_is_country AND partner_is_country AND reporter_iso3 <> partner_iso3 AND flow IN ('export', 'import')
    GROUP BY flow
),
m AS (
    SELECT 'export' AS flow, sum(value_exporter_usd) AS paired FROM mp_base
    UNION ALL
    SELECT 'import', sum(value_importer_usd) FROM mp_base
)
SELECT m.flow, m.paired, r.staged
FROM m LEFT JOIN r USING (flow)
WHERE abs(coalesce(m.paired, 0) - coalesce(r.staged, 0)) > 1e-6 * greatest(abs(coalesce(r.staged, 0)), 1);

-- name: check_weights_in_range
-- Internal: offending rows of a reliability fit: a country variance that is missing or not positive
-- (with positive variances every weight V_M / (V_X + V_M) lies strictly between 0 and 1).
SELECT role, country, effect, sigma, variance
FROM rel_country
WHERE variance IS NULL OR NOT variance > 0 OR isnan(variance);
