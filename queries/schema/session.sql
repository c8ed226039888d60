-- name: meta_value(key)
-- Internal: the store's meta value for one key (schema_version, reference_sha, bundled_load ...).
SELECT value FROM meta WHERE key = $key;

-- name: set_meta(key, value)
-- Internal: set one meta value.
INSERT OR REPLACE INTO meta VALUES ($key, $value);

-- name: begin_transaction
-- Internal: open the one transaction of a load, refresh or flag run (store.py's Transaction).
BEGIN TRANSACTION;

-- name: commit_transaction
-- Internal: commit it (the caller then checks the manifest: DuckDB may have rolled back silently).
COMMIT;

-- name: rollback_transaction
-- Internal: roll it back explicitly after any error.
ROLLBACK;

-- name: checkpoint
-- Internal: write the WAL into the file before a working copy is renamed over the store.
CHECKPOINT;

-- name: hide_progress_bar
-- Internal: a library must not draw DuckDB's progress bar on the terminal.
SET enable_progress_bar = false;

-- name: hide_progress_bar_print
-- Internal: in Jupyter without ipywidgets DuckDB refuses the setting above; stop only the printing.
SET enable_progress_bar_print = false;

-- name: count_loads(ids)
-- Internal: how many of these load ids the manifest holds (checked after every commit).
SELECT count(*) FROM loads WHERE list_contains($ids, load_id);

-- name: count_problems
-- Internal: the staged rows the loader's checks refused (temp table problems, queries/staging).
SELECT count(*) FROM problems;

-- name: data_state
-- Internal: loads so far and the last load id: the engine rebuilds its layers when this changes.
SELECT count(*), max(load_id) FROM loads;
