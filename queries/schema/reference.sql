-- name: fill_countries(path)
-- Refill `countries` from data/countries.csv (explicit types: codes stay text).
INSERT INTO countries
SELECT comtrade_code, iso3, iso2, m49, name, comtrade_name, is_country, valid_from_year, valid_to_year, note, aliases
FROM read_csv($path, header = true, columns = {
    'comtrade_code': 'VARCHAR', 'iso3': 'VARCHAR', 'iso2': 'VARCHAR', 'm49': 'VARCHAR', 'name': 'VARCHAR',
    'comtrade_name': 'VARCHAR', 'is_country': 'BOOLEAN', 'valid_from_year': 'SMALLINT',
    'valid_to_year': 'SMALLINT', 'note': 'VARCHAR', 'aliases': 'VARCHAR'});

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

-- name: clear_reference
-- Empty the reference tables before a refill.
DELETE FROM countries;
DELETE FROM hs_codes;
DELETE FROM hs_sections;
DELETE FROM qty_units;
