"""The sanctions issue's findings as flags: trade in banned goods after a ban (sanctioned_trade),
and deliveries beyond a UN cap (cap_exceeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import fmt_amount


def sanctioned_trade(summary: pd.DataFrame, freq: str) -> list[dict]:
    out = []
    for r in summary.itertuples():
        value = r.value_after_usd if pd.notna(r.value_after_usd) else 0.0
        weight = r.weight_after_kg if pd.notna(r.weight_after_kg) else 0.0
        if value <= 0 and weight <= 0:
            continue
        verb = "imported from" if r.direction == "exports_from_target" else "exported to"
        before = (f"; in the 12 months before: {fmt_amount(r.value_12m_before_usd, 'USD')}"
                  if pd.notna(r.value_12m_before_usd) else "")
        if isinstance(r.exemptions, str) and r.exemptions.strip().lower() not in ("", "none"):
            before += f". The measure's exemptions may apply: {r.exemptions}"
        out.append({
            "detector": "sanctioned_trade", "reporter": r.reporter, "partner": r.partner,
            "flow": "import" if r.direction == "exports_from_target" else "export", "hs": str(r.goods)[:60],
            "unit": "USD" if value > 0 else "kg", "freq": freq, "period": r.first_period_after,
            "statistic": "reported value after the effective date", "score": float(value or weight), "threshold": 0.0,
            "p_value": np.nan, "severity": "high",
            "reason": (f"{r.reporter} reports having {verb} {r.partner} {fmt_amount(value, 'USD') if value else fmt_amount(weight, 'kg')} "
                       f"of goods banned by {r.measure} ({r.goods}) after it took effect on {r.effective:%Y-%m-%d}, "
                       f"from {r.first_period_after} to {r.last_period_after}{before}"),
            "explained_by": r.measure, "implied_missing": np.nan, "evidence": f"{int(r.periods_after)} period(s)"})
    return out


def cap_exceeded(caps: pd.DataFrame, monthly: pd.DataFrame) -> list[dict]:
    out = []
    for r in caps[(caps.reporter == "all suppliers") & (caps.percent_of_cap > 100)].itertuples():
        crossed = monthly[(monthly.cap == r.cap) & (monthly.cap_year == r.cap_year) & monthly.cap_crossed_on.notna()]
        when = f", crossed on {crossed.cap_crossed_on.iloc[0]:%Y-%m-%d}" if len(crossed) else ""
        out.append({
            "detector": "cap_exceeded", "reporter": "all suppliers", "partner": "", "flow": "export", "hs": r.cap,
            "unit": r.unit, "freq": "A", "period": str(r.cap_year), "statistic": "percent of the cap", "score": float(r.percent_of_cap),
            "threshold": 100.0, "p_value": np.nan, "severity": "high",
            "reason": (f"{r.kind.capitalize()} deliveries under {r.cap} in {r.cap_year}: {r.delivered:,.0f} {r.unit} "
                       f"= {r.percent_of_cap:.0f}% of the {r.cap_amount:,.0f} {r.unit} cap ({r.basis}){when}"),
            "explained_by": r.cap, "implied_missing": float(r.delivered - r.cap_amount), "evidence": r.basis})
    return out
