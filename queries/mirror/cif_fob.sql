-- The CIF/FOB margins of a build: the observations (flows both sides report), their medians per
-- exporter-importer pair and over all pairs, the shrunk or gravity-model margin of every pair, or
-- none for the fixed factor. Run by mirror/engine.py between the pairing and build_mirror_params.

-- name: build_cif_fob_obs(unit_values:bool)
-- Internal: the observations of the pairs' CIF/FOB margins (build_cif_fob_estimates), as the temp
-- table mp_cif_obs: r_value = ln(M/X) of every flow both sides report with positive values and a
-- CIF import, and, where `unit_values` and both report net weight, r_uv = ln(UV_M / UV_X) (CEPII
-- BACI's basis, which is not moved by quantity-reporting gaps); pair_id is pair_key's bits 20-49
-- (exporter, importer). A table, not a CTE: its medians are taken after it, each in its own
-- statement, in memory or from sorted ranks (build_cif_fob_centres, build_cif_fob_centres_sorted).
-- One row per flow; ln units.
CREATE OR REPLACE TEMP TABLE mp_cif_obs AS
SELECT
    (b.pair_key >> 20) & 1073741823 AS pair_id,
    ln(b.value_importer_usd / b.value_exporter_usd) AS r_value,
    CASE WHEN $unit_values AND b.weight_exporter_kg > 0 AND b.weight_importer_kg > 0
         THEN ln((b.value_importer_usd / b.weight_importer_kg) / (b.value_exporter_usd / b.weight_exporter_kg)) END AS r_uv
FROM mp_base AS b
LEFT JOIN mp_prov AS pm ON pm.prov_id = b.prov_importer
WHERE b.value_exporter_usd > 0 AND b.value_importer_usd > 0 AND coalesce(pm.valuation, 'CIF') = 'CIF';

-- name: build_cif_fob_centres
-- Internal: the medians of the margins taken in memory, for a build whose mp_cif_obs fits (the
-- engine decides: an exact median holds its groups' every value in memory and cannot spill; a
-- BACI year's 8.4 million observations take a second here). Three temp tables, one exact median
-- per statement: mp_cif_centre, each pair's median of mp_cif_obs and its count; mp_cif_m0, the
-- all-pairs medians m0 (one row); mp_cif_spread, each pair's median absolute deviation of r_value
-- from its median (MAD). One row per pair; ln units.
CREATE OR REPLACE TEMP TABLE mp_cif_centre AS
SELECT pair_id, count(r_value) AS n_value, median(r_value) AS median_value, count(r_uv) AS n_uv, median(r_uv) AS median_uv
FROM mp_cif_obs
GROUP BY pair_id;
CREATE OR REPLACE TEMP TABLE mp_cif_m0 AS SELECT median(r_value) AS m0_value, median(r_uv) AS m0_uv FROM mp_cif_obs;
CREATE OR REPLACE TEMP TABLE mp_cif_spread AS
SELECT o.pair_id, median(abs(o.r_value - c.median_value)) AS mad_value
FROM mp_cif_obs AS o JOIN mp_cif_centre AS c USING (pair_id)
GROUP BY o.pair_id;

-- name: build_cif_fob_centres_sorted
-- Internal: the same three tables as build_cif_fob_centres, each median read from ranks (a window
-- sorting each pair's values, which spills to disk) instead of held in memory: for a build whose
-- observations do not fit (a 30-year BACI panel has 250 million; 40 million grouped medians in
-- memory wrote 8-11 GB of temp files and still ran out of a 400 MB limit, ranked they fit it with
-- 1.5 GB). The median of n sorted values is the value at rank (n + 1) / 2, or the midpoint
-- lo * 0.5 + hi * 0.5 of ranks n / 2 and n / 2 + 1 when n is even: DuckDB's median (quantile_cont
-- 0.5) to the bit (tests/test_cif_fob_medians.py; lo + (hi - lo) * 0.5 is an ulp off in 1 of 4). A statement per column and per median, so that
-- only one sort runs at a time. One row per pair; ln units.
CREATE OR REPLACE TEMP TABLE mp_cif_centre_value AS
WITH ranked AS (
    SELECT pair_id, r_value AS r, row_number() OVER (PARTITION BY pair_id ORDER BY r_value) AS k,
           count(*) OVER (PARTITION BY pair_id) AS n
    FROM mp_cif_obs  -- r_value is never NULL: both values are positive
)
SELECT pair_id, any_value(n) AS n_value, min(r) * 0.5 + max(r) * 0.5 AS median_value
FROM ranked WHERE k IN ((n + 1) // 2, n // 2 + 1)
GROUP BY pair_id;
CREATE OR REPLACE TEMP TABLE mp_cif_centre_uv AS
WITH ranked AS (
    SELECT pair_id, r_uv AS r, row_number() OVER (PARTITION BY pair_id ORDER BY r_uv) AS k,
           count(*) OVER (PARTITION BY pair_id) AS n
    FROM mp_cif_obs WHERE r_uv IS NOT NULL
)
SELECT pair_id, any_value(n) AS n_uv, min(r) * 0.5 + max(r) * 0.5 AS median_uv
FROM ranked WHERE k IN ((n + 1) // 2, n // 2 + 1)
GROUP BY pair_id;
CREATE OR REPLACE TEMP TABLE mp_cif_centre AS
SELECT v.pair_id, v.n_value, v.median_value, coalesce(u.n_uv, 0) AS n_uv, u.median_uv
FROM mp_cif_centre_value AS v LEFT JOIN mp_cif_centre_uv AS u USING (pair_id);
CREATE OR REPLACE TEMP TABLE mp_cif_m0_value AS
WITH ranked AS (SELECT r_value AS r, row_number() OVER (ORDER BY r_value) AS k FROM mp_cif_obs),
     total AS (SELECT count(*) AS n FROM mp_cif_obs)
SELECT min(r) * 0.5 + max(r) * 0.5 AS m0_value
FROM ranked CROSS JOIN total WHERE k IN ((n + 1) // 2, n // 2 + 1);
CREATE OR REPLACE TEMP TABLE mp_cif_m0 AS
WITH ranked AS (SELECT r_uv AS r, row_number() OVER (ORDER BY r_uv) AS k FROM mp_cif_obs WHERE r_uv IS NOT NULL),
     total AS (SELECT count(r_uv) AS n FROM mp_cif_obs)
SELECT (SELECT m0_value FROM mp_cif_m0_value) AS m0_value, min(r) * 0.5 + max(r) * 0.5 AS m0_uv
FROM ranked CROSS JOIN total WHERE k IN ((n + 1) // 2, n // 2 + 1);
CREATE OR REPLACE TEMP TABLE mp_cif_spread AS
WITH ranked AS (
    SELECT o.pair_id, abs(o.r_value - c.median_value) AS r,
           row_number() OVER (PARTITION BY o.pair_id ORDER BY abs(o.r_value - c.median_value)) AS k,
           count(*) OVER (PARTITION BY o.pair_id) AS n
    FROM mp_cif_obs AS o JOIN mp_cif_centre AS c USING (pair_id)
)
SELECT pair_id, min(r) * 0.5 + max(r) * 0.5 AS mad_value
FROM ranked WHERE k IN ((n + 1) // 2, n // 2 + 1)
GROUP BY pair_id;
DROP TABLE IF EXISTS mp_cif_centre_value;
DROP TABLE IF EXISTS mp_cif_centre_uv;
DROP TABLE IF EXISTS mp_cif_m0_value;

-- name: build_cif_fob_estimates(shrink_k:float)
-- Internal: per exporter-importer pair, the robust CIF/FOB margin tau = ln(M/X) from the pair's
-- own history (median over its periods and products reported by both sides: mp_cif_centre), shrunk
-- toward the all-pairs median with a prior worth `shrink_k` observations: tau = (n median_pair +
-- k m0) / (n + k); on values and, for the unit-value method, on unit values (build_cif_fob_obs).
-- tau_se: the median's standard error, sqrt(pi/2) x 1.4826 MAD / sqrt(n + k) (normal efficiency
-- of the median, MAD = median |r - median| as a robust s.d.: mp_cif_spread). pair_id:
-- iso_num(exporter) << 15 | iso_num(importer), what mp_final joins on. One row per pair; ln units.
CREATE OR REPLACE TEMP TABLE mp_cif_pairs AS
WITH pair AS (
    SELECT c.*, s.mad_value, iso_chr(c.pair_id >> 15) AS exporter, iso_chr(c.pair_id & 32767) AS importer
    FROM mp_cif_centre AS c JOIN mp_cif_spread AS s USING (pair_id)
)
SELECT
    pair.pair_id, pair.exporter, pair.importer, pair.n_value, pair.median_value, pair.mad_value, pair.n_uv, pair.median_uv,
    m0.m0_value, m0.m0_uv,
    (pair.n_value * pair.median_value + $shrink_k * m0.m0_value) / (pair.n_value + $shrink_k) AS tau_value,
    CASE WHEN pair.n_uv > 0
         THEN (pair.n_uv * pair.median_uv + $shrink_k * m0.m0_uv) / (pair.n_uv + $shrink_k) END AS tau_uv,
    sqrt(pi() / 2) * 1.4826 * pair.mad_value / sqrt(pair.n_value + $shrink_k) AS tau_se,
    NULL::VARCHAR AS label
FROM pair CROSS JOIN mp_cif_m0 AS m0;

-- name: drop_cif_fob_obs
-- Internal: the margins' observations and centres dropped as soon as mp_cif_pairs is made (8.4
-- million rows of a BACI year, 250 million of a 30-year panel), so that the reliability and
-- product-bias aggregates after them have the memory.
DROP TABLE IF EXISTS mp_cif_obs;
DROP TABLE IF EXISTS mp_cif_centre;
DROP TABLE IF EXISTS mp_cif_spread;

-- name: cif_fob_pair_medians
-- Internal: the observations of the gravity CIF/FOB model: each pair's flows reported by both
-- sides (n), its median ln(M/X) (r) and their median absolute deviation (mad), from mp_cif_pairs.
-- One row per pair; ln units.
SELECT exporter, importer, n_value AS n, median_value AS r, mad_value AS mad FROM mp_cif_pairs WHERE n_value > 0;

-- name: cif_fob_importer_pairs
-- Internal: every exporter-importer pair with an import report in the build (the pairs a margin
-- is needed for), decoded from mp_base's pair keys. One row per pair.
SELECT iso_chr((k >> 15) & 32767) AS exporter, iso_chr(k & 32767) AS importer
FROM (SELECT DISTINCT (pair_key >> 20) & 1073741823 AS k FROM mp_base WHERE value_importer_usd IS NOT NULL);

-- name: build_cif_fob_gravity
-- Internal: mp_cif_pairs with the gravity model's margin (mirror/cif_fob.py: predicted from
-- geography, combined with the pair's own median by empirical Bayes; registered as mp_gravity_df)
-- in tau_value and its standard error in tau_se; the pair's history columns are kept. One row per
-- pair; ln units.
CREATE OR REPLACE TEMP TABLE mp_cif_pairs AS
SELECT (iso_num(g.exporter) << 15) | iso_num(g.importer) AS pair_id, g.exporter, g.importer, coalesce(c.n_value, 0) AS n_value, c.median_value, c.mad_value, coalesce(c.n_uv, 0) AS n_uv,
       c.median_uv, (SELECT any_value(m0_value) FROM mp_cif_pairs) AS m0_value, c.m0_uv,
       g.tau AS tau_value, NULL::DOUBLE AS tau_uv, g.tau_se, g.label
FROM mp_gravity_df AS g
LEFT JOIN mp_cif_pairs AS c ON c.exporter = g.exporter AND c.importer = g.importer;

-- name: build_no_cif_fob_estimates
-- Internal: an empty mp_cif_pairs, for the fixed method (nothing to estimate).
CREATE OR REPLACE TEMP TABLE mp_cif_pairs AS
SELECT NULL::BIGINT AS pair_id, NULL::VARCHAR AS exporter, NULL::VARCHAR AS importer, 0::BIGINT AS n_value, NULL::DOUBLE AS median_value,
       NULL::DOUBLE AS mad_value, 0::BIGINT AS n_uv, NULL::DOUBLE AS median_uv, NULL::DOUBLE AS m0_value, NULL::DOUBLE AS m0_uv,
       NULL::DOUBLE AS tau_value, NULL::DOUBLE AS tau_uv, NULL::DOUBLE AS tau_se, NULL::VARCHAR AS label
WHERE false;


-- name: cif_fob_obs_size
-- Internal: how many margin observations the build has (mp_cif_obs) and this connection's memory
-- limit as DuckDB writes it (e.g. '5.5 GiB'), from which the engine chooses how to take their
-- medians (build_cif_fob_centres in memory, or build_cif_fob_centres_sorted). One row.
SELECT count(*) AS observations, current_setting('memory_limit') AS memory_limit FROM mp_cif_obs;
