"""The official UN Comtrade client (comtradeapicall), wrapped so that every failure is an error.

comtradeapicall prints the reply of a failed request and returns None, and returns an empty
DataFrame for a request that matched nothing; its bulk download writes whatever the server sent
(an error page included) to the .gz file. This wrapper captures what the client prints, reads
the API's error reply (``{"statusCode": 429, "message": "Rate limit is exceeded..."}``),
retries what a later attempt can fix (rate limits, outages, network errors) with a doubling
wait, and raises ApiError for the rest, naming the request, the reply and the fix.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ApiError, OptionError
from .config import ApiSettings

KEY_VARIABLE = "COMTRADE_API_KEY"
_RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


def load_client():
    try:
        import comtradeapicall
    except ImportError:
        raise OptionError("The Comtrade API needs the optional client. Fix: pip install 'trade-mirror[comtrade]' "
                          "(it installs comtradeapicall), or download files by hand and use "
                          "`trade-mirror refresh --from DIR`.") from None
    return comtradeapicall


def api_key(environ: dict | None = None) -> str:
    key = (environ if environ is not None else os.environ).get(KEY_VARIABLE, "").strip()
    if not key:
        raise OptionError(f"No Comtrade API key: {KEY_VARIABLE} is not set. Fix: get a subscription key at "
                          f"https://comtradedeveloper.un.org and export {KEY_VARIABLE}=<your key> "
                          "(in a cron job or systemd unit, set it in the job's environment).")
    return key


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    empty: list[str] = field(default_factory=list)


class ComtradeClient:
    """The three calls a refresh makes, each retried and checked."""

    def __init__(self, key: str, settings: ApiSettings, *, client: object | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.key = key
        self.settings = settings
        self.client = client or load_client()
        self.sleep = sleep
        self.stats = CallStats()

    # -- the calls ---------------------------------------------------------------------------
    def bulk_availability(self, freq: str, classification: str, reporters: str | None,
                          published_from: str | None) -> pd.DataFrame:
        """The datasets published since ``published_from`` (YYYY-MM-DD): one row per reporter,
        period and classification with its publicationDate (getFinalDataBulkAvailability)."""
        what = f"getFinalDataBulkAvailability(C, {freq}, {classification}, reporters={reporters or 'all'}, " \
               f"publishedDateFrom={published_from or 'none'})"
        frame = self._call(what, self.client.getFinalDataBulkAvailability, self.key, "C", freq, classification,
                           None, reporters, publishedDateFrom=published_from)
        if frame.empty:
            return pd.DataFrame(columns=["reporterCode", "period", "classificationCode", "publicationDate"])
        missing = {"reporterCode", "period", "publicationDate"} - set(frame.columns)
        if missing:
            raise ApiError(f"{what}: the reply lacks the fields {sorted(missing)}; the API's format may have "
                           "changed. Fix: update comtradeapicall and trade-mirror.", retryable=False)
        return frame

    def final_data(self, freq: str, classification: str, period: str, reporters: str | None, partners: str | None,
                   flows: str, commodities: str) -> pd.DataFrame:
        """Totals (no customs, transport or second-partner breakdowns) of the given flows."""
        what = (f"getFinalData(C, {freq}, {classification}, period={period}, reporters={reporters or 'all'}, "
                f"partners={partners or 'all'}, flows={flows}, commodities={commodities})")
        frame = self._call(what, self.client.getFinalData, self.key, "C", freq, classification, period, reporters,
                           commodities, flows, partners, "0", "C00", "0", maxRecords=self.settings.max_records,
                           format_output="JSON", breakdownMode="classic", includeDesc=True)
        if frame.empty:
            self.stats.empty.append(what)
        return frame

    def bulk_file(self, directory: Path, freq: str, classification: str, reporter: int, period: str,
                  published: str) -> list[Path]:
        """Download the bulk file(s) of one reporter and period published on ``published``
        (YYYY-MM-DD) into ``directory``; each is checked to be gzip before it is kept."""
        what = f"bulkDownloadFinalFile(C, {freq}, {classification}, reporter={reporter}, period={period}, " \
               f"published={published})"
        directory.mkdir(parents=True, exist_ok=True)

        def once() -> tuple[list[Path] | None, tuple[str, bool] | None]:
            with tempfile.TemporaryDirectory(dir=directory, prefix=".download-") as tmp:
                _, printed, failure = self._run(
                    self.client.bulkDownloadFinalFile, self.key, tmp, "C", freq, classification, period=period,
                    reporterCode=str(reporter), decompress=False, publishedDateFrom=published,
                    publishedDateTo=published)
                got = sorted(Path(tmp).glob("*.gz"))
                failure = failure or (None if got else _printed_failure(printed))
                if failure:
                    return None, failure
                bad = [p for p in got if not _is_gzip(p)]
                if bad:
                    head = bad[0].read_bytes()[:300].decode("utf-8", "replace")
                    return None, _reply_failure(head) or (f"the file is not gzip; it starts {head[:120]!r}", True)
                kept = []
                for p in got:
                    os.replace(p, directory / p.name)  # atomic: a killed download leaves no half file
                    kept.append(directory / p.name)
                return kept, None

        return self._retry(what, once)

    # -- retry and error handling --------------------------------------------------------------
    def _call(self, what: str, fn: Callable, *args: object, **kwargs: object) -> pd.DataFrame:
        def once() -> tuple[pd.DataFrame | None, tuple[str, bool] | None]:
            result, printed, failure = self._run(fn, *args, **kwargs)
            if failure:
                return None, failure
            if isinstance(result, pd.DataFrame):
                return result, None
            return None, _printed_failure(printed) or ("the client returned nothing and printed nothing", True)

        return self._retry(what, once)

    def _run(self, fn: Callable, *args: object, **kwargs: object) -> tuple[object, str, tuple[str, bool] | None]:
        """Call the client: (what it returned, what it printed, a failure if it raised)."""
        printed = io.StringIO()
        self.stats.requests += 1
        try:
            with contextlib.redirect_stdout(printed):
                result = fn(*args, **kwargs)
        except Exception as err:
            return None, printed.getvalue(), (f"{type(err).__name__}: {err}", True)
        return result, printed.getvalue(), None

    def _retry(self, what: str, once: Callable[[], tuple[object, tuple[str, bool] | None]]) -> object:
        for attempt in range(self.settings.retries + 1):
            result, failure = once()
            if failure is None:
                return result
            self._after_failure(what, failure, attempt)
        raise AssertionError("unreachable")  # _after_failure raises on the last attempt

    def _after_failure(self, what: str, failure: tuple[str, bool], attempt: int) -> None:
        message, retryable = failure
        if retryable and attempt < self.settings.retries:
            self.stats.retries += 1
            self.sleep(self.settings.backoff_seconds * (2 ** attempt))
            return
        tries = f" (after {attempt + 1} attempts)" if attempt else ""
        fix = ("try again later; a scheduled refresh retries at its next run" if retryable else
               f"check {KEY_VARIABLE} and the fetch set; the store is unchanged")
        raise ApiError(f"The Comtrade API request {what} failed{tries}: {message}. Nothing was loaded. Fix: {fix}.",
                       retryable=retryable)


def _printed_failure(printed: str) -> tuple[str, bool] | None:
    """What the client printed, read as a failure (message, retryable); None if it printed only
    progress lines ("... downloaded", "Total of N file(s) downloaded", "No data available")."""
    text = printed.strip()
    if not text:
        return None
    if text.startswith("Request error"):
        return text, True
    reply = _reply_failure(text)
    if reply:
        return reply
    if all(line.endswith("downloaded") or line.startswith("No data available") for line in text.splitlines()):
        return None
    return f"the client printed: {text[:300]}", True


def _reply_failure(text: str) -> tuple[str, bool] | None:
    """The API's error reply: {"statusCode": 401, "message": "..."} (the gateway's format) or
    {"error": "...", ...}. Returns (message, retryable)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        reply = json.loads(text[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(reply, dict):
        return None
    status = reply.get("statusCode") or reply.get("status")
    message = reply.get("message") or reply.get("error") or reply.get("title") or json.dumps(reply)[:300]
    if status is None and not reply.get("error"):
        return None
    status_text = f"HTTP {status}: " if status else ""
    retryable = status in _RETRYABLE_STATUS if isinstance(status, int) else False
    return f"{status_text}{message}", retryable


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        if fh.read(2) != b"\x1f\x8b":
            return False
    try:
        with gzip.open(path, "rb") as fh:
            shutil.copyfileobj(fh, _Sink())  # read to the end: a cut-off download fails here
    except (OSError, EOFError):
        return False  # a truncated download
    return True


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)
