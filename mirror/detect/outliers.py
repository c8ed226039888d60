"""Outliers against robust distributions (median and MAD, statsmodels' robust scale):

- mirror_outlier: a pair-product-period whose CIF/FOB-adjusted log ratio ln(M_fob / X) is far from
  its own history and from the cross-section of all pairs in the same product and period;
- unit_value_outlier: a reported price per kg far from the world distribution of the same product
  and period, on either side (over- or under-invoicing, or a wrong quantity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.robust.scale import mad

from .base import DetectSettings, fmt_amount


def _robust_z(values: pd.Series, groups: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
    grouped = values.groupby(groups)
    center = grouped.transform("median")
    scale = grouped.transform(lambda v: mad(v.to_numpy(), center=np.median(v.to_numpy())) if len(v) > 2 else np.nan)
    return (values - center) / scale.replace(0, np.nan), center


def mirror_outliers(pairs: pd.DataFrame, s: DetectSettings) -> list[dict]:
    """``pairs``: rows of db.mirror() (one per period, exporter, importer, hs)."""
    p = pairs[pairs.log_ratio.notna()].copy()
    if p.empty:
        return []
    # own history: the pair-product's other periods (leave-one-out keeps the outlier out of its own centre)
    keys = [p.exporter, p.importer, p.hs]
    p["n_own"] = p.groupby(keys).log_ratio.transform("size")
    p = p[p.n_own >= s.outlier_min_history]
    if p.empty:
        return []
    z_own, own_center = _robust_z(p.log_ratio, [p.exporter, p.importer, p.hs])
    z_cs, cs_center = _robust_z(p.log_ratio, [p.hs, p.period])
    p = p.assign(z_own=z_own, z_cs=z_cs, own_center=own_center, cs_center=cs_center)
    hits = p[(p.z_own.abs() >= s.outlier_z) & ((p.z_cs.abs() >= s.outlier_z) | p.z_cs.isna())
             & (p.log_ratio.abs() >= s.outlier_min_ratio)]
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
                       f"(robust z {r.z_own:+.1f}) and {r.cs_center:+.2f} across pairs (z {r.z_cs:+.1f}); {side}"),
            "explained_by": None, "implied_missing": np.nan,
            "evidence": f"{int(r.n_own)} periods of history"})
    return out


def unit_value_outliers(series: pd.DataFrame, s: DetectSettings) -> list[dict]:
    """``series``: detect_series rows; USD and kg of the same report are paired into a unit value."""
    usd = series[series.unit == "USD"]
    kg = series[series.unit == "kg"]
    keys = ["reporter", "partner", "flow", "hs", "period"]
    uv = usd.merge(kg[keys + ["amount"]], on=keys, suffixes=("", "_kg"))
    uv = uv[(uv.amount > 0) & (uv.amount_kg > 0) & (uv.hs != "TOTAL")]
    if uv.empty:
        return []
    uv = uv.assign(log_uv=np.log(uv.amount / uv.amount_kg))
    # like with like: exporters' FOB unit values against exporters', importers' CIF against importers'
    uv["n"] = uv.groupby(["hs", "period", "flow"]).log_uv.transform("size")
    uv = uv[uv.n >= 8]
    if uv.empty:
        return []
    z, center = _robust_z(uv.log_uv, [uv.hs, uv.period, uv.flow])
    uv = uv.assign(z=z, center=center)
    out = []
    for r in uv[(uv.z.abs() >= s.uv_z) & ((uv.log_uv - uv.center).abs() >= s.uv_min_ratio)].itertuples():
        kind = "over-invoiced or under-weighed" if r.z > 0 else "under-invoiced or over-weighed"
        out.append({
            "detector": "unit_value_outlier", "reporter": r.reporter, "partner": r.partner, "flow": r.flow, "hs": r.hs,
            "unit": "USD/kg", "freq": "M" if pd.notna(r.month) else "A", "period": r.period,
            "statistic": "robust z of ln(USD/kg) against the product's world distribution", "score": float(r.z),
            "threshold": s.uv_z, "p_value": np.nan, "severity": "high" if abs(r.z) >= 2 * s.uv_z else "medium",
            "reason": (f"{r.reporter}'s {r.flow} of HS {r.hs} {'to' if r.flow == 'export' else 'from'} {r.partner} in "
                       f"{r.period}: USD {np.exp(r.log_uv):,.2f}/kg against a world median of USD {np.exp(r.center):,.2f}/kg "
                       f"({int(r.n)} reports; robust z {r.z:+.1f}): {kind}"),
            "explained_by": None, "implied_missing": np.nan, "evidence": f"{fmt_amount(r.amount, 'USD')}, {r.amount_kg:,.0f} kg"})
    return out
