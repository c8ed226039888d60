"""The headline findings: the most severe flags (those that could check everything they need first)
and the refined petroleum notified against the UN cap, each a sentence in words with its numbers
and the citations of the figures behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..detect import DETECTORS
from .page import Finding
from .words import Names

if TYPE_CHECKING:
    from ..store import Store

REFINED_CAP = "UNSCR2397-refined"


def findings(db: Store, names: Names, iso3: str, name: str, flags: pd.DataFrame, caps: pd.DataFrame,
             oil: pd.DataFrame) -> list[Finding]:
    out = []
    if len(flags):
        # Nothing built on data the store lacks leads: flags that could check everything they need
        # come first, then by severity and the detector's rank.
        rank = {d.name: d.headline_rank for d in DETECTORS.values()}
        top = flags.assign(_o=flags.detector.map(rank).fillna(9), _s=flags.severity.map({"high": 0, "medium": 1}).fillna(2),
                           _m=flags.get("missing_data", pd.Series(None, index=flags.index)).notna())
        cited: dict = {}  # the cap's flags of several years share one series: its sources are read once
        for flag in top.sort_values(["_m", "_s", "_o"], kind="stable").head(5).itertuples(index=False):
            sources = flag_sources(db, flag, cited)
            if not sources and flag.detector == "cap_exceeded":  # a cap's total is every supplier's figures
                kind = str(flag.reason).split(" ", 1)[0].lower()
                sources = [f"every supplier's {kind} figures in the store (listed by: trade-mirror caps --kind {kind})"]
            out.append(Finding(names.sentence(flag.reason), sources, flag.detector))
    cap = cap_finding(name, caps, oil)
    if cap:
        out.insert(min(1, len(out)), cap)
    return out


def flag_sources(db: Store, flag: object, cited: dict | None = None) -> list[str]:
    """The publishers of the figures behind a flag's series - the reports, then any estimate of the
    same flow - each with its source and release (``cited``: those already read, by series)."""
    hs = str(flag.hs) if flag.hs and str(flag.hs)[:1].isdigit() else None
    flow = flag.flow if isinstance(flag.flow, str) and flag.flow else None
    # Estimates are cited only for a flag on one HS code (a gap's estimate of the same flow); a flag
    # on a group of goods (a ban) cites the reports it counted.
    series = (flag.reporter, flag.partner, hs, flow)
    if cited is not None and series in cited:
        return list(cited[series])
    kinds = [["reported", "notified"]] + ([["estimated"]] if hs else [])
    found: list[str] = []
    for wanted in kinds:
        rows = db.report_data("report_flag_sources", reporter=flag.reporter, partner=flag.partner, hs=hs,
                              flow=flow, kinds=wanted)
        found += list(rows.iloc[:, 0])
    if cited is not None:
        cited[series] = found
    return list(found)


def cap_finding(name: str, caps: pd.DataFrame, oil: pd.DataFrame) -> Finding | None:
    """The refined cap year by year from the all-suppliers rows of db.caps(): the same deliveries the
    cap chart draws (every supplier, every kind of notification)."""
    if caps.empty:
        return None
    refined = caps[(caps.cap == REFINED_CAP) & (caps.reporter == "all suppliers")].sort_values("cap_year")
    if refined.empty:
        return None
    cap_amount = refined.cap_amount.iloc[0]
    # the range where the sources disagree (suppliers' own figures, group figures, publishers)
    years = "; ".join(f"{int(r.cap_year)}: {r.delivered:,.0f} bbl ({r.percent_of_cap:.0f}% of the cap)"
                      + (f", sources {r.low:,.0f}-{r.high:,.0f}" if round(r.low) != round(r.high) else "")
                      for r in refined.itertuples(index=False))
    peak = refined.loc[refined.percent_of_cap.idxmax()]
    verdict = "above the cap" if peak.percent_of_cap > 100 else "below the cap on paper"
    text = (f"Refined petroleum notified to the UN 1718 Committee as delivered to {name}, against the cap of "
            f"{cap_amount:,.0f} barrels a year (UNSC resolution 2397), all suppliers: {years}. The highest year, "
            f"{int(peak.cap_year)}, is {verdict}; the notifications are what suppliers chose to report, and the "
            "UN Panel of Experts estimated far larger unreported ship-to-ship deliveries.")
    notified = oil[oil.kind == "notified"] if len(oil) else oil
    sources = []
    if len(notified):
        cited = notified[["publisher", "source", "release"]].dropna(subset=["publisher"]).drop_duplicates()
        sources = [f"{r.publisher} ({r.source}, release {r.release})" for r in cited.itertuples(index=False)]
    return Finding(text, sorted(sources) or ["UN 1718 Committee notifications"], "cap")
