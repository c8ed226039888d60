"""The scheduled refresh: what is new in a drop folder and/or from the UN Comtrade API loaded, the
coverage rebuilt and the flags recomputed - all in one transaction, so the store is as before or
fully refreshed, never between - and what that batch changed.

API downloads go to a cache folder first, outside the transaction, so an interrupted refresh
resumes without downloading again (mirror/comtrade_api).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import load, sql
from .errors import LoadError, MirrorError, Problem
from .ingest import LoadOptions

if TYPE_CHECKING:
    from .comtrade_api.fetch import FetchResult
    from .store import Store

# Files in a drop folder that are not data: mappings, the public record's series table, BACI's code files.
_NOT_DATA = ("series.csv",)
_NOT_DATA_PREFIXES = ("country_codes_", "product_codes_", ".")
_DATA_SUFFIXES = (".csv", ".json", ".gz", ".tsv", ".txt")


def refresh_candidates(folder: Path) -> list[Path]:
    """The data files of a drop folder, in name order (releases named by date load oldest first)."""
    if not folder.is_dir():
        raise LoadError([Problem(str(folder), None, None, None, "not a folder", "give the drop folder's path")])
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in _DATA_SUFFIXES
                  and p.name not in _NOT_DATA and not p.name.startswith(_NOT_DATA_PREFIXES))


def refresh(store: Store, folder: str | Path | None = None, *, comtrade: bool | str | Path = False,
            cache: str | Path | None = None, release: str | None = None, allow_rejects: bool = False,
            country: str = "PRK", progress: load.ProgressCallback | None = None) -> dict:
    """Store.refresh documents the arguments and the summary returned."""
    from .countries import resolve
    from .detect import run

    store.require_writable("refresh")
    if folder is None and not comtrade:
        raise MirrorError("Nothing to refresh from. Fix: give a drop folder (--from DIR) and/or --comtrade.")
    files = refresh_candidates(Path(folder).expanduser()) if folder is not None else []  # "~/drop" as written
    iso3 = resolve(store.con, country)
    fetched = _fetch_comtrade(store, comtrade, cache, progress) if comtrade else None
    since = load.last_load_id(store.con)
    with store.transaction():
        report = load.load_files(store, files, LoadOptions(release=release), allow_rejects, progress)
        if fetched is not None:
            report += _load_fetched(store, fetched, allow_rejects, progress)
        loaded = [r["load_id"] for r in report if r["status"] == "loaded"]
        if loaded or fetched is not None:
            load.rebuild_coverage(store.con)  # an empty Comtrade reply is coverage too (published, no rows)
        if loaded:
            store.engine.invalidate()
            load.insert_flags(store.con, run(store, iso3, freq="A"), iso3, "A")
        load.mark_batch(store, report, since)
    load.verify_loads(store.con, loaded)
    store.engine.invalidate()
    files_frame = load.load_report(store.con, report) if report else pd.DataFrame()
    out = {"folder": str(folder) if folder is not None else None, "files_seen": len(report),
           "files_loaded": len(loaded), "files_skipped": len(report) - len(loaded), "since_load": since,
           "files": files_frame}
    if fetched is not None:
        out["comtrade"] = {"requests": fetched.stats.requests, "retries": fetched.stats.retries,
                           "empty_replies": len(fetched.stats.empty), "files": len(fetched.files),
                           "sets": pd.DataFrame(fetched.per_set)}
    return {**out, **changes(store, since=since, country=iso3)}


def changes(store: Store, since: int | None = None, country: str = "PRK", threshold: float = 0.0) -> dict:
    """Store.changes: revisions, new coverage and flags that appeared or disappeared since a load."""
    if since is None:
        batch = store.meta("last_batch_since")
        since = int(batch) if batch is not None else max(load.last_load_id(store.con) - 1, 0)
    return {"revisions": sql.frame(store.con, "changes_revisions", since=since, threshold=threshold),
            "coverage": sql.frame(store.con, "changes_coverage", since=since),
            "flags": sql.frame(store.con, "changes_flags", country=country)}


def _fetch_comtrade(store: Store, comtrade: bool | str | Path, cache: str | Path | None,
                    progress: load.ProgressCallback | None) -> FetchResult:
    from .comtrade_api import ComtradeClient, api_key, fetch, read_config
    from .paths import default_cache_dir

    codes = dict(sql.run(store.con, "comtrade_codes").fetchall())  # ISO3 -> Comtrade code
    config = read_config(None if comtrade is True else comtrade, known_iso3=set(codes))
    client = ComtradeClient(api_key(), config.api)
    folder = Path(cache) if cache else default_cache_dir() / "comtrade"
    return fetch(store.con, config, client, folder, codes,
                 (lambda m: progress("comtrade", m)) if progress else None)


def _load_fetched(store: Store, fetched: FetchResult, allow_rejects: bool,
                  progress: load.ProgressCallback | None) -> list[dict]:
    """Inside the refresh transaction: load the downloaded files (each as the release of its
    publication date) and record every dataset taken, so the next refresh skips them."""
    report: list[dict] = []
    load_of: dict[str, int] = {}
    for item in fetched.files:
        rows = load.load_files(store, [item.path], LoadOptions(release=item.release, source="comtrade"),
                               allow_rejects, progress)
        report += rows
        load_of[item.path.name] = rows[0]["load_id"]
    if fetched.log:
        read = sql.frame(store.con, "manifest").set_index("load_id").rows_read.to_dict()
        log = pd.DataFrame(fetched.log)
        log["load_id"] = log.file_name.map(load_of)
        log["rows_fetched"] = [int(read.get(lid, 0)) if pd.notna(lid) else 0 for lid in log.load_id]
        log["load_id"] = log.load_id.astype("Int64")
        store.con.register("new_fetches", log)
        try:
            sql.run(store.con, "insert_comtrade_fetches").fetchall()
        finally:
            store.con.unregister("new_fetches")
    return report
