"""Relabelling seen where it can be: the target's own banned product at HS6, in tonnes, against the
pair's own history (mirror/detect/relabel.py)."""

import numpy as np
import pandas as pd
import pytest

from .comtrade_files import api_json, record


def anthracite(tmp_path, excess_t=35_000, seed=3, name="coal.json"):
    """Russia's anthracite (270111) to Korea as both report it, about 400,000 t a year, weighed at
    both ends (draft surveys at loading and discharge: a 1% disagreement); in 2017 Korea's report holds `excess_t` more ("Russian" coal
    that was North Korean). Korea's imports of all coal (2701) from Russia: 10 Mt a year, which
    Russia reports too - the excess is 0.35% of that."""
    rng = np.random.default_rng(seed)
    recs = []
    for year in range(2010, 2022):
        t = 400_000 * np.exp(rng.normal(0, 0.1))
        t_x, t_m = t * np.exp(rng.normal(0, 0.01)), t * np.exp(rng.normal(0, 0.01)) + (excess_t if year == 2017 else 0)
        recs += [record("RUS", "KOR", "X", "270111", year, round(t_x * 110), kg=round(t_x * 1000)),
                 record("KOR", "RUS", "M", "270111", year, round(t_m * 118), kg=round(t_m * 1000))]
        all_coal = 1e10 * np.exp(rng.normal(0, 0.1))  # kg
        recs += [record("RUS", "KOR", "X", "2701", year, round(all_coal / 1000 * 90), kg=round(all_coal)),
                 record("KOR", "RUS", "M", "2701", year, round((all_coal / 1000 + excess_t * (year == 2017)) * 95),
                        kg=round(all_coal * np.exp(rng.normal(0, 0.02))))]
    return api_json(tmp_path / name, recs)


def test_35000_tonnes_of_relabelled_anthracite_are_found_in_hs6_tonnes(db, tmp_path):
    path = anthracite(tmp_path)
    db.load(path)
    flags = db.flags(detector="rerouting", country="PRK")
    hit = flags[(flags.hs == "270111") & (flags.period == "2017")]
    assert len(hit) == 1, flags[["hs", "period", "reason"]]
    f = hit.iloc[0]
    assert (f.reporter, f.partner, f.unit, f.explained_by) == ("KOR", "RUS", "kg", "UNSCR2371-coal-iron")
    # the excess is Korea's 2017 tonnes less Russia's times the pair's mean ratio in its other years,
    # worked out here from the file: 35,000 t planted plus that year's weighing noise
    import json

    rows = json.loads(path.read_text())["data"]
    kg = {(r["flowCode"], r["refYear"]): r["netWgt"] for r in rows if r["cmdCode"] == "270111"}
    others = [np.log(kg[("M", y)] / kg[("X", y)]) for y in range(2010, 2022) if y != 2017]
    expected = kg[("M", 2017)] - kg[("X", 2017)] * np.exp(np.mean(others))
    assert f.implied_missing == pytest.approx(expected, rel=1e-9)
    assert 15_000_000 < f.implied_missing < 60_000_000
    assert "t of HS 270111" in f.reason and "may be relabelled" in f.reason and f.q_value <= 0.05
    assert not ((flags.hs == "2701") & (flags.period == "2017")).any()  # invisible in all coal
    assert len(flags[flags.hs == "270111"]) == 1  # no other year


def test_no_relabelling_where_the_pair_agrees_as_before(db, tmp_path):
    db.load(anthracite(tmp_path, excess_t=0, name="clean.json"))
    assert db.flags(detector="rerouting", country="PRK").empty


def _pair(seed: int, excess_t: float, weigh_sd: float):
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(2010, 2022):
        t = 400_000 * np.exp(rng.normal(0, 0.1))
        t_x, t_m = t * np.exp(rng.normal(0, weigh_sd)), t * np.exp(rng.normal(0, weigh_sd)) + excess_t * (year == 2017)
        rows.append({"period": str(year), "period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
                     "exporter": "RUS", "importer": "KOR", "hs": "270111", "kg_importer": t_m * 1000,
                     "usd_importer": t_m * 118, "kg_exporter": t_x * 1000, "usd_exporter": t_x * 110})
    return pd.DataFrame(rows)


def test_power_and_false_flags_of_the_tonnes_test():
    # 100 draws of the pair at a 1% weighing disagreement per side: the 35,000 t are found in at least
    # 90 (measured: 100); 100 clean pairs are flagged at most 10 times (measured: 6 - BH over the six
    # dependent post-ban years of one pair holds its family near 5%).
    from mirror.detect.base import DetectSettings
    from mirror.detect.relabel import relabelling_tonnes

    bans = pd.DataFrame({"measure": ["UNSCR2270-coal", "UNSCR2371-coal-iron"],
                         "effective": pd.to_datetime(["2016-03-02", "2017-08-05"]),
                         "direction": "exports_from_target", "hs_prefix": ["2701", "2701"], "goods": "coal"})
    found = sum(any(f["period"] == "2017" for f in relabelling_tonnes(_pair(s, 35_000, 0.01), bans, "PRK", "A",
                                                                      DetectSettings())) for s in range(100))
    false = sum(bool(relabelling_tonnes(_pair(s + 1000, 0, 0.01), bans, "PRK", "A", DetectSettings()))
                for s in range(100))
    assert found >= 90 and false <= 10, (found, false)
