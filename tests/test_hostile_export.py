"""Exports appear whole or not at all (issue 16, item 4): mirror.export.atomic_folder."""

from __future__ import annotations

import pandas as pd
import pytest

from mirror import export
from mirror.errors import OptionError


def _write(folder, n):
    for i in range(n):
        (folder / f"chart_{i}.svg").write_text(f"<svg>{i}</svg>")
    export.to_excel({"t": pd.DataFrame({"a": ["=1+1", "x"]})}, str(folder / "tables.xlsx"))


def test_a_new_export_folder_appears_whole(tmp_path):
    target = tmp_path / "exports"
    with export.atomic_folder(target) as work:
        _write(work, 3)
        assert not target.exists(), "the target appeared before the export was complete"
    assert sorted(p.name for p in target.iterdir()) == [export.EXPORT_MARKER, "chart_0.svg", "chart_1.svg",
                                                        "chart_2.svg", "tables.xlsx"]
    assert [p.name for p in tmp_path.iterdir()] == ["exports"], "a temporary folder was left beside it"


def test_an_export_that_fails_leaves_the_earlier_one_as_it_was(tmp_path):
    target = tmp_path / "exports"
    with export.atomic_folder(target) as work:
        _write(work, 2)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(RuntimeError), export.atomic_folder(target) as work:
        (work / "chart_0.svg").write_text("<svg>half</svg>")
        raise RuntimeError("the renderer died half way")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]


def test_a_later_export_replaces_an_earlier_one_whole(tmp_path):
    target = tmp_path / "exports"
    with export.atomic_folder(target) as work:
        _write(work, 3)
    with export.atomic_folder(target) as work:
        _write(work, 1)  # a chart fewer this time: the stale ones go too
    assert sorted(p.name for p in target.iterdir()) == [export.EXPORT_MARKER, "chart_0.svg", "tables.xlsx"]
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]


def test_a_folder_of_the_users_keeps_its_other_files(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my notes")
    (target / "chart_0.svg").write_text("old")
    with export.atomic_folder(target) as work:
        _write(work, 1)
    assert (target / "notes.txt").read_text() == "my notes"
    assert (target / "chart_0.svg").read_text() == "<svg>0</svg>"
    assert not (target / export.EXPORT_MARKER).exists()  # not ours to replace whole later


def test_a_file_is_not_a_folder(tmp_path):
    target = tmp_path / "exports"
    target.write_text("a file")
    with pytest.raises(OptionError, match="is a file, not a folder"), export.atomic_folder(target):
        pass
    assert target.read_text() == "a file"
