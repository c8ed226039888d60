-- name: fill_countries(path)
-- Refill `countries` from data/countries.csv (explicit types: codes stay text).
-- Namibia's ISO2 code is NA: no value is read as missing here but an empty field.
INSERT INTO countries BY NAME
SELECT comtrade_code, iso3, iso2, m49, name, comtrade_name, is_country, valid_from_year, valid_to_year, note, aliases,
       comtrade_iso, is_reporter
FROM read_csv($path, header = true, nullstr = '', columns = {
    'comtrade_code': 'VARCHAR', 'iso3': 'VARCHAR', 'iso2': 'VARCHAR', 'm49': 'VARCHAR', 'name': 'VARCHAR',
    'comtrade_name': 'VARCHAR', 'is_country': 'BOOLEAN', 'valid_from_year': 'SMALLINT',
    'valid_to_year': 'SMALLINT', 'note': 'VARCHAR', 'aliases': 'VARCHAR', 'comtrade_iso': 'VARCHAR',
    'is_reporter': 'BOOLEAN'});

-- name: fill_hs_codes(path)
-- Refill `hs_codes` from data/hs_codes.csv: one row per (HS revision, code).
INSERT INTO hs_codes
SELECT * FROM read_csv($path, header = true, columns = {
    'classification': 'VARCHAR', 'hs': 'VARCHAR', 'level': 'TINYINT', 'parent': 'VARCHAR',
    'is_leaf': 'BOOLEAN', 'description': 'VARCHAR', 'standard_unit': 'VARCHAR'});

-- name: fill_hs_sections(path)
-- Refill `hs_sections` from data/hs_sections.csv: the 21 HS sections with their chapter ranges.
INSERT INTO hs_sections
SELECT * FROM read_csv($path, header = true, columns = {
    'section': 'VARCHAR', 'number': 'TINYINT', 'name': 'VARCHAR', 'chapter_from': 'VARCHAR', 'chapter_to': 'VARCHAR'});

-- name: fill_qty_units(path)
-- Refill `qty_units` from data/qty_units.csv: Comtrade quantity unit codes.
INSERT INTO qty_units
SELECT * FROM read_csv($path, header = true, columns = {
    'code': 'VARCHAR', 'abbr': 'VARCHAR', 'description': 'VARCHAR'});

-- name: fill_exchange_rates(path)
-- Refill `exchange_rates` from data/exchange_rates.csv: one row per (currency, freq, period), cited.
INSERT INTO exchange_rates BY NAME
SELECT * FROM read_csv($path, header = true, columns = {
    'currency': 'VARCHAR', 'freq': 'VARCHAR', 'period': 'VARCHAR', 'year': 'SMALLINT', 'month': 'TINYINT',
    'per_usd': 'DOUBLE', 'published': 'DOUBLE', 'published_as': 'VARCHAR', 'source': 'VARCHAR',
    'source_url': 'VARCHAR'});

-- name: clear_reference
-- Empty the reference tables before a refill.
DELETE FROM countries;
DELETE FROM exchange_rates;
DELETE FROM hs_codes;
DELETE FROM hs_sections;
DELETE FROM qty_units;

-- name: clear_sanctions_reference
-- Empty the bundled sanctions and oil tables before a refill (users' own measures are kept).
DELETE FROM measures_bundled;
DELETE FROM caps;
DELETE FROM oil_products;
DELETE FROM oil_product_names;
DELETE FROM oil_factors;

-- name: fill_measures_bundled(path)
-- Refill the bundled sanctions register from data/sanctions/register.csv.
INSERT INTO measures_bundled BY NAME SELECT * FROM read_csv($path, header = true, all_varchar = false, columns = {
    'measure_id': 'VARCHAR', 'instrument': 'VARCHAR', 'paragraph': 'VARCHAR', 'adopted': 'DATE', 'effective': 'DATE',
    'direction': 'VARCHAR', 'target': 'VARCHAR', 'hs_codes': 'VARCHAR', 'hs_revision': 'VARCHAR', 'goods': 'VARCHAR',
    'exemptions': 'VARCHAR', 'source_url': 'VARCHAR', 'hs_verification': 'VARCHAR', 'wind_down_end': 'DATE',
    'in_force_to': 'DATE', 'exemption_effect': 'VARCHAR', 'unit_value_threshold_usd': 'DOUBLE', 'threshold_unit': 'VARCHAR',
    'citation': 'VARCHAR', 'verification': 'VARCHAR'});

-- name: fill_caps(path)
-- Refill the caps from data/sanctions/caps.csv.
INSERT INTO caps BY NAME SELECT * FROM read_csv($path, header = true, columns = {
    'cap_id': 'VARCHAR', 'measure_id': 'VARCHAR', 'product': 'VARCHAR', 'amount': 'DOUBLE', 'unit': 'VARCHAR',
    'first_period_start': 'DATE', 'first_period_end': 'DATE', 'repeats': 'VARCHAR', 'superseded_from': 'DATE',
    'note': 'VARCHAR', 'source_url': 'VARCHAR', 'citation': 'VARCHAR', 'verification': 'VARCHAR'});

-- name: fill_oil_products(path)
-- Refill the map of oil HS codes to products from data/oil/products.csv.
INSERT INTO oil_products SELECT * FROM read_csv($path, header = true, all_varchar = true);

-- name: fill_oil_product_names(path)
-- Refill the map of product names used by sources (diesel, jet ...) from data/oil/product_names.csv.
INSERT INTO oil_product_names SELECT * FROM read_csv($path, header = true, all_varchar = true);

-- name: fill_oil_factors(path)
-- Refill the barrels-per-tonne factors from data/oil/factors.csv.
INSERT INTO oil_factors BY NAME SELECT * FROM read_csv($path, header = true, columns = {
    'factor_set': 'VARCHAR', 'product': 'VARCHAR', 'bbl_per_tonne': 'DOUBLE', 'source': 'VARCHAR', 'source_url': 'VARCHAR',
    'edition': 'VARCHAR'});
