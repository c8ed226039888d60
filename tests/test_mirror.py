"""The mirror engine on hand-computed cases: each case's numbers are worked out in its comment."""

import math

import numpy as np
import pandas as pd
import pytest

import mirror
from mirror import simulate

from .helpers import load_rows, row


def one(frame, **where):
    for k, v in where.items():
        frame = frame[frame[k] == v]
    assert len(frame) == 1, frame
    return frame.iloc[0]


def test_fixed_factor_100_export_against_106_cif_import_is_no_gap(db, tmp_path):
    # X = 100 FOB, M = 106 CIF; at the IMF's 1.06, M_fob = 100: gap 0, ln ratio 0, DI 0.
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106)])
    r = one(db.mirror(level="4"), exporter="CHN", importer="PRK")
    assert r.reported_by == "both"
    assert r.value_importer_fob_usd == pytest.approx(100.0)
    assert r.gap_usd == pytest.approx(0.0, abs=1e-9)
    assert r.log_ratio == pytest.approx(0.0, abs=1e-12)
    assert r.discrepancy_index == pytest.approx(0.0, abs=1e-12)
    assert r.cif_fob_factor == pytest.approx(1.06) and r.cif_fob_method == "fixed 1.060"


def test_gap_log_ratio_and_index(db, tmp_path):
    # X = 200, M = 106 -> M_fob = 100; gap = -100; ln(100/200) = -0.6931; DI = (200-100)/300 = 1/3.
    load_rows(db, tmp_path, [row("RUS", "KOR", "X", "2701", 200, kg=1000),
                             row("KOR", "RUS", "M", "2701", 106, kg=800)])
    r = one(db.mirror(level="4"), exporter="RUS", importer="KOR")
    assert r.gap_usd == pytest.approx(-100.0)
    assert r.log_ratio == pytest.approx(math.log(0.5))
    assert r.discrepancy_index == pytest.approx(1 / 3)
    # Weights: 800 - 1000 = -200 kg; unit values 200/1000 = 0.2 and 100/800 = 0.125 USD/kg.
    assert r.weight_gap_kg == pytest.approx(-200.0) and r.weight_log_ratio == pytest.approx(math.log(0.8))
    assert r.unit_value_exporter_usd_kg == pytest.approx(0.2)
    assert r.unit_value_importer_fob_usd_kg == pytest.approx(0.125)


def test_one_sided_reports_where_the_other_side_is_not_available(db, tmp_path):
    # China reports exporting cars to PRK; PRK publishes nothing (nothing of PRK is in the store), so
    # the import side is NOT AVAILABLE: no gap, no log ratio, no discrepancy index - never "lost" (+1).
    # Likewise Russia's exports are not in the store at all: PRK's import report stands alone.
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "8703", 50), row("PRK", "RUS", "M", "2710", 53)])
    m = db.mirror(level="4")
    lost = one(m, exporter="CHN", importer="PRK")
    assert lost.reported_by == "exporter only, importer not available"
    assert math.isnan(lost.discrepancy_index) and math.isnan(lost.gap_usd) and math.isnan(lost.value_importer_usd)
    orphan = one(m, exporter="RUS", importer="PRK")
    assert orphan.reported_by == "importer only, exporter not available"
    assert orphan.value_importer_fob_usd == pytest.approx(50.0)
    assert math.isnan(orphan.log_ratio) and math.isnan(orphan.discrepancy_index)


def test_one_sided_reports_where_the_other_side_reported_nothing(db, tmp_path):
    # Korea publishes its 2018 imports from China (TOTAL 1,000 and HS 8517: 60) but has no row for HS
    # 2709: it REPORTED NOTHING (a zero it did not write). China reports 2709 exports of 50 to Korea:
    # M = 0 is known, so gap = 0 - 50 = -50 and DI = (50 - 0) / (50 + 0) = +1 ("lost"); log ratio
    # undefined (ln 0). The reverse: Korea imports 8517 (60) that China, which published its 2018
    # exports to Korea (2709 and TOTAL), did not list: exporter reported nothing, DI = -1.
    load_rows(db, tmp_path, [row("CHN", "KOR", "X", "2709", 50), row("CHN", "KOR", "X", "TOTAL", 900),
                             row("KOR", "CHN", "M", "TOTAL", 1000), row("KOR", "CHN", "M", "8517", 60)])
    m = db.mirror(level="4")
    lost = one(m, exporter="CHN", importer="KOR", hs="2709")
    assert lost.reported_by == "exporter only, importer reported nothing"
    assert lost.value_importer_usd == 0.0 and lost.gap_usd == pytest.approx(-50.0)
    assert lost.discrepancy_index == pytest.approx(1.0) and math.isnan(lost.log_ratio)
    orphan = one(m, exporter="CHN", importer="KOR", hs="8517")
    assert orphan.reported_by == "importer only, exporter reported nothing"
    assert orphan.value_exporter_usd == 0.0 and orphan.discrepancy_index == pytest.approx(-1.0)
    # a year Korea did not publish at all (2019: only China's report is loaded) is not available
    load_rows(db, tmp_path, [row("CHN", "KOR", "X", "2709", 55, year=2019)])
    later = one(db.mirror(level="4"), exporter="CHN", importer="KOR", hs="2709", year=2019)
    assert later.reported_by == "exporter only, importer not available" and math.isnan(later.discrepancy_index)


def test_hs6_to_hs4_rollup_does_not_double_count(db, tmp_path):
    # China reports heading 2710 (30) AND its subheadings 271012 (10) + 271019 (20): counted once, as 30.
    # Korea reports only subheadings 271012 (5) + 271019 (6): summed to 11 for heading 2710.
    load_rows(db, tmp_path, [
        row("CHN", "PRK", "X", "2710", 30), row("CHN", "PRK", "X", "271012", 10), row("CHN", "PRK", "X", "271019", 20),
        row("KOR", "PRK", "X", "271012", 5), row("KOR", "PRK", "X", "271019", 6),
    ])
    m4 = db.mirror(level="4")
    china = one(m4, exporter="CHN", hs="2710")
    assert china.value_exporter_usd == 30 and china.resolved_exporter == "reported"
    korea = one(m4, exporter="KOR", hs="2710")
    assert korea.value_exporter_usd == 11 and korea.resolved_exporter == "sum of HS6"
    # Chapter 27 from the heading (China) and from the subheadings through the heading (Korea).
    m2 = db.mirror(level="2")
    assert one(m2, exporter="CHN").value_exporter_usd == 30
    assert one(m2, exporter="KOR").value_exporter_usd == 11
    # TOTAL: nobody reported a total, so it is the sum of chapters.
    assert one(db.mirror(level="TOTAL"), exporter="CHN").value_exporter_usd == 30
    # HS6 shows the subheadings only.
    assert sorted(db.mirror(level="6", exporter="CHN").value_exporter_usd) == [10, 20]


def test_a_reported_total_is_preferred_to_the_sum_of_chapters(db, tmp_path):
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "TOTAL", 1000), row("CHN", "PRK", "X", "27", 300)])
    t = one(db.mirror(level="TOTAL"), exporter="CHN")
    assert t.value_exporter_usd == 1000 and t.resolved_exporter == "reported"


def test_monthly_and_annual_are_never_mixed(db, tmp_path):
    # An annual figure of 120 and monthly figures of 10 each for the same flow and year.
    rows = [row("CHN", "PRK", "X", "2709", 120)] + [row("CHN", "PRK", "X", "2709", 10, month=m) for m in range(1, 13)]
    load_rows(db, tmp_path, rows)
    annual = db.mirror(level="4", freq="A")
    assert list(annual.value_exporter_usd) == [120]
    monthly = db.mirror(level="4", freq="M")
    assert len(monthly) == 12 and set(monthly.value_exporter_usd) == {10}
    assert set(monthly.freq) == {"M"} and list(monthly.period)[:2] == ["2018-01", "2018-02"]


def test_one_figure_per_flow_by_source_preference(db, tmp_path):
    # The same flow from two sources: Comtrade says 100, a national customs table says 90.
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100)])
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 90)], source="gacc")
    r = one(db.mirror(level="4"), exporter="CHN")
    assert (r.value_exporter_usd, r.source_exporter, r.figures_considered) == (100, "comtrade", 2)
    r = one(db.mirror(level="4", source_order=("gacc", "comtrade")), exporter="CHN")
    assert (r.value_exporter_usd, r.source_exporter) == (90, "gacc")  # never 190: one figure per flow
    alternatives = db.query("flow_alternatives", reporter="CHN", partner="PRK", flow="export")
    assert sorted(alternatives.value) == [90, 100]


def test_competing_hs6_figures_are_found_as_the_chunk_is_paired_and_one_is_chosen(db, tmp_path):
    # At HS6 figures enter as published and nothing is counted before pairing: a second source's
    # figure for a flow shows as a repeated key of the paired chunk, which is then paired again,
    # choosing. Both shapes: a flow the importer reports too (CHN->PRK 270900: 100 or 90, import 106)
    # and one only the exporter reports (RUS->PRK 271019: 7 or 8, never a second row); its 2019
    # figure has no competitor and is kept.
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "270900", 100), row("PRK", "CHN", "M", "270900", 106),
                             row("RUS", "PRK", "X", "271019", 7), row("RUS", "PRK", "X", "271019", 5, year=2019)])
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "270900", 90), row("RUS", "PRK", "X", "271019", 8)], source="gacc")
    m = db.mirror(level="6")
    assert len(m) == 3 and not m.duplicated(["year", "exporter", "importer", "hs"]).any()
    r = one(m, exporter="CHN", year=2018)
    assert (r.value_exporter_usd, r.value_importer_usd, r.source_exporter, r.figures_considered) == (100, 106, "comtrade", 3)
    r = one(m, exporter="RUS", year=2018)
    assert (r.value_exporter_usd, r.source_exporter, r.figures_considered) == (7, "comtrade", 2)
    assert one(m, exporter="RUS", year=2019).value_exporter_usd == 5
    r = one(db.mirror(level="6", source_order=("gacc", "comtrade")), exporter="RUS", year=2018)
    assert (r.value_exporter_usd, r.source_exporter) == (8, "gacc")


def test_importer_reporting_fob_is_not_converted(db, tmp_path):
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100),
                             row("PRK", "CHN", "M", "2709", 104, valuation="FOB")])
    r = one(db.mirror(level="4"), exporter="CHN")
    assert r.cif_fob_factor == 1.0 and r.value_importer_fob_usd == 104
    assert r.cif_fob_method == "none: importer reports FOB"


def pair_history(exporter, importer, ratios, hs="8703"):
    """Rows for one pair over years: X = 100, M = 100 * ratio."""
    rows = []
    for year, ratio in zip(range(2001, 2001 + len(ratios)), ratios, strict=True):
        rows += [row(exporter, importer, "X", hs, 100, year=year), row(importer, exporter, "M", hs, 100 * ratio, year=year)]
    return rows


def test_estimated_cif_fob_shrunk_toward_all_pairs_median_and_clipped(db, tmp_path):
    # Pair A (DEU->FRA): 4 years with M/X = 1.04 -> median ln = 0.03922.
    # Pair B (JPN->KOR): 4 years with M/X = 1.10 -> median ln = 0.09531.
    # All-pairs median over the 8 observations m0 = (0.03922 + 0.09531)/2 = 0.06727.
    # With shrinkage k = 4: tau_A = (4*0.03922 + 4*0.06727)/8 = 0.05324.
    load_rows(db, tmp_path, pair_history("DEU", "FRA", [1.04] * 4) + pair_history("JPN", "KOR", [1.10] * 4))
    m = db.mirror(level="4", cif_fob="pair", shrinkage=4)
    a, b = math.log(1.04), math.log(1.10)
    m0 = (a + b) / 2
    r = m[(m.exporter == "DEU") & (m.year == 2001)].iloc[0]
    assert math.log(r.cif_fob_factor) == pytest.approx((4 * a + 4 * m0) / 8)
    assert r.cif_fob_method == "pair estimate (n=4)"
    # Clip at 0.20: a pair whose imports run 50% above exports is adjusted by e^0.20 at most.
    r = one(db.mirror(level="4", cif_fob="pair", shrinkage=0, max_margin=0.05), exporter="JPN", year=2002)
    assert r.cif_fob_factor == pytest.approx(math.exp(0.05)) and "clipped to 0.05" in r.cif_fob_method


def test_estimated_cif_fob_not_applied_below_zero_or_where_it_widens_the_gap(db, tmp_path):
    # Pair USA->CAN: M below X every year (ln(0.9) < 0): the estimate is below zero -> no adjustment.
    # Pair DEU->FRA: M/X = 1.05 in three years, 0.97 in 2004: there adjusting would widen the gap.
    load_rows(db, tmp_path, pair_history("USA", "CAN", [0.9] * 3) + pair_history("DEU", "FRA", [1.05, 1.05, 1.05, 0.97]))
    m = db.mirror(level="4", cif_fob="pair", shrinkage=0, widen_rule="flow")
    usa = m[m.exporter == "USA"]
    assert set(usa.cif_fob_factor) == {1.0} and all("below zero: not adjusted" in s for s in usa.cif_fob_method)
    deu = m[m.exporter == "DEU"].set_index("year")
    assert deu.loc[2001, "cif_fob_factor"] == pytest.approx(1.05)  # median of ln(1.05) x3, ln(0.97)
    assert deu.loc[2004, "cif_fob_factor"] == 1.0
    assert "would widen the gap: not adjusted" in deu.loc[2004, "cif_fob_method"]
    # widen_rule 'none' (the default): every flow of the pair gets the pair's margin, 2004 included,
    # so low import reports are not left at CIF (the per-flow rule's upward bias).
    none = db.mirror(level="4", cif_fob="pair", shrinkage=0)
    assert set(none[none.exporter == "DEU"].cif_fob_factor.round(10)) == {round(1.05, 10)}
    # widen_rule 'pair': DEU->FRA's median ln(M/X) = ln 1.05 >= tau/2, so the pair is adjusted, all of it.
    pair_rule = db.mirror(level="4", cif_fob="pair", shrinkage=0, widen_rule="pair")
    assert set(pair_rule[pair_rule.exporter == "DEU"].cif_fob_factor.round(10)) == {round(1.05, 10)}


def test_pair_rule_leaves_a_pair_alone_where_its_margin_would_widen_its_gap(db, tmp_path):
    # DEU->FRA: M/X = 1.10 (4 years); ITA->ESP: M/X = 1.01 (2 years). All-pairs median m0 = ln 1.10
    # (4 of the 6 observations). With k = 8: tau_ITA = (2 ln 1.01 + 8 ln 1.10) / 10 = 0.07824, and its
    # median ln 1.01 = 0.00995 < tau / 2 = 0.03912: adjusting would widen the pair's typical gap.
    load_rows(db, tmp_path, pair_history("DEU", "FRA", [1.10] * 4) + pair_history("ITA", "ESP", [1.01] * 2))
    m = db.mirror(level="4", cif_fob="pair", shrinkage=8, widen_rule="pair")
    ita = m[m.exporter == "ITA"]
    assert set(ita.cif_fob_factor) == {1.0}
    assert all("would widen the pair's gap: not adjusted" in s for s in ita.cif_fob_method)
    tau_deu = (4 * math.log(1.10) + 8 * (math.log(1.10))) / 12
    assert set(m[m.exporter == "DEU"].cif_fob_factor.round(10)) == {round(math.exp(tau_deu), 10)}


def test_unit_value_basis_uses_quantities(db, tmp_path):
    # X: 100 USD for 100 kg (1.00/kg); M: 115 USD for 110 kg (1.0455/kg) -> ln UV ratio = ln(1.04545) = 0.04445,
    # while the value ratio ln(1.15) = 0.1398 mixes in the 10% quantity discrepancy.
    rows = []
    for year in (2001, 2002, 2003):
        rows += [row("AUS", "JPN", "X", "2601", 100, year=year, kg=100), row("JPN", "AUS", "M", "2601", 115, year=year, kg=110)]
    load_rows(db, tmp_path, rows)
    r = one(db.mirror(level="4", cif_fob="unit-value", shrinkage=0), year=2001)
    assert math.log(r.cif_fob_factor) == pytest.approx(math.log((115 / 110) / 1.0))
    assert r.cif_fob_method == "unit-value estimate (n=3)"


def test_reliability_gives_the_noisier_reporter_the_smaller_weight(db, tmp_path):
    # Five countries trade 2 goods both ways for 4 years. True value 100. Every report is exact (to
    # a CIF margin of 6%) except KAZ's export reports, which are off by +/-50%. BACI's weights must
    # then trust KAZ's importers over KAZ as exporter: w_X(KAZ -> j) < 0.5 < w_X(i -> j) for others.
    countries = ["DEU", "FRA", "ITA", "ESP", "KAZ"]
    rows = []
    noise = [1.5, 0.6, 1.4, 0.7]
    for year_i, year in enumerate(range(2011, 2015)):
        for i in countries:
            for j in countries:
                if i == j:
                    continue
                for hs in ("8703", "2709"):
                    x = 100 * (noise[(year_i + len(i + j)) % 4] if i == "KAZ" else 1.0)
                    rows += [row(i, j, "X", hs, round(x, 2), year=year), row(j, i, "M", hs, 106, year=year)]
    load_rows(db, tmp_path, rows)
    rel = db.reliability(level="4").set_index(["role", "country"])
    assert rel.loc[("exporter", "KAZ"), "variance"] > 10 * rel.loc[("exporter", "DEU"), "variance"]
    m = db.mirror(level="4")
    kaz = m[m.exporter == "KAZ"].weight_exporter
    others = m[m.exporter != "KAZ"].weight_exporter
    assert kaz.max() < 0.5 < others.min()
    # Reconciled value of a KAZ export sits near the importers' (correct) 100, not KAZ's report.
    r = m[(m.exporter == "KAZ") & (m.importer == "DEU") & (m.year == 2011) & (m.hs == "8703")].iloc[0]
    assert abs(r.value_reconciled_usd - 100) < abs(r.value_exporter_usd - 100) / 2


def test_reconstruct_a_non_reporter_from_its_partners(db, tmp_path):
    # PRK reports nothing. 2018: China exports 100 to it and imports 53 (CIF) from it; Russia exports 20;
    # India reports imports of 10.6 from it. 2019: China exports 80; Russia reports only other trade.
    load_rows(db, tmp_path, [
        row("CHN", "PRK", "X", "TOTAL", 100), row("CHN", "PRK", "M", "TOTAL", 53),
        row("RUS", "PRK", "X", "TOTAL", 20), row("IND", "PRK", "M", "TOTAL", 10.6),
        row("CHN", "PRK", "X", "TOTAL", 80, year=2019), row("RUS", "DEU", "X", "TOTAL", 5, year=2019),
    ])
    by_partner = db.reconstruct("PRK", by="partner").set_index(["period", "partner"])
    assert by_partner.loc[("2018", "CHN"), "imports_usd"] == 100
    assert by_partner.loc[("2018", "CHN"), "exports_usd"] == pytest.approx(50.0)  # 53 / 1.06
    assert by_partner.loc[("2018", "IND"), "exports_usd"] == pytest.approx(10.0)
    assert by_partner.loc[("2018", "RUS"), "imports_usd"] == 20
    assert by_partner.loc[("2018", "CHN"), "imports_status"] == "reported"
    assert by_partner.loc[("2018", "CHN"), "imports_note"] == "the partner's published total"
    # 2019: Russia's exports to Germany are loaded but none to PRK, and India's report of 2019 is not
    # in the store at all: both NOT AVAILABLE (nothing says they published 2019 for PRK), never "reported
    # nothing" and never zero.
    assert math.isnan(by_partner.loc[("2019", "RUS"), "imports_usd"])
    assert by_partner.loc[("2019", "RUS"), "imports_status"] == "not available"
    assert "exports to others are loaded, none to this country" in by_partner.loc[("2019", "RUS"), "imports_note"]
    assert by_partner.loc[("2019", "IND"), "exports_status"] == "not available"
    assert "no imports of the partner for this period" in by_partner.loc[("2019", "IND"), "exports_note"]
    by_period = db.reconstruct("North Korea", by="period").set_index("period")
    assert by_period.loc["2018", "imports_usd"] == 120 and by_period.loc["2018", "exports_usd"] == pytest.approx(60.0)
    assert by_period.loc["2019", "imports_usd"] == 80
    assert by_period.loc["2019", "partners_not_available_imports"] == 1  # Russia: 2019 lacks it, not a fall
    assert by_period.loc["2018", "partners_not_available_imports"] == 0


def test_reconstructed_total_from_hs_lines_says_so(db, tmp_path):
    # Thailand's shrimp-only extract (HS 030617: 7) is all that is loaded of its exports to PRK; China
    # publishes its total (100). The TOTAL of Thailand is built from the lines and says it may be partial.
    load_rows(db, tmp_path, [row("THA", "PRK", "X", "030617", 7), row("CHN", "PRK", "X", "TOTAL", 100)])
    by_partner = db.reconstruct("PRK", by="partner").set_index(["period", "partner"])
    tha = by_partner.loc[("2018", "THA")]
    assert tha.imports_usd == 7 and tha.imports_status == "reported"
    assert tha.imports_note.startswith("summed from the HS lines in the store")
    assert by_partner.loc[("2018", "CHN"), "imports_note"] == "the partner's published total"


def test_reconstruct_works_for_any_country_and_by_hs(db, tmp_path):
    load_rows(db, tmp_path, [row("CHN", "SYR", "X", "8703", 100), row("CHN", "SYR", "X", "2710", 40),
                             row("TUR", "SYR", "X", "2709", 60)])
    chapters = db.reconstruct("SYR", by="chapter").set_index("hs")
    assert chapters.loc["27", "imports_usd"] == 100 and chapters.loc["87", "imports_usd"] == 100
    assert chapters.loc["27", "section"] == "V"
    sections = db.reconstruct("SYR", by="section").set_index("hs")
    assert sections.loc["XVII", "imports_usd"] == 100  # vehicles, section XVII


def test_country_arguments_accept_codes_and_names_and_suggest(db, tmp_path):
    from mirror.errors import UnknownCountryError

    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100)])
    for name in ("PRK", "408", "North Korea", "dem. people's rep. of korea"):
        assert len(db.mirror(importer=name, level="4")) == 1
    with pytest.raises(UnknownCountryError, match=r"Unknown country 'Nroth Korea'.*PRK"):
        db.mirror(importer="Nroth Korea")


def test_options_are_checked_with_the_allowed_values(db):
    from mirror.errors import OptionError

    with pytest.raises(OptionError, match=r"level='5' is not allowed. Choose one of: 2, 4, 6, TOTAL"):
        db.mirror(level="5")
    with pytest.raises(OptionError, match=r"cif_fob='median'"):
        db.mirror(cif_fob="median")
    with pytest.raises(OptionError, match="freq='Q'"):
        db.mirror(freq="Q")


def test_kinds_are_compared_only_over_the_same_span(db, tmp_path):
    # Customs Jan-Nov 2018 = 100; an estimate for Jan-Nov 2018 = 130 and one for the whole of 2018 = 150.
    # Only Jan-Nov is compared with Jan-Nov; the annual estimate has no customs partner here.
    path = tmp_path / "record.csv"
    path.write_text(
        "series_id,reporter_iso3,partner_iso3,flow,hs,period,value,unit,source_publisher,source_url,quote,note\n"
        "A,CHN,PRK,X,TOTAL,2018-01..11,100,USD,GACC,https://e.org/1,q,\n"
        "S5_KOTRA_PRK_M,PRK,CHN,E,TOTAL,2018-01..11,130,USD,KOTRA,https://e.org/2,q,\n"
        "S5_KOTRA_PRK_M,PRK,CHN,E,TOTAL,2018,150,USD,KOTRA,https://e.org/3,q,\n"
        "B,PRK,CHN,M,TOTAL,2018-01..11,90,USD,someone,https://e.org/4,q,\n")
    db.load(path)
    kinds = db.compare_kinds("PRK", kind="estimated")
    # Each side's customs report is set against the estimate separately, never averaged together.
    assert kinds[["period", "customs_of", "reported_value", "other_value", "gap"]].values.tolist() == [
        ["2018-01..11", "CHN", 100, 130, 30], ["2018-01..11", "PRK", 90, 130, 40]]
    # Reporter vs reporter: China's exports (100) against the importer's own report (90) of the same flow.
    rep = db.compare_reporters("PRK")
    assert rep[["origin", "destination", "origin_reports", "destination_reports", "gap"]].values.tolist() == [
        ["CHN", "PRK", 100, 90, -10]]


def test_a_reporters_misreported_product_is_corrected_toward_its_partners(tmp_path):
    # 5% of exporter-products under-reported by ln 0.1-0.5 to every partner every year (the harder
    # world's misreporting alone). The correction finds them against the product's other reporters
    # (Benjamini-Hochberg at 5%), estimates the planted amount, and moves only the reconciled values: gaps and log
    # ratios, what the detectors read, are the reports as published.
    p = simulate.panel(countries=20, products=80, years=range(2015, 2019), seed=4, density=0.15, misreport_share=0.05)
    with mirror.open(tmp_path / "s.duckdb") as db:
        p.to_store(db)
        m = db.mirror(level="6")
        cells = db.con.execute("SELECT role, country, hs, bias FROM mp_bias").df()
        plain = db.mirror(level="6", product_bias=False)
    f = p.flows
    planted = f[f.misreported > 0].groupby(["exporter", "hs"]).misreported.first()
    found = cells[cells.role == "exporter"].set_index(["country", "hs"]).bias
    hit = found.index.intersection(planted.index)
    assert len(hit) / len(found) >= 0.9 and len(hit) / len(planted) >= 0.7  # precision, recall
    # the bias is minus the planted under-report, a little attenuated (the pairs' margins take a share of it):
    # within 0.05 in the median, a tenth of the largest under-report
    assert (found.loc[hit] + planted.loc[hit]).abs().median() < 0.05
    assert (cells.role == "importer").sum() <= 0.01 * f.groupby(["importer", "hs"]).ngroups  # none planted
    pd.testing.assert_series_equal(m.log_ratio, plain.log_ratio)
    truth = f.set_index(["year", "exporter", "importer", "hs"]).value_true
    key = ["year", "exporter", "importer", "hs"]
    err = {name: np.abs(np.log(frame.set_index(key).value_reconciled_usd / truth)).reindex(
        f[f.misreported > 0].set_index(key).index).median() for name, frame in (("with", m), ("without", plain))}
    assert err["with"] < err["without"] / 2


def test_more_sources_than_a_build_can_tell_apart_is_a_clear_error(db):
    # mirror_flows carries a sum's sources as one bit each of a 64-bit mask: a 65th source in one
    # chunk of years must be refused with the reason and a fix, never folded into another's bit.
    from mirror.errors import StoreError
    from mirror.load import insert_canonical
    from mirror.paths import data_dir

    codes = pd.read_csv(data_dir() / "hs_codes.csv", dtype=str)
    codes = codes[(codes.classification == "H5") & (codes.level == "6")].hs.head(65).tolist()

    def frame(hs, value):
        return pd.DataFrame({"source_row": [2, 3], "freq": "A", "period": "2018", "year": 2018,
                             "reporter_iso3": ["CHN", "USA"], "reporter_code": None, "partner_iso3": ["USA", "CHN"],
                             "partner_code": None, "flow": ["export", "import"], "classification": "H5",
                             "hs": hs, "hs_level": "6", "value": [value, value * 1.05],
                             "valuation": ["FOB", "CIF"], "net_weight_kg": None})

    for i, hs in enumerate(codes[:64]):
        insert_canonical(db, frame(hs, 100.0 + i), source=f"src{i:02d}", release="r1", label=f"source {i}")
    total = db.mirror(level="TOTAL", cif_fob="fixed")
    assert len(total) == 1 and total.source_exporter.iloc[0].count("+") == 63  # all 64, each once
    insert_canonical(db, frame(codes[64], 7.0), source="src64", release="r1", label="source 64")
    with pytest.raises(StoreError, match="at most 64 sources.*Fix"):
        db.mirror(level="TOTAL", cif_fob="fixed")
