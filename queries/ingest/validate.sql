-- name: stage_keys
-- Materialises the format's staged_rows view as `staged`, with figure_key: the md5 of what identifies a figure across releases (who reported
-- what, for which partner, goods, period and unit, and for cited figures who published it where).
-- The HS revision is left out on purpose: a later release of the same flow keeps its key.
CREATE OR REPLACE TEMP TABLE staged AS
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
    *
FROM staged_rows;

-- name: stage_problems
-- One row per problem found in `staged`: the row's line, the canonical field, the value as read,
-- why it is refused and how to fix it. Zero rows = every row is acceptable.
CREATE OR REPLACE TEMP TABLE problems AS
WITH s AS (SELECT * FROM staged WHERE apart_reason IS NULL),
unknown_codes AS (
    SELECT c.hs, c.classification
    FROM (SELECT DISTINCT hs, classification FROM s WHERE hs_level IN ('2', '4', '6')) AS c
    WHERE NOT EXISTS (
        SELECT 1 FROM hs_codes AS h
        WHERE h.hs = c.hs AND h.classification = coalesce(c.classification, h.classification))
),
dup AS (
    SELECT source_row, first_row
    FROM (
        SELECT source_row, min(source_row) OVER (PARTITION BY figure_key) AS first_row
        FROM staged
    )
    WHERE source_row <> first_row
)
SELECT source_row, 'row' AS field, NULL AS value, reject_reason AS reason, reject_fix AS fix
FROM s WHERE reject_reason IS NOT NULL
UNION ALL
SELECT source_row, 'period', period_text,
       CASE WHEN is_missing_token(period_text) THEN 'a missing-value token where the period must be given'
            ELSE 'period not understood' END,
       'give the year as YYYY (and the month as 1-12, or the period as YYYYMM or YYYY-MM)'
FROM s WHERE reject_reason IS NULL AND (period_start IS NULL OR period_end IS NULL)
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
SELECT source_row, 'value', value_text, 'not a number',
       'write numbers with a dot as decimal separator and no thousands separators'
FROM s WHERE value_text IS NOT NULL AND value IS NULL
UNION ALL
SELECT source_row, 'value', value_text, 'negative value',
       'trade values cannot be negative: check the sign, or whether this is a balance (exports minus imports)'
FROM s WHERE value < 0
UNION ALL
SELECT source_row, 'net_weight_kg', net_weight_text, 'not a number',
       'write numbers with a dot as decimal separator and no thousands separators'
FROM s WHERE net_weight_text IS NOT NULL AND net_weight_kg IS NULL AND TRY_CAST(net_weight_text AS DOUBLE) IS NULL
UNION ALL
SELECT source_row, 'net_weight_kg', net_weight_text, 'negative weight', 'weights cannot be negative: check the sign'
FROM s WHERE net_weight_kg < 0
UNION ALL
SELECT source_row, 'quantity', quantity_text, 'not a number',
       'write numbers with a dot as decimal separator and no thousands separators'
FROM s WHERE quantity_text IS NOT NULL AND quantity IS NULL AND TRY_CAST(quantity_text AS DOUBLE) IS NULL
UNION ALL
SELECT source_row, 'quantity', quantity_text, 'negative quantity', 'quantities cannot be negative: check the sign'
FROM s WHERE quantity < 0
UNION ALL
SELECT source_row, 'value', NULL, 'no value, weight or quantity on the row',
       'fill the trade value (or the weight/quantity) or remove the row'
FROM s WHERE value IS NULL AND value_text IS NULL AND net_weight_kg IS NULL AND quantity IS NULL
UNION ALL
SELECT dup.source_row, 'row', NULL, 'duplicate of line ' || dup.first_row || ' (same flow, period, goods and source)',
       'remove the repeated row; if both are real, they need something that tells them apart (release, source)'
FROM dup;

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
