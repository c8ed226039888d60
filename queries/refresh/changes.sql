-- name: changes_revisions(since:int, threshold:float)
-- What later loads revised: one row per figure changed by a load after `since`, with old and new
-- value and the relative change; changes smaller than `threshold` (a share) are left out.
SELECT source, reporter_iso3 AS reporter, partner_iso3 AS partner, flow, freq, period, hs, product, kind, currency,
       old_release, new_release, old_value, new_value, value_change,
       CASE WHEN old_value <> 0 THEN value_change / abs(old_value) END AS relative_change,
       old_net_weight_kg, new_net_weight_kg, revised_by_load
FROM revisions
WHERE revised_by_load > $since
  AND (abs(coalesce(value_change, 0)) >= $threshold * abs(coalesce(old_value, 0))
       OR old_net_weight_kg IS DISTINCT FROM new_net_weight_kg)
ORDER BY abs(coalesce(value_change, 0)) DESC;

-- name: changes_coverage(since:int)
-- What later loads added: per source and reporter, the periods and partners that appear for the
-- first time in a load after `since` (new periods, new reporters). One row per (source, reporter).
WITH new AS (
    SELECT source, reporter_iso3, partner_iso3, period FROM figures WHERE valid_from_load > $since AND breakdown IS NULL
),
old AS (
    SELECT DISTINCT source, reporter_iso3, partner_iso3, period FROM figures WHERE valid_from_load <= $since
),
old_reporters AS (SELECT DISTINCT source, reporter_iso3 FROM old)
SELECT n.source, n.reporter_iso3 AS reporter,
       NOT EXISTS (SELECT 1 FROM old_reporters AS o WHERE o.source = n.source AND o.reporter_iso3 = n.reporter_iso3) AS new_reporter,
       string_agg(DISTINCT n.period, ', ' ORDER BY n.period) FILTER (
           WHERE NOT EXISTS (SELECT 1 FROM old AS o WHERE o.source = n.source AND o.reporter_iso3 = n.reporter_iso3
                             AND o.period = n.period)) AS new_periods,
       count(*) AS new_or_revised_figures
FROM new AS n
GROUP BY n.source, n.reporter_iso3
ORDER BY n.source, n.reporter_iso3;

-- name: changes_flags(country)
-- Flags that appeared or disappeared between the last two stored states of the store.
WITH versions AS (
    SELECT DISTINCT data_version FROM flags WHERE country = $country ORDER BY data_version DESC LIMIT 2
),
latest AS (SELECT max(data_version) AS v FROM versions),
previous AS (SELECT min(data_version) AS v FROM versions WHERE data_version < (SELECT v FROM latest)),
a AS (SELECT * FROM flags WHERE country = $country AND data_version = (SELECT v FROM latest)),
b AS (SELECT * FROM flags WHERE country = $country AND data_version = (SELECT v FROM previous))
SELECT 'appeared' AS change, a.detector, a.reporter, a.partner, a.flow, a.hs, a.period, a.reason
FROM a ANTI JOIN b ON a.detector = b.detector AND a.reporter IS NOT DISTINCT FROM b.reporter
  AND a.partner IS NOT DISTINCT FROM b.partner AND a.flow IS NOT DISTINCT FROM b.flow
  AND a.hs IS NOT DISTINCT FROM b.hs AND a.period IS NOT DISTINCT FROM b.period AND a.freq = b.freq
WHERE (SELECT v FROM previous) IS NOT NULL
UNION ALL
SELECT 'disappeared', b.detector, b.reporter, b.partner, b.flow, b.hs, b.period, b.reason
FROM b ANTI JOIN a ON a.detector = b.detector AND a.reporter IS NOT DISTINCT FROM b.reporter
  AND a.partner IS NOT DISTINCT FROM b.partner AND a.flow IS NOT DISTINCT FROM b.flow
  AND a.hs IS NOT DISTINCT FROM b.hs AND a.period IS NOT DISTINCT FROM b.period AND a.freq = b.freq
ORDER BY 1, 2, 3, 4, 7;

-- name: last_load_id
-- Internal: the id of the last load (0 when none).
SELECT coalesce(max(load_id), 0) FROM loads;
