"""The sanctions issue's findings as flags: trade in banned goods from a ban on (sanctioned_trade:
high after the wind-down, medium where an exemption may apply, low in the wind-down), and
deliveries beyond a UN cap (cap_exceeded, with the range when sources disagree)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import DetectSettings, fmt_amount
from .registry import Inputs, detector, step


def sanctioned_trade(summary: pd.DataFrame, freq: str) -> list[dict]:
    """One flag per measure and reporter with banned-direction trade from the effective date on:
    after the wind-down high, or medium when an exemption may cover it or a value threshold could not
    be checked (the reason says which); only during the wind-down (contracts signed before adoption
    could still be delivered) low."""
    out = []
    for r in summary.itertuples():
        value = r.value_after_usd if pd.notna(r.value_after_usd) else 0.0
        weight = r.weight_after_kg if pd.notna(r.weight_after_kg) else 0.0
        wind_value = r.value_wind_down_usd if pd.notna(r.value_wind_down_usd) else 0.0
        wind_weight = r.weight_wind_down_kg if pd.notna(r.weight_wind_down_kg) else 0.0
        after = value > 0 or weight > 0
        if not after and wind_value <= 0 and wind_weight <= 0:
            continue
        verb = "imported from" if r.direction == "exports_from_target" else "exported to"
        amount, unit = (value, "USD") if value > 0 else (weight, "kg")
        if not after:
            amount, unit = (wind_value, "USD") if wind_value > 0 else (wind_weight, "kg")
        until = (f", contracts allowed until {r.wind_down_end:%Y-%m-%d}" if pd.notna(r.wind_down_end) else "")
        if after:
            when = (f"after it took effect on {r.effective:%Y-%m-%d}{until}, from {r.first_period_after} to "
                    f"{r.last_period_after}")
            severity = r.severity if r.severity in ("high", "medium") else "high"
        else:
            when = (f"in the period containing its effective date ({r.effective:%Y-%m-%d}) or the wind-down{until}, "
                    f"from {r.first_period_wind_down} to {r.last_period_wind_down}: possibly lawful")
            severity = "low"
        before = (f"; in the 12 months before: {fmt_amount(r.value_12m_before_usd, 'USD')}"
                  if pd.notna(r.value_12m_before_usd) else "")
        why = f". Severity {severity}: {r.severity_reason}" if isinstance(r.severity_reason, str) else ""
        out.append({
            "detector": "sanctioned_trade", "reporter": r.reporter, "partner": r.partner,
            "flow": "import" if r.direction == "exports_from_target" else "export", "hs": str(r.goods)[:60],
            "unit": unit, "freq": freq, "period": r.first_period_after if after else r.first_period_wind_down,
            "statistic": ("reported value after the wind-down" if after else "reported value in the wind-down"),
            "score": float(amount), "threshold": 0.0, "p_value": np.nan, "severity": severity,
            "reason": (f"{r.reporter} reports having {verb} {r.partner} {fmt_amount(amount, unit)} of goods banned by "
                       f"{r.measure} ({r.goods}) {when}{before}{why}"),
            "explained_by": r.measure, "implied_missing": np.nan,
            "evidence": f"{int(r.periods_after)} period(s) after" if after else "wind-down only"})
    return out


def cap_exceeded(caps: pd.DataFrame, monthly: pd.DataFrame) -> list[dict]:
    out = []
    for r in caps[(caps.reporter == "all suppliers") & (caps.percent_of_cap > 100)].itertuples():
        crossed = monthly[(monthly.cap == r.cap) & (monthly.cap_year == r.cap_year) & monthly.cap_crossed_on.notna()]
        when = f", crossed on {crossed.cap_crossed_on.iloc[0]:%Y-%m-%d}" if len(crossed) else ""
        out.append({
            "detector": "cap_exceeded", "reporter": "all suppliers", "partner": "", "flow": "export", "hs": r.cap,
            "unit": r.unit, "freq": "A", "period": str(r.cap_year), "statistic": "percent of the cap", "score": float(r.percent_of_cap),
            # every source over the cap for the whole period: high; a source under it, or a figure that
            # does not cover the period (partial, or a pro-rated share of a longer one): medium
            "threshold": 100.0, "p_value": np.nan,
            "severity": "high" if r.low > r.cap_amount and bool(r.complete) else "medium",
            "reason": (f"{r.kind.capitalize()} deliveries under {r.cap} in {r.cap_year}: {r.delivered:,.0f} {r.unit} "
                       f"= {r.percent_of_cap:.0f}% of the {r.cap_amount:,.0f} {r.unit} cap ({r.basis}; sources range "
                       f"{r.low:,.0f}-{r.high:,.0f} {r.unit}{'' if r.complete else '; not the whole period'}){when}"),
            "explained_by": r.cap, "implied_missing": float(r.delivered - r.cap_amount), "evidence": r.basis})
    return out


# -- registered with the detectors' registry (mirror/detect/registry.py) ---------------------------
detector("sanctioned_trade", "partner-reported trade in goods a measure bans, in the banned direction, after its "
         "effective date", headline_rank=2)
detector("cap_exceeded", "deliveries beyond a UN cap (refined petroleum, crude), with the range when sources "
         "disagree", headline_rank=1)


@step(produces=("sanctioned_trade",), order=60)
def _sanctioned_trade_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    return sanctioned_trade(inputs.store.sanctioned_trade(inputs.country, freq=inputs.freq, summary=True), inputs.freq)


@step(produces=("cap_exceeded",), order=61)
def _cap_exceeded_step(inputs: Inputs, s: DetectSettings) -> list[dict]:
    if inputs.freq != "A":  # the caps are annual
        return []
    store = inputs.store
    return cap_exceeded(store.caps(inputs.country, kind=None), store.caps(inputs.country, kind=None, monthly=True))
