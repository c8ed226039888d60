-- name: check_one_current_version_per_figure
-- Offending rows: figures with more than one current version (the revision merge must close the old one).
SELECT CAST(figure_key AS VARCHAR) AS figure_key, count(*) AS current_versions
FROM figures
WHERE valid_to_load IS NULL
GROUP BY figure_key
HAVING count(*) > 1;

-- name: check_no_negative_values
-- Offending rows: current figures with a negative value, weight or quantity (balances are kept apart).
SELECT source, release, load_id, source_row, value, net_weight_kg, quantity
FROM figures
WHERE valid_to_load IS NULL AND (value < 0 OR net_weight_kg < 0 OR quantity < 0);

-- name: check_codes_are_known
-- Offending rows: current figures whose reporter or partner is not in the reference, or whose HS
-- code is malformed (codes are zero-padded text of 2, 4 or 6 digits, TOTAL, or a published group).
SELECT f.source, f.load_id, f.source_row, f.reporter_iso3, f.partner_iso3, f.hs, f.hs_level
FROM figures AS f
WHERE f.valid_to_load IS NULL
  AND (NOT EXISTS (SELECT 1 FROM countries AS c WHERE c.iso3 = f.reporter_iso3)
       OR NOT EXISTS (SELECT 1 FROM countries AS c WHERE c.iso3 = f.partner_iso3)
       OR (f.hs_level IN ('2', '4', '6') AND NOT regexp_full_match(f.hs, '[0-9]+'))
       OR (f.hs_level IN ('2', '4', '6') AND length(f.hs) <> CAST(f.hs_level AS INTEGER))
       OR (f.hs_level = 'TOTAL' AND f.hs <> 'TOTAL'));

-- name: check_periods_are_consistent
-- Offending rows: figures whose span does not match their frequency (annual = a calendar year,
-- monthly = one calendar month, year-to-date = from January).
SELECT source, load_id, source_row, freq, period, period_start, period_end
FROM figures
WHERE valid_to_load IS NULL
  AND ((freq = 'A' AND (period_start <> make_date(year, 1, 1) OR period_end <> make_date(year, 12, 31)))
    OR (freq = 'M' AND (period_start <> make_date(year, month, 1) OR period_end <> last_day(period_start)))
    OR (freq = 'YTD' AND (month(period_start) <> 1 OR month(period_end) <> month))
    OR period_end < period_start);

-- name: check_loads_add_up
-- Offending rows: loads whose counts do not add up (read = loaded + rejected; loaded = new + revised + unchanged).
SELECT load_id, file_name, rows_read, rows_loaded, rows_rejected, rows_new, rows_revised, rows_unchanged
FROM loads
WHERE rows_read <> rows_loaded + rows_rejected OR rows_loaded <> rows_new + rows_revised + rows_unchanged;

-- name: check_breakdowns_never_in_flows
-- Offending rows: breakdown rows visible in the flows view (they must only be in breakdowns).
SELECT source, load_id, source_row, breakdown FROM flows WHERE breakdown IS NOT NULL;
