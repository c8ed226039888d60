"""The report's sections of findings (rebuilt trade, mirror, oil, banned goods, flags, what changed):
each a chart or two from aggregated data and the tables behind them, in words and units."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import charts, columns
from ..options import EmptyResult
from .findings import REFINED_CAP
from .page import Section
from .registry import Context, section
from .words import Col

if TYPE_CHECKING:
    from ..store import Store

USD_FOB = "USD, FOB"


def _aggregate(db: Store, query: str, frame: pd.DataFrame, **params: object) -> pd.DataFrame:
    """Run a report query over a frame a Store method returned (registered as report_input), so a
    chart's data are aggregated in SQL however large the store."""
    if frame.empty:
        return pd.DataFrame()
    return db.report_data(query, frame, **params)


def _in_years(periods: pd.Series, span: tuple[int, int]) -> pd.Series:
    year = pd.to_numeric(periods.astype(str).str[:4], errors="coerce")
    return year.between(span[0], span[1])


def rebuilt(b, iso3: str, name: str, span: tuple[int, int], top: int) -> list[Section]:
    db = b.db
    by_partner = db.reconstruct(iso3, by="partner", years=span)
    reported = _aggregate(db, "report_rebuilt_top", by_partner, top=top)
    totals = db.reconstruct(iso3, by="period", years=span)
    missing = missing_years(by_partner, span)
    intervals = pd.concat([totals[["year", f"{d}_usd_low", f"{d}_usd_high"]]
                           .set_axis(["year", "low", "high"], axis=1).assign(direction=d)
                           for d in ("imports", "exports") if f"{d}_usd_low" in totals], ignore_index=True) \
        if len(totals) else pd.DataFrame()
    shown = by_partner[by_partner.imports_usd.notna() | by_partner.exports_usd.notna()
                       | (by_partner.imports_status != "not available") | (by_partner.exports_status != "not available")]
    section = Section("rebuilt", f"{name}'s trade rebuilt from its partners",
                      f"{name}'s imports are what its partners report exporting to it; its exports are what they report "
                      "importing from it, converted from CIF to FOB. A year in which a partner's report is not in the "
                      "store is drawn as a grey band (missing data, not a fall in trade); a total summed from the HS "
                      "lines in the store rather than published by the partner is drawn pale, as it may be only part "
                      "of the trade.",
                      b.figure("rebuilt_trade", "Rebuilt trade by partner", reported,
                               lambda f: charts.rebuilt_trade(f, name, list(range(span[0], span[1] + 1)), missing,
                                                              intervals),
                               f"no partner reports {name}'s trade in the store"),
                      b.table("rebuilt_by_year", f"Rebuilt totals by year ({USD_FOB})", totals, {
                          "year": Col("year", "year"), "imports_usd": Col(f"imports ({USD_FOB})", "usd"),
                          "exports_usd": Col(f"exports ({USD_FOB})", "usd"),
                          "partners_reporting_exports_to": Col("partners reporting exports to it", "int"),
                          "partners_reporting_imports_from": Col("partners reporting imports from it", "int"),
                          "partners_not_available_imports": Col("partners missing (imports)", "int"),
                          "partners_not_available_exports": Col("partners missing (exports)", "int")},
                          "no year with a partner's report")
                      + b.table("rebuilt_by_partner", f"By partner and year ({USD_FOB})", shown, {
                          "year": Col("year", "year"), "partner": Col("partner", "country"),
                          "imports_usd": Col(f"imports ({USD_FOB})", "usd"),
                          "exports_usd": Col(f"exports ({USD_FOB})", "usd"),
                          "imports_status": Col("imports: the partner's report"),
                          "exports_status": Col("exports: the partner's report"), "source": Col("source")},
                          "no partner's report", sortable=True))
    return b.section(section, f"no partner reports {name}'s trade in the store")


NEAR_YEARS = 5  # a partner counts as missing from a year when it reported within this many years of it


def missing_years(by_partner: pd.DataFrame, span: tuple[int, int]) -> pd.DataFrame:
    """(year, direction, missing) where a partner that reports the country's trade in nearby years
    (within NEAR_YEARS) has no report of that year in the store (state 'not available'): that year's
    bar lacks it, which is missing data, not a fall in trade. A year no partner reports at all is
    missing too. Nearby only: the USSR's 1989 trade, reported as Russia's, does not make every later
    year "missing Russia"; China's absent 2014 report, between 2013 and 2016, does."""
    rows = []
    for direction, value, status in (("imports", "imports_usd", "imports_status"),
                                     ("exports", "exports_usd", "exports_status")):
        gaps: dict = {}
        seen: set = set()
        if len(by_partner):
            reporting = set(by_partner[by_partner[value].notna()].partner)
            absent = by_partner[(by_partner[status] == "not available") & by_partner.partner.isin(reporting)]
            years_of = by_partner[by_partner[value].notna()].groupby("partner").year.apply(lambda y: np.sort(y.to_numpy()))
            near = [bool(np.min(np.abs(years_of[p] - y)) <= NEAR_YEARS) for p, y in zip(absent.partner, absent.year,
                                                                                        strict=True)]
            absent = absent[np.asarray(near, dtype=bool)]  # (a plain empty list would select no columns)
            names = absent.partner_name.fillna(absent.partner) if "partner_name" in absent else absent.partner
            gaps = absent.assign(n=names).groupby("year").n.apply(lambda p: ", ".join(sorted(p))).to_dict()
            seen = set(by_partner[by_partner[value].notna()].year)
        for year in range(span[0], span[1] + 1):
            if year in gaps or year not in seen:
                rows.append({"year": year, "direction": direction,
                             "missing": gaps.get(year, "every partner")})
    return pd.DataFrame(rows, columns=["year", "direction", "missing"])


def mirror(b, iso3: str, name: str, span: tuple[int, int], top: int, pair: tuple[pd.DataFrame, str]) -> list[Section]:
    """``pair``: pair_to_show's rows and title (read by build_report while the HS4 build is current)."""
    db = b.db
    # The cells query reads the mirror tables of the TOTAL level: built (or found built) through the
    # smallest result that makes them, each country's reliability, not every pair's rows.
    db.reliability()
    cells = db.report_data("report_discrepancy_cells", country=iso3, top=top)
    cells = cells[cells.year.between(*span)]
    pair, title = pair
    uv = db.report_data("report_unit_values", country=iso3, top=6, partners=8)
    uv = uv[uv.year.between(*span)]
    if len(uv):  # a facet's label: '2701 Coal', the description on hover
        uv = uv.assign(product=uv.hs.map(lambda h: b.names.hs_label(h, 40)))
    # whose silence the grey cells are: the country's own (North Korea's: it publishes nothing) or
    # either side's in some years (a country that reports its trade)
    own = ((cells.direction == "exports") & cells.exporter_reported_usd.notna()
           | (cells.direction == "imports") & cells.importer_reported_usd.notna()) if len(cells) else pd.Series([], dtype=bool)
    grey = (f"which for {name} is the rule: it publishes nothing" if not own.any() else
            "where the other side's report of the year is not in the store")
    section = Section("mirror", "Mirror discrepancies",
                      "Each flow has two reports: the exporter's (FOB) and the importer's (CIF, converted to FOB here). "
                      "The discrepancy index (X − M) / (X + M) runs from −1 (only the importer reports) to 1 (only the "
                      f"exporter reports); grey cells have one report only, {grey}.",
                      b.figure("discrepancy_heatmap", "Discrepancies by partner and year", cells,
                               lambda f: charts.discrepancy_heatmap(f, name), f"no mirror pairs of {name}'s trade")
                      + b.figure("pair_series", "One pair's two reports", pair, lambda f: charts.pair_series(f, title),
                                 f"no pair of {name}'s trade with a report of an HS heading")
                      + b.figure("unit_values", "Unit values against the world distribution", uv,
                                 lambda f: charts.unit_values(f, name),
                                 f"no figure of {name}'s trade gives both a value and a weight"),
                      b.table("mirror_cells", "Both reports by partner and year (USD)", cells, {
                          "partner": Col("partner", "country"), "direction": Col(f"{name}'s"),
                          "year": Col("year", "year"), "exporter_reported_usd": Col("exporter reported (USD, FOB)", "usd"),
                          "importer_reported_usd": Col("importer reported (USD, CIF)", "usd"),
                          "importer_reported_fob_usd": Col("importer reported at FOB (USD)", "usd"),
                          "discrepancy_index": Col("discrepancy index", "ratio"), "reported_by": Col("reported by"),
                          "sources": Col("sources")}, "no mirror pairs", sortable=True))
    return b.section(section, f"no mirror pairs of {name}'s trade")


def pair_to_show(db: Store, names, iso3: str, span: tuple[int, int]) -> tuple[pd.DataFrame, str]:
    """The pair-product with the most years reported by both sides (the largest trade breaking
    ties) at HS4; when no pair of the country has both reports (the DPRK's case), the one with the
    most years reported by either side, titled as one-sided. Chosen in SQL (report_pair_to_show),
    then only that pair's rows read: a large country's HS4 rows over a long panel would not fit in
    memory as a frame (China's in a 30-year BACI-scale store: tens of millions)."""
    db.reliability(level="4")  # the HS4 build current (found kept, or built), its rows not read
    best = db.report_data("report_pair_to_show", country=iso3, year_from=span[0], year_to=span[1])
    if best.empty:
        return pd.DataFrame(), "One pair's two reports"
    best = best.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyResult)
        pair = db.mirror(exporter=best.exporter, importer=best.importer, hs=best.hs, level="4", years=span)
    exporter, importer = names.country(best.exporter), names.country(best.importer)
    if best.both:
        how = "both reports"
    else:
        silent = importer if pair.value_importer_usd.isna().all() else exporter
        how = f"one report only ({silent} publishes none)"
    return pair.sort_values("year"), f"{exporter} to {importer}, {names.hs_label(best.hs, 45)}: {how}"


def oil(b, iso3: str, name: str, oil: pd.DataFrame, caps: pd.DataFrame, factor_set: str) -> list[Section]:
    db = b.db
    vs_customs = db.notifications_vs_customs(iso3, factor_set=factor_set)
    refined = caps[(caps.cap == REFINED_CAP) & (caps.reporter != "all suppliers")] if len(caps) else caps
    totals = caps[(caps.cap == REFINED_CAP) & (caps.reporter == "all suppliers")] if len(caps) else caps
    cap_frame = (totals.assign(suppliers=totals.cap_year.map(_suppliers(refined, b.names)))
                 if len(totals) else totals)
    shown_caps = caps[caps.reporter.isin(["all suppliers", "CHN", "RUS"])] if len(caps) else caps
    if len(shown_caps):
        shown_caps = shown_caps.assign(cap_words=shown_caps.cap.map(lambda c: b.names.ids.get(c, c)))
    section = Section("oil", "Oil and the UN caps",
                      "Crude (HS 2709) and refined products (HS 2710) in tonnes, converted to barrels with the factor set "
                      f"'{factor_set}'; the deliveries notified to the UN 1718 Committee against the caps of resolution "
                      "2397 (4 million barrels of crude, 500,000 barrels of refined products a year); UN notifications "
                      "beside the same suppliers' customs figures.",
                      b.figure("oil_deliveries", "Oil in tonnes", _aggregate(db, "report_oil_points", oil, country=iso3, top=6),
                               lambda f: charts.oil_deliveries(f, name), f"no annual oil figures for {name}")
                      + b.figure("cap_deliveries", "Refined petroleum against the cap", cap_frame,
                                 charts.cap_deliveries, "no notified deliveries of refined petroleum")
                      + b.figure("notifications_vs_customs", "Notifications vs customs", vs_customs,
                                 lambda f: charts.notifications_vs_customs(f, b.names.countries),
                                 "no notifications or customs figures of refined petroleum"),
                      b.table("caps", "Deliveries against the caps", shown_caps,
                              columns.shown_as(columns.CAPS, cap="cap_words"), "no deliveries against a cap", sortable=True)
                      + b.table("oil", "Every oil figure", oil, columns.OIL, "no oil figures", sortable=True)
                      + b.table("notifications_vs_customs", "Notifications vs customs (tonnes)", vs_customs,
                                columns.NOTIFICATIONS, "no notifications or customs figures", sortable=True))
    return b.section(section, f"no oil figures for {name}")


def _suppliers(rows: pd.DataFrame, names) -> dict:
    """cap year -> 'China 140,692; Russia 241,114' (each supplier's own figure, for the tooltip)."""
    out: dict = {}
    for year, group in rows.sort_values("delivered", ascending=False).groupby("cap_year"):
        out[year] = "; ".join(f"{names.country(r.reporter)} {r.delivered:,.0f}" for r in group.itertuples())
    return out


def sanctions(b, iso3: str, name: str, span: tuple[int, int]) -> list[Section]:
    db = b.db
    rows = db.sanctioned_trade(iso3, include_before=True)
    rows = rows[_in_years(rows.period, span)] if len(rows) else rows
    after = db.sanctioned_trade(iso3, summary=True)
    if len(after):  # a measure with no trade after it or in its wind-down is the ban obeyed: not a row here
        after = after[after.value_after_usd.notna() | after.value_wind_down_usd.notna()]
        after = after.assign(measure_words=after.measure.map(b.names.measure))
    points = _aggregate(db, "report_banned_points", rows)
    if len(points):
        points = points.assign(chapter_name=points.chapter.map(lambda c: b.names.hs_label(c, 30)))
    dates = (rows[["measure", "effective"]].drop_duplicates() if len(rows)
             else pd.DataFrame(columns=["measure", "effective"]))
    dates = dates.assign(label=dates.measure.map(b.names.measure))
    measures = db.measures(iso3)
    section = Section("sanctions", "Trade in banned goods",
                      "Reported trade in goods after the date a UN measure banned it. A fall to zero after the date is "
                      "the ban obeyed; trade after it is a finding, subject to the measure's exemptions.",
                      b.figure("banned_goods", "Banned goods before and after each measure", points,
                               lambda f: charts.banned_goods(f, _rule_labels(dates), name),
                               f"no reported trade of {name} in goods a measure bans"),
                      b.table("sanctioned_trade", "Trade after each ban, by measure (bans obeyed are not listed)", after,
                              columns.shown_as(columns.BANNED_TRADE_SUMMARY, measure="measure_words"),
                              "no trade after a ban", sortable=True)
                      + b.table("measures", "The measures", measures, columns.MEASURES,
                                f"no measure against {name} in the register", collapsed=True))
    return b.section(section, f"no measure against {name} and no trade in banned goods")


def _rule_labels(dates: pd.DataFrame) -> pd.DataFrame:
    """One label per date and resolution: 'Resolution 2270 (2016) para 29 (coal)' and '... (iron and
    iron ore)' on the same day read '2270: coal; iron and iron ore'."""
    import re

    parts = dates.label.str.extract(r"^Resolution (\d+) \(\d{4}\) para .+? \(([^()]*)\)$")
    dates = dates.assign(res=parts[0].fillna(dates.label), goods=parts[1].fillna(""))
    out = []
    for (effective, res), group in dates.groupby(["effective", "res"], sort=True):
        goods = "; ".join(dict.fromkeys(g for g in group.goods if g))
        out.append({"measure": ", ".join(group.measure), "effective": effective,
                    "label": f"{res}: {goods}" if goods and re.fullmatch(r"\d+", res) else res})
    return pd.DataFrame(out, columns=["measure", "effective", "label"])


def flags(b, flags: pd.DataFrame) -> list[Section]:
    names = b.names
    shown = flags
    if len(flags):
        shown = flags.assign(
            goods=[names.hs_label(h, 40) if str(h)[:1].isdigit() else names.measure(h) if str(h) in names.ids
                   else str(h)
                   for h in flags.hs.fillna("")],
            series=[f"{names.country(r)} {'to' if f == 'export' else 'from'} {names.country(p)}" if p else names.country(r)
                    for r, p, f in zip(flags.reporter, flags.partner.fillna(""), flags.flow, strict=True)],
            reason_words=flags.reason.map(names.sentence))
    section = Section("flags", "All flags",
                      "Every anomaly the detectors found, most severe first, with the reason in plain English. Click a "
                      "column heading to sort.",
                      b.figure("flags_timeline", "Flags on a timeline", _flag_points(b, flags),
                               charts.flags_timeline, "the detectors found nothing"),
                      b.table("flags", "Flags", shown, {
                          "severity": Col("severity"), "detector": Col("detector", "words"), "series": Col("series"),
                          "goods": Col("goods"), "period": Col("period", "period"), "score": Col("score", "ratio"),
                          "reason_words": Col("reason")}, "the detectors found nothing", max_rows=1000, sortable=True))
    return b.section(section, "the detectors found nothing in the years of the report")


def _flag_points(b, flags: pd.DataFrame) -> pd.DataFrame:
    points = _aggregate(b.db, "report_flag_points", flags)
    if len(points):  # the tooltip's sentence as the table writes it
        points = points.assign(example_reason=points.example_reason.map(b.names.sentence),
                               example_series=points.example_series.map(b.names.sentence))
    return points


def changes(b, iso3: str) -> list[Section]:
    db = b.db
    batch = db.meta("last_batch_since")
    if batch is None or int(batch) == 0:  # one batch holds everything: nothing earlier to compare with
        b.left_out.append("“What changed”: everything in the store came in one load or refresh, so there is no "
                          "earlier release to compare with")
        return []
    found = db.changes(country=iso3)
    latest = db.report_data("report_batch_releases", since=int(batch)).iat[0, 0]
    revisions, coverage, flagged = found["revisions"], found["coverage"], found["flags"]
    counts = [f"{len(revisions)} figure{'s' if len(revisions) != 1 else ''} revised",
              f"{len(coverage)} source-reporter pair{'s' if len(coverage) != 1 else ''} with new or revised figures",
              f"{len(flagged)} flag{'s' if len(flagged) != 1 else ''} appeared or disappeared"]
    section = Section("changes", "What changed in the last refresh",
                      f"What the last load or refresh ({latest}) changed against the releases loaded before it: figures "
                      "revised (old and new value), periods and reporters added, flags that appeared or disappeared.",
                      tables=b.table("changes_revisions", "Revised figures", revisions, {}, "no figure revised",
                                     max_rows=100, sortable=True)
                      + b.table("changes_coverage", "New periods and reporters", coverage, {}, "no new periods")
                      + b.table("changes_flags", "Flags appeared or disappeared", flagged, {}, "no flag changed"),
                      notes=["; ".join(counts).capitalize() + "."])
    return [section]


# -- registered with the report's sections (registry.py), in the page's order --------------------------
@section(10, "rebuilt trade")
def _rebuilt_section(c: Context) -> list[Section]:
    return rebuilt(c.b, c.iso3, c.name, c.span, c.top)


@section(20, "mirror discrepancies")
def _mirror_section(c: Context) -> list[Section]:
    return mirror(c.b, c.iso3, c.name, c.span, c.top, c.pair)


@section(30, "oil and caps")
def _oil_section(c: Context) -> list[Section]:
    return oil(c.b, c.iso3, c.name, c.oil, c.caps, c.factor_set)


@section(40, "banned goods")
def _sanctions_section(c: Context) -> list[Section]:
    return sanctions(c.b, c.iso3, c.name, c.span)


@section(50, "flags")
def _flags_section(c: Context) -> list[Section]:
    return flags(c.b, c.flags)


@section(60, "what changed")
def _changes_section(c: Context) -> list[Section]:
    return changes(c.b, c.iso3)
