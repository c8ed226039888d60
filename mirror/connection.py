"""Connections to the store file and the one transaction every write runs in.

DuckDB 2.0 silently rolls back a transaction in which a statement failed, even when COMMIT then
"succeeds", so Transaction rolls back explicitly on any error and re-raises, and the write paths
(mirror/load.py) check after COMMIT that the manifest really holds the new loads.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import duckdb

from . import sql
from .errors import InternalError, MirrorError, StoreBusyError, StoreError


def connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file, turning DuckDB's lock and format errors into messages with a fix."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
        _quiet(con)
        return con
    except duckdb.IOException as err:
        text = str(err)
        if "lock" in text.lower():
            holder = re.search(r"PID (\d+)", text)
            who = f" (process {holder.group(1)})" if holder else ""
            raise StoreBusyError(
                f"The store {path} is being written by another process{who}, probably a load or refresh. "
                "Fix: wait for it to finish and run this again; a scheduled refresh can simply retry later "
                "(exit code 75)."
            ) from None
        raise StoreError(f"Cannot open the store {path}: {text.splitlines()[0]}. "
                         "Fix: check the path and its permissions.") from None
    except duckdb.Error as err:
        raise StoreError(f"Cannot open the store {path}: {str(err).splitlines()[0]}. "
                         "Fix: if the file is not a trade-mirror store, choose another path with --db.") from None


def _quiet(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB draws a progress bar on long queries; a library must not write to the terminal. In
    Jupyter, DuckDB refuses to change that setting when ipywidgets is missing (it wants to draw a
    widget): then only the printing is switched off, and the notebook still works."""
    try:
        sql.run(con, "hide_progress_bar").fetchall()
    except duckdb.InvalidInputException:
        with contextlib.suppress(duckdb.Error):
            sql.run(con, "hide_progress_bar_print").fetchall()


class Transaction:
    """BEGIN ... COMMIT with an explicit ROLLBACK on any error (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        sql.run(self.con, "begin_transaction").fetchall()
        return self.con

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                sql.run(self.con, "commit_transaction").fetchall()
            except duckdb.Error as err:
                self._rollback()
                raise StoreError(f"The store could not commit ({str(err).splitlines()[0]}); nothing was changed. "
                                 "Fix: check free disk space and that no other process writes the store.") from None
            return False
        self._rollback()
        if isinstance(exc, duckdb.Error) and not isinstance(exc, MirrorError):
            raise InternalError(f"the store rejected a change ({str(exc).splitlines()[0]}); nothing was "
                                "changed") from exc
        return False

    def _rollback(self) -> None:
        # After a failed statement DuckDB may have rolled back already; then ROLLBACK itself errors.
        with contextlib.suppress(duckdb.Error):
            sql.run(self.con, "rollback_transaction").fetchall()
