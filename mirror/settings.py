"""Analysis settings: one frozen dataclass, every choice named and checked, defaults sourced.

    >>> from mirror import Settings
    >>> Settings(cif_fob="pair", source_order=("gacc", "comtrade"))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

from .errors import allowed
from .options import Freq, Level, check

CifFobMethod = Literal["fixed", "pair", "unit-value", "gravity", "gravity-pair"]
WidenRule = Literal["none", "pair", "flow"]

# IMF Direction of Trade Statistics convert CIF imports to FOB with a 6% margin (older editions: 10%).
IMF_CIF_FOB_FACTOR = 1.06
# Margins above 20% are not freight and insurance: the Harvard Growth Lab and CEPII clip there.
MAX_CIF_FOB_MARGIN = 0.20
# Hong Kong's markup on re-exports of Chinese goods: 23% of the value China exported, on average
# (Feenstra, Hanson and Lin 2004, "The Value of Information in International Trade: Gains to
# Outsourcing through Hong Kong", B.E. Journal of Economic Analysis & Policy 4(1)).
HK_REEXPORT_MARKUP = 0.23
# Two-sided 90% intervals: z = Phi^-1(0.95).
INTERVAL_LEVEL = 0.90


@dataclass(frozen=True)
class Settings:
    """How mirror comparisons are computed. Every field is recorded with the results it shapes.

    cif_fob: 'fixed' divides CIF imports by ``cif_fob_factor``; 'pair' estimates each pair's
        margin from its own history of ln(M/X), shrunk toward the all-pairs median by
        ``shrinkage`` observations and clipped to [0, ``max_margin``]; 'unit-value' does the same
        on ln(importer unit value / exporter unit value) where both report weights (CEPII BACI's
        basis), falling back to 'pair'; 'gravity' fits the Growth Lab's model of ln(M/X) on
        distance and contiguity with exporter and importer effects and predicts each pair's margin
        from geography alone (landlocked flags for the country effects); 'gravity-pair' (default:
        the lowest median error on both simulated worlds of benchmarks/bench_mirror_methods.py)
        combines that prediction with the pair's own median by empirical Bayes (mirror/cif_fob.py);
        a store with fewer than 10 pairs both report uses ``cif_fob_factor``. Estimated margins
        below zero are not applied.
    widen_rule: where an estimated margin is not applied because it would widen the gap:
        'none' (always applied), 'pair' (not for a pair whose median ln(M/X) is below half the
        margin) or 'flow' (not for a flow whose own gap it would widen: BACI's rule, which
        conditions on each flow's noise and so leaves the import reports that happen to be low
        at CIF: biased upward). The default is the one the benchmark measures best.
    source_order: which source's figure to use when several carry the same flow (first wins;
        unlisted sources come after, the latest load first). The others stay visible.
    hk_adjust: subtract Hong Kong's re-exports of Chinese goods (Comtrade's partner2 = China
        breakdown) to a partner from that partner's FOB imports from China before comparing
        (Global Financial Integrity's adjustment); ``hk_markup`` gives China's own value of
        those goods, RX / (1 + markup), as hk_china_value_usd. On by default (the benchmark
        measures it more accurate where those rows are loaded; without them it changes nothing):
        China's trade with the importer is then the reconciled direct flow plus
        hk_china_value_usd.
    interval_level: coverage of the intervals on reconciled values, weights and totals.
    mean_unbiased: divide the reconciled value w X + (1 - w) M_fob by its expected log-normal
        excess, (1 - s) e^(s2_x / 2) + s e^(s2_m / 2) (s: the importer's share of it), so that
        totals over flows are unbiased in the log-normal model; False (default) gives BACI's value,
        which the benchmark measures closer to true totals (misreported goods inflate s2).
    product_bias: correct a reporter's reports of a product it misreports to every partner (its
        mean ln(X/M_fob) for the product off the product's centre over all reporters, found by
        Benjamini-Hochberg at a 5% false discovery rate over the cells) toward its partners' before
        reconciling (mirror/intervals.py, build.sql); gaps, ratios and the detectors always see the
        reports as published.
    reliability_min_flows: countries with fewer flows reported by both sides get the median
        reliability; reliability_iterations and reliability_tolerance bound the backfitting.
    """

    cif_fob: CifFobMethod = "gravity-pair"
    cif_fob_factor: float = IMF_CIF_FOB_FACTOR
    shrinkage: float = 5.0
    max_margin: float = MAX_CIF_FOB_MARGIN
    source_order: tuple[str, ...] = ("comtrade", "public-record", "un1718")
    widen_rule: WidenRule = "none"
    hk_adjust: bool = True
    hk_markup: float = HK_REEXPORT_MARKUP
    interval_level: float = INTERVAL_LEVEL
    mean_unbiased: bool = False
    product_bias: bool = True
    reliability_min_flows: int = 5
    reliability_iterations: int = 50
    reliability_tolerance: float = 1e-6
    extra: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.cif_fob not in get_args(CifFobMethod):
            raise allowed("cif_fob", self.cif_fob, get_args(CifFobMethod))
        if not 1.0 <= self.cif_fob_factor <= 1.5:
            raise allowed("cif_fob_factor", self.cif_fob_factor, ["a number from 1.0 to 1.5 (IMF: 1.06)"])
        if self.widen_rule not in get_args(WidenRule):
            raise allowed("widen_rule", self.widen_rule, get_args(WidenRule))
        if not 0 <= self.hk_markup < 1:
            raise allowed("hk_markup", self.hk_markup, ["a number in [0, 1) (default 0.23)"])
        if not 0 < self.interval_level < 1:
            raise allowed("interval_level", self.interval_level, ["a number in (0, 1) (default 0.90)"])
        if self.shrinkage < 0:
            raise allowed("shrinkage", self.shrinkage, ["a number >= 0 (observations of prior weight)"])
        if not 0 < self.max_margin <= 1:
            raise allowed("max_margin", self.max_margin, ["a number in (0, 1] (default 0.20)"])
        if isinstance(self.source_order, str):
            object.__setattr__(self, "source_order", tuple(s.strip() for s in self.source_order.split(",") if s.strip()))

    def describe(self) -> dict:
        out = asdict(self)
        out.pop("extra")
        out["source_order"] = list(self.source_order)
        return out


def check_level(level: object) -> Level:
    return check("level", level, Level, normalise=str.upper)  # type: ignore[return-value]


def check_freq(freq: object) -> Freq:
    return check("freq", freq, Freq, note="monthly and annual are never mixed", normalise=str.upper)  # type: ignore[return-value]
