"""The flags schema is written once, as the Flag dataclass: the frame of a run and the flags table
of the store have its columns, and a detector's row with a field Flag lacks is a bug, not a column
silently dropped."""

import pytest

from mirror.detect.base import FLAG_COLUMNS, Flag, flags_frame
from mirror.errors import InternalError

STORED_WITH = ["data_version", "releases", "country", "computed_at"]  # the data state a run was computed on


def test_the_flags_table_has_the_fields_of_flag(db):
    columns = [r[0] for r in db.con.execute("SELECT column_name FROM information_schema.columns "
                                            "WHERE table_name = 'flags' ORDER BY ordinal_position").fetchall()]
    assert columns == STORED_WITH + FLAG_COLUMNS


def test_flags_frame_takes_flags_and_dicts_in_the_columns_of_flag():
    frame = flags_frame([Flag("reporting_gap", "CHN", "PRK", "export", "2709", score=3.5, p_value=0.001),
                         {"detector": "level_shift", "reporter": "CHN", "partner": "PRK", "flow": "export",
                          "hs": "2701", "score": "2.0"}])
    assert list(frame.columns) == FLAG_COLUMNS
    assert frame.score.tolist() == [3.5, 2.0] and frame.p_value.isna().tolist() == [False, True]


def test_a_field_flag_lacks_is_a_bug_not_a_dropped_column():
    with pytest.raises(InternalError, match=r"level_shift flag has fields Flag does not: \['p_vlaue'\]"):
        flags_frame([{"detector": "level_shift", "reporter": "CHN", "partner": "PRK", "flow": "export",
                      "hs": "2701", "p_vlaue": 0.01}])
