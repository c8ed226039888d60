"""Build the input of one hostile-input case (tests/hostile/cases.toml) in a folder.

A case says how its file is made (``make``):

- ``edit``: a copy of a fixture (``fixture``, relative to tests/fixtures) with ``replace``: a list
  of [line, old, new] edits (line 1-based; 0 = every line), then ``append`` text added at the end;
  ``{long}`` in ``append`` is a cell of ``long`` characters;
  ``crlf = true`` ends every row in CR LF (as Excel does) before the edits, so that a line break an
  edit puts inside a quoted cell stays a bare LF (as Excel writes a multi-line cell).
- ``text``: the ``text`` given, written in ``encoding`` (default utf-8; "utf-16" writes a BOM).
- ``gzip``: a fixture that is gzip, cut to ``cut`` bytes (a truncated download) and/or with
  ``trailing`` bytes appended (garbage after the gzip stream).
- ``symlink_loop``: a symbolic link that points at itself; ``dangling_symlink``: one to a file
  that is gone.
- ``none``: no input file (the case is about the command's options).

``name`` is the file's name (default: the fixture's). ``mapping`` text is written to
``mapping.toml`` (in ``mapping_encoding``); ``mapping_head`` is the settings part of a mapping whose
columns are those of tests/fixtures/gacc_monthly_2017.csv (GACC_BODY); ``mapping_is_folder = true``
makes mapping.toml a folder.
``companions`` copies fixture files beside the input (BACI's code files).
The command's arguments may use {file}, {mapping}, {dir} (the case's folder) and {db} (the store).
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE.parent / "fixtures"
CASES = HERE / "cases.toml"

# The columns and constants of a mapping for tests/fixtures/gacc_monthly_2017.csv.
GACC_BODY = """
[columns]
period = "Month"
partner = "Partner"
flow = "Direction"
hs = "HS"
value = "Value (thousand USD)"
[constants]
reporter = "CHN"
"""


def cases() -> list[dict]:
    return tomllib.loads(CASES.read_text(encoding="utf-8"))["case"]


def build(case: dict, folder: Path) -> dict[str, str]:
    """Write the case's input into ``folder``; returns the values of the argument placeholders."""
    folder.mkdir(parents=True, exist_ok=True)
    make = case["make"]
    name = case.get("name") or (Path(case["fixture"]).name if "fixture" in case else "input.csv")
    path = folder / name
    if make == "edit":
        text = (FIXTURES / case["fixture"]).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if case.get("crlf"):  # rows end in CR LF as Excel writes them; a line break an edit puts in stays LF
            lines = [line.rstrip("\r\n") + "\r\n" for line in lines]
        for line_no, old, new in case.get("replace", []):
            targets = range(len(lines)) if line_no == 0 else [line_no - 1]
            hit = False
            for i in targets:
                if old in lines[i]:
                    lines[i] = lines[i].replace(old, new, 1)
                    hit = True
            assert hit, f"case {case['id']}: {old!r} not on line {line_no} of {case['fixture']}"
        text = "".join(lines) + case.get("append", "").replace("{long}", "x" * case.get("long", 0))
        path.write_bytes(text.encode(case.get("encoding", "utf-8")))
    elif make == "text":
        path.write_bytes(case["text"].encode(case.get("encoding", "utf-8")))
    elif make == "gzip":
        data = (FIXTURES / case["fixture"]).read_bytes()
        assert data[:2] == b"\x1f\x8b"
        if "cut" in case:
            data = data[: case["cut"]]
        data += case.get("trailing", "").encode("latin-1")
        path.write_bytes(data)
    elif make == "symlink_loop":
        path.symlink_to(path.name)
    elif make == "dangling_symlink":
        path.symlink_to(folder / "deleted-since.csv")
    elif make != "none":
        raise ValueError(f"case {case['id']}: unknown make {make!r}")
    for companion in case.get("companions", []):
        shutil.copy(FIXTURES / companion, folder / Path(companion).name)
    values = {"file": str(path), "dir": str(folder), "mapping": str(folder / "mapping.toml")}
    mapping = case.get("mapping", case["mapping_head"] + "\n" + GACC_BODY if "mapping_head" in case else None)
    if mapping is not None:
        (folder / "mapping.toml").write_bytes(mapping.encode(case.get("mapping_encoding", "utf-8")))
    if case.get("mapping_is_folder"):
        (folder / "mapping.toml").mkdir()
    return values


def arguments(case: dict, values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in case["args"]]
