-- The coverage model: what each reporter published, so that an absent figure can be told apart as
-- "reported nothing" (a zero that sources never write as a row) or "not available" (the reporter
-- did not publish that period, or that side of the flow was never loaded). Comtrade, China's
-- customs and BACI never publish a zero flow; a reporter that did not publish a period has no rows.
--
-- The rule, in one place:
--   a reporter-partner-flow-period is PUBLISHED when
--     (inferred) the reporter has any current figure for that partner, flow and period in a source
--                that publishes tables (any HS code, or the TOTAL row) - cited figures of the public
--                record and UN notifications do not count: a press article that gives one number
--                says nothing about the goods it does not mention;
--     (stated)   a source says so outright: a BACI year file, or a generic table whose mapping says
--                `complete = true`, lists every non-zero flow of its reporters and periods (so every
--                partner the reporter has in that source is published in each of its periods); a
--                Comtrade availability listing fetched by a refresh says the reporter published the
--                period (partner sets: for the set's partners and flows; bulk files: every partner).
--   For a published pair-period, an HS code that has no figure (in any currency or unit), and no
--   figure for a finer code inside it, is REPORTED NOTHING: an implicit zero. Anything else absent
--   is NOT AVAILABLE.
-- These tables are kept inside every load and refresh transaction: a load recomputes only the
-- reporter-periods it wrote figures for (and every period of a reporter whose partner set it
-- changed, since the stated rules reach across periods); a refresh, or a store without
-- coverage_cells, rebuilds everything (mirror/load.py, update_coverage).

-- name: create_coverage_tables
-- Internal: the coverage tables. coverage_pairs: one row per published (kind, reporter, partner,
-- flow, freq, period); coverage_reporters: one row per (kind, reporter, flow, freq, period) the
-- reporter published for anyone. `basis` says how it is known; `figures` counts current figures.
CREATE TABLE IF NOT EXISTS coverage_pairs (
    kind VARCHAR NOT NULL, reporter_iso3 VARCHAR NOT NULL, partner_iso3 VARCHAR NOT NULL,
    reporter_is_country BOOLEAN, partner_is_country BOOLEAN, flow VARCHAR NOT NULL, freq VARCHAR NOT NULL,
    period VARCHAR NOT NULL, year SMALLINT NOT NULL, month TINYINT, period_start DATE NOT NULL, period_end DATE NOT NULL,
    basis VARCHAR NOT NULL, sources VARCHAR, figures BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS coverage_reporters (
    kind VARCHAR NOT NULL, reporter_iso3 VARCHAR NOT NULL, flow VARCHAR NOT NULL, freq VARCHAR NOT NULL,
    period VARCHAR NOT NULL, year SMALLINT NOT NULL, month TINYINT, period_start DATE NOT NULL, period_end DATE NOT NULL,
    basis VARCHAR NOT NULL, sources VARCHAR, partners BIGINT NOT NULL, figures BIGINT NOT NULL
);
-- The grouped figures the two tables are derived from, one row per (kind, reporter, partner, flow,
-- freq, period) of current flows in a source that publishes tables; `complete`: some figure of the
-- cell came from a source that lists every non-zero flow. Kept so that a load recomputes only the
-- cells of the periods it wrote (summing figures, not re-reading every figure of the store).
CREATE TABLE IF NOT EXISTS coverage_cells (
    kind VARCHAR NOT NULL, reporter_iso3 VARCHAR NOT NULL, partner_iso3 VARCHAR NOT NULL, flow VARCHAR NOT NULL,
    freq VARCHAR NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL, period VARCHAR, year SMALLINT,
    month TINYINT, reporter_is_country BOOLEAN, partner_is_country BOOLEAN, sources VARCHAR, figures BIGINT NOT NULL,
    complete BOOLEAN
);
ALTER TABLE comtrade_fetches ADD COLUMN IF NOT EXISTS partners VARCHAR;  -- ISO3 codes of a partner set, comma-separated
ALTER TABLE comtrade_fetches ADD COLUMN IF NOT EXISTS flows VARCHAR;     -- its flow codes (X, M, RX, RM)

-- name: coverage_touch_everything
-- Internal: a whole rebuild: forget every coverage row and mark every period of every current flow
-- as touched (cov_touched: one row per kind, reporter, freq, period; `year` for pruning scans).
DELETE FROM coverage_cells;
DELETE FROM coverage_pairs;
DELETE FROM coverage_reporters;
CREATE OR REPLACE TEMP TABLE cov_touched AS
SELECT DISTINCT kind, reporter_iso3, freq, period_start, period_end, CAST(year AS INTEGER) AS year
FROM flows
WHERE freq IN ('A', 'M') AND flow IN ('export', 'import', 're-export', 're-import');

-- name: coverage_touch_start
-- Internal: an empty set of touched reporter-periods (cov_touched), filled by each file a load merges.
CREATE OR REPLACE TEMP TABLE cov_touched (
    kind VARCHAR, reporter_iso3 VARCHAR, freq VARCHAR, period_start DATE, period_end DATE, year INTEGER);

-- name: coverage_touch_plan
-- Internal: the reporter-periods of the figures the last merge plan adds or revises, added to cov_touched.
CREATE TEMP TABLE IF NOT EXISTS cov_touched (
    kind VARCHAR, reporter_iso3 VARCHAR, freq VARCHAR, period_start DATE, period_end DATE, year INTEGER);
INSERT INTO cov_touched
SELECT DISTINCT kind, reporter_iso3, freq, period_start, period_end, year FROM plan
WHERE status IN ('new', 'revised') AND NOT is_apart AND NOT is_breakdown AND freq IN ('A', 'M')
EXCEPT SELECT * FROM cov_touched;

-- name: coverage_cells_empty
-- Internal: whether coverage_cells is empty while coverage rows exist (a store written before
-- coverage_cells was kept): then the next update rebuilds everything.
SELECT NOT EXISTS (SELECT 1 FROM coverage_cells)
       AND (EXISTS (SELECT 1 FROM coverage_pairs) OR EXISTS (SELECT 1 FROM coverage_reporters));

-- name: coverage_forget_cells
-- Internal: the cells of the touched periods leave coverage_cells (kept in cov_before, to see
-- whether a reporter's partner set changed).
CREATE OR REPLACE TEMP TABLE cov_before AS
SELECT c.* FROM coverage_cells AS c SEMI JOIN cov_touched AS t USING (kind, reporter_iso3, freq, period_start, period_end);
DELETE FROM coverage_cells AS c
WHERE EXISTS (SELECT 1 FROM cov_touched AS t WHERE t.kind = c.kind AND t.reporter_iso3 = c.reporter_iso3
              AND t.freq = c.freq AND t.period_start = c.period_start AND t.period_end = c.period_end);

-- name: coverage_insert_cells(year_from:int, year_to:int)
-- Internal: the cells of the touched periods recomputed from the current figures; the years bound
-- the scan of figures (row groups of other years are skipped). The figures are grouped by cell and
-- source first, so that the cell's sources are listed without a DISTINCT aggregate (a second hash
-- table over every figure).
INSERT INTO coverage_cells BY NAME
WITH by_source AS (
    SELECT f.kind, f.reporter_iso3, f.partner_iso3, f.flow, f.freq, f.period_start, f.period_end, f.source,
           any_value(f.period) AS period, any_value(f.year) AS year, any_value(f.month) AS month,
           bool_or(f.reporter_is_country) AS reporter_is_country, bool_or(f.partner_is_country) AS partner_is_country,
           count(*) AS figures,
           bool_or(l.format = 'baci' OR coalesce(TRY_CAST(json_extract_string(l.options, '$.complete') AS BOOLEAN), false))
               AS complete
    FROM flows AS f
    JOIN loads AS l USING (load_id)
    SEMI JOIN cov_touched AS t USING (kind, reporter_iso3, freq, period_start, period_end)
    WHERE f.freq IN ('A', 'M') AND f.flow IN ('export', 'import', 're-export', 're-import')
      AND l.format NOT IN ('public-record', 'un1718')
      AND f.year BETWEEN $year_from AND $year_to
    GROUP BY f.kind, f.reporter_iso3, f.partner_iso3, f.flow, f.freq, f.period_start, f.period_end, f.source
)
SELECT kind, reporter_iso3, partner_iso3, flow, freq, period_start, period_end,
       any_value(period) AS period, any_value(year) AS year, any_value(month) AS month,
       bool_or(reporter_is_country) AS reporter_is_country, bool_or(partner_is_country) AS partner_is_country,
       string_agg(source, '+' ORDER BY source) AS sources, sum(figures) AS figures, bool_or(complete) AS complete
FROM by_source
GROUP BY kind, reporter_iso3, partner_iso3, flow, freq, period_start, period_end;

-- name: coverage_scope
-- Internal: the reporter-periods whose coverage rows are recomputed (cov_scope): the touched ones,
-- and every period of a reporter whose set of (flow, partner, country flags, complete) changed -
-- the stated rules give a complete source's partners to all its periods, and a whole-file listing
-- every partner the reporter has. Also the availability listings a refresh took (cov_listed).
CREATE OR REPLACE TEMP TABLE cov_listed AS
-- Comtrade datasets a refresh took: the availability listing said the reporter published the period.
WITH f AS (
    SELECT c.iso3 AS reporter_iso3, f.method, f.freq, f.period, f.partners, f.flows,
           CAST(left(f.period, 4) AS INTEGER) AS year,
           CASE WHEN f.freq = 'M' THEN CAST(substr(f.period, 5, 2) AS INTEGER) END AS month
    FROM comtrade_fetches AS f
    JOIN (SELECT comtrade_code, any_value(iso3) AS iso3 FROM countries GROUP BY comtrade_code) AS c
      ON c.comtrade_code = CAST(f.reporter_code AS VARCHAR)
    WHERE f.freq IN ('A', 'M') AND (f.freq = 'A' AND length(f.period) = 4 OR f.freq = 'M' AND length(f.period) = 6)
)
SELECT DISTINCT reporter_iso3, method, freq, partners, flows, year, month,
       CASE WHEN freq = 'A' THEN CAST(year AS VARCHAR) ELSE printf('%04d-%02d', year, month) END AS period,
       make_date(year, coalesce(month, 1), 1) AS period_start,
       CASE WHEN freq = 'A' THEN make_date(year, 12, 31) ELSE last_day(make_date(year, month, 1)) END AS period_end
FROM f;
CREATE OR REPLACE TEMP TABLE cov_scope AS
WITH after_keys AS (
    SELECT DISTINCT kind, reporter_iso3, freq, flow, partner_iso3, reporter_is_country, partner_is_country, complete
    FROM coverage_cells SEMI JOIN cov_touched USING (kind, reporter_iso3, freq, period_start, period_end)
),
before_keys AS (
    SELECT DISTINCT kind, reporter_iso3, freq, flow, partner_iso3, reporter_is_country, partner_is_country, complete
    FROM cov_before
),
changed AS (
    (SELECT * FROM after_keys EXCEPT SELECT * FROM before_keys)
    UNION (SELECT * FROM before_keys EXCEPT SELECT * FROM after_keys)
),
-- a changed key that cells of other periods still hold leaves the reporter's set as it was
held AS (
    SELECT DISTINCT c.kind, c.reporter_iso3, c.freq, c.flow, c.partner_iso3, c.reporter_is_country,
           c.partner_is_country, c.complete
    FROM coverage_cells AS c
    SEMI JOIN changed AS k USING (kind, reporter_iso3, freq, flow, partner_iso3)
    ANTI JOIN cov_touched AS t USING (kind, reporter_iso3, freq, period_start, period_end)
),
grown AS (SELECT DISTINCT kind, reporter_iso3, freq FROM (SELECT * FROM changed EXCEPT SELECT * FROM held))
SELECT kind, reporter_iso3, freq, period_start, period_end FROM cov_touched
UNION
SELECT c.kind, c.reporter_iso3, c.freq, c.period_start, c.period_end
FROM coverage_cells AS c SEMI JOIN grown AS g USING (kind, reporter_iso3, freq)
UNION
SELECT 'reported', l.reporter_iso3, l.freq, l.period_start, l.period_end
FROM cov_listed AS l SEMI JOIN grown AS g ON g.kind = 'reported' AND g.reporter_iso3 = l.reporter_iso3 AND g.freq = l.freq;

-- name: coverage_scope_listings
-- Internal: a whole rebuild also recomputes the periods only an availability listing covers.
INSERT INTO cov_scope
SELECT 'reported', reporter_iso3, freq, period_start, period_end FROM cov_listed
EXCEPT SELECT * FROM cov_scope;

-- name: coverage_recompute_rows
-- Internal: coverage_pairs and coverage_reporters of the periods in cov_scope, derived again from
-- coverage_cells and cov_listed (the rule at the top of this file).
DELETE FROM coverage_pairs AS c
WHERE EXISTS (SELECT 1 FROM cov_scope AS s WHERE s.kind = c.kind AND s.reporter_iso3 = c.reporter_iso3
              AND s.freq = c.freq AND s.period_start = c.period_start AND s.period_end = c.period_end);
DELETE FROM coverage_reporters AS c
WHERE EXISTS (SELECT 1 FROM cov_scope AS s WHERE s.kind = c.kind AND s.reporter_iso3 = c.reporter_iso3
              AND s.freq = c.freq AND s.period_start = c.period_start AND s.period_end = c.period_end);
CREATE OR REPLACE TEMP TABLE cov_cells AS
SELECT c.* FROM coverage_cells AS c SEMI JOIN cov_scope AS s USING (kind, reporter_iso3, freq, period_start, period_end);
CREATE OR REPLACE TEMP TABLE cov_listed_scope AS
SELECT l.* FROM cov_listed AS l
SEMI JOIN cov_scope AS s ON s.kind = 'reported' AND s.reporter_iso3 = l.reporter_iso3 AND s.freq = l.freq
                        AND s.period_start = l.period_start AND s.period_end = l.period_end;
INSERT INTO coverage_pairs
WITH complete_periods AS (
    SELECT DISTINCT kind, reporter_iso3, flow, freq, period, year, month, period_start, period_end, sources
    FROM cov_cells WHERE complete
),
complete_partners AS (
    -- over every period of the reporter (not only those in scope): a partner of any complete period
    SELECT kind, reporter_iso3, flow, freq, partner_iso3, bool_or(reporter_is_country) AS reporter_is_country,
           bool_or(partner_is_country) AS partner_is_country
    FROM coverage_cells
    SEMI JOIN (SELECT DISTINCT kind, reporter_iso3, flow, freq FROM complete_periods) USING (kind, reporter_iso3, flow, freq)
    WHERE complete
    GROUP BY ALL
),
stated AS (
    SELECT p.kind, p.reporter_iso3, q.partner_iso3, q.reporter_is_country, q.partner_is_country, p.flow, p.freq,
           p.period, p.year, p.month, p.period_start, p.period_end,
           'stated: the source lists every non-zero flow of its reporters and periods' AS basis, p.sources
    FROM complete_periods AS p JOIN complete_partners AS q USING (kind, reporter_iso3, flow, freq)
),
flow_codes AS (
    SELECT * FROM (VALUES ('X', 'export'), ('M', 'import'), ('RX', 're-export'), ('RM', 're-import')) AS t(code, flow)
),
listed_partner_sets AS (
    SELECT 'reported' AS kind, l.reporter_iso3, trim(p.partner) AS partner_iso3, true AS reporter_is_country,
           true AS partner_is_country, fc.flow, l.freq, l.period, l.year, l.month, l.period_start, l.period_end,
           'stated: Comtrade availability listing (published; no rows for this partner)' AS basis, 'comtrade' AS sources
    FROM cov_listed_scope AS l,
         unnest(string_split(l.partners, ',')) AS p(partner),
         unnest(string_split(l.flows, ',')) AS fl(code)
    JOIN flow_codes AS fc ON fc.code = trim(fl.code)
    WHERE l.method = 'partner' AND l.partners IS NOT NULL AND l.flows IS NOT NULL
),
listed_bulk AS (
    -- a whole reporter file: every partner the reporter has in the store (any period), for the flows it reports
    SELECT 'reported' AS kind, l.reporter_iso3, q.partner_iso3, q.reporter_is_country, q.partner_is_country, q.flow,
           l.freq, l.period, l.year, l.month, l.period_start, l.period_end,
           'stated: Comtrade availability listing (whole reporter file)' AS basis, 'comtrade' AS sources
    FROM cov_listed_scope AS l
    JOIN (SELECT DISTINCT reporter_iso3, partner_iso3, flow, freq, reporter_is_country, partner_is_country
          FROM coverage_cells
          SEMI JOIN (SELECT DISTINCT reporter_iso3, freq FROM cov_listed_scope WHERE method = 'bulk') USING (reporter_iso3, freq)
          WHERE kind = 'reported') AS q USING (reporter_iso3, freq)
    WHERE l.method = 'bulk'
),
candidates AS (
    SELECT kind, reporter_iso3, partner_iso3, reporter_is_country, partner_is_country, flow, freq, period, year,
           month, period_start, period_end, 'inferred: figures for this partner' AS basis, sources, figures, 0 AS rank
    FROM cov_cells
    UNION ALL SELECT *, 0, 1 FROM stated
    UNION ALL SELECT *, 0, 2 FROM listed_partner_sets
    UNION ALL SELECT *, 0, 2 FROM listed_bulk
)
SELECT kind, reporter_iso3, partner_iso3, bool_or(reporter_is_country), bool_or(partner_is_country), flow, freq,
       any_value(period), any_value(year), any_value(month), period_start, period_end,
       arg_min(basis, rank), arg_min(sources, rank), max(figures)
FROM candidates
GROUP BY kind, reporter_iso3, partner_iso3, flow, freq, period_start, period_end;
INSERT INTO coverage_reporters
WITH candidates AS (
    SELECT kind, reporter_iso3, flow, freq, period, year, month, period_start, period_end,
           'inferred: figures for some partner' AS basis, sources, partner_iso3, figures, 0 AS rank
    FROM cov_cells
    UNION ALL
    SELECT 'reported', l.reporter_iso3, fc.flow, l.freq, l.period, l.year, l.month, l.period_start, l.period_end,
           'stated: Comtrade availability listing', 'comtrade', NULL, 0, 1
    FROM cov_listed_scope AS l
    JOIN (SELECT * FROM (VALUES ('export'), ('import'), ('re-export'), ('re-import')) AS t(flow)) AS fc
      ON l.method = 'bulk' OR list_contains(
             list_transform(string_split(coalesce(l.flows, ''), ','), lambda c: CASE trim(c) WHEN 'X' THEN 'export'
                 WHEN 'M' THEN 'import' WHEN 'RX' THEN 're-export' WHEN 'RM' THEN 're-import' END), fc.flow)
)
SELECT kind, reporter_iso3, flow, freq, any_value(period), any_value(year), any_value(month), period_start, period_end,
       arg_min(basis, rank), string_agg(DISTINCT sources, '+'), count(DISTINCT partner_iso3), sum(figures)
FROM candidates
GROUP BY kind, reporter_iso3, flow, freq, period_start, period_end;
DROP TABLE cov_cells;
DROP TABLE cov_listed;
DROP TABLE cov_listed_scope;
DROP TABLE cov_before;
DROP TABLE cov_scope;
DELETE FROM cov_touched;

-- name: coverage_touched_years
-- Internal: the first and last year of the touched reporter-periods (NULLs when none).
SELECT min(year), max(year) FROM cov_touched;

-- name: define_coverage_layer
-- Internal: the three states as one vocabulary (TEMP macros on every connection). A figure slot is
-- 'reported' (a figure exists), 'reported nothing' (its pair-period is published and the code is
-- absent: an implicit zero) or 'not available' (not published, or that side never loaded).
CREATE OR REPLACE TEMP MACRO slot_state(has_figure, published) AS
    CASE WHEN has_figure THEN 'reported' WHEN published THEN 'reported nothing' ELSE 'not available' END;
-- The published pair-periods of one kind and frequency, NULL filters matching everything.
CREATE OR REPLACE TEMP MACRO pair_coverage(kind_wanted, freq_wanted, reporter_wanted, partner_wanted, flow_wanted) AS TABLE
SELECT * FROM coverage_pairs
WHERE kind = kind_wanted AND freq = freq_wanted
  AND (reporter_wanted IS NULL OR reporter_iso3 = reporter_wanted) AND (partner_wanted IS NULL OR partner_iso3 = partner_wanted)
  AND (flow_wanted IS NULL OR flow = flow_wanted);
-- Every period of a span at one frequency (default span: the store's years), so that a period
-- nobody published still shows, as not available. One row per period; label as figures write it.
CREATE OR REPLACE TEMP MACRO period_grid(freq_wanted, year_from, year_to) AS TABLE
WITH span AS (SELECT coalesce(year_from, (SELECT min(year) FROM flows)) AS y0,
                     coalesce(year_to, (SELECT max(year) FROM flows)) AS y1),
years AS (SELECT unnest(range(y0, y1 + 1)) AS year FROM span WHERE y0 IS NOT NULL AND y1 IS NOT NULL),
months AS (SELECT unnest(CASE WHEN freq_wanted = 'M' THEN range(1, 13) ELSE [NULL::BIGINT] END) AS month)
SELECT CASE WHEN month IS NULL THEN CAST(year AS VARCHAR) ELSE printf('%04d-%02d', year, month) END AS period,
       CAST(year AS SMALLINT) AS year, CAST(month AS TINYINT) AS month,
       make_date(year, coalesce(month, 1), 1) AS period_start,
       CASE WHEN month IS NULL THEN make_date(year, 12, 31) ELSE last_day(make_date(year, month, 1)) END AS period_end
FROM years CROSS JOIN months;
-- Every published reporter-partner-flow (of one kind and frequency, NULL filters matching
-- everything) against every period of a span, with its coverage where there is any: the grid
-- that coverage_rows and coverage_code_rows state the three states on. One row per (reporter,
-- partner, flow, period); basis, figures and sources NULL where the pair-period is not published.
CREATE OR REPLACE TEMP MACRO coverage_grid(kind_wanted, freq_wanted, reporter_wanted, partner_wanted, flow_wanted,
                                           year_from, year_to) AS TABLE
WITH cov AS (SELECT * FROM pair_coverage(kind_wanted, freq_wanted, reporter_wanted, partner_wanted, flow_wanted)),
triples AS (SELECT DISTINCT reporter_iso3, partner_iso3, flow FROM cov)
SELECT t.reporter_iso3, t.partner_iso3, t.flow, p.period, p.year, p.month, p.period_start, p.period_end,
       c.basis, c.figures, c.sources
FROM triples AS t
CROSS JOIN period_grid(freq_wanted, year_from, year_to) AS p
LEFT JOIN cov AS c
  ON c.reporter_iso3 = t.reporter_iso3 AND c.partner_iso3 = t.partner_iso3 AND c.flow = t.flow
 AND c.period_start = p.period_start AND c.period_end = p.period_end;
-- Every code a figure speaks for in its pair-period: its own and its parents' (a figure for 270900
-- means 2709 and 27 are not zero), so an implicit zero is never put where a finer code was reported.
CREATE OR REPLACE TEMP MACRO present_codes(freq_wanted, kind_wanted) AS TABLE
SELECT DISTINCT reporter_iso3, partner_iso3, flow, period_start, period_end, code AS hs
FROM (
    SELECT reporter_iso3, partner_iso3, flow, period_start, period_end,
           unnest([hs, CASE WHEN hs_level IN ('4', '6') THEN left(hs, 2) END,
                   CASE WHEN hs_level = '6' THEN left(hs, 4) END]) AS code
    FROM flows
    WHERE freq = freq_wanted AND kind = kind_wanted
)
WHERE code IS NOT NULL;

-- name: coverage_rows(kind, freq, reporter, partner, flow, year_from:int, year_to:int)
-- What is known of each reporter-partner-flow in each period of the store's span: one row per
-- (reporter, partner, flow, period) for the reporter-partner-flows the store holds any figure or
-- coverage of. state: 'reported' (figures), 'reported nothing' (published, no figure: zero) or
-- 'not available'; basis/why say how it is known. NULL filters match everything; countries ISO3.
WITH g AS (SELECT * FROM coverage_grid($kind, $freq, $reporter, $partner, $flow, $year_from, $year_to)),
rep AS (
    SELECT reporter_iso3, flow, period_start, period_end, any_value(basis) AS basis, max(partners) AS partners
    FROM coverage_reporters WHERE kind = $kind AND freq = $freq GROUP BY ALL
)
SELECT g.reporter_iso3 AS reporter, g.partner_iso3 AS partner, g.flow, g.period, g.year, g.month,
       slot_state(coalesce(g.figures, 0) > 0, g.basis IS NOT NULL) AS state,
       coalesce(g.figures, 0) AS figures,
       CASE WHEN g.basis IS NOT NULL THEN g.basis
            WHEN r.basis IS NOT NULL THEN printf('not available: %s published %s for %d other partner(s), none for %s',
                                                  g.reporter_iso3, g.period, r.partners, g.partner_iso3)
            ELSE printf('not available: no %s figures of %s for %s in the store (not published or not loaded)',
                        g.flow, g.reporter_iso3, g.period) END AS basis,
       g.sources
FROM g
LEFT JOIN rep AS r
  ON r.reporter_iso3 = g.reporter_iso3 AND r.flow = g.flow AND r.period_start = g.period_start AND r.period_end = g.period_end
ORDER BY reporter, partner, flow, g.period_start;

-- name: coverage_reporter_rows(kind, freq, reporter, year_from:int, year_to:int)
-- Which periods each reporter published, for anyone: one row per (reporter, flow, period) it
-- published, with the number of partners and figures and how it is known. Countries ISO3.
SELECT reporter_iso3 AS reporter, flow, period, year, month, partners, figures, basis, sources
FROM coverage_reporters
WHERE kind = $kind AND freq = $freq AND ($reporter IS NULL OR reporter_iso3 = $reporter)
  AND ($year_from IS NULL OR year >= $year_from) AND ($year_to IS NULL OR year <= $year_to)
ORDER BY reporter, flow, period_start;

-- name: coverage_code_rows(kind, freq, reporter, partner, flow, hs, year_from:int, year_to:int)
-- What is known of one HS code (or TOTAL) in each period: one row per (reporter, partner, flow,
-- period) of the reporter-partner-flows that have coverage, with the state of this code -
-- 'reported' (value: the median of its current figures, USD where in USD), 'reported nothing'
-- (the pair-period is published without it or a finer code inside it: value 0) or 'not available'.
WITH g AS (SELECT * FROM coverage_grid($kind, $freq, $reporter, $partner, $flow, $year_from, $year_to)),
figs AS (
    SELECT reporter_iso3, partner_iso3, flow, period_start, period_end, median(value) AS value,
           any_value(currency) AS currency, median(net_weight_kg) AS net_weight_kg, count(*) AS figures
    FROM flows
    WHERE kind = $kind AND freq = $freq AND hs = $hs
      AND ($reporter IS NULL OR reporter_iso3 = $reporter) AND ($partner IS NULL OR partner_iso3 = $partner)
    GROUP BY ALL
),
present AS (SELECT * FROM present_codes($freq, $kind) WHERE hs = $hs)
SELECT g.reporter_iso3 AS reporter, g.partner_iso3 AS partner, g.flow, $hs AS hs, g.period, g.year, g.month,
       slot_state(f.figures IS NOT NULL OR x.hs IS NOT NULL, g.basis IS NOT NULL) AS state,
       CASE WHEN f.figures IS NOT NULL THEN f.value WHEN x.hs IS NULL AND g.basis IS NOT NULL THEN 0.0 END AS value,
       f.currency,
       CASE WHEN f.figures IS NOT NULL THEN f.net_weight_kg WHEN x.hs IS NULL AND g.basis IS NOT NULL THEN 0.0 END
           AS net_weight_kg,
       coalesce(f.figures, 0) AS figures,
       CASE WHEN f.figures IS NOT NULL THEN 'figures for this code'
            WHEN x.hs IS NOT NULL THEN 'figures for finer codes inside it'
            WHEN g.basis IS NOT NULL THEN g.basis
            ELSE 'not available: the pair-period is not published in the store' END AS basis
FROM g
LEFT JOIN figs AS f
  ON f.reporter_iso3 = g.reporter_iso3 AND f.partner_iso3 = g.partner_iso3 AND f.flow = g.flow
 AND f.period_start = g.period_start AND f.period_end = g.period_end
LEFT JOIN present AS x
  ON x.reporter_iso3 = g.reporter_iso3 AND x.partner_iso3 = g.partner_iso3 AND x.flow = g.flow
 AND x.period_start = g.period_start AND x.period_end = g.period_end
ORDER BY reporter, partner, flow, g.period_start;
