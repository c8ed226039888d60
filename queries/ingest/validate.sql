-- name: stage_constants(constants)
-- Internal: the staged columns that hold one value for the whole file (`constants`: the load's
-- source and release, and the literals of the format's staging, such as Comtrade's kind, currency
-- and publisher), once, in the one-row staged_constants: `staged` gives them to every row, so they
-- are neither computed nor stored per row.
CREATE OR REPLACE TEMP TABLE staged_constants AS
SELECT COLUMNS(lambda c: list_contains($constants, c)) FROM staged_rows LIMIT 1;

-- name: stage_keys(constants)
-- Materialises the format's staged_rows view, but for its `constants`, as staged_varying, with
-- figure_key: the md5 of what identifies a figure across releases (who reported
-- what, for which partner, goods, period and unit, and for cited figures who published it where).
-- The HS revision is left out on purpose: a later release of the same flow keeps its key.
CREATE OR REPLACE TEMP TABLE staged_varying AS
SELECT
    md5_number(concat_ws('|',
        source, kind, coalesce(publisher, ''), coalesce(source_url, ''), coalesce(series_id, ''),
        freq, coalesce(CAST(period_start AS VARCHAR), period_text, ''), coalesce(CAST(period_end AS VARCHAR), ''),
        coalesce(reporter_iso3, reporter_text, ''), coalesce(reporter_code, ''),
        coalesce(partner_iso3, partner_text, ''), coalesce(partner_code, ''),
        coalesce(flow, flow_text, ''), coalesce(hs, hs_text, ''), coalesce(product, ''),
        coalesce(currency, ''), coalesce(quantity_unit, ''), coalesce(breakdown, ''),
        coalesce(apart_reason, '')
    )) AS figure_key,
    COLUMNS(lambda c: NOT list_contains($constants, c))
FROM staged_rows;

-- name: define_staged
-- Internal: `staged`, what every later step reads: one row per staged row, its varying columns
-- and the file's constants (stage_constants, stage_keys).
CREATE OR REPLACE TEMP VIEW staged AS
SELECT v.*, c.* FROM staged_varying AS v CROSS JOIN staged_constants AS c;

-- name: stage_problems
-- One row per problem found in `staged`: the row's line, the canonical field, the value as read,
-- why it is refused and how to fix it. Zero rows = every row is acceptable.
-- Numbers must be finite (NaN, infinities and 1e400 are refused, never stored) and within a
-- plausible bound (README, "Bad input"): a value at most 1e15 in USD (about 40 times the world's
-- annual trade) or 1e18 in another currency (the weakest currencies trade at 10^4-10^5 per
-- dollar), a net weight at most 1e14 kg (ten times the world's annual seaborne trade), a quantity
-- at most 1e15 of its unit. A period must have begun, and a flow needs two different countries.
CREATE OR REPLACE TEMP TABLE problems AS
-- (s is not materialised: each check reads only its own columns of staged, where a materialised
-- CTE would copy all fifty of them first)
WITH s AS NOT MATERIALIZED (SELECT * FROM staged WHERE apart_reason IS NULL),
unknown_codes AS (
    SELECT c.hs, c.classification
    FROM (SELECT DISTINCT hs, classification FROM s WHERE hs_level IN ('2', '4', '6')) AS c
    WHERE NOT EXISTS (
        SELECT 1 FROM hs_codes AS h
        WHERE h.hs = c.hs AND h.classification = coalesce(c.classification, h.classification))
),
-- keys that occur more than once (a hash aggregate: cheaper than numbering every key's rows)
-- (the first line of each is found for the repeated keys alone)
repeated_keys AS (SELECT figure_key FROM staged GROUP BY figure_key HAVING count(*) > 1),
repeated AS (
    SELECT figure_key, min(source_row) AS first_row FROM staged SEMI JOIN repeated_keys USING (figure_key)
    GROUP BY figure_key
),
dup AS (
    SELECT s.source_row, r.first_row
    FROM staged AS s JOIN repeated AS r USING (figure_key)
    WHERE s.source_row <> r.first_row
),
-- every staged number as (field, text, number), apart rows' values too (`apart` stores them)
numbers AS (
    SELECT source_row, apart_reason, 'value' AS field, value_text AS text,
           coalesce(value, CASE WHEN apart_reason IS NOT NULL THEN TRY_CAST(value_text AS DOUBLE) END) AS x,
           CASE WHEN coalesce(currency, 'USD') = 'USD' THEN 1e15 ELSE 1e18 END AS bound,
           coalesce(currency, 'USD') AS unit
    FROM staged
    UNION ALL
    SELECT source_row, apart_reason, 'net_weight_kg', net_weight_text, net_weight_kg, 1e14, 'kg' FROM staged
    UNION ALL
    SELECT source_row, apart_reason, 'quantity', quantity_text, quantity, 1e15, coalesce(quantity_unit, 'units') FROM staged
)
SELECT source_row, coalesce(reject_field, 'row') AS field, reject_value AS value, reject_reason AS reason, reject_fix AS fix
FROM s WHERE reject_reason IS NOT NULL
UNION ALL
SELECT source_row, 'period', period_text,
       CASE WHEN is_missing_token(period_text) THEN 'a missing-value token where the period must be given'
            ELSE 'period not understood' END,
       'give the year as YYYY (and the month as 1-12, or the period as YYYYMM or YYYY-MM)'
FROM s WHERE reject_reason IS NULL AND (period_start IS NULL OR period_end IS NULL)
UNION ALL
SELECT source_row, 'period', period_text, 'the period has not begun (' || period_start || '): no figure can be reported for it yet',
       'check the year: a future year is usually a typing error (2091 for 2019)'
FROM s WHERE reject_reason IS NULL AND period_start > current_date
UNION ALL
SELECT source_row, 'reporter', reporter_text,
       CASE WHEN reporter_text IS NULL THEN 'reporter missing'
            WHEN is_missing_token(reporter_text) THEN 'a missing-value token where the reporter must be named'
            ELSE 'unknown reporter code' END,
       CASE WHEN is_missing_token(reporter_text) THEN 'fill the reporter (NA, NaN, NULL, ., #N/A mean missing; a figure needs its reporter)'
            ELSE 'the code is not in UN Comtrade''s reference lists of reporters and partners (data/countries.csv, current and historical codes): use a Comtrade or M49 code, an ISO3 code or a Comtrade ISO-like code (S19, W00, _X) listed there' END
FROM s WHERE reject_reason IS NULL AND reporter_iso3 IS NULL
UNION ALL
SELECT source_row, 'partner', partner_text,
       CASE WHEN partner_text IS NULL THEN 'partner missing'
            WHEN is_missing_token(partner_text) THEN 'a missing-value token where the partner must be named'
            ELSE 'unknown partner code' END,
       CASE WHEN is_missing_token(partner_text) THEN 'fill the partner (NA, NaN, NULL, ., #N/A mean missing; a figure needs its partner)'
            ELSE 'the code is not in UN Comtrade''s reference lists of reporters and partners (data/countries.csv, current and historical codes): use a Comtrade or M49 code, an ISO3 code or a Comtrade ISO-like code (S19, W00, _X) listed there' END
FROM s WHERE reject_reason IS NULL AND partner_iso3 IS NULL
UNION ALL
-- Comtrade publishes a country's imports of its own goods coming home (China's imports from
-- China); every other figure with the reporter as its own partner is an error of the file.
SELECT source_row, 'partner', partner_text, 'the partner is the reporter itself (' || reporter_iso3 || ')',
       'a flow is between two countries: correct the partner (or the reporter) of the row'
FROM s
WHERE reject_reason IS NULL AND reporter_iso3 = partner_iso3
  AND NOT (publisher = 'UN Comtrade' AND flow IN ('import', 're-import'))
UNION ALL
SELECT source_row, 'flow', flow_text,
       CASE WHEN flow_text IS NULL THEN 'flow missing'
            WHEN is_missing_token(flow_text) THEN 'a missing-value token where the trade flow must be given'
            ELSE 'unknown trade flow' END,
       'use X/M/RX/RM, 1-4 (legacy: 1 import, 2 export, 3 re-export, 4 re-import) or Export/Import'
FROM s WHERE reject_reason IS NULL AND flow IS NULL
UNION ALL
SELECT source_row, 'hs', hs_text,
       CASE WHEN hs_text IS NULL THEN 'commodity code missing'
            WHEN is_missing_token(hs_text) THEN 'a missing-value token where the commodity code must be given'
            ELSE 'not an HS code at 2, 4 or 6 digits (or TOTAL)' END,
       'give HS codes as 2, 4 or 6 digits (national 8-10 digit lines must be summed to HS6 first)'
FROM s WHERE reject_reason IS NULL AND hs_level IS NULL
UNION ALL
SELECT s.source_row, 'hs', s.hs_text,
       'unknown HS code' || CASE WHEN s.classification IS NOT NULL THEN ' in ' || s.classification ELSE '' END,
       'check the code against data/hs_codes.csv (HS revisions H0-H6); a code may exist only in some revisions'
FROM s
JOIN unknown_codes AS u ON u.hs = s.hs AND u.classification IS NOT DISTINCT FROM s.classification
WHERE s.reject_reason IS NULL
UNION ALL
SELECT source_row, field, text,
       CASE WHEN regexp_full_match(trim(text), '[-+]?\d[\d.,'' ]*')
            THEN 'a number written with a comma as decimal separator or with thousands separators (in "1.253,2" the comma is the decimal point)'
            ELSE 'not a number' END,
       'write numbers with a dot as decimal separator and no thousands separators (1253.2); a generic CSV''s mapping '
       || 'may instead say how they are written: decimal = "," and thousands = "."'
FROM numbers WHERE apart_reason IS NULL AND text IS NOT NULL AND x IS NULL AND TRY_CAST(text AS DOUBLE) IS NULL
UNION ALL
SELECT source_row, field, text, 'not a finite number (NaN, an infinity, or beyond the range of numbers)',
       'write the figure as a number, or leave the cell empty when there is none'
FROM numbers WHERE x IS NOT NULL AND NOT isfinite(x)
UNION ALL
SELECT source_row, field, text,
       replace(printf('%.4g', x), 'e+', 'e') || ' ' || unit || ' is beyond the plausible bound for a '
       || CASE field WHEN 'value' THEN 'trade value' WHEN 'net_weight_kg' THEN 'net weight' ELSE 'quantity' END
       || ' (' || replace(printf('%.0e', bound), 'e+', 'e') || ' ' || unit || ')',
       'check the figure and its unit (a value in thousands needs value_scale, a weight in grams is not kg); '
       || 'README, "Bad input", gives the bound of each field'
FROM numbers WHERE apart_reason IS NULL AND isfinite(x) AND abs(x) > bound
UNION ALL
SELECT source_row, 'value', value_text, 'negative value',
       'trade values cannot be negative: check the sign, or whether this is a balance (exports minus imports)'
FROM s WHERE isfinite(value) AND value < 0
UNION ALL
SELECT source_row, 'net_weight_kg', net_weight_text, 'negative weight', 'weights cannot be negative: check the sign'
FROM s WHERE isfinite(net_weight_kg) AND net_weight_kg < 0
UNION ALL
SELECT source_row, 'quantity', quantity_text, 'negative quantity', 'quantities cannot be negative: check the sign'
FROM s WHERE isfinite(quantity) AND quantity < 0
UNION ALL
SELECT source_row, 'value', NULL, 'no value, weight or quantity on the row',
       'fill the trade value (or the weight/quantity) or remove the row'
FROM s WHERE reject_reason IS NULL AND value IS NULL AND value_text IS NULL AND net_weight_kg IS NULL AND quantity IS NULL
UNION ALL
SELECT dup.source_row, 'row', NULL, 'duplicate of line ' || dup.first_row || ' (same flow, period, goods and source)',
       'remove the repeated row; if both are real, they need something that tells them apart (release, source)'
FROM dup;

-- name: problem_count
-- Internal: how many problems the last staging found.
SELECT count(*) FROM problems;

-- name: problem_list(limit:int)
-- Problems found in the last staging, in file order.
SELECT source_row, field, value, reason, fix, count(*) OVER () AS total
FROM problems
ORDER BY source_row, field
LIMIT $limit;

-- name: staged_currencies_without_rate
-- Internal: per currency, the staged figures (not USD) that no average rate in data/exchange_rates.csv
-- converts: they load and stay in their currency, and the load's note says they are left out of
-- USD comparisons. One row per currency: figures, first and last period.
SELECT s.currency, count(*) AS figures, min(s.period) AS first_period, max(s.period) AS last_period
FROM staged AS s
WHERE s.currency <> 'USD' AND s.value IS NOT NULL AND s.apart_reason IS NULL AND s.period_start IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM exchange_rates AS r
      WHERE r.currency = s.currency
        AND ((r.freq = 'A' AND r.year = year(s.period_start) AND r.year = year(s.period_end))
             OR (r.freq = 'M' AND s.freq = 'M' AND r.year = s.year AND r.month = s.month)))
GROUP BY s.currency
ORDER BY s.currency;
