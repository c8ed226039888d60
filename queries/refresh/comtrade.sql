-- name: comtrade_fetch_log(limit:int)
-- What `refresh --comtrade` fetched, newest first: fetch set, dataset (reporter, period,
-- classification), its publication date, the file and rows it gave and the load that took them.
SELECT f.fetch_set, f.method, f.freq, f.classification, c.iso3 AS reporter, f.reporter_code, f.period,
       f.published_at, f.file_name, f.rows_fetched, f.load_id, f.fetched_at
FROM comtrade_fetches AS f
LEFT JOIN (SELECT comtrade_code, any_value(iso3) AS iso3 FROM countries GROUP BY comtrade_code) AS c
       ON c.comtrade_code = f.reporter_code
ORDER BY f.fetched_at DESC, f.fetch_set, f.freq, f.period, f.reporter_code
LIMIT $limit;

-- name: comtrade_seen(fetch_set, freq)
-- Internal: the datasets a fetch set has already taken, and its watermark (the last publication date).
SELECT reporter_code, period, classification, strftime(published_at, '%Y-%m-%dT%H:%M:%S') AS published
FROM comtrade_fetches
WHERE fetch_set = $fetch_set AND freq = $freq;

-- name: comtrade_codes
-- Internal: the Comtrade code of each ISO3 country code (the current one where a code changed).
SELECT iso3, arg_max(comtrade_code, coalesce(valid_to_year, 9999)) AS comtrade_code
FROM countries
WHERE iso3 IS NOT NULL AND is_country
GROUP BY iso3;

-- name: insert_comtrade_fetches
-- Internal: record the datasets a refresh fetched (from the registered frame new_fetches).
INSERT INTO comtrade_fetches BY NAME
SELECT fetch_set, method, freq, classification, reporter_code, period, CAST(published_at AS TIMESTAMP) AS published_at,
       file_name, rows_fetched, load_id, CAST(fetched_at AS TIMESTAMP) AS fetched_at, partners, flows
FROM new_fetches;
