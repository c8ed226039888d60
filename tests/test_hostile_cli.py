"""Every CLI command, every option given a hostile value (issue 16, item 2): no traceback, an exit
code from the command's documented list, and the store as it was.

The commands and options come from the argparse parser itself, so a new option is walked as soon
as it exists. A value is hostile for the kind of option it is given to: a word outside an
option's choices, a negative or not-a-number value for a number, the wrong kind of path (a folder
where a file is wanted, a file where a folder is), and for text an SQL-injection attempt with
control characters.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

import pytest

import mirror
from mirror.cli_args import EXIT_CODES, build_parser

from .conftest import FIXTURES, fingerprint

HOSTILE_TEXT = "x'; DROP TABLE figures; --\x1b[31m\u202e"
# Options whose value names a file (a folder is given) or a folder (a file is given).
FILE_OPTIONS = {"--mapping", "--out", "--comtrade-config", "--add", "--db"}
FOLDER_OPTIONS = {"--export-dir", "--template-dir", "--cache", "--from"}
NUMBER_VALUES = {int: "-1", float: "nan"}
# What a command needs beside the option under test (its required positional arguments).
BASE_ARGS = {"query": ["comtrade_fetch_log"]}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    return next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices


def _hostile_value(action: argparse.Action, folder, a_file) -> list[str]:
    option = action.option_strings[-1] if action.option_strings else None
    if action.choices:
        value = "klingon"
    elif action.type in NUMBER_VALUES:
        value = NUMBER_VALUES[action.type]
    elif option in FILE_OPTIONS:
        value = str(folder)
    elif option in FOLDER_OPTIONS:
        value = str(a_file)
    elif option == "--years":
        value = "2019-2010"
    else:
        value = HOSTILE_TEXT
    if action.nargs == 2:  # -p NAME VALUE: a value the database refuses (LIMIT -1)
        return ["limit", "-1"]
    return [value]


def _walk() -> list[tuple[str, str]]:
    cases = []
    for command, parser in sorted(_subparsers().items()):
        for action in parser._actions:
            if action.nargs == 0 or isinstance(action, argparse._HelpAction):
                continue  # flags take no value
            cases.append((command, action.option_strings[-1] if action.option_strings else action.dest))
    return cases


WALK = _walk()


def test_the_walk_covers_every_command_and_many_options():
    assert {c for c, _ in WALK} >= set(EXIT_CODES) - {"check", "status", "queries", "formats"}
    assert len(WALK) > 60


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("walk") / "template.duckdb"
    with mirror.open(path) as store:
        store.load([FIXTURES / "public_record_sample.csv", FIXTURES / "comtrade_api_CHN_2018.json"])
    return path


@pytest.mark.parametrize(("command", "option"), WALK, ids=[f"{c}-{o}" for c, o in WALK])
def test_every_option_with_a_hostile_value(command, option, cli, template, tmp_path, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)  # never the network
    monkeypatch.chdir(tmp_path)  # the report's default output folder lands here
    db = tmp_path / "store.duckdb"
    shutil.copy(template, db)
    with mirror.open(db, read_only=True) as store:
        before = fingerprint(store)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not what was asked for\n")
    action = next(a for a in _subparsers()[command]._actions
                  if (a.option_strings[-1] if a.option_strings else a.dest) == option)
    value = _hostile_value(action, folder, a_file)
    args = [command, *BASE_ARGS.get(command, [])]
    args += [option, *value] if action.option_strings else value
    if option != "--db":
        args += ["--db", db]
    code, out, err = cli(*args)
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    assert code in EXIT_CODES[command] and code != 1, (args, code, err)
    if code != 0:
        assert err.strip(), "an error without a message"
    with mirror.open(db, read_only=True) as store:
        assert fingerprint(store) == before, f"{args} changed the store"
    assert not list(tmp_path.rglob("*.part")), "a half-written file was left behind"


def test_a_closed_pipe_ends_the_output_quietly(tmp_path):
    # `trade-mirror query countries --json | head -1`: the JSON (75 kB) is more than a pipe holds,
    # so the writer meets the closed pipe; it must stop without a word and exit 0.
    db = tmp_path / "s.duckdb"
    mirror.open(db).close()
    proc = subprocess.Popen([sys.executable, "-m", "mirror", "query", "countries", "--json", "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"["
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == "", err
