-- name: define_mirror_macros
-- Internal: the mirror layer's table macros, created as TEMP on every connection. Each takes the
-- analysis settings as arguments (bound parameters at the call), so views need no parameters.

-- Rank of a source in the user's preference order (unlisted sources after listed ones).
CREATE OR REPLACE TEMP MACRO source_rank(source_order, src) AS coalesce(list_position(source_order, src), 1000);

-- One figure per flow: among the current reported USD figures of one frequency, the one from the
-- most preferred source (then the latest load). `alternatives` counts the figures that competed;
-- they stay visible in `flows`. Annual, monthly and year-to-date figures are never mixed.
-- When no flow has competing figures (one source, one figure each: the common case, checked by
-- the engine: mirror_chunk_keys, chunk_flow_keys), `dedupe` false skips the window and its sort.
CREATE OR REPLACE TEMP MACRO chosen_flows(freq_wanted, source_order, dedupe) AS TABLE
SELECT f.*, 1 AS alternatives
FROM stg_reported_usd AS f
WHERE NOT dedupe AND f.freq = freq_wanted
UNION ALL
SELECT * EXCLUDE (rn)
FROM (
    SELECT
        f.*,
        count(*) OVER (PARTITION BY f.reporter_iso3, f.partner_iso3, f.flow, f.hs, f.period_start, f.period_end)
            AS alternatives,
        row_number() OVER (
            PARTITION BY f.reporter_iso3, f.partner_iso3, f.flow, f.hs, f.period_start, f.period_end
            ORDER BY source_rank(source_order, f.source), f.load_id DESC, f.source_row) AS rn
    FROM stg_reported_usd AS f
    WHERE dedupe AND f.freq = freq_wanted
)
WHERE rn = 1;

-- The sources of a sum, '+'-joined, sorted, each once (a source list of a finer sum is split first).
-- Not string_agg(DISTINCT ...): a distinct aggregate per group made a TOTAL build five times slower;
-- the list is read only where the group has more than one source. The valuation of a sum (in
-- resolved_flows) is likewise min = max, not count(DISTINCT ...) = 1: the same, without the distinct.
CREATE OR REPLACE TEMP MACRO source_list(src) AS
    CASE WHEN min(src) = max(src) THEN min(src)
         ELSE array_to_string(list_sort(list_distinct(flatten(list_transform(list(src), lambda s: string_split(s, '+'))))), '+')
    END;

-- Flows at one HS level without double counting: a code the reporter published itself is used
-- as published; otherwise its children one level down are summed (HS6 -> HS4 -> HS2 -> TOTAL).
-- A reporter that publishes both 2710 and 271019 is counted once, through 2710.
-- `resolved_from` says which: 'reported', 'sum of HS6', 'sum of HS4', 'sum of HS2'.
-- `partner_wanted` (NULL: every partner) and `codes_wanted` (codes of the level's length, NULL:
-- every code) keep only the figures those flows are made of, before the sums (the sanctions layer
-- asks for one target's banned goods, a few hundredths of the store).
CREATE OR REPLACE TEMP MACRO resolved_flows(level, freq_wanted, source_order, dedupe, partner_wanted, codes_wanted) AS TABLE
WITH c AS (
    SELECT
        period_start, period_end, period, year, month, reporter_iso3, partner_iso3, reporter_is_country,
        partner_is_country, flow, hs, hs_level, value, net_weight_kg, valuation, source, release, alternatives
    FROM chosen_flows(freq_wanted, source_order, dedupe)
    WHERE (level = 'TOTAL' OR hs_level <> 'TOTAL')
      AND (partner_wanted IS NULL OR partner_iso3 = partner_wanted)
      AND (codes_wanted IS NULL OR level <> 'TOTAL' AND list_contains(codes_wanted, left(hs, CAST(level AS INTEGER))))
),
r6 AS (
    SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM c WHERE hs_level = '6'
),
d4 AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM c WHERE hs_level = '4'),
r4 AS (
    SELECT * FROM d4
    UNION ALL
    SELECT
        r6.period_start, r6.period_end, any_value(r6.period), any_value(r6.year), any_value(r6.month),
        r6.reporter_iso3, r6.partner_iso3, any_value(r6.reporter_is_country), any_value(r6.partner_is_country),
        r6.flow, left(r6.hs, 4) AS hs, sum(r6.value),
        CASE WHEN count(r6.net_weight_kg) = count(*) THEN sum(r6.net_weight_kg) END,
        CASE WHEN min(r6.valuation) = max(r6.valuation) THEN min(r6.valuation) END,
        source_list(r6.source), max(r6.release), max(r6.alternatives), 'sum of HS6'
    FROM r6
    ANTI JOIN d4
      ON d4.period_start = r6.period_start AND d4.period_end = r6.period_end AND d4.reporter_iso3 = r6.reporter_iso3
     AND d4.partner_iso3 = r6.partner_iso3 AND d4.flow = r6.flow AND d4.hs = left(r6.hs, 4)
    WHERE level IN ('4', '2', 'TOTAL')
    GROUP BY r6.period_start, r6.period_end, r6.reporter_iso3, r6.partner_iso3, r6.flow, left(r6.hs, 4)
),
d2 AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM c WHERE hs_level = '2'),
r2 AS (
    SELECT * FROM d2
    UNION ALL
    SELECT
        r4.period_start, r4.period_end, any_value(r4.period), any_value(r4.year), any_value(r4.month),
        r4.reporter_iso3, r4.partner_iso3, any_value(r4.reporter_is_country), any_value(r4.partner_is_country),
        r4.flow, left(r4.hs, 2) AS hs, sum(r4.value),
        CASE WHEN count(r4.net_weight_kg) = count(*) THEN sum(r4.net_weight_kg) END,
        CASE WHEN min(r4.valuation) = max(r4.valuation) THEN min(r4.valuation) END,
        source_list(r4.source), max(r4.release), max(r4.alternatives),
        CASE WHEN bool_and(r4.resolved_from = 'reported') THEN 'sum of HS4' ELSE 'sum of HS4/HS6' END
    FROM r4
    ANTI JOIN d2
      ON d2.period_start = r4.period_start AND d2.period_end = r4.period_end AND d2.reporter_iso3 = r4.reporter_iso3
     AND d2.partner_iso3 = r4.partner_iso3 AND d2.flow = r4.flow AND d2.hs = left(r4.hs, 2)
    WHERE level IN ('2', 'TOTAL')
    GROUP BY r4.period_start, r4.period_end, r4.reporter_iso3, r4.partner_iso3, r4.flow, left(r4.hs, 2)
),
dt AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM c WHERE hs_level = 'TOTAL'),
rt AS (
    SELECT * FROM dt
    UNION ALL
    SELECT
        r2.period_start, r2.period_end, any_value(r2.period), any_value(r2.year), any_value(r2.month),
        r2.reporter_iso3, r2.partner_iso3, any_value(r2.reporter_is_country), any_value(r2.partner_is_country),
        r2.flow, 'TOTAL' AS hs, sum(r2.value),
        CASE WHEN count(r2.net_weight_kg) = count(*) THEN sum(r2.net_weight_kg) END,
        CASE WHEN min(r2.valuation) = max(r2.valuation) THEN min(r2.valuation) END,
        source_list(r2.source), max(r2.release), max(r2.alternatives), 'sum of HS2'
    FROM r2
    ANTI JOIN dt
      ON dt.period_start = r2.period_start AND dt.period_end = r2.period_end AND dt.reporter_iso3 = r2.reporter_iso3
     AND dt.partner_iso3 = r2.partner_iso3 AND dt.flow = r2.flow
    WHERE level = 'TOTAL'
    GROUP BY r2.period_start, r2.period_end, r2.reporter_iso3, r2.partner_iso3, r2.flow
)
SELECT *, '6' AS hs_level FROM r6 WHERE level = '6'
UNION ALL SELECT *, '4' FROM r4 WHERE level = '4'
UNION ALL SELECT *, '2' FROM r2 WHERE level = '2'
UNION ALL SELECT *, 'TOTAL' FROM rt WHERE level = 'TOTAL';

-- A flow between two countries packed into one BIGINT, so that the two reports of 10 million flows
-- are matched on one integer instead of five columns: (year - 1900) * 13 + month (0 for annual)
-- in bits 50+, the exporter's and the importer's ISO3 letters as base-26 numbers (15 bits each),
-- the HS code as a number (20 bits; TOTAL = 0). Within one build the HS level and the frequency
-- are fixed, so the key is exact (no hashing) and decodes back to the flow (see mp_pairs).
CREATE OR REPLACE TEMP MACRO iso_num(c) AS
    ((ascii(c[1]) - 65) * 676 + (ascii(c[2]) - 65) * 26 + (ascii(c[3]) - 65))::BIGINT;
CREATE OR REPLACE TEMP MACRO iso_chr(n) AS
    chr(65 + (n // 676)::INTEGER) || chr(65 + ((n // 26) % 26)::INTEGER) || chr(65 + (n % 26)::INTEGER);
CREATE OR REPLACE TEMP MACRO hs_number(h) AS CASE WHEN h = 'TOTAL' THEN 0 ELSE CAST(h AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO pair_key_n(y, m, exporter_n, importer_n, hs_num) AS
    ((((y - 1900) * 13 + coalesce(m, 0))::BIGINT << 50) | (exporter_n << 35) | (importer_n << 20) | hs_num);
CREATE OR REPLACE TEMP MACRO pair_key(y, m, exporter, importer, h) AS pair_key_n(y, m, iso_num(exporter), iso_num(importer), hs_number(h));

-- mirror_flows' pieces, each written once: the key of a code's parent (the same flow bits, the code
-- divided by 100: 271019 -> 2710), and the aggregates that make a sum's weight (all parts weighed,
-- else none) and its rank-coded valuation (the one of all its parts that state one, else none).
CREATE OR REPLACE TEMP MACRO parent_key(key) AS (key >> 20 << 20) | ((key & 1048575) // 100);
CREATE OR REPLACE TEMP MACRO sum_weight(w) AS CASE WHEN count(w) = count(*) THEN sum(w) END;
CREATE OR REPLACE TEMP MACRO sole_rank(r) AS CASE WHEN min(r) = max(r) THEN min(r) END;
-- the key of a code's ancestor at a coarser level (`level`: '4', '2', 'TOTAL'; from an HS6 key)
CREATE OR REPLACE TEMP MACRO level_key(key, level) AS
    CASE WHEN level = 'TOTAL' THEN key >> 20 << 20
         WHEN level = '2' THEN (key >> 20 << 20) | ((key & 1048575) // 10000)
         ELSE parent_key(key) END;

-- resolved_flows for the mirror build: the same choice of one figure per flow and the same sums
-- (a code published is used as published, else its children one level down, HS6 -> HS4 -> HS2 ->
-- TOTAL; the same source lists, valuations, weights and resolved_from labels), for flows between
-- two countries (exports and imports) in periods beginning in years year_from..year_to, computed
-- on integers: each figure's pair_key (the flow, with its own code as a number) and is_export, so
-- that the sums group and anti-join on one BIGINT and a flag instead of five strings. A TOTAL build
-- of a BACI year took minutes on strings. Provenance comes out as mp_resolved keeps it: prov_id, a
-- hash of (source, release, resolved_from, valuation), and for a sum prov_parts, those four. A figure
-- used as published takes its prov_id from its own strings; the sums carry provenance as numbers
-- into the chunk's dictionaries (dict): a source as one bit of a mask (a sum's sources are the bits
-- of its parts), a release and a valuation as their rank among the chunk's, decoded once per sum.
-- (At HS6 nothing is summed, and no dictionary is made.) `direct`: the chunk has no figure
-- published between HS6 and `level` ('2' or 'TOTAL'; BACI publishes HS6 only), so the HS6 figures
-- are summed to the level in one step (sd), not through every level between. `numbered`: every
-- figure of the chunk between two countries has its numbers stored (figures.reporter_n, partner_n,
-- hs_n; flow_years counts those without), so that the countries' and codes' text is not read at
-- all (iso_num is one-to-one on three capital letters: two countries differ as numbers where they
-- differ as names); a figure's provenance as published is a hash of its load and valuation (a
-- load has one source and release: mp_prov decodes it; check_mirror_prov_unique). One row per
-- (side, pair_key); the key's code is at `level`.
CREATE OR REPLACE TEMP MACRO mirror_flows(level, freq_wanted, source_order, dedupe, year_from, year_to, direct, numbered) AS TABLE
WITH f AS NOT MATERIALIZED (
    SELECT * FROM chosen_flows(freq_wanted, source_order, dedupe)
    WHERE reporter_is_country AND partner_is_country AND flow IN ('export', 'import')
      AND CASE WHEN numbered THEN reporter_n <> partner_n ELSE reporter_iso3 <> partner_iso3 END
      AND period_start >= make_date(year_from, 1, 1) AND period_start <= make_date(year_to, 12, 31)
      AND (level = 'TOTAL' OR hs_level <> 'TOTAL')
),
-- each country's number and the code's, as the load stored them (figures.reporter_n, partner_n,
-- hs_n), else made from the text (rows loaded before they were kept; coalesce evaluates its second
-- argument only for the rows where the first is NULL), once per row (iso_num reads its argument
-- three times: a CASE passed to it would be evaluated three times per row), then placed as
-- exporter and importer by the side
n AS (
    SELECT flow = 'export' AS is_export,
           CASE WHEN numbered THEN reporter_n::BIGINT ELSE coalesce(reporter_n::BIGINT, iso_num(reporter_iso3)) END AS reporter_n,
           CASE WHEN numbered THEN partner_n::BIGINT ELSE coalesce(partner_n::BIGINT, iso_num(partner_iso3)) END AS partner_n,
           -- (TOTAL has no hs_n: its number is 0)
           CASE WHEN numbered THEN coalesce(hs_n::BIGINT, 0) ELSE coalesce(hs_n::BIGINT, hs_number(hs)) END AS hs_num,
           year, month, hs_level, value, net_weight_kg, valuation, source, release, load_id, alternatives
    FROM f
),
c AS (
    SELECT is_export,
           pair_key_n(year, month, CASE WHEN is_export THEN reporter_n ELSE partner_n END,
                      CASE WHEN is_export THEN partner_n ELSE reporter_n END, hs_num) AS key,
           hs_level, value, net_weight_kg, valuation, source, release, alternatives,
           hash(load_id, coalesce(valuation, '')) AS prov_id
    FROM n
),
dict AS (
    SELECT list(DISTINCT source ORDER BY source) AS sources, list(DISTINCT release ORDER BY release) AS releases,
           coalesce(list(DISTINCT valuation ORDER BY valuation) FILTER (WHERE valuation IS NOT NULL), []) AS valuations
    FROM f
    -- at HS6 nothing is summed: the dictionary would be a second scan of the store for nothing
    -- (a bound constant, folded away; the plan kept it for the empty sums otherwise)
    WHERE level <> '6'
),
-- the figures with their provenance as numbers, for the sums (not materialised: each level reads
-- its own figures from the store, which costs less than copying all of them once: TOTAL 15.7 -> 8.6 cpu-s)
ranked AS NOT MATERIALIZED (
    SELECT
        c.is_export, c.key, c.hs_level, c.value, c.net_weight_kg,
        list_position(d.valuations, c.valuation) AS valuation_rank,
        -- (in the bits every sum reads, so that the check cannot be left out of a plan that sums)
        1::UBIGINT << CASE WHEN len(d.sources) > 64
                           THEN error('a mirror build reads at most 64 sources in one chunk of years (one bit each); '
                                      || 'this store has ' || len(d.sources) || ' in it. Fix: load fewer sources '
                                      || 'into one store, or the years of some in another store.')
                           ELSE list_position(d.sources, c.source) - 1 END AS source_bits,
        list_position(d.releases, c.release) AS release_rank,
        c.alternatives
    FROM c CROSS JOIN dict AS d
),
r6 AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM ranked WHERE hs_level = '6'),
d4 AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM ranked WHERE hs_level = '4'),
s4 AS (
    SELECT r6.is_export, parent_key(r6.key) AS key, sum(r6.value) AS value, sum_weight(r6.net_weight_kg) AS net_weight_kg,
           sole_rank(r6.valuation_rank) AS valuation_rank, bit_or(r6.source_bits) AS source_bits,
           max(r6.release_rank) AS release_rank, max(r6.alternatives) AS alternatives, 'sum of HS6' AS resolved_from
    FROM r6
    ANTI JOIN d4 ON d4.is_export = r6.is_export AND d4.key = parent_key(r6.key)
    WHERE level = '4' OR level IN ('2', 'TOTAL') AND NOT direct
    GROUP BY r6.is_export, parent_key(r6.key)
),
r4 AS (SELECT * FROM d4 UNION ALL SELECT * FROM s4),
d2 AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM ranked WHERE hs_level = '2'),
s2 AS (
    SELECT r4.is_export, parent_key(r4.key) AS key, sum(r4.value), sum_weight(r4.net_weight_kg), sole_rank(r4.valuation_rank),
           bit_or(r4.source_bits), max(r4.release_rank), max(r4.alternatives),
           CASE WHEN bool_and(r4.resolved_from = 'reported') THEN 'sum of HS4' ELSE 'sum of HS4/HS6' END
    FROM r4
    ANTI JOIN d2 ON d2.is_export = r4.is_export AND d2.key = parent_key(r4.key)
    WHERE level IN ('2', 'TOTAL')
    GROUP BY r4.is_export, parent_key(r4.key)
),
r2 AS (SELECT * FROM d2 UNION ALL SELECT * FROM s2),
dt AS (SELECT * EXCLUDE (hs_level), 'reported' AS resolved_from FROM ranked WHERE hs_level = 'TOTAL'),
st AS (
    SELECT r2.is_export, r2.key >> 20 << 20 AS key, sum(r2.value), sum_weight(r2.net_weight_kg), sole_rank(r2.valuation_rank),
           bit_or(r2.source_bits), max(r2.release_rank), max(r2.alternatives), 'sum of HS2'
    FROM r2
    ANTI JOIN dt ON dt.is_export = r2.is_export AND dt.key = r2.key >> 20 << 20
    WHERE level = 'TOTAL'
    GROUP BY r2.is_export, r2.key >> 20 << 20
),
-- HS6 summed straight to the level, where nothing is published between them: a sum of sums is the
-- sum of the parts, the sources, release, weight and labels as the chain above makes them (the
-- valuation the one all HS6 parts that state one state, as sole_rank defines it); one group of a
-- BACI year's 18 million figures instead of three (a TOTAL build: 35 -> 6 cpu-s)
sd_sums AS (
    SELECT r6.is_export, level_key(r6.key, level) AS key, sum(r6.value) AS value, sum_weight(r6.net_weight_kg) AS net_weight_kg,
           sole_rank(r6.valuation_rank) AS valuation_rank, bit_or(r6.source_bits) AS source_bits,
           max(r6.release_rank) AS release_rank, max(r6.alternatives) AS alternatives
    FROM r6
    ANTI JOIN ranked AS dl ON dl.hs_level = level AND dl.is_export = r6.is_export AND dl.key = level_key(r6.key, level)
    WHERE direct AND level IN ('2', 'TOTAL')
    GROUP BY r6.is_export, level_key(r6.key, level)
),
sd AS (SELECT *, CASE WHEN level = 'TOTAL' THEN 'sum of HS2' ELSE 'sum of HS4/HS6' END AS resolved_from FROM sd_sums),
sums AS (
    SELECT * FROM s4 WHERE level = '4'
    UNION ALL SELECT * FROM s2 WHERE level = '2' AND NOT direct
    UNION ALL SELECT * FROM st WHERE level = 'TOTAL' AND NOT direct
    UNION ALL SELECT * FROM sd
),
-- a sum's provenance decoded: its sources sorted and '+'-joined, as source_list makes them
decoded AS (
    SELECT s.is_export, s.key, s.value, s.net_weight_kg, s.alternatives, s.resolved_from,
           d.valuations[s.valuation_rank] AS valuation,
           CASE WHEN bit_count(s.source_bits) = 1 THEN d.sources[1 + CAST(round(log2(s.source_bits)) AS INTEGER)]
                ELSE array_to_string(list_filter(d.sources, lambda x, i: (s.source_bits >> (i - 1)) & 1 = 1), '+')
           END AS source,
           d.releases[s.release_rank] AS release
    FROM sums AS s CROSS JOIN dict AS d
)
-- the figures published at the level, as published, and the sums
SELECT is_export, key, value, net_weight_kg, alternatives, prov_id, NULL::VARCHAR[] AS prov_parts
FROM c WHERE hs_level = level
UNION ALL
SELECT is_export, key, value, net_weight_kg, alternatives, hash(source, release, resolved_from, coalesce(valuation, '')),
       [source, release, resolved_from, valuation]
FROM decoded;

-- The resolved figures of a chunk that the build pairs (insert_mirror_base), one side (`exports`:
-- true, false; NULL both): at HS6 straight from mirror_flows - figures enter as published, nothing
-- is summed, and copying a BACI year's 18 million reports into a table first, then reading them
-- back, cost more than the join itself (spilled at a 1 GB memory limit: 18 of 36 cpu-s); at a
-- coarser level from mp_resolved, the chunk's sums (build_resolved), which carry what the sums'
-- provenance needs. `level` is a bound constant: the branch not taken is folded away.
CREATE OR REPLACE TEMP MACRO resolved_side(level, freq_wanted, source_order, dedupe, year_from, year_to, exports, numbered) AS TABLE
SELECT is_export, key AS pair_key, value, net_weight_kg, prov_id, alternatives
FROM mirror_flows(level, freq_wanted, source_order, dedupe, year_from, year_to, false, numbered)
WHERE level = '6' AND (exports IS NULL OR is_export = exports)
UNION ALL
SELECT is_export, pair_key, value, net_weight_kg, prov_id, alternatives
FROM mp_resolved
WHERE level <> '6' AND (exports IS NULL OR is_export = exports);
