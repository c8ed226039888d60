"""The store's connection: quiet in Jupyter, where DuckDB refuses to switch its progress bar off
without ipywidgets, and a transaction that rolls back on any error."""

import duckdb
import pytest

from mirror import connection, sql
from mirror.errors import InternalError


def test_progress_bar_fallback_when_duckdb_refuses(tmp_path, monkeypatch):
    # In a notebook without ipywidgets DuckDB raises InvalidInputException on the first SET; the
    # connection must still open, with only the printing switched off.
    asked = []
    real_run = sql.run

    def run(con, name, **params):
        asked.append(name)
        if name == "hide_progress_bar":
            raise duckdb.InvalidInputException("Invalid Input Error: ipywidgets is required")
        return real_run(con, name, **params)

    monkeypatch.setattr(connection.sql, "run", run)
    con = connection.connect(tmp_path / "s.duckdb", read_only=False)
    try:
        assert asked == ["hide_progress_bar", "hide_progress_bar_print"]
        assert con.execute("SELECT current_setting('enable_progress_bar_print')").fetchone()[0] is False
    finally:
        con.close()


def test_a_failed_statement_rolls_back_and_is_called_a_bug(tmp_path):
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(InternalError, match="This is a bug in trade-mirror") as info, connection.Transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("INSERT INTO t VALUES ('not a number')")
    assert info.value.exit_code == 1
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    con.close()
