-- name: check_mirror_unique_keys
-- Internal: offending rows of a built mirror: a pair_key (period, exporter, importer, hs) that
-- mp_base holds more than once - a side with two figures for one flow makes a second row of its
-- key, whether or not the other side reported it. The engine finds repeats per chunk as it pairs it
-- (mirror_chunk_keys, sorted) and lists them with this only when there are any.
SELECT pair_key, count(*) AS rows
FROM mp_base
GROUP BY pair_key
HAVING count(*) > 1;

-- name: check_mirror_key_decoding
-- Internal: offending rows of a built mirror: a key that does not decode back to the flow it was
-- made from - mp_pairs read on the keys of the sampled exports (mp_resolved_sample, about one in
-- 4,000) against the flow as resolved, and the exporter's value against its figure.
SELECT r.pair_key, r.sample_flow, concat_ws('|', p.exporter, p.importer, p.hs, p.period_start) AS decoded
FROM mp_resolved_sample AS r
LEFT JOIN mp_pairs AS p ON p.pair_key = r.pair_key
WHERE concat_ws('|', p.exporter, p.importer, p.hs, p.period_start) IS DISTINCT FROM r.sample_flow
   OR p.value_exporter_usd IS DISTINCT FROM r.value;

-- name: check_mirror_reported_by
-- Internal: offending rows of a built mirror: a pair with no report on either side (then reported_by
-- could not say who reported it), or one whose provenance is missing.
SELECT pair_key, value_exporter_usd, value_importer_usd
FROM mp_base
WHERE (value_exporter_usd IS NULL AND value_importer_usd IS NULL)
   OR (value_exporter_usd IS NOT NULL AND prov_exporter IS NULL)
   OR (value_importer_usd IS NOT NULL AND prov_importer IS NULL);

-- name: check_mirror_prov_unique
-- Internal: offending rows of a built mirror: a provenance id that decodes to two provenances (a
-- load's figures with two sources or releases, which mirror_flows' ids, a hash of the load and
-- the valuation, assume never happens), which would double the pairs that carry it.
SELECT prov_id, count(*) AS provenances FROM mp_prov GROUP BY prov_id HAVING count(*) > 1;

-- name: check_mirror_sums_equal_staged
-- Internal: offending rows: the mirror's sums of exporter- and importer-reported values differ
-- from the sums of the resolved flows between countries it was built from (a join that lost or
-- doubled a figure; mp_resolved_sums: each chunk's sums). One row per side that does not add up.
WITH r AS (
    SELECT CASE WHEN is_export THEN 'export' ELSE 'import' END AS flow, sum(staged) AS staged
    FROM mp_resolved_sums
    GROUP BY is_export
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
