"""The README is executed (as sqlite-utils' tests/test_docs.py checks its docs): every Python block
runs, in order, in one namespace, as a reader would paste them into a notebook; every command-line
example runs through the CLI (those that need a Comtrade API key are parsed, not sent); and the
README's command table is checked against the parser - every command listed, every flag and
every listed choice real.

The examples name files a reader has (comtrade_PRK_2018.json, customs.csv with gacc.toml, a BACI
year ...): the sandbox holds the test fixtures under those names."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from mirror.cli import build_parser
from mirror.paths import data_dir

from .conftest import FIXTURES

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text()
BLOCKS = [(m.group(1), m.group(2), TEXT[: m.start()].count("\n") + 1)
          for m in re.finditer(r"^```(\w*)\n(.*?)^```", TEXT, flags=re.S | re.M)]
# what the examples need from the API: parsed (flags and values checked), never sent
NEEDS_THE_API = ("--comtrade",)


def _commands() -> list[tuple[int, str]]:
    """Every `trade-mirror ...` example line of the README's code blocks (comments stripped;
    a `$ ` prompt or an environment prefix and a path to the script allowed)."""
    out = []
    for lang, body, line in BLOCKS:
        if lang not in ("", "bash", "cron", "ini"):
            continue
        for i, raw in enumerate(body.splitlines()):
            m = re.search(r"(?:^|\s|bin/|\$ )trade-mirror (\S.*)$", raw)
            if not m or raw.lstrip().startswith(("pip ", "#")):
                continue
            command = re.sub(r"\s+#.*$", "", m.group(1)).split(">>")[0].strip()
            out.append((line + i + 1, command))
    return out


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A reader's folder: the files the examples name, a home with a drop folder, the default store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    shutil.copy(FIXTURES / "comtrade_api_CHN_2018.json", tmp_path / "comtrade_PRK_2018.json")
    shutil.copy(FIXTURES / "comtrade_api_CHN_2018.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / "comtrade_api_CHN_2018_monthly.csv", tmp_path / "b.csv")
    shutil.copy(FIXTURES / "gacc_monthly_2017.csv", tmp_path / "customs.csv")
    shutil.copy(FIXTURES / "gacc.toml", tmp_path / "gacc.toml")
    for f in (FIXTURES / "baci").iterdir():
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(data_dir() / "examples" / "china_mofcom_2017_40.csv", tmp_path)
    (tmp_path / "drop" / "comtrade").mkdir(parents=True)
    shutil.copy(FIXTURES / "comtrade_r_CHN_2018.csv", tmp_path / "drop" / "comtrade" / "comtrade_r_CHN_2018.csv")
    (tmp_path / "my-templates").mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "reports" / "templates" / "report.html.j2", tmp_path / "my-templates")
    return tmp_path


def test_the_readme_has_examples_to_run():
    langs = [lang for lang, *_ in BLOCKS]
    assert langs.count("python") >= 7 and len(_commands()) >= 15


def test_every_python_block_runs_in_order(sandbox):
    namespace: dict = {}
    ran = 0
    for lang, body, line in BLOCKS:
        if lang != "python":
            continue
        try:
            exec(compile(body, f"README.md, line {line}", "exec"), namespace)  # the docs' own code
        except Exception as err:  # a README example that fails is the test's failure, with its line
            pytest.fail(f"README.md, the Python block at line {line} failed: {type(err).__name__}: {err}")
        ran += 1
    assert ran >= 7
    assert (sandbox / "prk.html").stat().st_size > 900_000 and (sandbox / "prk-files" / "tables.xlsx").exists()


def test_every_command_line_example_runs(sandbox, cli):
    ran, parsed = 0, 0
    parser = build_parser()
    for line, command in _commands():
        args = [str(Path(a).expanduser()) if a.startswith("~") else a for a in shlex.split(command)]
        if any(a.startswith(NEEDS_THE_API) for a in args):
            parser.parse_args(args)  # flags and values real; the API itself is the Comtrade tests' business
            parsed += 1
            continue
        code, out, err = cli(*args)
        assert code == 0, f"README.md line {line}: trade-mirror {command} -> exit {code}: {err}"
        ran += 1
    assert ran >= 11 and parsed >= 3


def _table_rows() -> list[tuple[str, str]]:
    section = TEXT.split("## Command line", 1)[1].split("\n## ", 1)[0]
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\| `trade-mirror (\S+)([^`]*)` \|", section, flags=re.M)]


def test_the_command_table_matches_the_parser():
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    rows = _table_rows()
    assert sorted(name for name, _ in rows) == sorted(commands)  # every command, once
    for name, synopsis in rows:
        options = {o: a for a in commands[name]._actions for o in a.option_strings}
        for flag, values in re.findall(r"(--[a-z-]+)(?: ([^\]\s]+))?", synopsis):
            assert flag in options, f"README: `trade-mirror {name}` has no {flag}"
            listed = values.replace("\\|", "|").split("|") if values and "|" in values else []
            if listed and options[flag].choices is not None:
                assert set(listed) <= set(options[flag].choices), (name, flag, listed, options[flag].choices)


def test_the_detector_table_names_every_registered_detector():
    from mirror.detect import DETECTORS

    section = TEXT.split("## Anomaly flags", 1)[1].split("\n## ", 1)[0]
    table = section.split("| detector | what it finds | how |", 1)[1].split("\n\n", 1)[0]
    named = {name for row in table.splitlines()[2:] for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    assert named == set(DETECTORS)
