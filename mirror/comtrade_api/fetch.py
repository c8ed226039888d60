"""Fetch what was published since the last refresh, into the download cache. Writes no store.

For each fetch set and frequency: ask the bulk-availability listing for the datasets (reporter x
period x classification) published since the set's last publication date, drop those already
taken, and fetch the rest - whole files for a bulk set, partner-filtered data for a partner set.
Every download lands in the cache under a name that carries its publication date, so a refresh
killed half-way resumes where it stopped: what is in the cache is not asked for again. The store
learns about the fetch only when Store.refresh loads the files, in one transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from .. import export, sql
from ..errors import ApiError
from .client import CallStats, ComtradeClient
from .config import FetchConfig, FetchSet

Progress = Callable[[str], None]


@dataclass
class Fetched:
    """One file to load, with the release it belongs to (its publication date)."""

    path: Path
    release: str
    fetch_set: str


@dataclass
class FetchResult:
    files: list[Fetched] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)  # rows for comtrade_fetches (load_id filled at load)
    per_set: list[dict] = field(default_factory=list)
    stats: CallStats = field(default_factory=CallStats)


def fetch(con: duckdb.DuckDBPyConnection, config: FetchConfig, client: ComtradeClient, cache: Path,
          codes: dict[str, int], progress: Progress | None = None) -> FetchResult:
    """``codes``: ISO3 -> Comtrade code (query comtrade_codes), for the sets' countries."""
    note = progress or (lambda _m: None)
    result = FetchResult(stats=client.stats)
    for fetch_set in config.sets:
        for freq in fetch_set.freq:
            seen = sql.run(con, "comtrade_seen", fetch_set=fetch_set.name, freq=freq).fetchall()
            done = {(r, p, c, pub) for r, p, c, pub in seen}
            watermark = max((pub for *_, pub in seen), default=None)
            reporters = None if fetch_set.reporters is None else ",".join(str(codes[r]) for r in fetch_set.reporters)
            note(f"{fetch_set.name} {freq}: asking what was published since {watermark[:10] if watermark else 'the start'}")
            listing = client.bulk_availability(freq, fetch_set.classification, reporters,
                                               watermark[:10] if watermark else None)
            new = _new_datasets(listing, fetch_set, done)
            before = len(result.files)
            if fetch_set.method == "bulk":
                _fetch_bulk(client, fetch_set, freq, new, cache / fetch_set.name, result, note)
            else:
                _fetch_partner(client, fetch_set, freq, new, codes, cache / fetch_set.name, result, note)
            result.per_set.append({"fetch_set": fetch_set.name, "freq": freq, "published_since": watermark,
                                   "datasets_listed": len(listing), "datasets_new": len(new),
                                   "files": len(result.files) - before})
    result.files.sort(key=lambda f: (f.release, f.path.name))  # older publications load first
    return result


def _new_datasets(listing: pd.DataFrame, fetch_set: FetchSet, done: set) -> pd.DataFrame:
    """The listing's datasets in the set's years that this set has not taken at this publication date."""
    if listing.empty:
        return pd.DataFrame(columns=["reporter_code", "period", "classification", "published"])
    out = pd.DataFrame({
        "reporter_code": pd.to_numeric(listing["reporterCode"], errors="coerce"),
        "period": listing["period"].astype(str),
        "classification": listing.get("classificationCode", pd.Series(fetch_set.classification, index=listing.index))
        .fillna(fetch_set.classification).astype(str),
        "published": pd.to_datetime(listing["publicationDate"], errors="coerce", utc=True)
        .dt.strftime("%Y-%m-%dT%H:%M:%S"),
    })
    broken = out[out.reporter_code.isna() | out.published.isna()]
    if len(broken):
        raise ApiError(f"The availability listing has a dataset without a reporter code or publication date: "
                       f"{listing.loc[broken.index[0]].to_dict()}. Fix: try again later; if it repeats, report it.",
                       retryable=False)
    out["reporter_code"] = out.reporter_code.astype(int)
    out = out[out.period.str[:4].astype(int) >= fetch_set.first_year]
    keys = list(zip(out.reporter_code, out.period, out.classification, out.published, strict=True))
    return out[[k not in done for k in keys]].sort_values(["period", "reporter_code", "published"])


def _fetch_bulk(client: ComtradeClient, fetch_set: FetchSet, freq: str, new: pd.DataFrame, folder: Path,
                result: FetchResult, note: Progress) -> None:
    for row in new.itertuples(index=False):
        day = row.published[:10]
        name = f"COMTRADE-FINAL-C{freq}{row.reporter_code:03d}{row.period}{row.classification}[{day}].gz"
        cached = folder / name
        if cached.is_file():
            paths = [cached]
            note(f"{name}: in the cache from an earlier, interrupted refresh")
        else:
            note(f"{name}: downloading")
            paths = client.bulk_file(folder, freq, fetch_set.classification, row.reporter_code, row.period, day)
        for path in paths:  # a day's download may hold several classifications' files
            if not any(f.path == path for f in result.files):
                result.files.append(Fetched(path, day, fetch_set.name))
        result.log.append(_log_row(fetch_set, freq, row, name, None))


def _fetch_partner(client: ComtradeClient, fetch_set: FetchSet, freq: str, new: pd.DataFrame,
                   codes: dict[str, int], folder: Path, result: FetchResult, note: Progress) -> None:
    if new.empty:
        return
    folder.mkdir(parents=True, exist_ok=True)
    partners = ",".join(str(codes[p]) for p in fetch_set.partners)
    # One dataset per reporter and period: the latest publication across classifications.
    latest = new.sort_values("published").groupby(["period", "reporter_code"], as_index=False).last()
    for period, group in latest.groupby("period", sort=True):
        wanted: dict[int, tuple[Path, str]] = {}
        for row in group.itertuples(index=False):
            stem = f"FINAL-{fetch_set.name}-C{freq}{row.reporter_code:03d}{period}HS[{row.published[:10]}]"
            wanted[row.reporter_code] = (folder / f"{stem}.json", row.published[:10])
        to_ask = [code for code, (path, _) in wanted.items()
                  if not path.is_file() and not path.with_suffix(".empty").is_file()]
        if to_ask:
            note(f"{fetch_set.name} {freq} {period}: asking {len(to_ask)} reporter(s)")
            frame = _partner_data(client, fetch_set, freq, str(period), to_ask, list(fetch_set.flows), partners)
            for code in to_ask:
                path, _ = wanted[code]
                rows = frame[pd.to_numeric(frame["reporterCode"]) == code] if len(frame) else frame
                _write_reply(rows, path) if len(rows) else _touch(path.with_suffix(".empty"))
        for row in group.itertuples(index=False):
            path, day = wanted[row.reporter_code]
            has_rows = path.is_file()
            if has_rows:
                result.files.append(Fetched(path, day, fetch_set.name))
            result.log.append(_log_row(fetch_set, freq, row, path.name if has_rows else None,
                                       None if has_rows else 0))
    # The other classifications of the same reporter and period are recorded as taken too.
    taken = set(zip(latest.reporter_code, latest.period, latest.published, strict=True))
    for row in new.itertuples(index=False):
        if (row.reporter_code, row.period, row.published) not in taken:
            result.log.append(_log_row(fetch_set, freq, row, None, 0))


def _partner_data(client: ComtradeClient, fetch_set: FetchSet, freq: str, period: str, reporters: list[int],
                  flows: list[str], partners: str) -> pd.DataFrame:
    """The data API's reply, split into smaller requests while a reply comes back full (it holds
    at most max_records rows and says nothing when it cut the rest)."""
    frame = client.final_data(freq, fetch_set.classification, period, ",".join(map(str, reporters)), partners,
                              ",".join(flows), ",".join(fetch_set.commodities))
    if len(frame) < client.settings.max_records:
        return frame
    if len(reporters) > 1:
        half = len(reporters) // 2
        parts = [reporters[:half], reporters[half:]]
        return pd.concat([_partner_data(client, fetch_set, freq, period, p, flows, partners) for p in parts],
                         ignore_index=True)
    if len(flows) > 1:
        return pd.concat([_partner_data(client, fetch_set, freq, period, reporters, [f], partners) for f in flows],
                         ignore_index=True)
    raise ApiError(f"The Comtrade data API reply for reporter {reporters[0]}, period {period}, flow {flows[0]} "
                   f"(set {fetch_set.name!r}) is full ({len(frame):,} rows = max_records) even for one reporter and "
                   "one flow, so rows would be missing. Fix: raise [api] max_records if your key allows it, narrow "
                   "the set's commodities (e.g. chapters instead of AG6), or use method = \"bulk\".", retryable=False)


def _write_reply(rows: pd.DataFrame, path: Path) -> None:
    """Save rows in the API's own JSON layout, sorted so that the same data give the same bytes
    (a re-fetch of unchanged data is then skipped by its sha256). Written atomically."""
    order = [c for c in ("flowCode", "partnerCode", "cmdCode", "partner2Code", "customsCode", "motCode")
             if c in rows.columns]
    rows = rows.sort_values(order, kind="stable") if order else rows
    records = export.records(rows)  # plain JSON types: NaN -> null, numpy scalars -> numbers
    body = {"elapsedTime": "saved by trade-mirror from getFinalData", "count": len(records), "data": records,
            "error": ""}
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(body, indent=0, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def _touch(path: Path) -> None:
    path.write_text("the API returned no rows for this dataset and fetch set\n", encoding="utf-8")


def _log_row(fetch_set: FetchSet, freq: str, row: object, file_name: str | None, rows: int | None) -> dict:
    return {"fetch_set": fetch_set.name, "method": fetch_set.method, "freq": freq,
            "classification": row.classification, "reporter_code": int(row.reporter_code), "period": str(row.period),
            "published_at": row.published, "file_name": file_name, "rows_fetched": rows, "load_id": None,
            # what the dataset covered: the coverage model reads an empty reply as "published, nothing"
            "partners": ",".join(fetch_set.partners) if fetch_set.method == "partner" else None,
            "flows": ",".join(fetch_set.flows) if fetch_set.method == "partner" else None,
            "fetched_at": datetime.now(UTC).replace(tzinfo=None).isoformat()}
