-- name: flow_years(freq)
-- Internal: the current figures of a frequency per year, from which the engine cuts the build into
-- chunks of consecutive years (a BACI year is 18 million reports: a 30-year store is built a year
-- at a time, so that no step holds more than a chunk), and how many are published at HS4 and HS2
-- (none: a coarser build sums HS6 straight to its level, mirror_flows' `direct`), and how many
-- between two countries lack the numbers a load stores (rows loaded before schema 3; none: the
-- build reads no country or code as text, mirror_flows' `numbered`). One row per year; counts.
SELECT year, count(*) AS figures, count(*) FILTER (WHERE hs_level = '4') AS figures_hs4,
       count(*) FILTER (WHERE hs_level = '2') AS figures_hs2,
       count(*) FILTER (WHERE reporter_is_country AND partner_is_country
                          AND (reporter_n IS NULL OR partner_n IS NULL OR hs_n IS NULL AND hs_level IN ('2', '4', '6')))
           AS unnumbered
FROM figures WHERE valid_to_load IS NULL AND freq = $freq GROUP BY year ORDER BY year;

-- name: build_resolved(level, freq, source_order, dedupe:bool, year_from:int, year_to:int, direct:bool, numbered:bool)
-- Internal: at a level coarser than HS6, one figure per flow between two countries (mirror_flows:
-- resolved_flows on integer keys, the sums of finer codes where a code is not published) for the
-- periods beginning in years year_from..year_to (one chunk of the build), as the slim temp table
-- mp_resolved that insert_mirror_base pairs: the flow's packed pair_key (exporter, importer,
-- period, hs), is_export (which side reported it), the figure and its net weight, and prov_id, a
-- hash of its provenance (source, release, how resolved, valuation), decoded through mp_prov;
-- prov_parts, the provenance of summed figures (their source list, made by mirror_flows). Only the
-- columns the build reads are copied: strings stay in the store. (At HS6 nothing is summed and the
-- build pairs mirror_flows directly: resolved_side.) One row per (period, reporter, partner, flow,
-- hs); current USD.
CREATE OR REPLACE TEMP TABLE mp_resolved AS
SELECT key AS pair_key, is_export, value, net_weight_kg, alternatives, prov_id, prov_parts
FROM mirror_flows($level, $freq, $source_order, $dedupe, $year_from, $year_to, $direct, $numbered);

-- name: build_mirror_level(level, freq)
-- Internal: what the pair keys' HS number and period mean in this build, as the one-row mp_level.
CREATE OR REPLACE TEMP TABLE mp_level AS SELECT $level AS level, $freq AS freq;

-- name: create_mirror_base
-- Internal: the empty tables the chunks of a build fill (insert_mirror_base and the inserts after
-- it): mp_base, both reports of every flow; mp_resolved_sums, each chunk's sum of figures per side
-- (check_mirror_sums_equal_staged); mp_resolved_sample, the sampled flows (check_mirror_key_decoding);
-- mp_prov_parts, the provenance of summed figures; mp_prov_reported, that of figures as published
-- at HS6 (summarise_hs6_chunk); mp_resolved, empty until build_resolved fills it at a coarser level
-- than HS6. Also mp_cov: the published pair-periods of each side
-- (queries/coverage), keyed like pair_key with hs = 0.
CREATE OR REPLACE TEMP TABLE mp_base (
    pair_key BIGINT, value_exporter_usd DOUBLE, value_importer_usd DOUBLE, weight_exporter_kg DOUBLE,
    weight_importer_kg DOUBLE, prov_exporter UBIGINT, prov_importer UBIGINT, figures_considered INTEGER,
    exporter_reported_nothing BOOLEAN, importer_reported_nothing BOOLEAN);
CREATE OR REPLACE TEMP TABLE mp_resolved_sums (is_export BOOLEAN, staged DOUBLE);
CREATE OR REPLACE TEMP TABLE mp_resolved_sample (pair_key BIGINT, value DOUBLE, sample_flow VARCHAR);
CREATE OR REPLACE TEMP TABLE mp_prov_parts (prov_id UBIGINT, prov_parts VARCHAR[]);
CREATE OR REPLACE TEMP TABLE mp_prov_reported (load_id INTEGER, source VARCHAR, release VARCHAR, valuation VARCHAR);
CREATE OR REPLACE TEMP TABLE mp_resolved (pair_key BIGINT, is_export BOOLEAN, value DOUBLE, net_weight_kg DOUBLE,
    alternatives BIGINT, prov_id UBIGINT, prov_parts VARCHAR[]);
CREATE OR REPLACE TEMP TABLE mp_cov AS
SELECT DISTINCT
    pair_key(c.year, c.month, CASE WHEN c.flow = 'export' THEN c.reporter_iso3 ELSE c.partner_iso3 END,
             CASE WHEN c.flow = 'export' THEN c.partner_iso3 ELSE c.reporter_iso3 END, 'TOTAL') AS period_pair,
    c.flow
FROM coverage_pairs AS c
JOIN mp_level AS l ON c.freq = l.freq
WHERE c.kind = 'reported' AND c.reporter_is_country AND c.partner_is_country AND c.flow IN ('export', 'import')
  AND c.reporter_iso3 <> c.partner_iso3;

-- name: insert_mirror_base(level, freq, source_order, dedupe:bool, year_from:int, year_to:int, numbered:bool)
-- Internal: a chunk's resolved figures (resolved_side) paired: its exports and imports matched on
-- pair_key (a full outer join) and added to mp_base (values, weights, provenance ids; mp_pairs
-- decodes it). One row per pair_key, if each side has one figure per flow (mirror_chunk_keys: a
-- second figure of a side shows as a second row of its key, whether or not the other side has one).
INSERT INTO mp_base
WITH x AS (
    SELECT pair_key, value, net_weight_kg, prov_id, alternatives
    FROM resolved_side($level, $freq, $source_order, $dedupe, $year_from, $year_to, true, $numbered)
),
m AS (
    SELECT pair_key, value, net_weight_kg, prov_id, alternatives
    FROM resolved_side($level, $freq, $source_order, $dedupe, $year_from, $year_to, false, $numbered)
),
j AS (
    SELECT
        coalesce(x.pair_key, m.pair_key) AS pair_key,
        x.value AS value_exporter_usd, m.value AS value_importer_usd,
        x.net_weight_kg AS weight_exporter_kg, m.net_weight_kg AS weight_importer_kg,
        x.prov_id AS prov_exporter, m.prov_id AS prov_importer,
        coalesce(x.alternatives, 0) + coalesce(m.alternatives, 0) AS figures_considered
    FROM x FULL OUTER JOIN m ON x.pair_key = m.pair_key
)
-- A side with no figure: did that reporter publish the period for this partner (then its absent
-- code is a zero it did not write) or is it not available? One lookup per row, for the side it
-- lacks (a pair has at least one side: a row with both looks up nothing), on the pair key with its
-- HS bits cleared (mp_cov: one row per period-pair and flow).
SELECT j.*,
       j.value_exporter_usd IS NULL AND c.period_pair IS NOT NULL AS exporter_reported_nothing,
       j.value_importer_usd IS NULL AND c.period_pair IS NOT NULL AS importer_reported_nothing
FROM j
LEFT JOIN mp_cov AS c
  ON c.period_pair = (j.pair_key >> 20) << 20
 AND c.flow = CASE WHEN j.value_exporter_usd IS NULL THEN 'export' WHEN j.value_importer_usd IS NULL THEN 'import' END;

-- name: mirror_chunk_keys(year_from:int, year_to:int)
-- Internal: the pair keys of mp_base's rows for periods in years year_from..year_to (one chunk: the
-- keys' period bits, (year - 1900) * 13 + month, are a range of its own; the row groups of other
-- chunks are skipped), which the engine checks for repeats: a side with two figures for a flow.
SELECT pair_key FROM mp_base
WHERE pair_key >= ((($year_from - 1900) * 13)::BIGINT << 50) AND pair_key < ((($year_to + 1 - 1900) * 13)::BIGINT << 50);

-- name: delete_mirror_chunk(year_from:int, year_to:int)
-- Internal: take a chunk's rows out of mp_base again (its figures compete: the engine pairs them
-- again, choosing one per flow). Same key range as mirror_chunk_keys.
DELETE FROM mp_base
WHERE pair_key >= ((($year_from - 1900) * 13)::BIGINT << 50) AND pair_key < ((($year_to + 1 - 1900) * 13)::BIGINT << 50);

-- name: insert_resolved_sums(level, freq, source_order, dedupe:bool, year_from:int, year_to:int)
-- Internal: a paired chunk's sums of resolved figures per side, into mp_resolved_sums, for
-- check_mirror_sums_equal_staged (a join that lost a figure), at a level coarser than HS6 (at HS6:
-- summarise_hs6_chunk). One row per side.
INSERT INTO mp_resolved_sums
SELECT is_export, sum(value) FROM resolved_side($level, $freq, $source_order, $dedupe, $year_from, $year_to, NULL, false)
GROUP BY is_export;

-- name: insert_mirror_sample(level, freq, source_order, dedupe:bool, year_from:int, year_to:int)
-- Internal: at a level coarser than HS6 (at HS6: summarise_hs6_chunk), about one in 4,000 of a
-- chunk's exports published at the build's level (by line of the
-- file they came from: a filter on an integer, before any key is made), each with its pair_key,
-- its value and the flow as published, into mp_resolved_sample: check_mirror_key_decoding decodes
-- the key in mp_pairs and compares. The figures chosen as mirror_flows chooses them (chosen_flows).
INSERT INTO mp_resolved_sample
SELECT pair_key(year, month, reporter_iso3, partner_iso3, hs), value,
       concat_ws('|', reporter_iso3, partner_iso3, hs, period_start)
FROM chosen_flows($freq, $source_order, $dedupe)
WHERE source_row % 3989 = 17 AND flow = 'export' AND hs_level = $level
  AND reporter_is_country AND partner_is_country AND reporter_iso3 <> partner_iso3
  AND period_start >= make_date($year_from, 1, 1) AND period_start <= make_date($year_to, 12, 31);

-- name: summarise_hs6_chunk(freq, source_order, dedupe:bool, year_from:int, year_to:int)
-- Internal: at HS6 (figures enter as published), what the checks and the provenance dictionary keep
-- of a paired chunk, in one scan of its figures instead of three: per side and provenance (a
-- handful of groups) the sum of the values (for check_mirror_sums_equal_staged), the provenance
-- itself (build_mirror_prov) and the sampled exports, about one in 4,000 by line of the file they
-- came from, each with its pair_key made from the text, its value and the flow as published (for
-- check_mirror_key_decoding; a CASE, so that keys and labels are made for the sampled rows only).
-- The figures are those mirror_flows pairs at HS6, chosen as it chooses them. As the temp table
-- mp_chunk_summary, which add_hs6_chunk_summary spreads into the build's tables.
CREATE OR REPLACE TEMP TABLE mp_chunk_summary AS
SELECT flow = 'export' AS is_export, load_id, source, release, valuation, sum(value) AS staged,
       list(CASE WHEN flow = 'export' AND source_row % 3989 = 17
                 THEN {'pair_key': pair_key(year, month, reporter_iso3, partner_iso3, hs), 'value': value,
                       'sample_flow': concat_ws('|', reporter_iso3, partner_iso3, hs, period_start)} END)
           FILTER (WHERE flow = 'export' AND source_row % 3989 = 17) AS sample
FROM chosen_flows($freq, $source_order, $dedupe)
WHERE reporter_is_country AND partner_is_country AND reporter_iso3 <> partner_iso3 AND flow IN ('export', 'import')
  AND period_start >= make_date($year_from, 1, 1) AND period_start <= make_date($year_to, 12, 31) AND hs_level = '6'
GROUP BY ALL;

-- name: add_hs6_chunk_summary
-- Internal: mp_chunk_summary (summarise_hs6_chunk) into the build's tables: the sums per side
-- (mp_resolved_sums), the sample (mp_resolved_sample) and the provenance of the figures as
-- published (mp_prov_reported).
INSERT INTO mp_resolved_sums SELECT is_export, sum(staged) FROM mp_chunk_summary GROUP BY is_export;
INSERT INTO mp_resolved_sample
SELECT s.pair_key, s.value, s.sample_flow FROM (SELECT unnest(sample) AS s FROM mp_chunk_summary);
INSERT INTO mp_prov_reported SELECT DISTINCT load_id, source, release, valuation FROM mp_chunk_summary;
DROP TABLE mp_chunk_summary;

-- name: insert_mirror_prov_parts
-- Internal: the provenance of a chunk's summed figures (mp_resolved; none at HS6), into the build's
-- dictionary of them, mp_prov_parts: grouped on the id (a hash of the parts: one list per id), a
-- handful of groups, not a distinct over 16 million lists.
INSERT INTO mp_prov_parts
SELECT prov_id, any_value(prov_parts) FROM mp_resolved WHERE prov_parts IS NOT NULL GROUP BY prov_id;

-- name: build_mirror_prov(level)
-- Internal: mp_prov, the provenance dictionary of a build (a handful of rows): figures as published
-- are keyed by a hash of their load and valuation (mirror_flows: a load has one source and release),
-- and take their source and release from what the chunks kept at HS6 (mp_prov_reported:
-- summarise_hs6_chunk), at a coarser level from the store's figures of the level (a superset of
-- those chosen); sums from what the chunks kept (mp_prov_parts). The distinct values first, then
-- their hash (a handful of hashes, not one per figure).
CREATE OR REPLACE TEMP TABLE mp_prov AS
SELECT hash(load_id, coalesce(valuation, '')) AS prov_id, source, release, 'reported' AS resolved_from, valuation
FROM (
    SELECT load_id, source, release, valuation FROM mp_prov_reported
    UNION
    SELECT DISTINCT load_id, source, release, valuation
    FROM stg_reported_usd
    WHERE $level <> '6'  -- a bound constant: at HS6 the store is not read
      AND freq = (SELECT freq FROM mp_level) AND hs_level = $level
      AND reporter_is_country AND partner_is_country AND flow IN ('export', 'import')
)
UNION
SELECT DISTINCT prov_id, prov_parts[1], prov_parts[2], prov_parts[3], prov_parts[4] FROM mp_prov_parts;

-- name: define_mirror_pairs
-- Internal: mp_base decoded, as the temp view mp_pairs: one row per (period, exporter, importer, hs)
-- with both reports side by side (either may be missing) and where each came from; current USD.
-- pair_key, exporter_n, importer_n (ISO3 as base-26 numbers, iso_num) and hs_num: the same in integers.
-- Names are decoded only where a reader selects them (DuckDB drops unused columns of a view): a
-- reader that filters on a country should compare exporter_n / importer_n with iso_num('PRK'), an
-- integer per flow, not exporter with 'PRK', a string made for every flow of the world.
CREATE OR REPLACE TEMP VIEW mp_pairs AS
WITH b AS (
    SELECT
        mp_base.*,
        (pair_key >> 50)::INTEGER // 13 + 1900 AS year,
        (pair_key >> 50)::INTEGER % 13 AS month_code,
        pair_key & 1048575 AS hs_num
    FROM mp_base
)
SELECT
    CASE WHEN b.month_code = 0 THEN CAST(b.year AS VARCHAR) ELSE printf('%04d-%02d', b.year, b.month_code) END AS period,
    l.freq,
    b.year,
    CASE WHEN b.month_code > 0 THEN b.month_code END AS month,
    make_date(b.year, greatest(b.month_code, 1), 1) AS period_start,
    CASE WHEN b.month_code = 0 THEN make_date(b.year, 12, 31) ELSE last_day(make_date(b.year, b.month_code, 1)) END AS period_end,
    -- the names made here, above the joins, not in b: a reader's filter on the integer keys is
    -- placed just above b, so that names are made for the rows it keeps (one country's, not the
    -- world's 44 million at 50M flows: 4 cpu-s of iso_chr)
    iso_chr((b.pair_key >> 35) & 32767) AS exporter, iso_chr((b.pair_key >> 20) & 32767) AS importer,
    CASE WHEN l.level = 'TOTAL' THEN 'TOTAL' ELSE lpad(CAST(b.hs_num AS VARCHAR), CAST(l.level AS INTEGER), '0') END AS hs,
    l.level AS hs_level,
    -- a side that reported nothing (published the period, not this code) is a known zero
    CASE WHEN b.exporter_reported_nothing THEN 0.0 ELSE b.value_exporter_usd END AS value_exporter_usd,
    CASE WHEN b.importer_reported_nothing THEN 0.0 ELSE b.value_importer_usd END AS value_importer_usd,
    px.valuation AS valuation_exporter, pm.valuation AS valuation_importer,
    CASE WHEN b.exporter_reported_nothing THEN 0.0 ELSE b.weight_exporter_kg END AS weight_exporter_kg,
    CASE WHEN b.importer_reported_nothing THEN 0.0 ELSE b.weight_importer_kg END AS weight_importer_kg,
    CASE WHEN b.value_exporter_usd IS NOT NULL AND b.value_importer_usd IS NOT NULL THEN 'both'
         WHEN b.value_exporter_usd IS NOT NULL AND b.importer_reported_nothing THEN 'exporter only, importer reported nothing'
         WHEN b.value_exporter_usd IS NOT NULL THEN 'exporter only, importer not available'
         WHEN b.exporter_reported_nothing THEN 'importer only, exporter reported nothing'
         ELSE 'importer only, exporter not available' END AS reported_by,
    px.source AS source_exporter, pm.source AS source_importer,
    px.release AS release_exporter, pm.release AS release_importer,
    px.resolved_from AS resolved_exporter, pm.resolved_from AS resolved_importer,
    b.figures_considered::BIGINT AS figures_considered,  -- INTEGER in mp_base: 4 bytes a row less to spill
    -- the integer keys, which every later step joins and groups on (decoding is left to readers)
    b.pair_key, (b.pair_key >> 35) & 32767 AS exporter_n, (b.pair_key >> 20) & 32767 AS importer_n, b.hs_num
FROM b
CROSS JOIN mp_level AS l
LEFT JOIN mp_prov AS px ON px.prov_id = b.prov_exporter
LEFT JOIN mp_prov AS pm ON pm.prov_id = b.prov_importer;

-- name: build_hk_reexports
-- Internal: Hong Kong's re-exports of goods of Chinese origin to each partner (GFI's adjustment of
-- China-partner comparisons), as the temp table mp_hk. Comtrade publishes re-exports by origin as
-- breakdown rows with the second partner (partner2=156, China); re-exports of other origins are
-- never subtracted. At the build's HS level a code Hong Kong published is used, else the sum of the
-- next finer level it published (never both). pair_key: that of the flow from China it adjusts.
-- One row per (period, importer, hs); USD.
CREATE OR REPLACE TEMP TABLE mp_hk AS
WITH l AS (SELECT level, freq, CASE WHEN level = 'TOTAL' THEN 0 ELSE CAST(level AS INTEGER) END AS digits FROM mp_level),
rx AS (
    SELECT b.period_start, b.period_end, b.year, b.month, b.partner_iso3 AS importer, b.value,
           CASE WHEN b.hs_level = 'TOTAL' THEN 0 ELSE CAST(b.hs_level AS INTEGER) END AS digits_row,
           CASE WHEN l.level = 'TOTAL' THEN 'TOTAL' ELSE left(b.hs, l.digits) END AS hs
    FROM breakdowns AS b CROSS JOIN l
    WHERE b.reporter_iso3 = 'HKG' AND b.flow = 're-export' AND b.breakdown = 'partner2=156' AND b.kind = 'reported'
      AND b.partner_is_country
      AND b.currency = 'USD' AND b.freq = l.freq AND b.value IS NOT NULL
      AND (b.hs_level = 'TOTAL' AND l.level = 'TOTAL' OR b.hs_level <> 'TOTAL' AND CAST(b.hs_level AS INTEGER) >= l.digits)
),
coarsest AS (
    SELECT *, min(digits_row) OVER (PARTITION BY period_start, period_end, importer, hs) AS digits_used FROM rx
)
SELECT pair_key(any_value(year), any_value(month), 'CHN', importer, hs) AS pair_key,
       period_start, period_end, importer, hs, sum(value) AS hk_reexports_usd
FROM coarsest WHERE digits_row = digits_used
GROUP BY period_start, period_end, importer, hs;

-- name: build_mirror_params(method, factor:float, tau_max:float, hk_adjust:bool, widen_rule, hk_markup:float, mean_unbiased:bool)
-- Internal: the CIF/FOB settings of the current build as the one-row temp table mp_params, read by
-- the mp_final view (views take no parameters).
CREATE OR REPLACE TEMP TABLE mp_params AS
SELECT $method AS method, $factor AS factor, $tau_max AS tau_max, $hk_adjust AS hk_adjust,
       $widen_rule AS widen_rule, $hk_markup AS hk_markup, $mean_unbiased AS mean_unbiased;

-- name: build_mirror_final
-- Internal: mirror pairs with the importer's value converted to FOB, gaps, log ratios and the
-- discrepancy index, as the temp view mp_final (computed when read: readers filter, so the
-- whole world is never materialised twice). One row per (period, exporter, importer, hs);
-- values in current USD (FOB where stated), weights in kg, unit values in USD/kg; and mp_pairs'
-- integer keys (every join here is on them, so a reader that wants no names decodes none).
-- Methods: 'fixed' divides every CIF import by `factor` (IMF DOTS: 1.06); 'pair', 'unit-value' and
-- 'gravity' use the pair's estimate (mp_cif_pairs), clipped to [0, tau_max]; widen_rule 'flow'
-- leaves a flow unadjusted where adjusting would widen its own gap (BACI's rule), 'pair' leaves a
-- pair unadjusted where the margin would widen the gap of its median flow (median ln(M/X) < tau/2),
-- 'none' always adjusts. With hk_adjust, Hong Kong's re-exports of Chinese goods to the importer
-- (at Hong Kong's FOB price) are taken out of its FOB imports from China; hk_china_value_usd is
-- what China shipped that way at its own price, RX / (1 + hk_markup).
CREATE OR REPLACE TEMP VIEW mp_final AS
WITH p AS (SELECT * FROM mp_params),
allp AS (
    SELECT any_value(m0_value) AS m0_value FROM mp_cif_pairs
),
b AS (
    SELECT
        mp_pairs.*,
        hk.hk_reexports_usd,
        mp_pairs.value_importer_usd AS m_value,
        c.n_value, c.n_uv, c.tau_value, c.tau_uv, c.median_value, c.label AS model_label
    FROM mp_pairs
    LEFT JOIN mp_hk AS hk ON (SELECT hk_adjust FROM p) AND hk.pair_key = mp_pairs.pair_key
    LEFT JOIN mp_cif_pairs AS c ON c.pair_id = (mp_pairs.pair_key >> 20) & 1073741823
),
t AS (
    SELECT
        b.*,
        CASE
            WHEN (SELECT method FROM p) = 'fixed' THEN ln((SELECT factor FROM p))
            WHEN (SELECT method FROM p) = 'unit-value' AND b.n_uv > 0 THEN b.tau_uv
            ELSE coalesce(b.tau_value, (SELECT m0_value FROM allp))
        END AS tau_estimate,
        CASE
            WHEN (SELECT method FROM p) = 'fixed' THEN printf('fixed %.3f', (SELECT factor FROM p))
            WHEN (SELECT method FROM p) = 'unit-value' AND b.n_uv > 0 THEN printf('unit-value estimate (n=%d)', b.n_uv)
            WHEN starts_with((SELECT method FROM p), 'gravity') AND b.model_label IS NOT NULL THEN b.model_label
            WHEN b.n_value > 0 THEN printf('pair estimate (n=%d)', b.n_value)
            ELSE 'all-pairs median (no pair history)'
        END AS estimate_label
    FROM b
),
s AS (
    SELECT t.*,
           CASE WHEN t.tau_estimate IS NULL OR t.tau_estimate < 0 THEN 0.0
                ELSE least(t.tau_estimate, (SELECT tau_max FROM p)) END AS tau_clipped
    FROM t
),
a AS (
    SELECT
        s.*,
        CASE
            WHEN s.m_value IS NULL THEN NULL
            WHEN s.valuation_importer = 'FOB' THEN 0.0
            WHEN (SELECT method FROM p) = 'fixed' THEN s.tau_estimate
            WHEN (SELECT widen_rule FROM p) = 'flow' AND s.value_exporter_usd IS NOT NULL
                 AND abs(s.m_value / exp(s.tau_clipped) - s.value_exporter_usd) > abs(s.m_value - s.value_exporter_usd) THEN 0.0
            WHEN (SELECT widen_rule FROM p) = 'pair' AND s.median_value < s.tau_clipped / 2 THEN 0.0
            ELSE s.tau_clipped
        END AS tau,
        CASE
            WHEN s.m_value IS NULL THEN NULL
            WHEN s.valuation_importer = 'FOB' THEN 'none: importer reports FOB'
            WHEN (SELECT method FROM p) = 'fixed' THEN s.estimate_label
            WHEN s.tau_estimate IS NULL OR s.tau_estimate < 0 THEN s.estimate_label || ', below zero: not adjusted'
            WHEN (SELECT widen_rule FROM p) = 'flow' AND s.value_exporter_usd IS NOT NULL
                 AND abs(s.m_value / exp(s.tau_clipped) - s.value_exporter_usd) > abs(s.m_value - s.value_exporter_usd)
                 THEN s.estimate_label || ', would widen the gap: not adjusted'
            WHEN (SELECT widen_rule FROM p) = 'pair' AND s.median_value < s.tau_clipped / 2
                 THEN s.estimate_label || ', would widen the pair''s gap: not adjusted'
            WHEN s.tau_estimate > (SELECT tau_max FROM p) THEN s.estimate_label || printf(', clipped to %.2f', (SELECT tau_max FROM p))
            ELSE s.estimate_label
        END AS cif_fob_method
    FROM s
),
v AS (
    SELECT a.*,
           CASE WHEN a.hk_reexports_usd IS NOT NULL THEN greatest(a.m_value / exp(a.tau) - a.hk_reexports_usd, 0)
                ELSE a.m_value / exp(a.tau) END AS m_fob
    FROM a
)
SELECT
    period, freq, year, month, period_start, period_end, exporter, importer, hs, hs_level,
    value_exporter_usd,
    value_importer_usd,
    hk_reexports_usd,
    hk_reexports_usd / (1 + (SELECT hk_markup FROM p))   AS hk_china_value_usd,
    exp(tau)                                              AS cif_fob_factor,
    cif_fob_method,
    m_fob                                                 AS value_importer_fob_usd,
    m_fob - value_exporter_usd                            AS gap_usd,
    CASE WHEN value_exporter_usd > 0 AND m_fob > 0 THEN ln(m_fob / value_exporter_usd) END AS log_ratio,
    -- only where both sides are known (a side that reported nothing counts as known: zero)
    CASE WHEN value_exporter_usd IS NOT NULL AND m_fob IS NOT NULL AND value_exporter_usd + m_fob > 0
         THEN (value_exporter_usd - m_fob) / (value_exporter_usd + m_fob)
    END AS discrepancy_index,
    reported_by,
    weight_exporter_kg,
    weight_importer_kg,
    weight_importer_kg - weight_exporter_kg               AS weight_gap_kg,
    CASE WHEN weight_exporter_kg > 0 AND weight_importer_kg > 0
         THEN ln(weight_importer_kg / weight_exporter_kg) END AS weight_log_ratio,
    CASE WHEN weight_exporter_kg > 0 THEN value_exporter_usd / weight_exporter_kg END AS unit_value_exporter_usd_kg,
    CASE WHEN weight_importer_kg > 0 THEN m_fob / weight_importer_kg END AS unit_value_importer_fob_usd_kg,
    valuation_importer,
    source_exporter, source_importer, release_exporter, release_importer,
    resolved_exporter, resolved_importer, figures_considered,
    pair_key, exporter_n, importer_n, hs_num
FROM v;

-- name: build_reliability_obs
-- Internal: the observations of BACI's reliability regression, d = |ln(X / M_fob)| for every flow
-- both sides report (positive values), summed into cells of (exporter, importer, year): the
-- least-squares fit of effects that are constant within a cell only needs each cell's count and
-- sum, so 10 million flows become about 50,000 cells. The signed sum and the sum of squares feed
-- the intervals (mirror/intervals.py). As temp tables rel_obs (cells) and
-- rel_a / rel_b / rel_g (effects, starting at zero).
-- mp_d: d of every flow both report, computed once for the reliability cells, the intervals'
-- calibration and the product-bias cells (build_reconciled drops it).
-- In integers (exporter_n, importer_n, hs_num: mp_pairs), which the cells decode once each.
-- The keys in the narrowest types that hold them (a BACI decade's mp_d is a quarter of a billion
-- rows: 18 bytes a row instead of 36, so that the aggregates after it spill less); readers that
-- shift or hash them widen them first.
CREATE OR REPLACE TEMP TABLE mp_d AS
SELECT exporter_n::USMALLINT AS exporter_n, importer_n::USMALLINT AS importer_n, year::SMALLINT AS year,
       hs_num::UINTEGER AS hs_num, ln(value_exporter_usd / value_importer_fob_usd) AS d
FROM mp_final
-- both reported: a side that reported nothing is 0 here, so two positive values are both reports
-- (reported_by = 'both' is implied; its label is not made for 10 million rows to be compared)
WHERE value_exporter_usd > 0 AND value_importer_fob_usd > 0;
CREATE OR REPLACE TEMP TABLE rel_obs AS
SELECT iso_chr(exporter_n) AS exporter, iso_chr(importer_n) AS importer, year::INTEGER AS year, n, sum_d, sum_s, sum_d2
FROM (
    SELECT exporter_n, importer_n, year, count(*) AS n, sum(abs(d)) AS sum_d, sum(d) AS sum_s, sum(d * d) AS sum_d2
    FROM mp_d
    GROUP BY exporter_n, importer_n, year
);
CREATE OR REPLACE TEMP TABLE rel_a AS SELECT DISTINCT exporter, 0.0::DOUBLE AS a FROM rel_obs;
CREATE OR REPLACE TEMP TABLE rel_b AS SELECT DISTINCT importer, 0.0::DOUBLE AS b FROM rel_obs;
CREATE OR REPLACE TEMP TABLE rel_g AS SELECT DISTINCT year, 0.0::DOUBLE AS g FROM rel_obs;

-- name: reliability_step
-- Internal: one round of backfitting for d = a_exporter + b_importer + g_year + e: each set of
-- effects becomes the flow-weighted mean of what the others leave unexplained. Converges to OLS.
CREATE OR REPLACE TEMP TABLE rel_a_next AS
SELECT o.exporter, sum(o.sum_d - o.n * (b.b + g.g)) / sum(o.n) AS a
FROM rel_obs AS o JOIN rel_b AS b USING (importer) JOIN rel_g AS g USING (year)
GROUP BY o.exporter;
CREATE OR REPLACE TEMP TABLE rel_b_next AS
SELECT o.importer, sum(o.sum_d - o.n * (a.a + g.g)) / sum(o.n) AS b
FROM rel_obs AS o JOIN rel_a_next AS a USING (exporter) JOIN rel_g AS g USING (year)
GROUP BY o.importer;
CREATE OR REPLACE TEMP TABLE rel_g_next AS
SELECT o.year, sum(o.sum_d - o.n * (a.a + b.b)) / sum(o.n) AS g
FROM rel_obs AS o JOIN rel_a_next AS a USING (exporter) JOIN rel_b_next AS b USING (importer)
GROUP BY o.year;
CREATE OR REPLACE TEMP TABLE rel_change AS
SELECT greatest(
    (SELECT coalesce(max(abs(n.a - o.a)), 0) FROM rel_a_next AS n JOIN rel_a AS o USING (exporter)),
    (SELECT coalesce(max(abs(n.b - o.b)), 0) FROM rel_b_next AS n JOIN rel_b AS o USING (importer))) AS change;
CREATE OR REPLACE TEMP TABLE rel_a AS SELECT * FROM rel_a_next;
CREATE OR REPLACE TEMP TABLE rel_b AS SELECT * FROM rel_b_next;
CREATE OR REPLACE TEMP TABLE rel_g AS SELECT * FROM rel_g_next;

-- name: reliability_change
-- Internal: the largest change of an effect in the last reliability_step.
SELECT change FROM rel_change;

-- name: build_reliability(min_obs:int)
-- Internal: each country's reliability as exporter and as importer, as the temp table rel_country.
-- The additive model's exporter/importer split is fixed by centring the year effects on zero
-- and giving exporters and importers the same flow-weighted mean effect. Effect -> sigma by the
-- half-normal mean (E|e| = sigma sqrt(2/pi)), then the log-normal variance V = e^(s^2) (e^(s^2) - 1),
-- as in CEPII BACI (Gaulier and Zignago 2010). Countries with fewer than `min_obs` flows get the median.
-- country_n: the country's iso_num, what mp_reconciled joins on.
CREATE OR REPLACE TEMP TABLE rel_country AS
WITH gbar AS (SELECT sum(o.n * g.g) / sum(o.n) AS gm FROM rel_obs AS o JOIN rel_g AS g USING (year)),
na AS (SELECT exporter, sum(n) AS n FROM rel_obs GROUP BY exporter),
nb AS (SELECT importer, sum(n) AS n FROM rel_obs GROUP BY importer),
shift AS (
    SELECT ((SELECT sum(o.n * a.a) / sum(o.n) FROM rel_obs AS o JOIN rel_a AS a USING (exporter))
          - (SELECT sum(o.n * b.b) / sum(o.n) FROM rel_obs AS o JOIN rel_b AS b USING (importer))) / 2 AS k
),
effects AS (
    SELECT 'exporter' AS role, a.exporter AS country, a.a - (SELECT k FROM shift) + (SELECT gm FROM gbar) / 2 AS effect, na.n
    FROM rel_a AS a JOIN na USING (exporter)
    UNION ALL
    SELECT 'importer', b.importer, b.b + (SELECT k FROM shift) + (SELECT gm FROM gbar) / 2, nb.n
    FROM rel_b AS b JOIN nb USING (importer)
),
med AS (SELECT role, median(effect) AS m FROM effects WHERE n >= $min_obs GROUP BY role),
e AS (
    SELECT effects.role, country, n, effect,
           CASE WHEN n >= $min_obs THEN effect ELSE coalesce(med.m, effect) END AS used_effect
    FROM effects LEFT JOIN med USING (role)
)
SELECT role, country, iso_num(country) AS country_n, n AS flows, effect,
       greatest(used_effect, 0.01) * sqrt(pi() / 2)                                       AS sigma,
       exp(pow(greatest(used_effect, 0.01) * sqrt(pi() / 2), 2))
         * (exp(pow(greatest(used_effect, 0.01) * sqrt(pi() / 2), 2)) - 1)               AS variance,
       n < $min_obs AS imputed
FROM e;

-- name: reliability_pairs
-- Internal: the reliability regression's cells summed over years per (exporter, importer): n flows
-- and the sums of d and d^2 (d = ln(X / M_fob)), what the interval model's noise fit reads
-- (mirror/intervals.py, fit_noise). Summed here so that the frame the engine reads is one row per
-- pair, the same for a 30-year store as for one year (the cells are one row per pair and year).
SELECT exporter, importer, sum(n) AS n, sum(sum_s) AS sum_s, sum(sum_d2) AS sum_d2
FROM rel_obs GROUP BY exporter, importer;

-- name: reliability_effect_residuals
-- Internal: per role and country, the residual sum of squares of |d| around the fitted cell value
-- a_exporter + b_importer + g_year of the last backfitting step (each cell's, floored at zero as
-- rounding can make it negative, then summed) and the flows behind it: what the standard error
-- of the country's BACI effect is made of (mirror/intervals.py, effect_errors). One row per
-- (role, country).
WITH cells AS (
    SELECT o.exporter, o.importer, o.n,
           greatest(o.sum_d2 - 2 * (a.a + b.b + g.g) * o.sum_d + o.n * (a.a + b.b + g.g) ^ 2, 0) AS rss
    FROM rel_obs AS o JOIN rel_a AS a USING (exporter) JOIN rel_b AS b USING (importer) JOIN rel_g AS g USING (year)
)
SELECT 'exporter' AS role, exporter AS country, sum(rss) AS rss, sum(n) AS n FROM cells GROUP BY exporter
UNION ALL
SELECT 'importer', importer, sum(rss), sum(n) FROM cells GROUP BY importer;

-- name: build_interval_tables(z:float, between_var:float)
-- Internal: the interval model (mirror/intervals.py) as temp tables: mp_sigma, one row per (role,
-- country) with s2 (log variance of its reports) and effect_se (standard error of its BACI
-- effect), from the registered frame mp_sigma_df; mp_interval, one row: z and the between-pair
-- variance of the margin's error (ln units squared); z is later calibrated, z_nominal stays Phi^-1.
CREATE OR REPLACE TEMP TABLE mp_sigma AS
SELECT role, country, iso_num(CAST(country AS VARCHAR)) AS country_n, s2, effect_se FROM mp_sigma_df;
CREATE OR REPLACE TEMP TABLE mp_interval AS SELECT $z AS z, $z AS z_nominal, $between_var AS between_var,
    (SELECT median(s2) FROM mp_sigma WHERE role = 'exporter') AS s2_exporter_median,
    (SELECT median(s2) FROM mp_sigma WHERE role = 'importer') AS s2_importer_median;

-- name: interval_calibration(level:float)
-- Internal: the `level` quantile of the standardised discrepancy |d| / sd(d) over flows both report
-- (d = ln(X / M_fob), sd(d)^2 = s2_exporter + s2_importer + the margin's variance), on a
-- reproducible sample of about 200,000 flows (every flow up to 200,000): under the normal model it
-- is z; heavier tails (noise that varies by product, misreported goods) make it larger, and the
-- intervals are widened by the same factor. One row; a number.
WITH k AS (SELECT greatest(1, ceil(count(*) / 200000))::UBIGINT AS every FROM mp_d),
-- the sample by a hash of each flow's key, so that the same store gives the same multiplier (a
-- reservoir sample depends on the order parallel threads wrote mp_d in)
s AS (
    SELECT abs(d.d) AS d, d.exporter_n::BIGINT AS exporter_n, d.importer_n::BIGINT AS importer_n
    FROM mp_d AS d CROSS JOIN k
    WHERE hash(d.exporter_n::BIGINT, d.importer_n::BIGINT, d.year::INTEGER, d.hs_num::BIGINT) % k.every = 0
)
SELECT quantile_cont(s.d / sqrt(coalesce(sx.s2, iv.s2_exporter_median) + coalesce(sm.s2, iv.s2_importer_median)
                                + coalesce(pow(c.tau_se, 2), 0) + iv.between_var), $level)
FROM s
CROSS JOIN mp_interval AS iv
LEFT JOIN mp_sigma AS sx ON sx.role = 'exporter' AND sx.country_n = s.exporter_n
LEFT JOIN mp_sigma AS sm ON sm.role = 'importer' AND sm.country_n = s.importer_n
LEFT JOIN mp_cif_pairs AS c ON c.pair_id = (s.exporter_n << 15) | s.importer_n;

-- name: set_interval_multiplier(z:float)
-- Internal: the calibrated multiplier of the intervals' standard errors (one-row mp_interval).
UPDATE mp_interval SET z = $z;

-- name: build_product_bias_cells(enabled:bool, min_flows:int)
-- Internal: the cells of the product-bias test (product_bias_tests), as the temp table
-- mp_bias_cells: each reporter's mean and standard deviation of d = ln(X / M_fob) (mp_d) for a
-- product, per role, over at least `min_flows` flows with at least two partners. Means and
-- deviations, not medians: a hash aggregate that spills to disk, where a median per
-- (country, HS6) of a BACI-scale year does not fit in memory; a cell with one stray flow has a
-- large deviation, so its test does not reject. Not at the TOTAL level (no product) or when not
-- enabled. Grouped on the integer keys (mp_d), decoded once per cell; country_n and hs_num kept.
-- One row per (role, country, hs); ln units.
CREATE OR REPLACE TEMP TABLE mp_bias_cells AS
WITH cells AS (
    -- one integer per cell (country << 20 | hs), the cheapest key to group 10 million flows on
    SELECT 'exporter' AS role, (exporter_n::BIGINT << 20) | hs_num AS cell, count(*) AS n, avg(d) AS m, stddev_samp(d) AS sd
    FROM mp_d WHERE $enabled AND (SELECT level FROM mp_level) <> 'TOTAL'
    GROUP BY cell HAVING count(*) >= $min_flows AND min(importer_n) < max(importer_n)
    UNION ALL
    SELECT 'importer', (importer_n::BIGINT << 20) | hs_num AS cell, count(*), avg(d), stddev_samp(d)
    FROM mp_d WHERE $enabled AND (SELECT level FROM mp_level) <> 'TOTAL'
    GROUP BY cell HAVING count(*) >= $min_flows AND min(exporter_n) < max(exporter_n)
)
SELECT c.role, iso_chr(c.cell >> 20) AS country, lpad(CAST(c.cell & 1048575 AS VARCHAR), CAST(l.level AS INTEGER), '0') AS hs,
       c.n, c.m, c.sd, c.cell >> 20 AS country_n, c.cell & 1048575 AS hs_num
FROM cells AS c CROSS JOIN mp_level AS l;

-- name: build_product_bias_centres(min_cells:int)
-- Internal: each product's centre beside its cells (mp_bias_cells): the median over the product's
-- reporter cells (both roles) of their mean d - what the product's freight or valuation does to
-- every pair alike, one vote per reporter, so that a few misreporting reporters do not move it -
-- for products with at least `min_cells` cells. ln units.
CREATE OR REPLACE TEMP TABLE mp_bias_cells AS
WITH prod AS (SELECT hs, median(m) AS centre FROM mp_bias_cells GROUP BY hs HAVING count(*) >= $min_cells)
SELECT c.*, prod.centre FROM mp_bias_cells AS c JOIN prod USING (hs);

-- name: product_bias_tests
-- Internal: the tests of reporters' persistent product-specific misreporting (mirror/intervals.py,
-- product_bias): each cell of mp_bias_cells with bias, its mean d less the product's centre, and a
-- standard error, the larger of the noise model's, sqrt((s2_exporter + s2_importer) / n), and the
-- cell's own, sd / sqrt(n) (noise varies by product). Only cells with |bias| / se >= 1.96 (p <=
-- 0.05: Benjamini-Hochberg at a rate of 5% or less never rejects the others), each with `tests`,
-- the number of cells tested. One row per (role, country, hs); ln units.
WITH iv AS (SELECT * FROM mp_interval),
t AS (
SELECT c.role, c.country, c.hs, c.n, c.m - c.centre AS bias,
       greatest(sqrt((coalesce(own.s2, CASE WHEN c.role = 'exporter' THEN iv.s2_exporter_median ELSE iv.s2_importer_median END)
                      + CASE WHEN c.role = 'exporter' THEN iv.s2_importer_median ELSE iv.s2_exporter_median END) / c.n),
                coalesce(c.sd, 0) / sqrt(c.n)) AS se
FROM mp_bias_cells AS c
CROSS JOIN iv
LEFT JOIN mp_sigma AS own ON own.role = c.role AND own.country = c.country
)
SELECT *, (SELECT count(*) FROM t) AS tests FROM t WHERE abs(bias) >= 1.959963984540054 * se;

-- name: build_product_bias
-- Internal: the cells found misreported (registered as mp_bias_df by the engine: Benjamini-Hochberg
-- over product_bias_tests), as the temp table mp_bias: a reporter that under-reports one good to
-- every partner every year (an exporter's bias < 0, an importer's > 0 on d) is corrected toward its
-- partners; the rest are left alone. With the integer keys mp_reconciled joins on (country_n,
-- hs_num). One row per (role, country, hs); ln units.
CREATE OR REPLACE TEMP TABLE mp_bias AS
SELECT role, country, hs, n, bias, se, z, p_value,
       iso_num(CAST(country AS VARCHAR)) AS country_n, CAST(hs AS BIGINT) AS hs_num
FROM mp_bias_df;

-- name: build_reconciled
-- Internal: mp_final with BACI's reconciled value V = w X + (1 - w) M_fob, where
-- w = V_importer / (V_exporter + V_importer): the noisier reporter gets the smaller weight.
-- Flows reported by one side only take that side's value (w = 1 or 0). With the interval model:
-- each side's log variance (s2_*), the margin's standard error cif_fob_se (the pair estimate's
-- own, plus the between-pair variance), and the weight's bounds by the delta method on
-- logit w = ln V_m - ln V_x. As temp view mp_reconciled; weights in [0, 1], ln units. (The fits'
-- scratch tables are dropped first: a BACI decade's mp_d and mp_cif_obs are gigabytes.)
DROP TABLE IF EXISTS mp_d;
DROP TABLE IF EXISTS mp_bias_cells;
DROP TABLE IF EXISTS mp_cif_obs;
DROP TABLE IF EXISTS mp_cif_centre;
CREATE OR REPLACE TEMP VIEW mp_reconciled AS
WITH med AS (SELECT role, median(variance) AS v FROM rel_country GROUP BY role),
iv AS (SELECT * FROM mp_interval),
fb AS (
    -- each side corrected for its reporter's persistent misreporting of the product (mp_bias)
    SELECT f.*,
           bx.bias AS product_bias_exporter, bm.bias AS product_bias_importer,
           f.value_exporter_usd * exp(-coalesce(bx.bias, 0)) AS x_adj,
           f.value_importer_fob_usd * exp(coalesce(bm.bias, 0)) AS m_adj
    FROM mp_final AS f
    LEFT JOIN mp_bias AS bx ON bx.role = 'exporter' AND bx.country_n = f.exporter_n AND bx.hs_num = f.hs_num
    LEFT JOIN mp_bias AS bm ON bm.role = 'importer' AND bm.country_n = f.importer_n AND bm.hs_num = f.hs_num
),
r AS (
    SELECT
        f.*,
        coalesce(ex.variance, (SELECT v FROM med WHERE role = 'exporter')) AS variance_exporter,
        coalesce(im.variance, (SELECT v FROM med WHERE role = 'importer')) AS variance_importer,
        coalesce(sx.s2, (SELECT s2_exporter_median FROM iv)) AS s2_exporter,
        coalesce(sm.s2, (SELECT s2_importer_median FROM iv)) AS s2_importer,
        CASE WHEN f.value_importer_fob_usd IS NULL OR f.valuation_importer = 'FOB' THEN 0.0
             ELSE sqrt(coalesce(pow(c.tau_se, 2), 0) + (SELECT between_var FROM iv)) END AS cif_fob_se,
        -- d ln V / d effect, for the delta method: V = e^(s^2)(e^(s^2) - 1), s = effect sqrt(pi/2)
        CASE WHEN ex.effect IS NOT NULL AND NOT ex.imputed THEN
            sqrt(pi() / 2) * (2 * ex.sigma + 2 * ex.sigma * exp(pow(ex.sigma, 2)) / (exp(pow(ex.sigma, 2)) - 1))
            * coalesce(sx.effect_se, 0) END AS se_ln_v_exporter,
        CASE WHEN im.effect IS NOT NULL AND NOT im.imputed THEN
            sqrt(pi() / 2) * (2 * im.sigma + 2 * im.sigma * exp(pow(im.sigma, 2)) / (exp(pow(im.sigma, 2)) - 1))
            * coalesce(sm.effect_se, 0) END AS se_ln_v_importer,
        CASE
            WHEN starts_with(f.reported_by, 'exporter only') THEN 1.0
            WHEN starts_with(f.reported_by, 'importer only') THEN 0.0
            ELSE coalesce(im.variance, (SELECT v FROM med WHERE role = 'importer'))
                 / (coalesce(ex.variance, (SELECT v FROM med WHERE role = 'exporter'))
                    + coalesce(im.variance, (SELECT v FROM med WHERE role = 'importer')))
        END AS weight_exporter
    FROM fb AS f
    LEFT JOIN rel_country AS ex ON ex.role = 'exporter' AND ex.country_n = f.exporter_n
    LEFT JOIN rel_country AS im ON im.role = 'importer' AND im.country_n = f.importer_n
    LEFT JOIN mp_sigma AS sx ON sx.role = 'exporter' AND sx.country_n = f.exporter_n
    LEFT JOIN mp_sigma AS sm ON sm.role = 'importer' AND sm.country_n = f.importer_n
    LEFT JOIN mp_cif_pairs AS c ON c.pair_id = (f.pair_key >> 20) & 1073741823
),
v AS (
    SELECT r.*,
           r.weight_exporter * coalesce(r.x_adj, 0)
             + (1 - r.weight_exporter) * coalesce(r.m_adj, 0) AS value_weighted_usd
    FROM r
),
sh AS (
    SELECT v.*,
           CASE WHEN v.value_weighted_usd > 0
                THEN (1 - v.weight_exporter) * coalesce(v.m_adj, 0) / v.value_weighted_usd
                ELSE 1 - v.weight_exporter END AS reconciled_share_importer
    FROM v
),
sh1 AS (
    -- A log-normal report overstates the true value on average by e^(s2 / 2): the weighted value
    -- divided by its expected excess is unbiased in levels (value_reconciled_mean_usd, what totals
    -- over flows add up: mirror.intervals.total_interval); BACI's V is unbiased in logs (the median
    -- flow), and is value_reconciled_usd unless mean_unbiased.
    SELECT sh.*,
           sh.value_weighted_usd / ((1 - sh.reconciled_share_importer) * exp(sh.s2_exporter / 2)
                                    + sh.reconciled_share_importer * exp(sh.s2_importer / 2)) AS value_reconciled_mean_usd
    FROM sh
),
sh2 AS (
    SELECT sh1.*,
           CASE WHEN (SELECT mean_unbiased FROM mp_params) THEN sh1.value_reconciled_mean_usd
                ELSE sh1.value_weighted_usd END AS value_reconciled_usd
    FROM sh1
)
SELECT sh2.* EXCLUDE (value_weighted_usd, x_adj, m_adj),
       -- the reports' own noise (independent across flows) ...
       sqrt(pow(1 - sh2.reconciled_share_importer, 2) * sh2.s2_exporter
            + pow(sh2.reconciled_share_importer, 2) * sh2.s2_importer) AS reconciled_log_se_noise,
       -- ... and with the margin's error (common to a pair's flows)
       sqrt(pow(1 - sh2.reconciled_share_importer, 2) * sh2.s2_exporter
            + pow(sh2.reconciled_share_importer, 2) * (sh2.s2_importer + pow(sh2.cif_fob_se, 2))) AS reconciled_log_se,
       CASE WHEN sh2.reported_by = 'both' AND sh2.se_ln_v_exporter IS NOT NULL AND sh2.se_ln_v_importer IS NOT NULL THEN
           1 / (1 + exp(-(ln(sh2.variance_importer / sh2.variance_exporter)
                          - (SELECT z FROM iv) * sqrt(pow(sh2.se_ln_v_exporter, 2) + pow(sh2.se_ln_v_importer, 2)))))
       END AS weight_exporter_low,
       CASE WHEN sh2.reported_by = 'both' AND sh2.se_ln_v_exporter IS NOT NULL AND sh2.se_ln_v_importer IS NOT NULL THEN
           1 / (1 + exp(-(ln(sh2.variance_importer / sh2.variance_exporter)
                          + (SELECT z FROM iv) * sqrt(pow(sh2.se_ln_v_exporter, 2) + pow(sh2.se_ln_v_importer, 2)))))
       END AS weight_exporter_high
FROM sh2;

-- name: chunk_flow_keys(freq, level, year_from:int, year_to:int)
-- Internal: one exact 64-bit number per current reported USD figure that a coarser build reads
-- (between two countries, exports and imports, at `level` and finer) in periods beginning in years
-- year_from..year_to (one chunk): the flow's identity packed as pair_key packs a flow (period,
-- reporter, partner, code: codes of different lengths are different numbers, 27 < 2709 < 270900)
-- with the flow in bit 62. The engine sorts them: a repeated number is a flow with competing
-- figures (several sources or publishers), which the build must choose between before it sums;
-- none lets it skip the choice (a window over every figure). From the numbers the load stored
-- (figures.reporter_n, partner_n, hs_n), else the text. One row per figure.
SELECT pair_key_n(year, month, coalesce(reporter_n::BIGINT, iso_num(reporter_iso3)),
                  coalesce(partner_n::BIGINT, iso_num(partner_iso3)), coalesce(hs_n::BIGINT, hs_number(hs)))
       | ((flow = 'export')::BIGINT << 62) AS flow_key
FROM stg_reported_usd
WHERE freq = $freq AND reporter_is_country AND partner_is_country AND reporter_iso3 <> partner_iso3
  AND flow IN ('export', 'import')
  AND ($level = 'TOTAL' OR hs_level IN ('2', '4', '6') AND CAST(hs_level AS INTEGER) >= CAST($level AS INTEGER))
  AND period_start >= make_date($year_from, 1, 1) AND period_start <= make_date($year_to, 12, 31);
