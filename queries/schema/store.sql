-- name: create_store
-- The store's tables. Idempotent: run on every read-write open.
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- One row per load: what was read, from where, and what it did to the store.
CREATE TABLE IF NOT EXISTS loads (
    load_id         INTEGER PRIMARY KEY,
    sha256          VARCHAR NOT NULL,
    file_name       VARCHAR NOT NULL,
    path            VARCHAR,
    format          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    release         VARCHAR NOT NULL,
    rows_read       BIGINT NOT NULL,
    rows_loaded     BIGINT NOT NULL,   -- accepted rows: new + revised + unchanged
    rows_rejected   BIGINT NOT NULL,
    rows_new        BIGINT NOT NULL,
    rows_revised    BIGINT NOT NULL,
    rows_unchanged  BIGINT NOT NULL,
    rows_breakdown  BIGINT NOT NULL,   -- Comtrade breakdown rows kept apart from totals
    rows_apart      BIGINT NOT NULL,   -- published figures that are not flows (shares, balances ...)
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    mirror_version  VARCHAR NOT NULL,
    options         VARCHAR            -- JSON: encoding, mapping, format override ...
);

-- Every reported figure, every version. A row is current while valid_to_load is NULL;
-- a later release that changes it closes it (valid_to_load) and adds the new version.
CREATE TABLE IF NOT EXISTS figures (
    figure_key      UHUGEINT NOT NULL,  -- md5 of the identifying columns: same flow, same key
    source          VARCHAR NOT NULL,   -- comtrade, baci, public-record, un1718, or the mapping's name
    release         VARCHAR NOT NULL,   -- the vintage this version was published in
    kind            VARCHAR NOT NULL,   -- reported (customs) | notified (to the UN) | estimated (analyst body)
    freq            VARCHAR NOT NULL,   -- A annual | M monthly | YTD January to month | P other span
    period          VARCHAR NOT NULL,   -- label as published: 2018, 2018-03, 2018-01..11
    year            SMALLINT NOT NULL,
    month           TINYINT,            -- M: the month; YTD: the last month covered
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    reporter_iso3   VARCHAR NOT NULL,
    reporter_code   VARCHAR,            -- the source's own code (Comtrade 842, BACI 842 ...)
    reporter_is_country BOOLEAN NOT NULL,
    partner_iso3    VARCHAR NOT NULL,
    partner_code    VARCHAR,
    partner_is_country  BOOLEAN NOT NULL, -- false for World, Areas nes, bunkers, free zones, groups
    flow            VARCHAR NOT NULL,   -- export | import | re-export | re-import | two-way (X+M as published)
    classification  VARCHAR,            -- HS revision H0..H6 where the source states it
    hs              VARCHAR NOT NULL,   -- zero-padded text; TOTAL; or a published group label
    hs_level        VARCHAR NOT NULL,   -- 2 | 4 | 6 | TOTAL | group
    product         VARCHAR,            -- a product the source names inside the code (diesel)
    value           DOUBLE,             -- in `currency`; never mixed across currencies
    currency        VARCHAR,
    valuation       VARCHAR,            -- CIF | FOB where known
    net_weight_kg   DOUBLE,
    quantity        DOUBLE,
    quantity_unit   VARCHAR,
    breakdown       VARCHAR,            -- NULL for a total; else what it breaks down (customs, mode, 2nd partner, flow)
    publisher       VARCHAR,            -- cited figures: who published it
    source_url      VARCHAR,
    quote           VARCHAR,
    series_id       VARCHAR,
    note            VARCHAR,
    load_id         INTEGER NOT NULL,
    source_row      BIGINT NOT NULL,    -- line in a text file (header = 1), record number in JSON
    valid_from_load INTEGER NOT NULL,
    valid_to_load   INTEGER
);
-- Comtrade's estimation flags (stores made before they were kept get the columns, empty).
-- Measures, not identity: they are not part of figure_key, so a weight that a later release
-- marks as measured instead of estimated is a revision of the same figure.
ALTER TABLE figures ADD COLUMN IF NOT EXISTS is_net_wgt_estimated BOOLEAN;   -- isNetWgtEstimated
ALTER TABLE figures ADD COLUMN IF NOT EXISTS is_qty_estimated BOOLEAN;       -- isQtyEstimated
ALTER TABLE figures ADD COLUMN IF NOT EXISTS is_alt_qty_estimated BOOLEAN;   -- isAltQtyEstimated
ALTER TABLE figures ADD COLUMN IF NOT EXISTS legacy_estimation_flag SMALLINT; -- legacyEstimationFlag (0 = none)
-- The flow's countries and code as numbers, made once at load for the mirror's integer keys
-- (pair_key: iso_num of an ISO3 code, queries/mirror/macros.sql; the HS code's digits), so that a
-- build reads three small integers per figure instead of making them from text every time (a
-- third of pairing a BACI year). NULL where not a country or not a numbered code, and in rows
-- loaded before they were kept (the build makes those from the text, as it did).
ALTER TABLE figures ADD COLUMN IF NOT EXISTS reporter_n SMALLINT;
ALTER TABLE figures ADD COLUMN IF NOT EXISTS partner_n SMALLINT;
ALTER TABLE figures ADD COLUMN IF NOT EXISTS hs_n INTEGER;

-- Published figures that are not flows (shares, balances, rates, vague periods): kept, counted,
-- shown by `status`, never used in flow arithmetic.
CREATE TABLE IF NOT EXISTS apart (
    figure_key      UHUGEINT NOT NULL,
    source          VARCHAR NOT NULL,
    release         VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    series_id       VARCHAR,
    reporter        VARCHAR,
    partner         VARCHAR,
    flow            VARCHAR,
    hs              VARCHAR,
    period          VARCHAR,
    value           DOUBLE,
    unit            VARCHAR,
    publisher       VARCHAR,
    source_url      VARCHAR,
    quote           VARCHAR,
    note            VARCHAR,
    load_id         INTEGER NOT NULL,
    source_row      BIGINT NOT NULL,
    valid_from_load INTEGER NOT NULL,
    valid_to_load   INTEGER
);

-- Rows a load refused, with why and how to fix them (only when the load allowed rejects).
CREATE TABLE IF NOT EXISTS rejects (
    load_id     INTEGER NOT NULL,
    file_name   VARCHAR NOT NULL,
    line        BIGINT,
    column_name VARCHAR,
    value       VARCHAR,
    reason      VARCHAR NOT NULL,
    fix         VARCHAR NOT NULL
);

-- Reference tables, refilled from data/ whenever the package's copy changes.
CREATE TABLE IF NOT EXISTS countries (
    comtrade_code   VARCHAR,
    iso3            VARCHAR NOT NULL,
    iso2            VARCHAR,
    m49             VARCHAR,
    name            VARCHAR NOT NULL,
    comtrade_name   VARCHAR,
    is_country      BOOLEAN NOT NULL,
    valid_from_year SMALLINT,
    valid_to_year   SMALLINT,
    note            VARCHAR,
    aliases         VARCHAR,
    comtrade_iso    VARCHAR,            -- Comtrade's own ISO field: S19 for 490, W00 World, X1 bunkers ...
    is_reporter     BOOLEAN             -- in Comtrade's reporter list (842 USA, not 840)
);
-- Stores made before these were kept get them at the next refill of the reference tables.
ALTER TABLE countries ADD COLUMN IF NOT EXISTS comtrade_iso VARCHAR;
ALTER TABLE countries ADD COLUMN IF NOT EXISTS is_reporter BOOLEAN;
CREATE TABLE IF NOT EXISTS hs_codes (
    classification  VARCHAR NOT NULL,
    hs              VARCHAR NOT NULL,
    level           TINYINT NOT NULL,
    parent          VARCHAR,
    is_leaf         BOOLEAN,
    description     VARCHAR,
    standard_unit   VARCHAR
);
CREATE TABLE IF NOT EXISTS hs_sections (
    section         VARCHAR NOT NULL,
    number          TINYINT NOT NULL,
    name            VARCHAR NOT NULL,
    chapter_from    VARCHAR NOT NULL,
    chapter_to      VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS qty_units (
    code            VARCHAR NOT NULL,
    abbr            VARCHAR NOT NULL,
    description     VARCHAR
);
-- Average exchange rates (data/exchange_rates.csv, cited per row): what turns a figure published in
-- CNY, KRW, THB ... into USD for comparisons. One row per (currency, freq, period).
CREATE TABLE IF NOT EXISTS exchange_rates (
    currency        VARCHAR NOT NULL,   -- ISO 4217
    freq            VARCHAR NOT NULL,   -- A annual average | M monthly average
    period          VARCHAR NOT NULL,   -- 2018 | 2024-06
    year            SMALLINT NOT NULL,
    month           TINYINT,
    per_usd         DOUBLE NOT NULL,    -- currency units per US dollar
    published       DOUBLE NOT NULL,    -- the rate as the source prints it
    published_as    VARCHAR NOT NULL,   -- units per USD | USD per unit (EUR, GBP, AUD at the Fed)
    source          VARCHAR NOT NULL,
    source_url      VARCHAR NOT NULL
);

-- name: create_views
-- Current totals: the figures every comparison reads. Breakdown rows never appear here.
CREATE OR REPLACE VIEW flows AS
SELECT * EXCLUDE (figure_key, valid_to_load)
FROM figures
WHERE valid_to_load IS NULL AND breakdown IS NULL;

-- One row per ISO3 code: the code in use today (Comtrade has several codes for some countries,
-- e.g. USA 840, 841, 842). Used where a file names countries by ISO3 or name only.
CREATE OR REPLACE VIEW country_by_iso3 AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY iso3
        ORDER BY valid_to_year IS NULL DESC, valid_from_year DESC NULLS LAST, comtrade_code) AS rn
    FROM countries
) WHERE rn = 1;

CREATE OR REPLACE VIEW breakdowns AS
SELECT * EXCLUDE (figure_key, valid_to_load)
FROM figures
WHERE valid_to_load IS NULL AND breakdown IS NOT NULL;

-- Every figure a later release replaced, beside its replacement.
CREATE OR REPLACE VIEW revisions AS
SELECT
    old.source, old.reporter_iso3, old.partner_iso3, old.flow, old.freq, old.period, old.hs, old.product,
    old.kind, old.publisher, old.currency,
    old.release        AS old_release,
    new.release        AS new_release,
    old.value          AS old_value,
    new.value          AS new_value,
    new.value - old.value AS value_change,
    old.net_weight_kg  AS old_net_weight_kg,
    new.net_weight_kg  AS new_net_weight_kg,
    old.quantity       AS old_quantity,
    new.quantity       AS new_quantity,
    new.load_id        AS revised_by_load
FROM figures AS old
JOIN figures AS new
  ON new.figure_key = old.figure_key AND new.valid_from_load = old.valid_to_load;

-- Every way a person or file may name a country, upper-cased, to its ISO3 code: ISO3, Comtrade
-- and M49 codes, names and aliases. A key that could mean two countries is left out.
CREATE OR REPLACE VIEW country_lookup AS
WITH keys AS (
    SELECT upper(iso3) AS key, iso3 FROM countries
    UNION SELECT comtrade_code, iso3 FROM countries WHERE comtrade_code IS NOT NULL
    UNION SELECT m49, iso3 FROM countries WHERE m49 IS NOT NULL
    UNION SELECT upper(name), iso3 FROM countries
    UNION SELECT upper(comtrade_name), iso3 FROM countries WHERE comtrade_name IS NOT NULL
    UNION SELECT upper(trim(a.alias)), iso3
          FROM countries, unnest(string_split(aliases, '|')) AS a(alias)
          WHERE aliases IS NOT NULL
)
SELECT key, min(iso3) AS iso3
FROM keys
WHERE key IS NOT NULL AND key <> ''
GROUP BY key
HAVING count(DISTINCT iso3) = 1;

-- name: create_sanctions_tables
-- The sanctions register, caps, oil product map and conversion factors (reference tables refilled
-- from data/), and users' own measures (kept across refills).
CREATE TABLE IF NOT EXISTS measures_bundled (
    measure_id VARCHAR NOT NULL, instrument VARCHAR NOT NULL, paragraph VARCHAR, adopted DATE, effective DATE NOT NULL,
    direction VARCHAR NOT NULL, target VARCHAR NOT NULL, hs_codes VARCHAR, hs_revision VARCHAR, goods VARCHAR,
    exemptions VARCHAR, source_url VARCHAR, hs_verification VARCHAR
);
CREATE TABLE IF NOT EXISTS measures_user (
    measure_id VARCHAR NOT NULL, instrument VARCHAR NOT NULL, paragraph VARCHAR, adopted DATE, effective DATE NOT NULL,
    direction VARCHAR NOT NULL, target VARCHAR NOT NULL, hs_codes VARCHAR, hs_revision VARCHAR, goods VARCHAR,
    exemptions VARCHAR, source_url VARCHAR, hs_verification VARCHAR, added_at TIMESTAMP, added_from VARCHAR
);
CREATE TABLE IF NOT EXISTS caps (
    cap_id VARCHAR NOT NULL, measure_id VARCHAR NOT NULL, product VARCHAR NOT NULL, amount DOUBLE NOT NULL,
    unit VARCHAR NOT NULL, first_period_start DATE NOT NULL, first_period_end DATE NOT NULL, repeats VARCHAR,
    superseded_from DATE, note VARCHAR, source_url VARCHAR
);
CREATE TABLE IF NOT EXISTS oil_products (hs VARCHAR, revision VARCHAR, product VARCHAR, label VARCHAR, note VARCHAR);
CREATE TABLE IF NOT EXISTS oil_product_names (name VARCHAR, product VARCHAR);
CREATE TABLE IF NOT EXISTS oil_factors (
    factor_set VARCHAR, product VARCHAR, bbl_per_tonne DOUBLE, source VARCHAR, source_url VARCHAR
);
-- Register columns added by issue 14 (a store made before gets them, then the refill fills them):
-- the wind-down end (contracts allowed until), the end of a measure replaced by another, whether an
-- exemption can make the trade lawful, a luxury ban's value threshold per unit, and for every
-- measure its citation and what was verified against which text. Appended with ALTER in fresh
-- stores too, so the column order is the same in both.
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS wind_down_end DATE;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS in_force_to DATE;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS exemption_effect VARCHAR;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS unit_value_threshold_usd DOUBLE;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS threshold_unit VARCHAR;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS citation VARCHAR;
ALTER TABLE measures_bundled ADD COLUMN IF NOT EXISTS verification VARCHAR;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS wind_down_end DATE;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS in_force_to DATE;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS exemption_effect VARCHAR;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS unit_value_threshold_usd DOUBLE;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS threshold_unit VARCHAR;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS citation VARCHAR;
ALTER TABLE measures_user ADD COLUMN IF NOT EXISTS verification VARCHAR;
-- 2375's crude freeze is each state's own previous-12-month amount: a cap with no single number.
ALTER TABLE caps ALTER COLUMN amount DROP NOT NULL;
ALTER TABLE caps ADD COLUMN IF NOT EXISTS citation VARCHAR;
ALTER TABLE caps ADD COLUMN IF NOT EXISTS verification VARCHAR;
ALTER TABLE oil_factors ADD COLUMN IF NOT EXISTS edition VARCHAR;
CREATE OR REPLACE VIEW measures AS
SELECT *, 'bundled' AS origin FROM measures_bundled
UNION ALL BY NAME
SELECT * EXCLUDE (added_at, added_from), 'user: ' || added_from AS origin FROM measures_user;

-- name: create_flags_table
-- Flags as computed on a given state of the store (data_version = the last load id), so that a
-- later refresh can say which flags are new and which disappeared.
CREATE TABLE IF NOT EXISTS flags (
    data_version INTEGER NOT NULL, releases VARCHAR, country VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL,
    detector VARCHAR NOT NULL, reporter VARCHAR, partner VARCHAR, flow VARCHAR, hs VARCHAR, unit VARCHAR,
    freq VARCHAR, period VARCHAR, statistic VARCHAR, score DOUBLE, threshold DOUBLE, p_value DOUBLE,
    severity VARCHAR, reason VARCHAR, explained_by VARCHAR, implied_missing DOUBLE, evidence VARCHAR
);
ALTER TABLE flags ADD COLUMN IF NOT EXISTS missing_data VARCHAR;  -- what the flag could not check (schema 2)
ALTER TABLE flags ADD COLUMN IF NOT EXISTS q_value DOUBLE;  -- Benjamini-Hochberg q-value of the flag's test

-- name: create_comtrade_fetches
-- Internal: what `refresh --comtrade` has fetched: one row per fetch set and dataset (reporter,
-- period, classification) at its publication date, written in the refresh's transaction, so the
-- next refresh asks only for datasets published since and a failed refresh asks again.
CREATE TABLE IF NOT EXISTS comtrade_fetches (
    fetch_set VARCHAR NOT NULL, method VARCHAR NOT NULL, freq VARCHAR NOT NULL, classification VARCHAR NOT NULL,
    reporter_code INTEGER NOT NULL, period VARCHAR NOT NULL, published_at TIMESTAMP NOT NULL,
    file_name VARCHAR, rows_fetched INTEGER NOT NULL, load_id INTEGER, fetched_at TIMESTAMP NOT NULL
);
