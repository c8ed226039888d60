"""Outliers against robust distributions: median and MAD scaled by 1/0.6745 (statsmodels' robust
scale, computed by DuckDB over the whole store, so that only the hits come into Python):

- mirror_outlier: a pair-product-period whose CIF/FOB-adjusted log ratio ln(M_fob / X) is far from
  its own history and from the cross-section of all pairs in the same product and period;
- unit_value_outlier: a reported price per kg far from the world distribution of the same product
  and period, on either side (over- or under-invoicing, or a wrong quantity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import sql
from .base import DetectSettings, fmt_amount
from .registry import Inputs, detector, step


def mirror_outliers(hits: pd.DataFrame, s: DetectSettings) -> list[dict]:
    """``hits``: rows of detect_mirror_outliers (the country's pairs; robust z computed in DuckDB, the
    cross-section over the whole mirror)."""
    out = []
    for r in hits.itertuples():
        side = "importer reports more" if r.log_ratio > 0 else "exporter reports more"
        out.append({
            "detector": "mirror_outlier", "reporter": r.importer, "partner": r.exporter, "flow": "import", "hs": r.hs,
            "unit": "USD", "freq": r.freq, "period": r.period, "statistic": "robust z of ln(M_fob/X), own history",
            "score": float(r.z_own), "threshold": s.outlier_z, "p_value": np.nan,
            "severity": "high" if abs(r.z_own) >= 2 * s.outlier_z else "medium",
            "reason": (f"{r.exporter} reports exporting {fmt_amount(r.value_exporter_usd, 'USD')} of HS {r.hs} to "
                       f"{r.importer} in {r.period}; {r.importer} reports {fmt_amount(r.value_importer_fob_usd, 'USD')} "
                       f"(FOB): ln ratio {r.log_ratio:+.2f} against {r.own_center:+.2f} in the pair's other periods "
                       f"(robust z {r.z_own:+.1f}) and {r.cs_center:+.2f} across pairs"
                       f"{'' if pd.isna(r.z_cs) else f' (z {r.z_cs:+.1f})'}; {side}"),
            "explained_by": None, "implied_missing": np.nan, "evidence": f"{int(r.n_own)} periods of history"})
    return out


def _estimated_note(r: object) -> str:
    """How many reports with weights Comtrade estimated were left out of the distribution."""
    n = int(getattr(r, "estimated_excluded", 0) or 0)
    return f", {n} with estimated weights left out" if n else ""


def unit_value_outliers(hits: pd.DataFrame, s: DetectSettings) -> list[dict]:
    """``hits``: rows of detect_unit_values (the country's trade; robust z in DuckDB against every report
    with a weight)."""
    out = []
    for r in hits.itertuples():
        kind = "over-invoiced or under-weighed" if r.z > 0 else "under-invoiced or over-weighed"
        out.append({
            "detector": "unit_value_outlier", "reporter": r.reporter, "partner": r.partner, "flow": r.flow, "hs": r.hs,
            "unit": "USD/kg", "freq": "M" if pd.notna(r.month) else "A", "period": r.period,
            "statistic": "robust z of ln(USD/kg) against the product's world distribution", "score": float(r.z),
            "threshold": s.uv_z, "p_value": np.nan, "severity": "high" if abs(r.z) >= 2 * s.uv_z else "medium",
            "reason": (f"{r.reporter}'s {r.flow} of HS {r.hs} {'to' if r.flow == 'export' else 'from'} {r.partner} in "
                       f"{r.period}: USD {np.exp(r.log_uv):,.2f}/kg against a world median of USD {np.exp(r.center):,.2f}/kg "
                       f"({int(r.n)} reports{_estimated_note(r)}; robust z {r.z:+.1f}): {kind}"),
            "explained_by": None, "implied_missing": np.nan, "evidence": f"{fmt_amount(r.amount, 'USD')}, {r.amount_kg:,.0f} kg"})
    return out


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
detector("mirror_outlier", "a pair-product-period whose ln(M_fob / X) is far from its own history and from every "
         "pair's in the same product and period")
detector("unit_value_outlier", "a price per kg far from the world distribution of the product, either side")


@step(produces=("mirror_outlier",), order=40,
      queries=("build_mirror_outlier_candidates", "detect_mirror_outliers", "mirror_outlier_candidate_years"))
def _mirror_outlier_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    # the country's candidates against their own history (every year the build holds) once, then the
    # world's cross-sections a chunk of years at a time, only for the chunks (of the run's window)
    # that hold candidates
    inputs.mirror_built()
    con = inputs.store.con
    sql.run(con, "build_mirror_outlier_candidates", min_history=s.outlier_min_history, z=s.outlier_z,
            min_ratio=s.outlier_min_ratio, country=inputs.country).fetchall()
    try:
        years = [y for (y,) in sql.run(con, "mirror_outlier_candidate_years").fetchall()]
        hits = [inputs.query("detect_mirror_outliers", z=s.outlier_z, year_from=lo, year_to=hi)
                for lo, hi in inputs.year_chunks() if any(lo <= y <= hi for y in years)]
    finally:
        sql.script(con, "drop_mirror_outlier_candidates")
    hits = [h for h in hits if len(h)]
    return mirror_outliers(pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(), s)


@step(produces=("unit_value_outlier",), queries=("unit_value_flow_hashes", "detect_unit_values"), order=41)
def _unit_value_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    # a chunk of years at a time (the mirror build's chunks: at most about a BACI year of figures),
    # so that the world's cross-sections of a 30-year panel are never in memory at once
    from ..engine import repeated_values

    con = inputs.store.con
    hits = []
    for year_from, year_to in inputs.year_chunks():
        years = {"freq": inputs.freq, "include_estimated": s.uv_include_estimated, "year_from": year_from,
                 "year_to": year_to}
        hashes = sql.run(con, "unit_value_flow_hashes", **years).fetchnumpy()["h"]  # no frame of 10M rows
        con.register("uv_repeated", pd.DataFrame({"h": repeated_values(hashes.astype(np.uint64, copy=False))}))
        try:
            hits.append(inputs.query("detect_unit_values", z=s.uv_z, min_ratio=s.uv_min_ratio,
                                     country=inputs.country, **years))
        finally:
            con.unregister("uv_repeated")
    hits = [h for h in hits if len(h)]
    return unit_value_outliers(pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(), s)
