-- name: build_cache_state
-- Internal: what identifies the store's data for a kept build (mirror/build_cache.py): the loads so
-- far, the last load's id, and its file's hash and finish time (a store replaced by another file with
-- as many loads is not the same data). One row.
SELECT count(*), max(load_id), max_by(sha256 || '@' || CAST(finished_at AS VARCHAR), load_id) FROM loads;

-- name: attach_build_cache_write(path)
-- Internal: a new build cache file, written under a temporary name (the engine renames it when whole);
-- writable even when the store is open read only (an attached file would be read only by default).
ATTACH $path AS mirror_cache_write (READ_WRITE);

-- name: write_build_cache
-- Internal: the tables a built mirror's views and faces read (mp_pairs, mp_final, mp_reconciled,
-- queries/mirror/faces.sql), copied into the attached cache file, and mp_model, the description of
-- the build's gravity margin model (the registered mp_model_df: no rows where none was fitted); its
-- scratch tables (the last chunk's mp_resolved, the fits' working tables) are not kept. Detached
-- when written.
CREATE TABLE mirror_cache_write.mp_level AS SELECT * FROM temp.mp_level;
CREATE TABLE mirror_cache_write.mp_base AS SELECT * FROM temp.mp_base;
CREATE TABLE mirror_cache_write.mp_prov AS SELECT * FROM temp.mp_prov;
CREATE TABLE mirror_cache_write.mp_hk AS SELECT * FROM temp.mp_hk;
CREATE TABLE mirror_cache_write.mp_cif_pairs AS SELECT * FROM temp.mp_cif_pairs;
CREATE TABLE mirror_cache_write.mp_params AS SELECT * FROM temp.mp_params;
CREATE TABLE mirror_cache_write.rel_country AS SELECT * FROM temp.rel_country;
CREATE TABLE mirror_cache_write.mp_sigma AS SELECT * FROM temp.mp_sigma;
CREATE TABLE mirror_cache_write.mp_interval AS SELECT * FROM temp.mp_interval;
CREATE TABLE mirror_cache_write.mp_bias AS SELECT * FROM temp.mp_bias;
CREATE TABLE mirror_cache_write.mp_model AS SELECT * FROM mp_model_df;
DETACH mirror_cache_write;

-- name: detach_build_cache_write
-- Internal: give up a cache file being written (an error, a full disk): the engine deletes it.
DETACH DATABASE IF EXISTS mirror_cache_write;

-- name: attach_build_cache_read(path)
-- Internal: a kept build, read only.
ATTACH $path AS mirror_cache_read (READ_ONLY);

-- name: drop_built_mirror_tables
-- Internal: the tables of a build made on this connection, before a kept one takes their names.
DROP TABLE IF EXISTS mp_level;
DROP TABLE IF EXISTS mp_base;
DROP TABLE IF EXISTS mp_prov;
DROP TABLE IF EXISTS mp_hk;
DROP TABLE IF EXISTS mp_cif_pairs;
DROP TABLE IF EXISTS mp_params;
DROP TABLE IF EXISTS rel_country;
DROP TABLE IF EXISTS mp_sigma;
DROP TABLE IF EXISTS mp_interval;
DROP TABLE IF EXISTS mp_bias;

-- name: restore_build_cache
-- Internal: a kept build's tables under the names the build gives them (temp views over the attached
-- file; the engine then defines mp_pairs, mp_final and mp_reconciled over them as a build does).
CREATE TEMP VIEW mp_level AS SELECT * FROM mirror_cache_read.mp_level;
CREATE TEMP VIEW mp_base AS SELECT * FROM mirror_cache_read.mp_base;
CREATE TEMP VIEW mp_prov AS SELECT * FROM mirror_cache_read.mp_prov;
CREATE TEMP VIEW mp_hk AS SELECT * FROM mirror_cache_read.mp_hk;
CREATE TEMP VIEW mp_cif_pairs AS SELECT * FROM mirror_cache_read.mp_cif_pairs;
CREATE TEMP VIEW mp_params AS SELECT * FROM mirror_cache_read.mp_params;
CREATE TEMP VIEW rel_country AS SELECT * FROM mirror_cache_read.rel_country;
CREATE TEMP VIEW mp_sigma AS SELECT * FROM mirror_cache_read.mp_sigma;
CREATE TEMP VIEW mp_interval AS SELECT * FROM mirror_cache_read.mp_interval;
CREATE TEMP VIEW mp_bias AS SELECT * FROM mirror_cache_read.mp_bias;

-- name: build_cache_model
-- Internal: the gravity margin model's description kept with the build read now (term, coef,
-- std_error, t, p_value, kind; no rows: no model was fitted), in the order it was written.
SELECT * FROM mirror_cache_read.mp_model ORDER BY rowid;

-- name: release_build_cache
-- Internal: the views over a kept build dropped and its file detached, before a build on this
-- connection creates its own tables under those names.
DROP VIEW IF EXISTS mp_level;
DROP VIEW IF EXISTS mp_base;
DROP VIEW IF EXISTS mp_prov;
DROP VIEW IF EXISTS mp_hk;
DROP VIEW IF EXISTS mp_cif_pairs;
DROP VIEW IF EXISTS mp_params;
DROP VIEW IF EXISTS rel_country;
DROP VIEW IF EXISTS mp_sigma;
DROP VIEW IF EXISTS mp_interval;
DROP VIEW IF EXISTS mp_bias;
DETACH DATABASE IF EXISTS mirror_cache_read;
