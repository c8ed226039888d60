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


HEAVY = ("pandas", "duckdb", "numpy", "altair", "statsmodels", "scipy")


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["load", "--help"], ["flags", "--help"],
                                  ["report", "--help"], ["load", "--format", "nope", "x.csv"],
                                  ["flags", "--detector", "nope"], ["mirror", "--levle", "4"], []])
def test_help_and_usage_errors_import_nothing_heavy(args):
    """The parser, every help text and argparse's errors are plain Python: none of them may pay the
    0.4 s of importing pandas, DuckDB and NumPy (nor the second of the detectors' statsmodels)."""
    import subprocess
    import sys

    probe = ("import sys\nfrom mirror.cli import main\ncode = main(sys.argv[1:])\n"
             f"print('HEAVY', code, sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
    code, heavy = run.stderr.strip().splitlines()[-1].split(" ", 2)[1:]
    assert heavy == "[]", f"{args}: {heavy}"
    assert int(code) == (0 if args and args[-1] in ("--help", "--version") else 2)


def test_the_parsers_formats_and_detectors_are_the_registries():
    """The parser reads the formats and detectors from their modules' source (cli_catalog.py), not by
    importing them: the same names, texts and order as the registries themselves."""
    from mirror import cli_catalog
    from mirror.detect import DETECTORS
    from mirror.ingest import FORMATS

    assert list(cli_catalog.formats().items()) == list(FORMATS.items())
    assert list(cli_catalog.detectors().items()) == [(d.name, d.finds) for d in DETECTORS.values()]
    action = next(a for a in build_parser()._subparsers._group_actions[0].choices["flags"]._actions
                  if a.dest == "detector")
    assert list(action.choices) == list(DETECTORS) and "nope" not in action.choices


def test_a_registry_the_source_cannot_tell_is_imported(monkeypatch, tmp_path):
    """A reader whose FORMATS is computed (not a literal) is read from the imported registry."""
    from mirror import cli_catalog
    from mirror.ingest import FORMATS

    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "odd.py").write_text("FORMATS = dict(odd='computed')\nSOURCE = 'odd'\nORDER = 1\n"
                                                "def sniff(): pass\ndef read(): pass\ndef stage(): pass\n")
    monkeypatch.setattr(cli_catalog, "_PACKAGE", tmp_path)
    cli_catalog.formats.cache_clear()
    try:
        assert cli_catalog.formats() == FORMATS
    finally:
        cli_catalog.formats.cache_clear()


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


# -- issue 17: exit codes, plain output when piped, --quiet, --json/--csv everywhere, progress ------------------
def _subparsers():
    return next(a for a in build_parser()._actions if a.dest == "command").choices


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_lists_its_exit_codes_and_takes_json_csv_and_quiet(command, cli):
    from mirror.cli import EXIT_CODES, EXIT_MEANINGS

    code, out, _ = cli(command, "--help")
    assert code == 0 and "Exit codes:" in out
    listed = out.split("Exit codes:")[1]
    for exit_code in EXIT_CODES[command]:
        assert f"{exit_code:>2}  {EXIT_MEANINGS[exit_code]}" in listed
    assert ("69  " in listed) == (command == "refresh")  # only the API refresh can find the API down
    flags = {o for a in _subparsers()[command]._actions for o in a.option_strings}
    assert {"--json", "--csv", "--tsv", "--table", "--quiet"} <= flags, command


def test_the_module_docstring_and_top_help_give_every_exit_code(capsys):
    import mirror.cli

    for code in (0, 1, 2, 3, 4, 69, 75):
        assert f" {code} " in mirror.cli.__doc__.replace(";", " ").replace("\n", " ")
    build_parser().print_help()
    assert "69 Comtrade API unavailable" in " ".join(capsys.readouterr().out.split())  # wrapped to the terminal


def test_piped_output_is_plain_tab_separated_text_unless_asked(cli):
    code, out, _ = cli("formats")  # the test's stdout is not a terminal: a pipe
    lines = out.splitlines()
    assert code == 0 and lines[0] == "format\tdescription" and all(line.count("\t") == 1 for line in lines)
    assert "─" not in out and "┃" not in out  # no box drawing
    code, out, _ = cli("formats", "--table")
    assert "format" in out and ("─" in out or "━" in out)
    code, out, _ = cli("formats", "--csv")
    assert out.startswith("format,description\n")


def test_tsv_keeps_one_line_per_row_whatever_the_text_holds():
    import pandas as pd

    from mirror.cli_output import tsv as _tsv

    text = _tsv(pd.DataFrame({"a": ["x\ty", "line\nbreak"], "b": [1.5, 2_000_000.0]}))
    assert text.splitlines() == ["a\tb", "x y\t1.5", "line break\t2000000.0"]  # raw numbers, no separators


def test_refresh_prints_its_files_as_csv_and_tsv(cli, fixtures, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.json").write_text((fixtures / "comtrade_api_CHN_2018.json").read_text())
    db = tmp_path / "r.duckdb"
    code, out, err = cli("refresh", "--from", drop, "--db", db, "--csv", "--quiet")
    assert code == 0, err
    assert out.splitlines()[0].startswith("file_name,") or "status" in out.splitlines()[0]
    assert "a.json" in out and "loaded" in out
    code, out, err = cli("refresh", "--from", drop, "--db", db, "--tsv")  # nothing new
    assert code == 0 and "\t" in out.splitlines()[0] and "skipped" in out
    code, out, err = cli("refresh", "--from", drop, "--db", db)  # piped, as to a log: the summary in sentences
    assert code == 0 and out.startswith("refresh of ") and "1 already in the store" in out and "┃" not in out


def test_progress_shows_steps_on_a_terminal_only():
    import io

    from mirror.progress import Steps

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown, piped = Terminal(), io.StringIO()
    for stream, quiet in ((shown, False), (piped, False), (Terminal(), True)):
        steps = Steps(quiet=quiet, stream=stream)
        with steps.step("build", "mirror pairs"):
            steps.callback("file.csv", "staging")
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.getvalue())  # without the terminal's colour codes
    assert "build: file.csv - staging" in text and re.search(r"✓ build: mirror pairs  \d+\.\d s", text)
    assert piped.getvalue() == ""
    assert not Steps(quiet=True, stream=Terminal()).enabled


def test_the_report_names_a_missing_renderer_before_any_work(cli, monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "vl_convert", None)  # as if vl-convert-python were not installed
    code, _, err = cli("report", "--db", tmp_path / "none.duckdb")  # no store either: the renderer is named first
    assert code == 2 and "vl-convert-python" in err and "pip install vl-convert-python" in err
    assert "No store" not in err


def test_the_core_install_carries_the_reports_renderer():
    import tomllib
    from pathlib import Path

    core = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(r.startswith("vl-convert-python") for r in core) and any(r.startswith("openpyxl") for r in core)


def test_report_command_json(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, out, err = cli("report", "--out", tmp_path / "r.html", "--json", "--years", "2010-2020")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["charts"] == 9 and row["path"].endswith("r.html") and row["megabytes"] > 0.9 and row["left_out"] >= 1
