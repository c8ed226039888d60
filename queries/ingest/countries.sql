-- name: country_resolve(key)
-- The ISO3 code for one way of naming a country (upper case, typographic apostrophes made plain):
-- ISO3, ISO2, Comtrade (current or historical) or M49 code, Comtrade's ISO-like code (S19), a name
-- or alias. Zero or one row.
SELECT iso3 FROM country_lookup WHERE key = $key;

-- name: country_suggestion_keys
-- Every way of naming a country, with the country's display name: one row per key, for
-- suggestions on a misspelt argument (shown as "North Korea (PRK)", each country once).
SELECT l.key, l.iso3, c.name
FROM country_lookup AS l
JOIN country_by_iso3 AS c USING (iso3)
ORDER BY l.key;
