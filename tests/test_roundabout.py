"""The "Eurasian Roundabout" triple difference (mirror/detect/roundabout.py) on a hand-made panel:
the estimate against statsmodels OLS with every fixed effect as a dummy, and the planted effect
recovered inside its interval."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from mirror.detect.roundabout import did


def panel(seed=0, beta=np.log(2.5)):
    # A supplier's exports of 6 banned and 6 other products to a neighbour (CHN) and four comparison
    # destinations, 2010-2021, with product-destination levels, product trends, destination trends and
    # noise; banned goods to CHN rise by `beta` log points from 2018 (a ban on 22 December 2017).
    rng = np.random.default_rng(seed)
    rows = []
    products = [f"84{i:02d}" for i in range(6)] + [f"30{i:02d}" for i in range(6)]
    for k in products:
        for d in ("CHN", "FRA", "ITA", "JPN", "TUR"):
            level = rng.normal(16, 1)
            for t in range(2010, 2022):
                y = level + 0.03 * (t - 2010) * (k < "85") + 0.02 * (t - 2010) * (d == "CHN") + rng.normal(0, 0.2)
                y += beta * (k.startswith("84") and d == "CHN" and t >= 2018)
                rows.append({"period": str(t), "period_start": f"{t}-01-01", "period_end": f"{t}-12-31",
                             "exporter": "DEU", "destination": d, "hs": k, "usd": float(np.exp(y))})
    return pd.DataFrame(rows), {k for k in products if k.startswith("84")}


# The three dummy sets overlap (each has one redundant level), so statsmodels solves with a
# pseudo-inverse and warns; the treatment's coefficient is identified all the same.
@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_triple_difference_equals_ols_with_every_dummy():
    p, banned = panel()
    res = did(p, banned, ("CHN", "RUS"), pd.Timestamp("2017-12-22"))
    d = res["data"]
    fit = smf.ols("y ~ treat + C(kd) + C(kt) + C(dt)", data=d).fit()
    assert res["beta"] == pytest.approx(fit.params["treat"], abs=1e-8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_rise_is_recovered_inside_its_interval(seed):
    p, banned = panel(seed)
    res = did(p, banned, ("CHN", "RUS"), pd.Timestamp("2017-12-22"))
    assert res["lo"] < np.log(2.5) < res["hi"] and res["p"] < 0.01 and res["clusters"] == 12
    assert res["neighbours"] == ["CHN"]


def test_no_rise_no_effect():
    p, banned = panel(4, beta=0.0)
    res = did(p, banned, ("CHN", "RUS"), pd.Timestamp("2017-12-22"))
    assert res["lo"] < 0 < res["hi"]
