"""The README says what the code does (issue 14, item 11, and the bundled cap table)."""

import math
import re
from pathlib import Path

from mirror.detect.base import DetectSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_states_the_unit_value_threshold_the_code_uses():
    line = next(x for x in README.splitlines() if x.startswith("| `unit_value_outlier` |"))
    s = DetectSettings()
    z = re.search(r"robust z >= (\d+(?:\.\d+)?)", line)
    assert z and float(z.group(1)) == s.uv_z  # the README said 4 while the code used 5
    assert "2x" in line and math.isclose(math.exp(s.uv_min_ratio), 2.0)


def test_readme_cap_table_matches_the_bundled_record(db):
    db.load_bundled()
    caps = db.caps().set_index(["cap_year", "reporter"])
    row = next(x for x in README.splitlines() if x.startswith("| 2019 |"))
    total = caps.loc[(2019, "all suppliers")]
    assert f"{total.delivered:,.0f}" in row and f"({total.low:,.0f}-{total.high:,.0f})" in row
    assert f"{total.percent_of_cap:.1f}" in row
    row = next(x for x in README.splitlines() if x.startswith("| 2018 |"))
    assert f"{caps.loc[(2018, 'all suppliers'), 'delivered']:,.0f}" in row
