"""What `refresh --comtrade` fetches: fetch sets read from a TOML file and checked up front.

The API answers a request it cannot serve (a misspelt flow, a period in the wrong form) with an
empty result rather than an error, so every value is checked here, before the first request,
with the file, the field, the value and the fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LoadError, Problem
from ..paths import data_dir

DEFAULT_CONFIG = Path("comtrade") / "fetch_sets.toml"
METHODS = ("partner", "bulk")
FREQS = ("A", "M")
FLOWS = ("M", "X", "RM", "RX")
AGGREGATES = ("TOTAL", "AG2", "AG4", "AG6")
_SET_KEYS = {"name", "method", "freq", "reporters", "partners", "flows", "commodities", "first_year", "classification"}
_API_KEYS = {"max_records", "retries", "backoff_seconds"}


@dataclass(frozen=True)
class ApiSettings:
    max_records: int = 250_000
    retries: int = 4
    backoff_seconds: float = 10.0


@dataclass(frozen=True)
class FetchSet:
    name: str
    method: str  # partner (data API, filtered) or bulk (whole reporter files)
    freq: tuple[str, ...]
    reporters: tuple[str, ...] | None  # ISO3 codes; None = every reporter
    partners: tuple[str, ...] = ()
    flows: tuple[str, ...] = FLOWS
    commodities: tuple[str, ...] = ("TOTAL", "AG6")
    first_year: int = 2000
    classification: str = "HS"


@dataclass(frozen=True)
class FetchConfig:
    path: Path
    api: ApiSettings
    sets: tuple[FetchSet, ...] = field(default_factory=tuple)


def default_config_path() -> Path:
    return data_dir() / DEFAULT_CONFIG


def read_config(path: str | Path | None = None, known_iso3: set[str] | None = None) -> FetchConfig:
    """Read and check a fetch-set file (default: the bundled data/comtrade/fetch_sets.toml).
    ``known_iso3``: the ISO3 codes the store knows; countries outside it are refused."""
    path = Path(path) if path else default_config_path()
    if not path.is_file():
        raise LoadError([Problem(str(path), None, None, None, "no such fetch-set file",
                                 f"give the path of a TOML file like {default_config_path()}")])
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise LoadError([Problem(str(path), None, None, None, f"not valid TOML ({err})",
                                 "fix the syntax; see the bundled fetch_sets.toml for the layout")]) from None
    problems: list[Problem] = []
    api = _api_settings(path, doc.get("api", {}), problems)
    raw_sets = doc.get("sets")
    if not isinstance(raw_sets, list) or not raw_sets:
        problems.append(Problem(str(path), None, "sets", None, "no [[sets]] entries",
                                "add at least one [[sets]] table naming what to fetch"))
        raw_sets = []
    unknown_top = set(doc) - {"api", "sets"}
    if unknown_top:
        problems.append(Problem(str(path), None, sorted(unknown_top)[0], None, "unknown table or key",
                                "the file has only [api] and [[sets]]"))
    sets = [_fetch_set(path, i, raw, known_iso3, problems) for i, raw in enumerate(raw_sets)]
    names = [s.name for s in sets if s]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(str(path), None, "sets.name", dup, "two sets have the same name",
                                "give each set its own name: refreshes are tracked per set"))
    if problems:
        raise LoadError(problems, hint="Nothing was fetched.")
    return FetchConfig(path, api, tuple(s for s in sets if s))


def _api_settings(path: Path, raw: dict, problems: list[Problem]) -> ApiSettings:
    for key in sorted(set(raw) - _API_KEYS):
        problems.append(Problem(str(path), None, f"api.{key}", None, "unknown setting",
                                f"use one of {', '.join(sorted(_API_KEYS))}", column_kind="setting"))
    out = ApiSettings()
    values = {}
    for key, kind, low in (("max_records", int, 1), ("retries", int, 0), ("backoff_seconds", (int, float), 0)):
        if key in raw:
            value = raw[key]
            if not isinstance(value, kind) or isinstance(value, bool) or value < low:
                problems.append(Problem(str(path), None, f"api.{key}", str(value), f"must be a number >= {low}",
                                        f"write e.g. {key} = {getattr(out, key)}", column_kind="setting"))
            else:
                values[key] = value
    return ApiSettings(**{**out.__dict__, **values})


def _fetch_set(path: Path, i: int, raw: dict, known: set[str] | None, problems: list[Problem]) -> FetchSet | None:
    where = f"sets[{i}]"
    before = len(problems)

    def bad(key: str, value: object, reason: str, fix: str) -> None:
        problems.append(Problem(str(path), None, f"{where}.{key}", None if value is None else str(value), reason, fix,
                                column_kind="setting"))

    if not isinstance(raw, dict):
        bad("", raw, "not a table", "write each set as a [[sets]] table")
        return None
    for key in sorted(set(raw) - _SET_KEYS):
        bad(key, None, "unknown key", f"use {', '.join(sorted(_SET_KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or not name.replace("-", "").replace("_", "").isalnum():
        bad("name", name, "missing or not a plain name", 'name = "prk-partners" (letters, digits, - and _)')
    method = raw.get("method", "partner")
    if method not in METHODS:
        bad("method", method, "unknown method", f"use one of {', '.join(METHODS)}")
    freq = _codes(raw.get("freq", list(FREQS)))
    for f in freq:
        if f not in FREQS:
            bad("freq", f, "unknown frequency", 'freq = ["A", "M"] (annual, monthly)')
    reporters_raw = raw.get("reporters", "all")
    reporters = None if reporters_raw == "all" else _codes(reporters_raw)
    partners = _codes(raw.get("partners", []))
    for key, values in (("reporters", reporters or ()), ("partners", partners)):
        for code in values:
            if known is not None and code not in known:
                bad(key, code, "not an ISO3 code the store knows", "use ISO3 codes such as PRK, CHN, KOR")
    if reporters == ():
        bad("reporters", reporters_raw, "empty", 'list ISO3 codes or write reporters = "all"')
    flows = _codes(raw.get("flows", list(FLOWS)))
    for f in flows:
        if f not in FLOWS:
            bad("flows", f, "unknown flow", f"use {', '.join(FLOWS)}")
    commodities = _codes(raw.get("commodities", ["TOTAL", "AG6"]))
    for c in commodities:
        if c not in AGGREGATES and not (c.isdigit() and len(c) in (2, 4, 6)):
            bad("commodities", c, "not an HS code or aggregate", 'use "TOTAL", "AG6" or HS codes like "2701"')
    if method == "partner":
        if not partners:
            bad("partners", None, "a partner set needs partners", 'partners = ["PRK"], or method = "bulk"')
        if reporters is None and partners and len(partners) > 5:
            bad("partners", ",".join(partners), "too many partners for every reporter",
                "ask five partners or fewer, or name the reporters")
    first_year = raw.get("first_year", 2000)
    if not isinstance(first_year, int) or isinstance(first_year, bool) or not 1962 <= first_year <= 2100:
        bad("first_year", first_year, "not a year Comtrade covers", "first_year = 2000")
    classification = raw.get("classification", "HS")
    if classification not in ("HS",):
        bad("classification", classification, "only HS data are fetched", 'classification = "HS"')
    if len(problems) > before:
        return None
    return FetchSet(name=name, method=method, freq=freq, reporters=reporters, partners=partners, flows=flows,
                    commodities=commodities, first_year=first_year, classification=classification)


def _codes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return (str(value),)
    return tuple(str(v).strip().upper() for v in value)
