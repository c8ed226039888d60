"""Typed reads of delimited Comtrade files (issue 18, item 3): DuckDB's reader types the measures
(values, weight, quantity, estimation flags) as it splits the lines, and the file is read as text
instead wherever only the text can be checked or named. Either way a file stores the same figures
and gets the same error, word for word, as when every field is read as text."""

from __future__ import annotations

import csv

import pytest

import mirror
from mirror import LoadError
from mirror.ingest import base
from mirror.paths import data_dir
from mirror.simulate import API_FIELDS

ROWS = 300  # more than base._HEAD_ROWS: a value past the first look is found by the typed read itself
LATE = 250  # the data row that gets the edited value (line LATE + 1 of the file)


def _codes(count: int) -> list[str]:
    with open(data_dir() / "hs_codes.csv", encoding="utf-8") as fh:
        return [r["hs"] for r in csv.DictReader(fh) if r["classification"] == "H5" and r["level"] == "6"][:count]


def write_api_csv(path, edits: dict[str, str] | None = None, at: int = LATE) -> None:
    """ROWS exports of China to North Korea in the API's CSV layout, one HS6 code each; ``edits``
    (field -> text) are written into data row ``at``."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=API_FIELDS)
        out.writeheader()
        for i, code in enumerate(_codes(ROWS), start=1):
            row = dict.fromkeys(API_FIELDS, "")
            row.update(typeCode="C", freqCode="A", refPeriodId="20210101", refYear="2021", refMonth="52", period="2021",
                       reporterCode="156", flowCode="X", partnerCode="408", partner2Code="0",
                       classificationCode="H5", cmdCode=code, customsCode="C00", mosCode="0", motCode="0",
                       qtyUnitCode="8", qtyUnitAbbr="kg", qty=f"{i * 1.5}", netWgt=f"{i * 1.5}",
                       fobvalue=f"{i * 100.25}", primaryValue=f"{i * 100.25}",
                       isNetWgtEstimated="True" if i % 7 == 0 else "False", legacyEstimationFlag="0")
            if i == at:
                row.update(edits or {})
            out.writerow(row)


def _load(path, store_path, text_only: bool, monkeypatch):
    """Load ``path`` into a new store, typed where the reader can or (``text_only``) every field as
    text; (figures, error message or None, whether the typed read stood)."""
    stood = []
    real = base.read_typed

    def spy(*args, **kwargs):
        stood.append(False if text_only else real(*args, **kwargs))
        return stood[-1]

    monkeypatch.setattr(base, "read_typed", spy)
    with mirror.open(store_path) as db:
        try:
            db.load(path, release="r1")
            message = None
        except LoadError as err:
            message = str(err)
        figures = db.con.execute("SELECT * EXCLUDE (load_id, valid_from_load) FROM figures ORDER BY ALL").fetchall()
    return figures, message, stood == [True]


def test_a_plain_file_is_read_typed_and_stores_what_the_text_read_stores(tmp_path, monkeypatch):
    path = tmp_path / "comtrade.csv"
    write_api_csv(path)
    typed, message, stood = _load(path, tmp_path / "typed.duckdb", False, monkeypatch)
    text, _, _ = _load(path, tmp_path / "text.duckdb", True, monkeypatch)
    assert message is None and stood, "a file of plain numbers should be read typed"
    assert len(typed) == ROWS and typed == text
    with mirror.open(tmp_path / "typed.duckdb", read_only=True) as db:
        flags = db.con.execute("SELECT count(*) FILTER (WHERE is_net_wgt_estimated) FROM figures").fetchone()[0]
    assert flags == ROWS // 7


@pytest.mark.parametrize("edits, words", [
    ({"primaryValue": "inf"}, ["not a finite number", "inf"]),
    ({"primaryValue": "-5", "fobvalue": "-5"}, ["negative value", "-5"]),
    ({"netWgt": "1e15"}, ["beyond the plausible bound", "1e15"]),
    ({"primaryValue": "1,253.5", "fobvalue": "1,253.5"}, ["thousands separators", "1,253.5"]),
    ({"qty": "twelve"}, ["not a number", "twelve"]),
    ({"isNetWgtEstimated": "maybe"}, ["isNetWgtEstimated maybe is not true/false"]),
    ({"netWgt": "NA", "qty": " nan"}, []),  # missing-value tokens: no figure, loaded
    ({"primaryValue": " 7.5 ", "fobvalue": "7.50"}, []),  # padded numbers: the same figure
])
def test_values_only_text_can_check_are_read_as_text(tmp_path, monkeypatch, edits, words):
    # The value sits past the reader's first look at the file, so the typed read itself must tell
    # that it does not stand; the load then says what the text read says, line and value as written.
    path = tmp_path / "comtrade.csv"
    write_api_csv(path, edits)
    typed, message, stood = _load(path, tmp_path / "typed.duckdb", False, monkeypatch)
    text, text_message, _ = _load(path, tmp_path / "text.duckdb", True, monkeypatch)
    assert message == text_message and typed == text
    if words:
        assert not stood and message is not None and f"line {LATE + 1}" in message, message
        for word in words:
            assert word in message, f"{word!r} missing from: {message}"
    else:
        assert message is None and len(typed) == ROWS


def test_a_file_whose_first_rows_hold_tokens_is_read_as_text_straight_away(tmp_path, monkeypatch):
    # R's write_csv writes NA in every empty measure: the typed read would refuse the first row.
    path = tmp_path / "comtrade.csv"
    write_api_csv(path, {"cifvalue": "NA", "isQtyEstimated": "NA"}, at=1)
    called = []
    real = base._head_fits_types
    monkeypatch.setattr(base, "_head_fits_types", lambda *a: called.append(real(*a)) or called[-1])
    with mirror.open(tmp_path / "store.duckdb") as db:
        db.load(path, release="r1")
        assert db.con.execute("SELECT count(*) FROM figures").fetchone()[0] == ROWS
    assert called == [False]
