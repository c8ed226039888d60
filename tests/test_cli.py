"""The command line: every command has help with an example, read commands print JSON and CSV,
and hostile values in arguments are data, never SQL."""

import json

import pytest

from mirror.cli import EXAMPLES, build_parser

from .conftest import fingerprint


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_help_with_an_example(command, cli):
    code, out, _ = cli(command, "--help")
    assert code == 0 and "Example:" in out and f"trade-mirror {command}" in out


def test_help_lists_every_command(capsys):
    parser = build_parser()
    parser.print_help()
    out = capsys.readouterr().out
    for command in EXAMPLES:
        assert command in out


def test_load_then_status_json_and_csv(cli, fixtures, tmp_path):
    db = tmp_path / "s.duckdb"
    code, out, err = cli("load", fixtures / "comtrade_api_CHN_2018.json", "--release", "2024-06", "--db", db, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["status"] == "loaded" and rows[0]["release"] == "2024-06" and rows[0]["rows_loaded"] == 8
    code, out, _ = cli("status", "--json", "--db", db)
    status = json.loads(out)
    assert status["rows"] == 7 and status["loads"][0]["format"] == "comtrade-api-json"
    code, out, _ = cli("status", "--csv", "--db", db)
    assert out.splitlines()[0].startswith("source,release,loads,current_figures")


def test_query_with_bound_parameters(cli, fixtures, tmp_path):
    db = tmp_path / "s.duckdb"
    cli("load", fixtures / "comtrade_api_CHN_2018.json", "--db", db)
    code, out, err = cli("query", "rejected_rows", "-p", "load_id", "1", "--json", "--db", db)
    assert code == 0, err and json.loads(out) == []
    code, _, err = cli("query", "rejected_rows", "-p", "load_id", "one", "--db", db)
    assert code == 2 and "must be an integer" in err
    code, _, err = cli("query", "no_such_query", "--db", db)
    assert code == 2 and "no query named" in err


def test_queries_lists_names_parameters_and_docs(cli):
    code, out, _ = cli("queries", "--json")
    listed = {q["name"]: q for q in json.loads(out)}
    assert "manifest" in listed and listed["rejected_rows"]["parameters"] == "load_id:int"
    assert all(q["doc"] for q in listed.values())
    assert "stage_comtrade" not in listed  # the loader's internal queries are not for users


HOSTILE = "PRK'; DROP TABLE figures; --"


def test_hostile_strings_in_arguments_are_only_data(cli, fixtures, tmp_path):
    db = tmp_path / "s.duckdb"
    cli("load", fixtures / "comtrade_api_CHN_2018.json", "--db", db)
    import mirror

    with mirror.open(db) as store:
        before = fingerprint(store)
    code, _, err = cli("load", fixtures / "comtrade_api_CHN_2018_monthly.csv", "--release", HOSTILE,
                       "--source", HOSTILE, "--db", db)
    assert code == 0, err
    cli("query", "rejected_rows", "-p", "load_id", HOSTILE, "--db", db)
    cli("load", HOSTILE, "--db", db)
    code, _, err = cli("load", fixtures / "comtrade_api_CHN_2018.json", "--format", HOSTILE, "--db", db)
    assert code == 2 and "invalid choice" in err
    with mirror.open(db) as store:
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"figures", "loads", "countries"} <= tables
        sources = {r[0] for r in store.con.execute("SELECT DISTINCT source FROM flows").fetchall()}
        assert sources == {"comtrade", HOSTILE}  # stored as a value, executed never
        assert fingerprint(store) != before


def test_python_m_mirror_runs(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mirror", "formats", "--json"], capture_output=True, text=True,
                         check=True)
    assert {r["format"] for r in json.loads(out.stdout)} >= {"comtrade-api-json", "baci", "csv", "un1718"}


def _store_with_pairs(tmp_path):
    import mirror

    from .helpers import load_rows, row

    path = tmp_path / "pairs.duckdb"
    with mirror.open(path) as db:
        load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106),
                                 row("CHN", "PRK", "X", "TOTAL", 1000), row("RUS", "PRK", "X", "TOTAL", 50)])
    return path


def test_mirror_command_json_columns(cli, tmp_path):
    db = _store_with_pairs(tmp_path)
    code, out, err = cli("mirror", "--exporter", "CHN", "--importer", "408", "--hs", "27", "--level", "4",
                         "--json", "--db", db)
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 1
    r = rows[0]
    for col in ("period", "exporter", "importer", "hs", "value_exporter_usd", "value_importer_usd",
                "value_importer_fob_usd", "gap_usd", "log_ratio", "discrepancy_index", "reported_by", "cif_fob_method"):
        assert col in r
    assert (r["exporter"], r["importer"], r["hs"], r["gap_usd"]) == ("CHN", "PRK", "2709", 0.0)
    code, out, _ = cli("mirror", "--importer", "North Korea", "--csv", "--cif-fob", "pair", "--db", db)
    assert code == 0 and out.startswith("period,")


def test_reconstruct_command(cli, tmp_path):
    db = _store_with_pairs(tmp_path)
    code, out, err = cli("reconstruct", "PRK", "--by", "partner", "--json", "--db", db)
    assert code == 0, err
    rows = {r["partner"]: r for r in json.loads(out)}
    assert rows["CHN"]["imports_usd"] == 1000 and rows["RUS"]["imports_usd"] == 50
    assert {"period", "partner", "hs", "imports_usd", "exports_usd"} <= set(rows["CHN"])
    code, _, err = cli("reconstruct", "Nroth Korea", "--db", db)
    assert code == 2 and "Did you mean" in err and "PRK" in err
    code, _, err = cli("reconstruct", "PRK", "--by", "colour", "--db", db)
    assert code == 2 and "invalid choice: 'colour'" in err and "'partner', 'period'" in err


def test_compare_on_the_bundled_record(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, out, err = cli("compare", "--country", "PRK", "--kind", "estimated", "--hs", "TOTAL", "--json")
    assert code == 0, err
    rows = [r for r in json.loads(out) if r["direction"] == "two-way"]
    gaps = {r["period"]: r["gap"] for r in rows}
    # KOTRA's China-DPRK totals exceed China customs' by its estimate of unrecorded crude oil.
    assert gaps["2022"] == 530_000_000 and gaps["2021"] == pytest.approx(363_660_000)


HOSTILE_COMMANDS = [
    ["mirror", "--exporter", HOSTILE],
    ["mirror", "--importer", HOSTILE],
    ["mirror", "--hs", HOSTILE],
    ["mirror", "--level", HOSTILE],
    ["mirror", "--freq", HOSTILE],
    ["mirror", "--years", HOSTILE],
    ["mirror", "--sources", HOSTILE],
    ["reconstruct", HOSTILE],
    ["reconstruct", "PRK", "--by", HOSTILE],
    ["compare", "--country", HOSTILE],
    ["compare", "--hs", HOSTILE],
    ["reliability", "--level", HOSTILE],
    ["query", HOSTILE],
    ["query", "rejected_rows", "-p", "load_id", HOSTILE],
    ["query", "flow_alternatives", "-p", "reporter", HOSTILE, "-p", "partner", HOSTILE, "-p", "flow", HOSTILE],
    ["load", "--release", HOSTILE, "--source", HOSTILE, HOSTILE],
]


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_hostile_string_through_every_argument_leaves_the_store_intact(cli, tmp_path, args):
    import mirror

    db = _store_with_pairs(tmp_path)
    with mirror.open(db) as store:
        before = fingerprint(store)
    code, out, err = cli(*args, "--db", db)
    assert "Traceback" not in err
    assert code in (0, 2, 4), (code, err)
    with mirror.open(db) as store:
        assert fingerprint(store) == before
        assert store.con.execute("SELECT count(*) FROM figures").fetchall()[0][0] == 4


def test_sanctions_oil_caps_commands_on_the_bundled_record(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, out, err = cli("oil", "--json", "--kind", "notified")
    assert code == 0, err
    rows = json.loads(out)
    for col in ("reporter", "partner", "flow", "hs", "product", "period", "tonnes", "barrels", "bbl_per_tonne", "kind"):
        assert col in rows[0]
    code, out, err = cli("caps", "--json")
    assert code == 0, err
    caps = json.loads(out)
    assert {"cap", "cap_year", "reporter", "barrels", "cap_barrels", "percent_of_cap"} <= set(caps[0])
    code, out, err = cli("sanctions", "--json", "--freq", "M")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and {"measure", "reporter", "partner", "flow", "hs", "period", "value_usd"} <= set(rows[0])
    code, out, err = cli("notifications", "--csv")
    assert code == 0 and out.startswith("supplier,period,freq,unit,notified,customs,gap,finding")
    code, out, err = cli("measures", "--country", "all")
    assert code == 0 and "UNSCR2397-supply" in out
