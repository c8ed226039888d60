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


def test_estimated_weights_are_left_out_of_the_tonnes_series(db, tmp_path):
    # China's crude (2709) to the DPRK in the API layout, 2005-2013, about 520,000 t a year; Comtrade
    # estimated the 2012 weight (10x too high). The crude rows stop in 2014 while the TOTAL goes on.
    # The kg series that the gap is judged on leaves the estimate out, and the flag says so.
    from .comtrade_files import api_json, record

    recs = []
    for year in range(2005, 2020):
        recs.append(record("CHN", "PRK", "X", "TOTAL", year, 2.5e9 + 1e7 * (year % 4)))
        if year <= 2013:
            rec = record("CHN", "PRK", "X", "2709", year, 3.0e8 + 1e6 * (year % 3), kg=5.2e8 + 1e6 * (year % 5))
            if year == 2012:
                rec.update(netWgt=5.2e9, qty=5.2e9, isNetWgtEstimated=True)
            recs.append(rec)
    db.load(api_json(tmp_path / "crude.json", recs))
    gap = db.flags(detector="reporting_gap", country="PRK")
    kg = gap[(gap.hs == "2709") & (gap.unit == "kg")].iloc[0]
    assert "1 estimated weights of this trade left out" in kg.evidence
    assert kg.implied_missing < 6e8  # the 5.2 Mt estimate is not part of the level
    # counted in, the estimate makes the tonnes history erratic (CV > 0.6): no gap can be called on it
    wide = db.flags(detector="reporting_gap", country="PRK", settings=DetectSettings(uv_include_estimated=True))
    assert wide[(wide.hs == "2709") & (wide.unit == "kg")].empty and len(wide[wide.hs == "2709"]) == 1
