"""A stand-in for the UN Comtrade API at the HTTP level, serving recorded replies.

comtradeapicall talks to the API through ``urllib3.PoolManager().request``; the tests replace
urllib3.PoolManager with this fake, so the official client's own code runs end to end (URL
building, its printing of errors, its JSON handling, its file naming) and only the network is
missing. The fake answers like the server: the bulk-availability listing filtered by reporter,
period and publication dates; getFinalData by a reply file chosen per request; bulk files by URL;
and it can fail chosen requests with the gateway's recorded error replies.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

REPLIES = Path(__file__).parent / "fixtures" / "comtrade_api"


class FakeResponse(io.BytesIO):
    def __init__(self, status: int, body: bytes):
        super().__init__(body)
        self.status = status
        self.data = body

    def release_conn(self) -> None:
        pass


@dataclass
class FakeComtrade:
    listing: list[dict] = field(default_factory=list)  # datasets, as the availability listing sends them
    data: dict[str, str] = field(default_factory=dict)  # "freq/period" -> reply file (filtered like the server)
    files: dict[str, bytes] = field(default_factory=dict)  # fileUrl -> bytes
    failures: list[tuple[str, str]] = field(default_factory=list)  # (URL substring, error reply file), served once each
    requests: list[tuple[str, dict]] = field(default_factory=list)
    slow: dict[str, float] = field(default_factory=dict)  # URL substring -> seconds to wait before replying

    def add_listing(self, name: str) -> None:
        self.listing += json.loads((REPLIES / name).read_text())["data"]

    def add_bulk_file(self, reporter: int, year: int, name: str) -> None:
        entry = next(e for e in self.listing if e["reporterCode"] == reporter and e["period"] == year)
        self.files[entry["fileUrl"]] = (REPLIES / name).read_bytes()

    def fail(self, url_part: str, reply: str, times: int = 1) -> None:
        self.failures += [(url_part, reply)] * times

    # urllib3.PoolManager's interface, as far as comtradeapicall uses it
    def __call__(self, *args: object, **kwargs: object) -> FakeComtrade:
        return self

    def request(self, method: str, url: str, fields: dict | None = None, **kwargs: object) -> FakeResponse:
        fields = dict(fields or {})
        assert fields.get("subscription-key"), "the client must send the key"
        self.requests.append((url, fields))
        for part, seconds in self.slow.items():
            if part in url:
                time.sleep(seconds)  # a slow download: a window to kill the process in
        for i, (part, reply) in enumerate(self.failures):
            if part in url:
                del self.failures[i]
                body = (REPLIES / reply).read_bytes()
                return FakeResponse(json.loads(body)["statusCode"], body)
        if "/bulk/v1/get/" in url:
            return FakeResponse(200, self._listing(url, fields))
        if "/data/v1/get/" in url:
            return FakeResponse(200, self._final_data(url, fields))
        if url in self.files:
            return FakeResponse(200, self.files[url])
        return FakeResponse(404, b'{ "statusCode": 404, "message": "Resource not found" }')

    def _listing(self, url: str, fields: dict) -> bytes:
        freq = url.rstrip("/").split("/")[-2]
        rows = [e for e in self.listing if e["freqCode"] == freq]
        if fields.get("reportercode"):
            wanted = {int(c) for c in str(fields["reportercode"]).split(",")}
            rows = [e for e in rows if e["reporterCode"] in wanted]
        if fields.get("period"):
            rows = [e for e in rows if str(e["period"]) in str(fields["period"]).split(",")]
        if fields.get("publishedDateFrom"):
            rows = [e for e in rows if e["publicationDate"][:10] >= fields["publishedDateFrom"]]
        if fields.get("publishedDateTo"):
            rows = [e for e in rows if e["publicationDate"][:10] <= fields["publishedDateTo"]]
        return json.dumps({"elapsedTime": "0.07 secs", "count": len(rows), "data": rows, "error": ""}).encode()

    def _final_data(self, url: str, fields: dict) -> bytes:
        """The recorded reply for the period, narrowed to the asked reporters, partners and flows
        and cut at maxRecords, as the server does (it says nothing about the rows it cut)."""
        freq = url.rstrip("/").split("/")[-2]
        reply = json.loads((REPLIES / self.data.get(f"{freq}/{fields.get('period')}", "empty_result.json")).read_text())
        rows = reply["data"]
        for name, column in (("reportercode", "reporterCode"), ("partnerCode", "partnerCode"),
                             ("flowCode", "flowCode")):
            if fields.get(name):
                wanted = str(fields[name]).split(",")
                rows = [r for r in rows if str(r[column]) in wanted]
        rows = rows[: int(fields.get("maxRecords") or 100_000)]
        return json.dumps({**reply, "count": len(rows), "data": rows}).encode()

    def calls(self, part: str) -> list[dict]:
        return [f for u, f in self.requests if part in u]
