"""A seeded simulator of mirror trade data with known truth.

A world of real country codes and real HS6 codes trades true values V. Each flow is reported by
the exporter as X = V exp(e_x) (FOB) and by the importer as M = V c_ij exp(e_m) (CIF), where c_ij
is the pair's true CIF/FOB factor and the noise e has a reporter-specific standard deviation
(a share of reporters is noisy). Some flows are reported by one side only; some reports carry no
weight. Every parameter and every true value is kept, so tests and benchmarks can check what the
engine recovers.

    >>> from mirror import simulate
    >>> panel = simulate.panel(countries=20, products=50, years=range(2015, 2020), seed=1)
    >>> panel.write_comtrade_csv(tmp_dir)      # real Comtrade API CSV layout, one file per year
    >>> panel.to_store(db)                     # or straight into a store (no file parsing)

Scale: up to CEPII BACI's (about 230 countries x 5,000 HS6 products, 10 million flows a year);
generation is vectorised and year by year.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .paths import data_dir

# The 47 fields of Comtrade API final data, in the API's order (see DOMAIN: source formats).
API_FIELDS = [
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode", "reporterISO",
    "reporterDesc", "flowCode", "flowDesc", "partnerCode", "partnerISO", "partnerDesc", "partner2Code",
    "partner2ISO", "partner2Desc", "classificationCode", "classificationSearchCode", "isOriginalClassification",
    "cmdCode", "cmdDesc", "aggrLevel", "isLeaf", "customsCode", "customsDesc", "mosCode", "motCode", "motDesc",
    "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode", "altQtyUnitAbbr", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated", "cifvalue", "fobvalue",
    "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
]


@dataclass(frozen=True)
class Spec:
    """What to simulate. Defaults give a small panel; BACI scale is countries=230, products=5000,
    flows_per_year=10_000_000."""

    countries: int = 30
    products: int = 200
    years: tuple[int, ...] = (2018,)
    flows_per_year: int | None = None  # default: density x all possible (exporter, importer, product)
    density: float = 0.05
    seed: int = 1
    margin_mean: float = 0.05  # mean ln CIF/FOB margin of a pair (IMF's 6% is ln 1.06 = 0.058)
    margin_sd: float = 0.03
    noise_sd: float = 0.05  # reporting noise (log scale) of an ordinary reporter
    noisy_share: float = 0.1  # share of countries that report with noisy_sd instead
    noisy_sd: float = 0.5
    missing_export: float = 0.08  # share of flows the exporter does not report
    missing_import: float = 0.08  # share of flows the importer does not report
    missing_weight: float = 0.2  # share of reports without a net weight
    # The harder world (panel(..., hard=True) sets all of these; each can be set alone):
    margins: str = "random"  # 'random': iid per pair; 'geography': from distance, contiguity, landlocked
    product_noise_sd: float = 0.0  # s.d. of ln of a product's noise multiplier (some goods are harder)
    pair_noise_sd: float = 0.0  # s.d. of ln of a pair's noise multiplier
    misreport_share: float = 0.0  # share of (exporter, product) whose exports are under-reported ...
    misreport_range: tuple[float, float] = (0.1, 0.5)  # ... by ln factor uniform in this range, every year
    hub: str | None = None  # a re-export hub (e.g. HKG): flows routed through it ...
    hub_share: float = 0.0  # ... this share of flows not involving the hub ...
    hub_china_share: float = 0.0  # ... and this share of China's (GFI's case: China's goods via Hong Kong) ...
    hub_markup: float = 0.15  # ... which the importer values at the hub's price (markup), the exporter not at all;
    # the hub reports each as a re-export to the importer by origin (Comtrade's partner2 rows: SimulatedPanel.reexports)
    missing_reporter_years: float = 0.0  # share of (country, year, role) with no report at all (not available)

    def flows(self) -> int:
        possible = self.countries * (self.countries - 1) * self.products
        n = self.flows_per_year if self.flows_per_year is not None else int(self.density * possible)
        if n > possible:
            raise ValueError(f"flows_per_year={n} exceeds the {possible:,} possible flows of this world")
        return n


@dataclass
class SimulatedPanel:
    """The simulated world: its truth and its reports."""

    spec: Spec
    countries: pd.DataFrame  # iso3, comtrade_code, name, sigma_export, sigma_import, noisy
    products: np.ndarray  # HS6 codes (H5)
    pairs: pd.DataFrame  # exporter, importer, tau (true ln CIF/FOB factor)
    # year, exporter, importer, hs, value_true, kg_true, x, m, kg_x, kg_m, tau; the harder world adds
    # via_hub (routed through the hub: the exporter reports nothing, the importer the hub's price)
    # and misreported (the exporter's ln under-reporting of this product, 0 if none)
    flows: pd.DataFrame = field(repr=False)
    # the hub's re-export reports of the routed flows: year, reporter (the hub), partner (the
    # importer), origin (partner2), hs, value (the hub's FOB price, with the hub's reporting noise)
    reexports: pd.DataFrame = field(default=None, repr=False)

    # -- reported figures ----------------------------------------------------------------------
    def reports(self) -> pd.DataFrame:
        """One row per report: reporter, partner, flow (export/import), hs, year, value, net_weight_kg."""
        f = self.flows
        x = f[f.x.notna()]
        m = f[f.m.notna()]
        exports = pd.DataFrame({"year": x.year, "reporter": x.exporter, "partner": x.importer, "flow": "export",
                                "hs": x.hs, "value": x.x, "net_weight_kg": x.kg_x})
        imports = pd.DataFrame({"year": m.year, "reporter": m.importer, "partner": m.exporter, "flow": "import",
                                "hs": m.hs, "value": m.m, "net_weight_kg": m.kg_m})
        return pd.concat([exports, imports], ignore_index=True)

    def reexport_reports(self) -> pd.DataFrame:
        """The hub's re-export reports as Comtrade publishes them: one row per (year, importer, hs) of
        all origins (partner2 = 0, origin None) and one per origin (partner2 = the origin's code)."""
        r = self.reexports
        if r is None or r.empty:
            return pd.DataFrame(columns=["year", "reporter", "partner", "origin", "hs", "value"])
        total = r.groupby(["year", "reporter", "partner", "hs"], as_index=False).value.sum().assign(origin=None)
        by_origin = r.groupby(["year", "reporter", "partner", "origin", "hs"], as_index=False).value.sum()
        return pd.concat([total, by_origin], ignore_index=True)[["year", "reporter", "partner", "origin", "hs", "value"]]

    def _api_frame(self, part: pd.DataFrame, year: int, flow: pd.Series) -> pd.DataFrame:
        """Rows (reporter, partner, hs, value, net_weight_kg, origin) in the Comtrade API layout; flow:
        'X', 'M' or 'RX' per row."""
        codes = dict(zip(self.countries.iso3, self.countries.comtrade_code, strict=True))
        names = dict(zip(self.countries.iso3, self.countries.name, strict=True))
        is_import = (flow == "M").to_numpy()
        origin = part.origin if "origin" in part else pd.Series(None, index=part.index, dtype=object)
        has_p2 = origin.notna().to_numpy()
        kg = part.net_weight_kg if "net_weight_kg" in part else pd.Series(np.nan, index=part.index)
        frame = pd.DataFrame({
            "typeCode": "C", "freqCode": "A", "refPeriodId": f"{year}0101", "refYear": year, "refMonth": 52,
            "period": year, "reporterCode": part.reporter.map(codes), "reporterISO": part.reporter,
            "reporterDesc": part.reporter.map(names), "flowCode": flow.to_numpy(),
            "flowDesc": flow.map({"X": "Export", "M": "Import", "RX": "Re-export"}).to_numpy(),
            "partnerCode": part.partner.map(codes), "partnerISO": part.partner, "partnerDesc": part.partner.map(names),
            "partner2Code": np.where(has_p2, origin.map(codes), 0), "partner2ISO": np.where(has_p2, origin, "W00"),
            "partner2Desc": np.where(has_p2, origin.map(names), "World"), "classificationCode": "H5",
            "classificationSearchCode": "HS", "isOriginalClassification": True, "cmdCode": part.hs,
            "cmdDesc": "", "aggrLevel": 6, "isLeaf": True, "customsCode": "C00", "customsDesc": "TOTAL CPC",
            "mosCode": "0", "motCode": 0, "motDesc": "TOTAL MOT", "qtyUnitCode": 8, "qtyUnitAbbr": "kg",
            "qty": kg, "isQtyEstimated": False, "altQtyUnitCode": -1, "altQtyUnitAbbr": "N/A",
            "altQty": None, "isAltQtyEstimated": False, "netWgt": kg, "isNetWgtEstimated": False,
            "grossWgt": None, "isGrossWgtEstimated": False,
            "cifvalue": np.where(is_import, part.value, np.nan), "fobvalue": np.where(is_import, np.nan, part.value),
            "primaryValue": part.value, "legacyEstimationFlag": 0, "isReported": True, "isAggregate": False,
        })
        return frame[API_FIELDS]

    def write_comtrade_csv(self, folder: str | Path, reexports: bool = True) -> list[Path]:
        """Write the reports as Comtrade API final-data CSV (47 camelCase fields), one file per year;
        with the hub's re-exports (flow RX, by origin in partner2) where the world routes flows."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        reports = self.reports()
        rx = self.reexport_reports() if reexports else pd.DataFrame(columns=["year"])
        for year, part in reports.groupby("year"):
            path = folder / f"comtrade_sim_{year}.csv"
            frames = [self._api_frame(part, int(year), part.flow.map({"export": "X", "import": "M"}))]
            r = rx[rx.year == year]
            if len(r):
                frames.append(self._api_frame(r, int(year), pd.Series("RX", index=r.index)))
            pd.concat(frames, ignore_index=True).to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.4f")
            out.append(path)
        return out

    def to_store(self, db, release: str = "simulated", source: str = "comtrade") -> pd.DataFrame:
        """Insert the reports straight into a store as one load per year (format 'simulated'),
        without writing and parsing files: the same canonical rows a Comtrade load produces. The
        hub's re-exports by origin (breakdown rows, which canonical rows do not carry) are loaded
        as a Comtrade API file, as a user would load them."""
        import tempfile

        from .store import insert_canonical

        results = []
        reports = self.reports()
        for year, part in reports.groupby("year"):
            results.append(insert_canonical(db, _canonical(part, self.countries, int(year)), source=source,
                                            release=release, label=f"simulated {year}"))
        rx = self.reexport_reports()
        if len(rx):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "comtrade_sim_reexports.csv"
                frames = [self._api_frame(r, int(y), pd.Series("RX", index=r.index)) for y, r in rx.groupby("year")]
                pd.concat(frames, ignore_index=True).to_csv(path, index=False, float_format="%.4f")
                results.append(db.load(path, release=release))
        return pd.concat(results, ignore_index=True)


def _canonical(part: pd.DataFrame, countries: pd.DataFrame, year: int) -> pd.DataFrame:
    codes = dict(zip(countries.iso3, countries.comtrade_code, strict=True))
    is_x = part.flow == "export"
    return pd.DataFrame({
        "source_row": np.arange(2, len(part) + 2), "freq": "A", "period": str(year), "year": year,
        "reporter_iso3": part.reporter.to_numpy(), "reporter_code": part.reporter.map(codes).to_numpy(),
        "partner_iso3": part.partner.to_numpy(), "partner_code": part.partner.map(codes).to_numpy(),
        "flow": part.flow.to_numpy(), "classification": "H5", "hs": part.hs.to_numpy(), "hs_level": "6",
        "value": part.value.to_numpy(), "valuation": np.where(is_x, "FOB", "CIF"),
        "net_weight_kg": part.net_weight_kg.to_numpy(),
    })


def _world(spec: Spec, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    countries = pd.read_csv(data_dir() / "countries.csv", dtype=str, keep_default_na=False)
    real = countries[(countries.is_country == "true") & (countries.valid_to_year == "")]
    real = real.drop_duplicates("iso3").sort_values("comtrade_code", key=lambda s: s.astype(int))
    if spec.countries > len(real):
        raise ValueError(f"countries={spec.countries}: the reference has {len(real)} current countries")
    chosen = real.sample(n=spec.countries, random_state=np.random.RandomState(spec.seed)).sort_values("iso3")
    if spec.hub and spec.hub not in set(chosen.iso3):  # the hub trades in the world it serves
        chosen = pd.concat([chosen.iloc[1:], real[real.iso3 == spec.hub]]).sort_values("iso3")
    if spec.hub and spec.hub_china_share and "CHN" not in set(chosen.iso3):  # and China ships through it
        chosen = pd.concat([chosen[chosen.iso3 != spec.hub].iloc[1:], chosen[chosen.iso3 == spec.hub],
                            real[real.iso3 == "CHN"]]).sort_values("iso3")
    noisy = rng.random(spec.countries) < spec.noisy_share
    table = pd.DataFrame({
        "iso3": chosen.iso3.to_numpy(), "comtrade_code": chosen.comtrade_code.to_numpy(), "name": chosen.name.to_numpy(),
        "noisy": noisy,
        "sigma_export": np.where(noisy, spec.noisy_sd, spec.noise_sd),
        "sigma_import": np.where(noisy, spec.noisy_sd, spec.noise_sd),
    })
    hs = pd.read_csv(data_dir() / "hs_codes.csv", dtype=str, usecols=["classification", "hs", "level"])
    hs6 = hs[(hs.classification == "H5") & (hs.level == "6")].hs.to_numpy()
    if spec.products > len(hs6):
        raise ValueError(f"products={spec.products}: H5 has {len(hs6)} HS6 codes")
    products = np.sort(rng.choice(hs6, size=spec.products, replace=False))
    return table, products


def _sample_flows(n_flows: int, n_c: int, n_p: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Distinct (exporter, importer, product) triples, exporter != importer, without building the
    whole space (263 M triples at BACI scale)."""
    space = n_c * (n_c - 1) * n_p
    chosen = np.unique(rng.integers(0, space, size=int(n_flows * 1.05) + 16))
    while len(chosen) < n_flows:
        chosen = np.unique(np.concatenate([chosen, rng.integers(0, space, size=n_flows - len(chosen) + 16)]))
    chosen = rng.permutation(chosen)[:n_flows]
    product = chosen % n_p
    rest = chosen // n_p
    exporter = rest // (n_c - 1)
    importer = rest % (n_c - 1)
    importer = importer + (importer >= exporter)  # skip the exporter itself
    return exporter, importer, product


def _geography_margins(spec: Spec, iso: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """True ln CIF/FOB margins that grow with distance, fall for neighbours and rise for landlocked
    countries (the shape the gravity literature finds), plus a pair's own deviation."""
    from .cif_fob import with_geography

    ex, im = np.meshgrid(iso, iso, indexing="ij")
    g = with_geography(pd.DataFrame({"exporter": ex.ravel(), "importer": im.ravel()}))
    lnd = g.ln_distance_km.fillna(np.log(5000)).to_numpy()
    tau = (spec.margin_mean + 0.02 * (lnd - np.log(5000)) - 0.02 * g.contiguous.to_numpy()
           + 0.02 * g.landlocked_exporter.to_numpy() + 0.01 * g.landlocked_importer.to_numpy()
           + rng.normal(0, spec.margin_sd / 3, len(g)))
    return tau.reshape(len(iso), len(iso))


def _years(spec: Spec, countries: pd.DataFrame, products: np.ndarray, pair_tau: np.ndarray,
           rng: np.random.Generator) -> Iterator[pd.DataFrame]:
    n_c, n_p = len(countries), len(products)
    price = np.exp(rng.normal(1.0, 1.0, n_p))  # USD per kg, by product
    sig_x = countries.sigma_export.to_numpy()
    sig_m = countries.sigma_import.to_numpy()
    iso = countries.iso3.to_numpy()
    hard = spec.product_noise_sd or spec.pair_noise_sd or spec.misreport_share or spec.hub_share \
        or spec.missing_reporter_years
    if hard:
        hrng = np.random.default_rng(spec.seed + 7919)  # its own stream: the default world is unchanged
        product_mult = np.exp(hrng.normal(0, spec.product_noise_sd, n_p))
        pair_mult = np.exp(hrng.normal(0, spec.pair_noise_sd, (n_c, n_c)))
        misreported = np.where(hrng.random((n_c, n_p)) < spec.misreport_share,
                               hrng.uniform(*spec.misreport_range, (n_c, n_p)), 0.0)
        hub = np.flatnonzero(iso == spec.hub)[0] if spec.hub in set(iso) else -1
        china = np.flatnonzero(iso == "CHN")[0] if "CHN" in set(iso) else -1
    for year in spec.years:
        e, i, k = _sample_flows(spec.flows(), n_c, n_p, rng)
        n = len(e)
        value = np.exp(rng.normal(11.0, 2.0, n))
        kg = value / price[k]
        x = value * np.exp(rng.normal(0, 1, n) * sig_x[e])
        m = value * np.exp(pair_tau[e, i]) * np.exp(rng.normal(0, 1, n) * sig_m[i])
        extra = {}
        if hard:
            # noise scaled by product and pair (drawn once, as the reliability model does not assume)
            mult = product_mult[k] * pair_mult[e, i]
            x = value * np.exp(np.log(x / value) * mult - misreported[e, k])
            m = value * np.exp(pair_tau[e, i]) * np.exp((np.log(m / value) - pair_tau[e, i]) * mult)
            via_hub = (hrng.random(n) < spec.hub_share) & (e != hub) & (i != hub) & (hub >= 0)
            m = np.where(via_hub, m * (1 + spec.hub_markup), m)
            no_x = hrng.random(n_c) < spec.missing_reporter_years
            no_m = hrng.random(n_c) < spec.missing_reporter_years
            if spec.hub_china_share and hub >= 0 and china >= 0:
                china_routed = (e == china) & (i != hub) & ~via_hub & (hrng.random(n) < spec.hub_china_share)
                m = np.where(china_routed, m * (1 + spec.hub_markup), m)
                via_hub = via_hub | china_routed
            # the hub's re-export report of each routed flow: at its own price, with its own noise as an exporter,
            # none in a year the hub publishes nothing
            rx = value * (1 + spec.hub_markup) * np.exp(hrng.normal(0, 1, n) * (sig_x[hub] if hub >= 0 else 0.0))
            rx = np.where(via_hub & ~(no_x[hub] if hub >= 0 else False), np.round(rx, 2), np.nan)
            extra = {"via_hub": via_hub, "misreported": misreported[e, k], "x_off": via_hub | no_x[e], "m_off": no_m[i],
                     "rx_hub": rx}
        # kg noise is smaller than value noise: customs weigh goods more reliably than they value them
        kg_x = kg * np.exp(rng.normal(0, 0.02, n))
        kg_m = kg * np.exp(rng.normal(0, 0.02, n))
        drop = rng.random(n)
        x_missing = drop < spec.missing_export
        m_missing = (drop >= spec.missing_export) & (drop < spec.missing_export + spec.missing_import)
        kg_x[rng.random(n) < spec.missing_weight] = np.nan
        kg_m[rng.random(n) < spec.missing_weight] = np.nan
        if extra:
            x_missing |= extra.pop("x_off")
            m_missing |= extra.pop("m_off")
        yield pd.DataFrame({
            "year": year, "exporter": iso[e], "importer": iso[i], "hs": products[k],
            "value_true": value, "kg_true": kg,
            "x": np.where(x_missing, np.nan, np.round(x, 2)), "m": np.where(m_missing, np.nan, np.round(m, 2)),
            "kg_x": np.where(x_missing, np.nan, np.round(kg_x, 1)), "kg_m": np.where(m_missing, np.nan, np.round(kg_m, 1)),
            "tau": pair_tau[e, i], **extra,
        })


# The harder world of panel(hard=True): margins from geography, noise by product and pair, 5% of
# exporter-products under-reported by 10-50%, 3% of flows and a quarter of China's routed through
# Hong Kong (the exporter reports none of it, the importer the hub's price, 15% above; Hong Kong
# reports each as a re-export by origin), 5% of reporter-years missing.
HARD = {"margins": "geography", "product_noise_sd": 0.5, "pair_noise_sd": 0.3, "misreport_share": 0.05,
        "hub": "HKG", "hub_share": 0.03, "hub_china_share": 0.25, "missing_reporter_years": 0.05}


def panel(countries: int = 30, products: int = 200, years: Iterable[int] = (2018,), seed: int = 1,
          hard: bool = False, **options: object) -> SimulatedPanel:
    """Simulate a panel; ``options`` are further Spec fields (density, noisy_share, ...).
    ``hard=True`` sets the HARD fields (options given explicitly win)."""
    if hard:
        options = {**HARD, **options}
    spec = Spec(countries=countries, products=products, years=tuple(years), seed=seed, **options)
    rng = np.random.default_rng(spec.seed)
    world, hs6 = _world(spec, rng)
    tau = np.clip(rng.normal(spec.margin_mean, spec.margin_sd, (countries, countries)), 0.0, 0.20)
    if spec.margins == "geography":
        tau = np.clip(_geography_margins(spec, world.iso3.to_numpy(), rng), 0.0, 0.20)
    elif spec.margins != "random":
        raise ValueError(f"margins={spec.margins!r}: choose 'random' or 'geography'")
    np.fill_diagonal(tau, 0.0)
    flows = pd.concat(list(_years(spec, world, hs6, tau, rng)), ignore_index=True)
    reexports = pd.DataFrame(columns=["year", "reporter", "partner", "origin", "hs", "value"])
    if "rx_hub" in flows:
        r = flows[flows.rx_hub.notna()]
        reexports = pd.DataFrame({"year": r.year, "reporter": spec.hub, "partner": r.importer, "origin": r.exporter,
                                  "hs": r.hs, "value": r.rx_hub}).reset_index(drop=True)
        flows = flows.drop(columns="rx_hub")
    iso = world.iso3.to_numpy()
    ex, im = np.meshgrid(np.arange(countries), np.arange(countries), indexing="ij")
    keep = ex != im
    pairs = pd.DataFrame({"exporter": iso[ex[keep]], "importer": iso[im[keep]], "tau": tau[keep]})
    return SimulatedPanel(spec, world, hs6, pairs, flows, reexports)


# The panel with planted anomalies and decoys, for validating the detectors (its own module).
from .simulate_anomalies import AnomalyPanel, anomaly_panel  # noqa: E402
from .simulate_anomalies import score as score_flags  # noqa: E402

__all__ = ["Spec", "SimulatedPanel", "panel", "API_FIELDS", "AnomalyPanel", "anomaly_panel", "score_flags"]
