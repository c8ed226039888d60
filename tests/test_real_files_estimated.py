"""Comtrade's estimated weights in the unit-value detector: left out of the world distribution of
a product's price per kg by default, each flag saying how many were left out; counted in when
asked (DetectSettings.uv_include_estimated).

The panel: twelve reporters' exports of HS 030617 (frozen shrimps and prawns, H5) in 2018 in the Comtrade API
CSV layout, all near USD 5/kg, except one measured report at USD 0.25/kg (a true outlier) and one
at USD 100/kg whose weight Comtrade estimated (isNetWgtEstimated True): an estimator's weight,
not a trader's price.
"""

import pytest

from mirror.detect import DetectSettings

from .test_real_files_codes import api_row, write_api_csv

REPORTERS = [36, 76, 124, 152, 156, 251, 276, 356, 392, 410, 484, 764]


@pytest.fixture
def shrimp(db, tmp_path):
    rows = []
    for n, reporter in enumerate(REPORTERS):
        value = 1_000_000.0 + 10_000 * n
        kg = value / (5.0 + 0.05 * n)
        estimated = "False"
        if reporter == 764:
            kg, estimated = value / 100.0, "True"  # USD 100/kg on an estimated weight
        if reporter == 356:
            kg = value / 0.25  # USD 0.25/kg, measured
        row = api_row(reporter, 408, value=value, flow="X")
        row.update(cmdCode="030617", aggrLevel=6, qtyUnitCode=8, qtyUnitAbbr="kg", qty=kg, netWgt=kg,
                   isNetWgtEstimated=estimated, isQtyEstimated=estimated)
        rows.append(row)
    db.load(write_api_csv(tmp_path / "shrimp_2018.csv", rows))
    return db


def unit_value_flags(db, **settings):
    flags = db.flags(detector="unit_value_outlier", settings=DetectSettings(**settings))
    return {r.reporter: r.reason for r in flags.itertuples()}


def test_estimated_weights_left_out_by_default(shrimp):
    assert shrimp.con.execute("SELECT count(*) FROM flows WHERE is_net_wgt_estimated").fetchall() == [(1,)]
    flags = unit_value_flags(shrimp)
    assert set(flags) == {"IND"}  # the measured outlier; Thailand's estimated weight is not judged
    assert "USD 0.25/kg" in flags["IND"] and "(11 reports, 1 with estimated weights left out;" in flags["IND"]


def test_estimated_weights_counted_in_when_asked(shrimp):
    flags = unit_value_flags(shrimp, uv_include_estimated=True)
    assert set(flags) == {"IND", "THA"}
    assert "(12 reports; robust z" in flags["THA"] and "left out" not in flags["THA"]
