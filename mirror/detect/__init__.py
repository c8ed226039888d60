"""Anomaly detection on built frames, one module per family (breaks, shifts, conflicts, outliers,
rerouting, relabel, roundabout, sanctions), statsmodels for the statistics, one tidy flags table
with a reason per row.

    flags = db.flags()                       # DataFrame, one row per flag
    db.flags(detector="reporting_gap")

Each module registers its detectors and the steps computing them (registry.py); importing this
package imports every module of it, so a new detector module is found without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

import pandas as pd

from .base import FLAG_COLUMNS, NEIGHBOURS, DetectSettings, Flag, flags_frame
from .inference import families
from .registry import DETECTORS, Inputs, steps

if TYPE_CHECKING:
    from ..store import Store

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DETECTORS", "FLAG_COLUMNS", "NEIGHBOURS", "DetectSettings", "Flag", "run"]

_ORDER = {"high": 0, "medium": 1, "low": 2}
FOR_TARGET = ("rerouting", "cap_exceeded")  # detectors whose flags concern the target through third countries


def run(store: Store, country: str = "PRK", freq: str = "A", level: str = "4",
        settings: DetectSettings | None = None, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Every registered step on the store's current data; returns the flags, most severe first, with
    ``flags.attrs["tests"]``: the number of tests in each Benjamini-Hochberg family of the run.
    ``years``: the country's series read from these years only, and only their flags kept."""
    with families() as tests:
        flags = _run(Inputs(store, country, freq, level, settings or DetectSettings(), years))
    flags.attrs["tests"] = dict(tests)
    return flags


def _run(inputs: Inputs) -> pd.DataFrame:
    for step in steps():
        inputs.found += step.function(inputs, inputs.settings)
    flags = flags_frame(inputs.found)
    country, freq = inputs.country, inputs.freq
    if len(flags) and inputs.estimated_kg:
        # the tonnes series were built without the weights Comtrade estimated: each kg flag says so
        kg = flags.unit == "kg"
        flags.loc[kg, "evidence"] = flags.loc[kg, "evidence"].fillna("") + \
            f"; {inputs.estimated_kg:,} estimated weights of this trade left out (DetectSettings.uv_include_estimated)"
    # Only the country's own series: outliers are screened over the whole store and the country's
    # neighbours are read for context, but their flags with others are not the country's. Kept too:
    # what is computed for the country itself - its goods relabelled or rerouted through its
    # neighbours (rerouting) and the caps on supplying it (cap_exceeded).
    own = (flags.reporter == country) | (flags.partner == country) | flags.detector.isin(FOR_TARGET)
    if inputs.years:  # the steps that read the whole store (outliers, caps) find flags of other years too
        year = pd.to_numeric(flags.period.astype(str).str[:4], errors="coerce")
        own &= year.isna() | year.between(*inputs.years)
    flags = flags[own].reset_index(drop=True)
    if flags.empty:
        return flags
    flags["freq"] = flags["freq"].fillna(freq)
    flags = flags.assign(_o=flags.severity.map(_ORDER)).sort_values(["_o", "detector", "reporter", "period"])
    return flags.drop(columns="_o").reset_index(drop=True)

