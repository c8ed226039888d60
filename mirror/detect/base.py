"""What every detector shares: the flags schema, the settings, and the series frames they read.

A flag is one row: detector, series key (reporter, partner, flow, hs, unit, freq), period, the
statistic and its score against a threshold, a p-value where one exists, a severity, a reason in
plain English with the numbers in it, and for level shifts the measure that explains them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from ..errors import InternalError


@dataclass(frozen=True)
class Flag:
    """One flag: the flags frame's and the flags table's columns, in this order (a test checks the
    table in queries/schema/store.sql against these fields)."""

    detector: str  # a registered detector (registry.DETECTORS)
    reporter: str  # the series key: who reported, to or from whom, which way, which goods
    partner: str
    flow: str
    hs: str
    unit: str | None = None  # "USD" or "kg" (a tonnes series), None where no series is tested
    freq: str | None = None  # "A" or "M"; None = the run's frequency
    period: str | None = None  # the period flagged ("2014", "2017-03")
    statistic: str | None = None  # what was computed, in words
    score: float | None = None  # its value ...
    threshold: float | None = None  # ... against this threshold
    p_value: float | None = None  # where the statistic has one
    severity: str = "medium"  # "high" or "medium"
    reason: str = ""  # a sentence with the numbers in it
    explained_by: str | None = None  # the measure that explains a level shift, if any
    implied_missing: float | None = None  # the trade a gap implies is missing (in unit)
    evidence: str | None = None  # the figures behind the flag
    missing_data: str | None = None  # what the flag could not check because the store lacks it
    q_value: float | None = None  # Benjamini-Hochberg q-value across the run's tests of its family


FLAG_COLUMNS = [f.name for f in fields(Flag)]
_NUMERIC = ("score", "threshold", "p_value", "q_value", "implied_missing")
# missing_data: the report never leads with a flag that has it.

# The target's neighbours through which banned goods are rerouted or relabelled (DPRK: the land
# borders and the ports named in the 2017 coal case).
NEIGHBOURS = {"PRK": ("CHN", "RUS")}


@dataclass(frozen=True)
class DetectSettings:
    """Thresholds of the detectors, with their defaults (see the README's table).

    conflict_tolerance: publishers of one flow disagree when the highest figure exceeds the lowest
        by more than this share (a conflicting_figures flag names each source and figure).
    min_history: positive periods a series needs before a break can be judged.
    max_history_cv: a history is "stable" when its coefficient of variation is at most this.
    min_other_ratio: the pair's other trade "continues" when it is at least this share of its
        level before the break.
    alpha: significance level of the single tests (reporting gaps' Chow F, the roundabout DiD).
    fdr: false discovery rate of the level-shift tests, controlled by Benjamini-Hochberg over every
        test of a run (each flag's q_value is at most this).
    min_shift: a level shift is reported when the level moves by at least this share.
    shock_share / shock_min_series / shock_drop: a common shock is a period in which at least
        shock_share of a pair's (at least shock_min_series) series fall by shock_drop or more.
    outlier_z: robust z (median/MAD) beyond which a log ratio is an outlier; outlier_min_ratio:
        and the log ratio must be at least this far from 0 (ln 1.5).
    uv_z / uv_min_ratio: the same for unit values, which sit in small cross-sections (8-20 reports
        per product and year): z of 5, and a price at least 2x or at most 1/2 of the median.
    uv_include_estimated: count reports whose weight Comtrade estimated (isNetWgtEstimated) in
        the unit-value distributions and in the tonnes series the break tests read; by default they
        are left out and each flag (unit values, kg series) says how many.
    reroute_min: DiD effect (log points) above which rerouting is flagged (ln 1.5);
        relabel_min_ratio: importer/exporter ratio above which relabelling is flagged (2x).
    """

    fdr: float = 0.05
    conflict_tolerance: float = 0.25
    min_history: int = 3
    max_history_cv: float = 0.6
    min_other_ratio: float = 0.5
    alpha: float = 0.05
    min_shift: float = 0.5
    shock_share: float = 0.6
    shock_min_series: int = 4
    shock_drop: float = 0.5
    outlier_z: float = 4.0
    outlier_min_ratio: float = float(np.log(1.5))
    outlier_min_history: int = 4
    uv_z: float = 5.0
    uv_min_ratio: float = float(np.log(2.0))
    uv_include_estimated: bool = False
    reroute_min: float = float(np.log(1.5))
    relabel_min_ratio: float = 2.0

    def describe(self) -> dict:
        return asdict(self)


def flags_frame(rows: list[Flag | dict]) -> pd.DataFrame:
    """The flags frame of a run: one row per Flag (or a dict of Flag's fields - a key that is not
    one is a bug, never silently dropped), the columns of Flag in its order."""
    records = []
    for row in rows:
        if isinstance(row, Flag):
            records.append(asdict(row))
            continue
        unknown = set(row) - set(FLAG_COLUMNS)
        if unknown:
            raise InternalError(f"a {row.get('detector', 'detector')} flag has fields Flag does not: {sorted(unknown)}")
        records.append(row)
    frame = pd.DataFrame(records, columns=FLAG_COLUMNS)
    for col in _NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def severity(p_value: float | None, score: float, strong: float) -> str:
    if (p_value is not None and not np.isnan(p_value) and p_value < 0.01) or score >= strong:
        return "high"
    return "medium"


def fmt_amount(value: float, unit: str) -> str:
    """Numbers as people write them in a sentence: 523,000 t, USD 2.3bn."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if unit == "kg":
        t = value / 1000
        return f"{t:,.0f} t" if abs(t) >= 10 else f"{value:,.0f} kg"
    if unit == "USD":
        a = abs(value)
        if a >= 1e9:
            return f"USD {value / 1e9:,.2f}bn"
        if a >= 1e6:
            return f"USD {value / 1e6:,.1f}m"
        return f"USD {value:,.0f}"
    return f"{value:,.0f} {unit}"


def verb(flow: str) -> str:
    """How a flow reads in a sentence: CHN's exports to PRK, CHN's imports from PRK."""
    return "exports to" if flow == "export" else "imports from"


def pct(x: float) -> str:
    return f"{x * 100:+.0f}%"
