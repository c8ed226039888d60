"""A simulated DPRK-like panel with planted anomalies and decoys, each labelled, to measure the
detectors' precision and recall.

The world: the target (PRK), its neighbours (CHN, RUS), Korea and other real countries trading
real HS6 codes yearly with persistent series (level x small noise), a TOTAL per pair, and mirror
pairs between third countries. Planted at known places:

- reporting_gap: partners' exports of unsanctioned goods to PRK stop being reported while their
  other exports continue;
- level_shift (explained): bans obeyed (seafood and coal imports from PRK, machinery to PRK fall to
  zero after UNSCR 2371 / 2397) - decoys for reporting_gap;
- level_shift (unexplained): an unsanctioned substitute that grows (wigs, HS 6704) - a decoy for
  rerouting and sanctioned_trade;
- common_shock: every series of a pair collapses in 2020 - a decoy for gaps;
- sanctioned_trade: partners that keep importing banned seafood after 2371;
- rerouting: Korea's imports of coal "from Russia" far above Russia's exports after 2371
  (relabelling), and Germany's exports of banned machinery to China rising after 2397 (roundabout);
- mirror_outlier and unit_value_outlier between third countries;
- cap_exceeded: China's reported diesel to PRK above the 500,000 bbl cap in 2019 (2018 below).

It publishes like a source (DOMAIN section 7): a zero is never written as a row (a stopped series
simply has no rows; ``explicit_zeros=True`` writes them, as the cited public record does), some
reporter-years are not published at all (no rows, TOTAL included), one partner's extract holds only
a few codes and no TOTAL, and the noise is that of real bilateral series: log deviations from the
series' level that follow an AR(1) with coefficient ``rho`` (0 = independent), scaled so that the
year-on-year log change has standard deviation ``noise_sd`` (real HS4/HS6 series: 0.3-0.6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

YEARS = tuple(range(2010, 2022))
TARGET = "PRK"
OTHERS = ("DEU", "FRA", "ITA", "JPN", "THA", "VNM", "IND", "BRA", "MEX", "TUR", "EGY", "ZAF", "AUS", "CAN")
PRODUCTS = {  # HS6 (H5) -> role; "free" goods are covered by no measure in either direction
    "030617": "seafood", "030389": "seafood", "270112": "coal", "842952": "machinery", "848180": "machinery",
    "220421": "free", "300490": "free", "940360": "free", "640399": "free", "330499": "free", "420222": "free",
    "670420": "wigs", "271019": "diesel",
}
FREE = ("220421", "300490", "940360", "640399", "330499", "420222")


@dataclass
class AnomalyPanel:
    reports: pd.DataFrame  # reporter, partner, flow, hs, year, value, net_weight_kg
    labels: pd.DataFrame  # detector, reporter, partner, flow, hs, period, explained_by


UNPUBLISHED = (("VNM", 2012), ("BRA", 2013), ("MEX", 2011))  # reporter-years with no report at all
PARTIAL = "IND"  # its extract: only two codes, no TOTAL (a user's narrow download)


def anomaly_panel(seed: int = 7, noise_sd: float = 0.03, rho: float = 0.0,
                  explicit_zeros: bool = False, report_sd: float | None = None,
                  weight_sd: float | None = None) -> AnomalyPanel:
    """The planted panel. ``noise_sd``: standard deviation of a series' year-on-year log change;
    ``rho``: persistence of its deviations (0: independent noise around the level); ``report_sd``:
    the reporting noise between the two reports of one flow (and of a weight against its value),
    log sd; default the smaller of noise_sd and 0.1 - two customs offices disagree far less about
    one shipment than trade moves from year to year. ``weight_sd``: the same for the tonnes of bulk
    cargo both sides weigh (default 0.01: draft surveys at loading and discharge)."""
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    labels: list[dict] = []
    unpublished = set(UNPUBLISHED)

    def add(reporter, partner, flow, hs, year, value, kg=None):
        if (reporter, year) in unpublished and partner == TARGET:
            return  # the reporter did not publish that year: no row at all
        if value == 0 and not explicit_zeros:
            return  # sources never publish a zero flow
        rows.append((reporter, partner, flow, hs, year, float(value), None if kg is None else float(kg)))

    def noise(n=1):
        return np.exp(_deviations(rng, n, noise_sd, rho))

    r_sd = min(noise_sd, 0.1) if report_sd is None else report_sd

    def report(n=1):
        return np.exp(rng.normal(0, r_sd, n))

    partners = ("CHN", "RUS", "KOR", *OTHERS[:8])
    gap_partners = {"THA": "640399", "VNM": "330499", "IND": "420222"}  # year 2015
    shock_pairs = ("JPN", "BRA")  # exports to PRK collapse in 2020
    violators = ("CHN", "RUS")  # keep importing seafood after 2371
    for p in partners:
        for direction in ("X", "M"):
            total = np.zeros(len(YEARS))
            for hs, role in PRODUCTS.items():
                if role in ("diesel",):
                    continue
                if direction == "X" and role in ("seafood", "coal", "wigs"):
                    continue  # partners do not export these to PRK
                if direction == "M" and role == "machinery":
                    continue
                level = np.exp(rng.normal(13, 1.0))
                values = level * noise(len(YEARS))
                if p == PARTIAL and hs not in ("640399", "420222"):
                    total += values
                    continue  # not in this partner's extract: nothing planted or loaded for it
                if direction == "M" and role == "seafood" and p not in violators:
                    values[np.array(YEARS) >= 2018] = 0.0  # ban obeyed (2371: 5 Aug 2017)
                    labels.append(_label("level_shift", p, direction, hs, 2018, "UNSCR2371-seafood"))
                if direction == "M" and role == "coal":
                    values[np.array(YEARS) >= 2016] = 0.0  # ban obeyed from 2270 (2 March 2016) on
                    labels.append(_label("level_shift", p, direction, hs, 2016, "UNSCR2270-coal-iron"))
                if direction == "X" and role == "machinery":
                    values[np.array(YEARS) >= 2018] = 0.0  # supply ban obeyed (2397: 22 Dec 2017)
                    labels.append(_label("level_shift", p, direction, hs, 2018, "UNSCR2397-supply"))
                if direction == "M" and role == "wigs" and p == "CHN":
                    values[np.array(YEARS) >= 2018] *= 3.0  # an unsanctioned substitute grows
                    labels.append(_label("level_shift", p, direction, hs, 2018, None))
                if direction == "X" and gap_partners.get(p) == hs:
                    values[np.array(YEARS) >= 2015] = 0.0  # stops being reported; other trade goes on
                    labels.append(_label("reporting_gap", p, direction, hs, 2015, None))
                if direction == "X" and p in shock_pairs:
                    values[np.array(YEARS) >= 2020] *= 0.15
                for i, year in enumerate(YEARS):
                    add(p, TARGET, direction, hs, year, round(values[i], 2))
                total += values
            if p == PARTIAL:
                continue  # the extract has no TOTAL row
            for i, year in enumerate(YEARS):
                add(p, TARGET, direction, "TOTAL", year, round(total[i] * 1.2, 2))  # other goods too
        if p in violators:
            labels.append(_label("sanctioned_trade", p, "M", None, None, "UNSCR2371-seafood"))
    for p in shock_pairs:
        labels.append(_label("common_shock", p, "X", None, 2020, None))

    # Korea imports coal "from Russia": agreed until 2017, then three times Russia's exports (relabelling;
    # a mirror outlier too, against the pair's own history).
    path = 5e6 * noise(len(YEARS))
    for y_i, year in enumerate(YEARS):
        x = path[y_i]
        m = x * 1.06 * (3.0 if year >= 2018 else 1.0) * report()[0]
        add("RUS", "KOR", "X", "270112", year, round(x, 2), round(x / 80, 1))
        add("KOR", "RUS", "M", "270112", year, round(m, 2), round(m / 85, 1))
        if year >= 2018:
            labels.append(_label("rerouting", "KOR", "M", "270112", year, "UNSCR2371-coal-iron", partner="RUS"))
            labels.append(_label("mirror_outlier", "KOR", "M", "2701", year, None, partner="RUS"))
            if year == 2018:
                labels.append(_label("level_shift", "KOR", "M", "270112", year, None, partner="RUS"))
    # Japan's anthracite (270111) from Russia: about 400,000 t a year, both sides weighing it (bulk cargo:
    # their tonnes differ by weight_sd, about a percent); in 2017, 35,000 t of North Korean anthracite
    # relabelled Russian arrive on top (the size of the 2017 case, 35,038 t of coal and pig iron that
    # reached South Korea via Kholmsk and Nakhodka; Japan here, so as not to blur Korea's case above).
    # Invisible in all coal; an 8.75% excess over the pair's own history in anthracite.
    w_sd = 0.01 if weight_sd is None else weight_sd
    tonnes = 400_000 * noise(len(YEARS)) ** 0.3  # a steady contract flow
    for y_i, year in enumerate(YEARS):
        t_x = tonnes[y_i] * np.exp(rng.normal(0, w_sd))
        t_m = tonnes[y_i] * np.exp(rng.normal(0, w_sd)) + (35_000 if year == 2017 else 0)
        add("RUS", "JPN", "X", "270111", year, round(t_x * 110, 2), round(t_x * 1000, 1))
        add("JPN", "RUS", "M", "270111", year, round(t_m * 118, 2), round(t_m * 1000, 1))
    labels.append(_label("rerouting", "JPN", "M", "270111", 2017, "UNSCR2371-coal-iron", partner="RUS"))

    # Germany's exports (the "Eurasian Roundabout"): after 2397 banned supplying PRK with machinery, its
    # banned machinery to China (a neighbour of PRK) jumps 2.5x from 2018; its other goods to China, and
    # the same machinery to comparison destinations (France, Italy, Japan, Turkey), do not.
    banned_goods = ("842952", "848180", "847130", "850440", "851762", "841810")
    other_goods = ("300490", "220421", "940360", "330499", "640399", "420222")
    for dest in ("CHN", "FRA", "ITA", "JPN", "TUR"):
        for hs in banned_goods + other_goods:
            path = (2e7 if hs in banned_goods else 3e7) * noise(len(YEARS))
            for y_i, year in enumerate(YEARS):
                jump = 2.5 if (dest == "CHN" and hs in banned_goods and year >= 2018) else 1.0
                add("DEU", dest, "X", hs, year, round(path[y_i] * jump, 2))
            if dest == "CHN" and hs in banned_goods:  # each series also shifts, with no measure on DEU-CHN
                labels.append(_label("level_shift", "DEU", "X", hs, 2018, None, partner="CHN"))
    labels.append(_label("rerouting", "DEU", "X", None, 2018, "UNSCR2397-supply", partner="CHN"))

    # Third-country mirror pairs for the outlier detectors.
    uv_price = {hs: float(np.exp(rng.normal(1.5, 0.6))) for hs in PRODUCTS}
    mirror_hits = {("JPN", "AUS", "330499", 2016), ("TUR", "EGY", "640399", 2019), ("ZAF", "CAN", "420222", 2013)}
    uv_hits = {("ITA", "FRA", "220421", 2014), ("FRA", "DEU", "300490", 2017), ("CAN", "MEX", "940360", 2020)}
    forced = {(e, i_) for e, i_, _, _ in mirror_hits | uv_hits}
    for e in OTHERS:
        for i_ in OTHERS:
            if e == i_ or (rng.random() > 0.35 and (e, i_) not in forced):
                continue
            if e == "DEU" and i_ in ("FRA", "ITA", "JPN", "TUR"):
                continue  # Germany's exports there are the roundabout panel above
            for hs in FREE:
                path = np.exp(rng.normal(14, 1.0)) * noise(len(YEARS))  # the flow over time
                for y_i, year in enumerate(YEARS):
                    x = path[y_i]
                    kg_x = x / uv_price[hs] * report()[0]
                    m = x * 1.06 * report()[0] * (6.0 if (e, i_, hs, year) in mirror_hits else 1.0)
                    kg_m = kg_x * report()[0]
                    if (e, i_, hs, year) in uv_hits:
                        kg_x /= 20.0
                    add(e, i_, "X", hs, year, round(x, 2), round(kg_x, 1))
                    add(i_, e, "M", hs, year, round(m, 2), round(kg_m, 1))
                    if (e, i_, hs, year) in mirror_hits:  # the mirror is compared at HS4
                        labels.append(_label("mirror_outlier", i_, "M", hs[:4], year, None, partner=e))
                        # the importer's inflated value is also an outlying import unit value
                        labels.append(_label("unit_value_outlier", i_, "M", hs, year, None, partner=e))
                    if (e, i_, hs, year) in uv_hits:
                        labels.append(_label("unit_value_outlier", e, "X", hs, year, None, partner=i_))
    # China's diesel to PRK, in tonnes: 2018 below the refined cap, 2019 above (80,000 t x 7.23 = 578,400 bbl).
    for year, tonnes in ((2018, 40_000), (2019, 80_000)):
        add("CHN", TARGET, "X", "271019", year, 40_000_000 * tonnes / 80_000, tonnes * 1000)
    labels.append(_label("cap_exceeded", "all suppliers", "X", "UNSCR2397-refined", 2019, None, partner=""))

    reports = pd.DataFrame(rows, columns=["reporter", "partner", "flow", "hs", "year", "value", "net_weight_kg"])
    return AnomalyPanel(reports, pd.DataFrame(labels))


def _deviations(rng: np.random.Generator, n: int, change_sd: float, rho: float) -> np.ndarray:
    """Log deviations of one series: AR(1) with coefficient rho, started from its stationary law,
    with innovations scaled so that sd(e_t - e_t-1) = change_sd (Var = 2 s^2 / (1 + rho)). With rho
    = 0 they are independent, of sd change_sd / sqrt(2); with rho = 1, a random walk."""
    if rho >= 1:
        return np.cumsum(rng.normal(0, change_sd, n))
    s = change_sd * np.sqrt((1 + rho) / 2)
    e = np.empty(n)
    e[0] = rng.normal(0, s / np.sqrt(1 - rho ** 2))
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal(0, s)
    return e


def null_panel(kind: str = "ar1", change_sd: float = 0.3, series: int = 400, years: int = 25, seed: int = 1,
               rho: float = 0.7) -> pd.DataFrame:
    """A panel with nothing planted: ``series`` HS4 exports of third countries to PRK over ``years``
    years, each with a TOTAL that moves with its goods, published like a source. ``kind``: 'iid'
    (independent log noise), 'ar1' (AR(1) deviations, coefficient rho), 'random-walk'. The year-on-
    year log change has sd ``change_sd``. Every flag on it that no measure explains is false."""
    from .paths import data_dir

    rng = np.random.default_rng(seed)
    r = {"iid": 0.0, "ar1": rho, "random-walk": 1.0}[kind]
    hs = pd.read_csv(data_dir() / "hs_codes.csv", dtype=str, usecols=["classification", "hs", "level"])
    # real H5 headings outside every ban's codes (so nothing is "explained" on a null panel)
    codes = [h for h in hs[(hs.classification == "H5") & (hs.level == "4")].hs if h[:2] in ("33", "39", "42", "64", "94")]
    reporters = list(OTHERS)
    year_list = np.arange(2024 - years, 2024)
    rows = []
    for k in range(series):
        reporter, hs = reporters[k % len(reporters)], codes[(k // len(reporters)) % len(codes)]
        values = np.exp(rng.normal(14, 1.0) + _deviations(rng, years, change_sd, r))
        rows += [(reporter, TARGET, "X", hs, int(y), round(float(v), 2), None) for y, v in zip(year_list, values, strict=True)]
    frame = pd.DataFrame(rows, columns=["reporter", "partner", "flow", "hs", "year", "value", "net_weight_kg"])
    frame = frame.drop_duplicates(["reporter", "partner", "flow", "hs", "year"])
    totals = frame.groupby(["reporter", "partner", "flow", "year"], as_index=False).value.sum()
    totals = totals.assign(hs="TOTAL", value=(totals.value * 3).round(2), net_weight_kg=None)
    return pd.concat([frame, totals[frame.columns]], ignore_index=True)


def flags_for_labels(db, labels: pd.DataFrame) -> pd.DataFrame:
    """The flags a user sees for each country the planted cases are about: ``db.flags(country=c)``
    returns only c's own series (and what is computed for it), so the third-country cases (mirror
    and unit-value outliers, Korea's coal "from Russia") are looked up under their own reporter."""
    countries = [TARGET, *sorted({r for r in labels.reporter if r not in (TARGET, "all suppliers")})]
    frames = [db.flags(country=c) for c in countries]
    flags = pd.concat([f for f in frames if len(f)], ignore_index=True)
    keys = ["detector", "reporter", "partner", "flow", "hs", "unit", "period"]
    return flags.drop_duplicates(keys).reset_index(drop=True)


def _label(detector, reporter, flow, hs, year, explained_by, partner=TARGET) -> dict:
    return {"detector": detector, "reporter": reporter, "partner": partner,
            "flow": {"X": "export", "M": "import"}[flow], "hs": hs, "period": None if year is None else str(year),
            "explained_by": explained_by}


def to_store(panel: AnomalyPanel, db, release: str = "simulated") -> pd.DataFrame:
    """Insert the panel's reports into a store (one load), as customs-reported annual figures."""
    from .store import insert_canonical

    r = panel.reports
    frame = pd.DataFrame({
        "source_row": np.arange(2, len(r) + 2), "freq": "A", "period": r.year.astype(str), "year": r.year,
        "reporter_iso3": r.reporter, "reporter_code": None, "partner_iso3": r.partner, "partner_code": None,
        "flow": r.flow.map({"X": "export", "M": "import"}), "classification": "H5", "hs": r.hs,
        "hs_level": np.where(r.hs == "TOTAL", "TOTAL", "6"), "value": r.value,
        "valuation": np.where(r.flow == "X", "FOB", "CIF"), "net_weight_kg": r.net_weight_kg,
    })
    return insert_canonical(db, frame, source="comtrade", release=release, label="anomaly panel")


def score(flags: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per detector: a flag is right when it matches a planted case's key."""
    rows = []
    for detector in sorted(set(labels.detector) | set(flags.detector)):
        lab = labels[labels.detector == detector]
        got = flags[flags.detector == detector]
        keys = _keys(detector)
        want = {tuple(r[k] for k in keys) for r in lab.to_dict("records")}
        have = {tuple(r[k] for k in keys) for r in got.to_dict("records")}
        hit = want & have
        rows.append({"detector": detector, "planted": len(want), "flagged": len(have), "correct": len(hit),
                     "precision": len(hit) / len(have) if have else float("nan"),
                     "recall": len(hit) / len(want) if want else float("nan")})
    return pd.DataFrame(rows)


def _keys(detector: str) -> tuple[str, ...]:
    if detector == "sanctioned_trade":
        return ("reporter", "explained_by")
    if detector == "cap_exceeded":
        return ("hs", "period")
    if detector == "common_shock":
        return ("reporter", "partner", "flow", "period")
    if detector == "rerouting":
        return ("reporter", "partner", "period")
    return ("reporter", "partner", "flow", "hs", "period")
