"""The write path of a load: files -> staged rows (mirror/ingest) -> merged into `figures` -> one
manifest row per file, all inside one transaction; the bundled public record; rows already in
canonical form (simulated panels); the user's own sanctions measures; flags stored with the data
state they were computed on.

Every function here writes. Each takes the open, read-write Store and uses only its public
connection, transaction and meta methods. DuckDB 2.0 silently rolls back a transaction in which
a statement failed, even when COMMIT then "succeeds" (see store.py), so after every commit the
manifest is checked for the loads it should now hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from . import sql
from .errors import LoadError, Problem, StoreError
from .ingest import LoadOptions, RawInfo, StagedFile, options_json, problem_list, stage_file
from .paths import data_dir

if TYPE_CHECKING:
    from .store import Store

BUNDLED_FILE = Path("public_record") / "dprk_public_record.csv"
BUNDLED_RELEASE = "2026-11-22"  # when the public record in data/ was compiled
PIPELINE_ESTIMATE_FILE = Path("public_record") / "pipeline_crude_estimate.csv"

ProgressCallback = Callable[[str, str], None]  # (file name, step)

# The literals of stage_canonical (queries/ingest/canonical.sql): one value for every row, kept once.
CANONICAL_CONSTANTS = ("kind", "month", "product", "currency", "breakdown", "publisher", "source_url", "quote",
                       "series_id", "note", "is_net_wgt_estimated", "is_qty_estimated", "is_alt_qty_estimated",
                       "legacy_estimation_flag", "apart_reason", "net_weight_text", "quantity_text", "unit_text")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(store: Store, paths: str | Path | Iterable[str | Path], options: LoadOptions, *,
         allow_rejects: bool = False, progress: ProgressCallback | None = None) -> pd.DataFrame:
    """Load files into the store, all or nothing (Store.load documents the arguments)."""
    store.require_writable("load data")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    since = last_load_id(store.con)
    with store.transaction():
        sql.script(store.con, "coverage_touch_start")
        report = load_files(store, paths, options, allow_rejects, progress)
        if any(r["status"] == "loaded" for r in report):
            update_coverage(store.con)
        mark_batch(store, report, since)
    verify_loads(store.con, [r["load_id"] for r in report if r["status"] == "loaded"])
    store.engine.invalidate()
    return load_report(store.con, report)


def load_files(store: Store, paths: Iterable[str | Path], options: LoadOptions, allow_rejects: bool,
               progress: ProgressCallback | None) -> list[dict]:
    """The body of a load, inside a transaction the caller opened (load, refresh): one report
    row per file, 'loaded' with its new load_id or 'skipped' when its exact bytes were loaded."""
    con = store.con
    report = []
    next_id = sql.scalar(con, "next_load_id")
    seen: dict[str, int] = {}
    note = progress or (lambda _f, _s: None)
    for raw_path in paths:
        path = Path(raw_path)
        note(path.name, "checking")
        digest = sha256_of(path) if path.is_file() else ""
        earlier = sql.run(con, "load_by_sha", sha256=digest).fetchall() if digest else []
        if earlier or digest in seen:
            first = earlier[0][0] if earlier else seen[digest]
            report.append({"file_name": path.name, "status": "skipped", "load_id": first,
                           "note": f"same bytes as load {first}: nothing to do"})
            note(path.name, "skipped")
            continue
        started = _now()
        note(path.name, "reading")
        staged = stage_file(con, path, options)
        if staged.problems and not allow_rejects:
            problems, total = problem_list(con, staged)
            raise LoadError(problems, total=total, hint=(
                "Nothing was loaded. To load the valid rows and keep the refused ones in the table "
                "`rejects`, run again with --allow-rejects (Python: allow_rejects=True)."))
        note(path.name, "merging")
        merge(con, next_id, staged, digest, started, options_json(options, staged))
        seen[digest] = next_id
        report.append({"file_name": path.name, "status": "loaded", "load_id": next_id,
                       "note": "; ".join(staged.info.extra.get("notes", []))})  # e.g. an encoding detected
        next_id += 1
        note(path.name, "done")
    return report


def merge(con: duckdb.DuckDBPyConnection, load_id: int, staged: StagedFile, digest: str, started: datetime,
          options: str) -> None:
    """Merge the staged rows into figures (new / revised / unchanged) and write the manifest row."""
    sql.run(con, "accept_rows").fetchall()
    year_from, year_to = sql.run(con, "accepted_years").fetchone()
    sql.run(con, "plan_merge", year_from=year_from, year_to=year_to).fetchall()
    sql.script(con, "coverage_touch_plan")  # the reporter-periods whose coverage update_coverage recomputes
    counts = dict(zip(("rows_new", "rows_revised", "rows_unchanged", "rows_breakdown", "rows_apart"),
                      sql.run(con, "plan_counts").fetchall()[0], strict=True))
    sql.run(con, "close_revised", load_id=load_id, year_from=year_from, year_to=year_to).fetchall()
    sql.run(con, "close_revised_apart", load_id=load_id).fetchall()
    every = counts["rows_unchanged"] == 0 and counts["rows_apart"] == 0  # every accepted row is a new version
    sql.script(con, "define_new_figures")
    sql.run(con, "insert_every_figure" if every else "insert_figures", load_id=load_id).fetchall()
    if not every:
        sql.run(con, "insert_apart", load_id=load_id).fetchall()
    if staged.problems:
        sql.run(con, "insert_rejects", load_id=load_id, file_name=staged.path.name).fetchall()
    sql.run(con, "insert_load", load_id=load_id, sha256=digest, file_name=staged.path.name,
            path=str(staged.path.resolve()) if staged.path.exists() else None, format=staged.format,
            source=staged.source, release=staged.release, rows_read=staged.rows_read,
            rows_rejected=staged.problems, started_at=started.isoformat(), finished_at=_now().isoformat(),
            options=options, **counts).fetchall()


def verify_loads(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> None:
    """After COMMIT: the manifest holds every load of the call, or the commit silently failed."""
    if not load_ids:
        return
    found = sql.scalar(con, "count_loads", ids=load_ids)
    if found != len(load_ids):
        raise StoreError(f"The load did not commit (expected {len(load_ids)} manifest rows, found {found}); "
                         "the store is as it was before. Fix: run the load again; if it repeats, report it.")


def load_report(con: duckdb.DuckDBPyConnection, report: list[dict]) -> pd.DataFrame:
    """One row per file: its manifest row when loaded; ``attrs["loaded"]`` the new load ids."""
    ids = [r["load_id"] for r in report if r["status"] == "loaded"]
    manifest = sql.frame(con, "manifest").set_index("load_id")
    rows = []
    for r in report:
        row = dict(r)
        if r["status"] == "loaded":
            row.update(manifest.loc[r["load_id"]].to_dict())
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["loaded"] = ids
    return frame


def rebuild_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """Derive what each reporter published (queries/coverage) from every current figure and
    listing, inside the caller's transaction (a refresh, which may record listings without rows;
    a store written before the coverage model)."""
    sql.script(con, "coverage_touch_everything")
    _recompute_coverage(con, everything=True)


def update_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """Bring coverage up to date after a load, inside its transaction: only the reporter-periods
    its merges touched (cov_touched) are recomputed, and every period of a reporter whose partner
    set changed, so that loading year 30 of a store costs what loading year 1 did. A store whose
    coverage cells were never kept is rebuilt whole once."""
    if sql.scalar(con, "coverage_cells_empty"):
        rebuild_coverage(con)
    else:
        _recompute_coverage(con, everything=False)


def _recompute_coverage(con: duckdb.DuckDBPyConnection, everything: bool) -> None:
    year_from, year_to = sql.run(con, "coverage_touched_years").fetchall()[0]
    sql.script(con, "coverage_forget_cells")
    sql.run(con, "coverage_insert_cells", year_from=year_from or 0, year_to=year_to or -1).fetchall()
    sql.script(con, "coverage_scope")
    if everything:
        sql.script(con, "coverage_scope_listings")  # periods that only a listing covers
    sql.script(con, "coverage_recompute_rows")


def last_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return sql.scalar(con, "last_load_id")


def mark_batch(store: Store, report: list[dict], since: int) -> None:
    """Remember where the last load or refresh that loaded something started, so that "what
    changed" means what that whole batch changed (a refresh loads many files at once)."""
    if any(r["status"] == "loaded" for r in report):
        store.set_meta("last_batch_since", str(since))


def load_bundled(store: Store) -> pd.DataFrame:
    """Load the bundled, cited DPRK public record (data/public_record/) and, as a separate source
    of kind 'estimated', the industry estimate of China's unrecorded pipeline crude. Idempotent."""
    since = last_load_id(store.con)
    record = load(store, data_dir() / BUNDLED_FILE, LoadOptions(format="public-record", release=BUNDLED_RELEASE))
    pipeline = load(store, data_dir() / PIPELINE_ESTIMATE_FILE,
                    LoadOptions(format="public-record", release=BUNDLED_RELEASE, source="pipeline-estimate"))
    with store.transaction():
        store.set_meta("bundled_load", str(int(record["load_id"].iloc[0])))
        if (record.status == "loaded").any() or (pipeline.status == "loaded").any():
            store.set_meta("last_batch_since", str(since))  # the two files are one batch
    return pd.concat([record, pipeline], ignore_index=True)


def insert_canonical(store: Store, rows: pd.DataFrame | str | Path | Iterable[str | Path], *, source: str,
                     release: str, label: str) -> pd.DataFrame:
    """Load rows already in canonical form (simulated panels) through the same checks, merge and
    manifest as a file load, without a file. ``rows``: a DataFrame, or Parquet file(s) that DuckDB
    reads itself (no pandas copy: a 10M-flow year goes in within bounded memory). Columns:
    source_row, freq, period, year, reporter_iso3, reporter_code, partner_iso3, partner_code, flow,
    classification, hs, hs_level, value, valuation, net_weight_kg. Idempotent: the same rows (the
    same Parquet bytes) under the same label again are skipped."""
    from .ingest.base import run_staging, stage_keys

    store.require_writable("insert simulated rows")
    con = store.con
    if isinstance(rows, pd.DataFrame):
        relation = rows
        digest = hashlib.sha256(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes()
                                + label.encode()).hexdigest()
    else:
        paths = [Path(rows)] if isinstance(rows, (str, Path)) else [Path(p) for p in rows]
        relation = con.read_parquet([str(p) for p in paths])
        digest = hashlib.sha256("".join(sha256_of(p) for p in paths).encode() + label.encode()).hexdigest()
    earlier = sql.run(con, "load_by_sha", sha256=digest).fetchall()
    if earlier:
        return pd.DataFrame([{"file_name": label, "status": "skipped", "load_id": earlier[0][0],
                              "note": f"same rows as load {earlier[0][0]}: nothing to do"}])
    started = _now()
    con.register("canonical_rows", relation)
    try:
        with store.transaction():
            sql.script(con, "coverage_touch_start")
            load_id = sql.scalar(con, "next_load_id")
            run_staging(con, "stage_canonical", {"source": source, "release": release})
            stage_keys(con, CANONICAL_CONSTANTS)
            sql.script(con, "stage_problems")
            problems = sql.scalar(con, "count_problems")
            count = int(sql.scalar(con, "staged_count"))
            info = RawInfo("simulated", None, count, extra={"row_unit": "row"})  # the caller's source_row, not a line
            staged = StagedFile(Path(label), "simulated", source, release, count, problems, info)
            if problems:
                found, total = problem_list(con, staged)
                raise LoadError(found, total=total)
            merge(con, load_id, staged, digest, started, json.dumps({"label": label}))
            update_coverage(con)
            mark_batch(store, [{"status": "loaded"}], load_id - 1)
    finally:
        con.unregister("canonical_rows")
    verify_loads(con, [load_id])
    store.engine.invalidate()
    return load_report(con, [{"file_name": label, "status": "loaded", "load_id": load_id, "note": ""}])


def add_measures(store: Store, path: str | Path) -> None:
    """Add the user's own measures from a CSV with the register's columns. All or nothing."""
    store.require_writable("add measures")
    path = Path(path)
    if not path.is_file():
        raise LoadError([Problem(str(path), None, None, None, "no such file", "check the path")])
    with store.transaction():
        try:
            sql.run(store.con, "add_user_measures", path=str(path), added_from=path.name).fetchall()
        except duckdb.Error as err:
            raise LoadError([Problem(str(path), None, None, None, f"not a measures table ({str(err).splitlines()[0]})",
                                     "use the columns of data/sanctions/register.csv, dates as YYYY-MM-DD")]) from None
        bad = sql.frame(store.con, "user_measure_problems")
        if len(bad):
            raise LoadError([Problem(str(path), None, r.field, r.value, f"measure {r.measure_id}: {r.reason}",
                                     "correct the row and add the file again") for r in bad.itertuples()])


def store_flags(store: Store, flags: pd.DataFrame, country: str, freq: str) -> None:
    """Store a run's flags in their own transaction."""
    with store.transaction():
        insert_flags(store.con, flags, country, freq)


def insert_flags(con: duckdb.DuckDBPyConnection, flags: pd.DataFrame, country: str, freq: str) -> None:
    """Store flags with the data state they were computed on (inside the caller's transaction),
    replacing the flags of an earlier run on the same country and frequency."""
    version, releases = sql.run(con, "data_version").fetchall()[0]
    con.register("new_flags", flags)
    try:
        sql.run(con, "replace_flags", data_version=version, country=country, freq=freq).fetchall()
        sql.run(con, "insert_flags", data_version=version, releases=releases, country=country).fetchall()
    finally:
        con.unregister("new_flags")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
