"""The query catalog: every SQL statement lives in queries/**.sql as a named block.

A block starts with an aiosql-style header and a doc line stating grain and units::

    -- name: pair_totals(exporter, importer, year_from:int)
    -- One row per (year, exporter, importer); values in current USD.
    SELECT ... WHERE exporter = $exporter AND year >= $year_from

Values are always bound as DuckDB ``$name`` parameters, never formatted into SQL text, and
table or column names never come from users: a user's choice selects a named query.
Parameters may carry a type (``:int``, ``:float``, ``:bool``, default text) so that values
arriving as strings from the command line are converted before binding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from .errors import OptionError
from .paths import queries_dir

if TYPE_CHECKING:
    import pyarrow as pa

_HEADER = re.compile(r"^--\s*name:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\((?P<params>[^)]*)\))?\s*$")
_TYPES = {"text": str, "int": int, "float": float, "bool": None}
# Folders whose blocks need the loader's temporary tables or change the store: not for users.
_INTERNAL_LAYERS = {"schema", "ingest"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "text"

    def convert(self, value: object) -> object:
        if value is None or self.type == "text" and isinstance(value, str):
            return value
        try:
            if self.type == "int":
                return int(value)
            if self.type == "float":
                return float(value)
            if self.type == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in {"1", "true", "yes", "y"}:
                    return True
                if text in {"0", "false", "no", "n"}:
                    return False
                raise ValueError(text)
        except (TypeError, ValueError):
            raise OptionError(
                f"parameter {self.name!r} must be {'an integer' if self.type == 'int' else 'a ' + self.type}, "
                f"got {value!r}. Fix: pass e.g. -p {self.name} {'2018' if self.type == 'int' else '1.0' if self.type == 'float' else 'true'}."
            ) from None
        return value


@dataclass(frozen=True)
class Query:
    name: str
    params: tuple[Param, ...]
    doc: str
    sql: str
    path: Path
    layer: str

    @property
    def public(self) -> bool:
        """Runnable on its own by users: not the loader's, and not a step that needs others first
        (those say so with a doc line starting "Internal:")."""
        return self.layer not in _INTERNAL_LAYERS and not self.doc.startswith("Internal:")

    def bind(self, values: dict[str, object]) -> dict[str, object]:
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise OptionError(
                f"query {self.name!r} has no parameter {', '.join(map(repr, unknown))}. "
                f"Its parameters: {', '.join(declared) or '(none)'}."
            )
        missing = [p for p in declared if p not in values]
        if missing:
            raise OptionError(
                f"query {self.name!r} needs parameter(s) {', '.join(missing)}. "
                f"Fix: pass {' '.join(f'-p {m} VALUE' for m in missing)}."
            )
        # Only the parameters the SQL text uses are bound: DuckDB rejects unused ones.
        return {k: declared[k].convert(v) for k, v in values.items() if re.search(rf"\${k}\b", self.sql)}


def _parse_params(text: str | None) -> tuple[Param, ...]:
    if not text or not text.strip():
        return ()
    out = []
    for item in text.split(","):
        name, _, typ = item.strip().partition(":")
        typ = typ.strip() or "text"
        if typ not in _TYPES:
            raise ValueError(f"unknown parameter type {typ!r} in query header ({item.strip()})")
        out.append(Param(name.strip(), typ))
    return tuple(out)


def parse_file(path: Path, layer: str) -> list[Query]:
    queries: list[Query] = []
    name = params = None
    doc: list[str] = []
    body: list[str] = []

    def flush() -> None:
        if name is not None:
            sql = "\n".join(body).strip().rstrip(";").strip()
            if not sql:
                raise ValueError(f"{path}: query {name!r} has no SQL")
            queries.append(Query(name, params, " ".join(doc).strip(), sql, path, layer))

    for line in path.read_text(encoding="utf-8").splitlines():
        m = _HEADER.match(line.strip())
        if m:
            flush()
            name, params, doc, body = m["name"], _parse_params(m["params"]), [], []
            continue
        if name is None:
            continue
        stripped = line.strip()
        if not body and stripped.startswith("--"):
            doc.append(stripped.lstrip("-").strip())
        else:
            body.append(line)
    flush()
    return queries


@lru_cache(maxsize=4)
def catalog(root: Path | None = None) -> dict[str, Query]:
    root = root or queries_dir()
    found: dict[str, Query] = {}
    for path in sorted(root.rglob("*.sql")):
        layer = path.relative_to(root).parts[0] if len(path.relative_to(root).parts) > 1 else ""
        for q in parse_file(path, layer):
            if q.name in found:
                raise ValueError(f"query name {q.name!r} is defined twice: {found[q.name].path} and {path}")
            found[q.name] = q
    return found


# Names of the queries fetched in this process (the test suite checks that every query ran).
used: set[str] = set()


def get(name: str) -> Query:
    used.add(name)
    queries = catalog()
    if name not in queries:
        close = [n for n in queries if name.lower() in n.lower()][:8]
        hint = f" Close: {', '.join(close)}." if close else ""
        raise OptionError(f"no query named {name!r}.{hint} `trade-mirror queries` lists every query.")
    return queries[name]


def run(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> duckdb.DuckDBPyConnection:
    q = get(name)
    return con.execute(q.sql, q.bind(params))


def frame(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    return run(con, name, **params).df()


def arrow(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pa.Table:
    """The rows as an Arrow table (no pandas frame: strings stay dictionary-encodable, numbers typed)."""
    q = get(name)
    return con.sql(q.sql, params=q.bind(params)).to_arrow_table()


def scalar(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> object:
    """The first column of the first row (None when the query returns no row)."""
    row = run(con, name, **params).fetchone()
    return row[0] if row is not None else None


def script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run a parameterless block that may hold several statements (schema DDL)."""
    q = get(name)
    if q.params:
        raise ValueError(f"{name} takes parameters; use run()")
    con.execute(q.sql)
