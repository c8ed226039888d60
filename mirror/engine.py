"""The mirror engine: builds, in DuckDB temp tables, both reports of every flow side by side,
converted CIF -> FOB, with reporter reliability and reconciled values; and a country's trade
rebuilt from its partners' reports. Python only sequences the named SQL steps of
queries/mirror/; no table is pulled into Python except the rows a caller asked for.

The build is cached per connection: the same settings on an unchanged store reuse it; a large
build is also kept on disk beside the store (mirror/build_cache.py), so that the next process
reads it instead of building the world again.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from . import options, sql
from .build_cache import BuildCache
from .countries import resolve
from .errors import InternalError, StoreError, allowed
from .settings import Settings, check_freq, check_level

_BY_QUERY = {"partner": ("reconstruct_by_partner", "TOTAL"), "period": ("reconstruct_by_period", "TOTAL"),
             "chapter": ("reconstruct_by_hs", "2"), "hs": ("reconstruct_by_hs", "2"),
             "heading": ("reconstruct_by_hs", "4"), "section": ("reconstruct_by_section", "2")}


# A reporter's product-specific misreporting is corrected where its cell's median ln(X/M_fob) differs
# from the product's, tested over cells of at least this many flows with two partners, at this false
# discovery rate (Benjamini-Hochberg; queries/mirror/build.sql: build_product_bias_cells).
PRODUCT_BIAS_FDR = 0.05
PRODUCT_BIAS_MIN_FLOWS = 6

# The build resolves and pairs the reports a chunk of consecutive years at a time, each chunk at most
# this many current figures (a BACI year: about 18 million), so that memory does not grow with years.
CHUNK_FIGURES = 20_000_000

# An exact median in a GROUP BY keeps every value of its groups in memory and cannot spill (40 million
# values grouped by 40,000 pairs wrote 8-11 GB of temp files and still ran out of a 400 MB limit), so
# the CIF/FOB margins' medians are held in memory only while their observations fit: two columns of
# 8-byte values, a vector that doubles as it grows and a copy per thread when they are combined make
# about 64 bytes an observation (a BACI year's 8.4 million: 0.5 GB, in memory at a 1 GB limit; a
# 30-year panel's 250 million: 16 GB, sorted at an 8 GB limit). Read from sorted ranks beyond it.
MEDIAN_BYTES_PER_OBSERVATION = 64

_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}


def duckdb_bytes(size: str) -> float:
    """A size as DuckDB's current_setting writes it ('5.5 GiB', '762.9 MiB', '0 bytes') in bytes."""
    number, _, unit = size.strip().partition(" ")
    scale = _UNITS.get(unit or "bytes")
    return float("inf") if scale is None else float(number) * scale  # not a size (no limit): no bound


# The views a build defines over its tables (defined again over a kept build's).
VIEW_SCRIPTS = ("define_mirror_pairs", "build_mirror_final", "build_reconciled")

# Each costs a fraction of the build: one pass over a slim table, or a sample. The keys' uniqueness
# is checked as each chunk is paired (_pair_chunk), where a repeat still decides whether to choose.
BUILD_CHECKS = ("check_mirror_key_decoding", "check_mirror_reported_by", "check_mirror_prov_unique",
                "check_mirror_sums_equal_staged", "check_weights_in_range")


def define_layers(con: duckdb.DuckDBPyConnection) -> None:
    """Create this version's staging views and mirror macros (TEMP) on a connection."""
    sql.script(con, "define_staging")
    sql.script(con, "define_mirror_macros")
    sql.script(con, "define_sanctions_layer")
    sql.script(con, "define_coverage_layer")
    sql.script(con, "define_detect_layer")


def year_chunks(con: duckdb.DuckDBPyConnection, freq: str) -> tuple[list[tuple[int, int, dict]], int]:
    """Consecutive years of current figures, each chunk at most CHUNK_FIGURES figures (a year more
    when one year alone is larger): a BACI-scale store is built (and its unit values tested) a year
    at a time, the bundled record in one go; with each chunk, its figures published at HS4 and HS2
    and those without the numbers a load stores ("unnumbered"). Also the figures of every year."""
    chunks: list[list] = []
    size = total = 0
    for year, figures, hs4, hs2, unnumbered in sql.run(con, "flow_years", freq=freq).fetchall():
        total += figures
        counts = {"4": hs4, "2": hs2, "unnumbered": unnumbered}
        if chunks and size + figures <= CHUNK_FIGURES:
            chunks[-1][1] = year
            for name, n in counts.items():
                chunks[-1][2][name] += n
            size += figures
        else:
            chunks.append([year, year, counts])
            size = figures
    # an empty store: one empty chunk
    return [tuple(c) for c in chunks] or [(1900, 1900, {"4": 0, "2": 0, "unnumbered": 0})], total


def repeated_values(keys: np.ndarray) -> np.ndarray:
    """The numbers that occur more than once in ``keys`` (a one-dimensional integer array, sorted in
    place), each once: neighbours compared after a numpy sort - a fifth to a half of the CPU of a
    DuckDB count(DISTINCT) or GROUP BY ... HAVING count(*) > 1 over a BACI year's 15-18 million keys
    (a hash table that spills at a 1 GB memory limit)."""
    keys.sort()
    return np.unique(keys[1:][keys[1:] == keys[:-1]])


def _repeats(result: duckdb.DuckDBPyConnection) -> int:
    """How many distinct numbers of a one-column result of BIGINT keys repeat (0: every key is unique)."""
    return len(repeated_values(next(iter(result.fetchnumpy().values()))))


@dataclass
class Built:
    key: tuple


class Engine:
    """Builds and caches the mirror tables on one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._built: Built | None = None
        self._reconstructed: tuple | None = None  # the build and country rc_* were made for
        self.gravity = None  # the fitted CIF/FOB gravity model of the current build, if any
        self.gravity_table: pd.DataFrame | None = None  # its description (cif_fob.describe), kept with the build
        self.cache = BuildCache(con)

    def invalidate(self) -> None:
        self._built = None
        self._reconstructed = None

    def _data_version(self) -> tuple:
        return tuple(sql.run(self.con, "data_state").fetchone())

    def build(self, settings: Settings, level: str, freq: str, *, kept: bool = True) -> None:
        """The mirror at a level and frequency in this connection's temp tables (or views over a
        kept build of the same data, settings and code, unless ``kept`` is False)."""
        level, freq = check_level(level), check_freq(freq)
        key = (settings, level, freq, self._data_version())
        if self._built and self._built.key == key and (kept or self.cache.restored is None):
            return
        self.gravity, self.gravity_table = None, None
        if kept and self.cache.restore(key, VIEW_SCRIPTS):
            self._built = Built(key)
            self.gravity_table = self.cache.model
            return
        self.cache.release()
        con = self.con
        sql.run(con, "build_mirror_level", level=level, freq=freq).fetchall()
        figures = self._pair_reports(settings, level, freq)
        sql.script(con, "define_mirror_pairs")
        sql.script(con, "build_hk_reexports")
        method = settings.cif_fob
        if method == "fixed":
            sql.script(con, "build_no_cif_fob_estimates")
        else:
            sql.run(con, "build_cif_fob_obs", unit_values=method == "unit-value").fetchall()
            sql.script(con, "build_cif_fob_centres" if self._medians_fit() else "build_cif_fob_centres_sorted")
            sql.run(con, "build_cif_fob_estimates", shrink_k=settings.shrinkage).fetchall()
            sql.script(con, "drop_cif_fob_obs")
        if method in ("gravity", "gravity-pair") and not self._fit_gravity(with_history=method == "gravity-pair"):
            method = "fixed"  # too few pairs both report (the bundled DPRK record): the IMF's factor
            sql.script(con, "build_no_cif_fob_estimates")
        sql.run(con, "build_mirror_params", method=method, factor=settings.cif_fob_factor,
                tau_max=settings.max_margin, hk_adjust=settings.hk_adjust, widen_rule=settings.widen_rule,
                hk_markup=settings.hk_markup, mean_unbiased=settings.mean_unbiased).fetchall()
        sql.script(con, "build_mirror_final")
        self._fit_reliability(settings)
        self._fit_intervals(settings)
        self._fit_product_bias(settings)
        sql.script(con, "build_reconciled")
        self._check_build()
        self._built = Built(key)
        if self.gravity is not None:
            from . import cif_fob

            self.gravity_table = cif_fob.describe(self.gravity, settings.max_margin)
        self.cache.save(key, figures, model=self.gravity_table)

    def _medians_fit(self) -> bool:
        """Whether the margins' exact medians can be held in memory (build_cif_fob_centres): their
        observations at MEDIAN_BYTES_PER_OBSERVATION each within the connection's memory limit.
        Otherwise they are read from sorted ranks, which spill (build_cif_fob_centres_sorted)."""
        observations, limit = sql.run(self.con, "cif_fob_obs_size").fetchone()
        return observations * MEDIAN_BYTES_PER_OBSERVATION <= duckdb_bytes(limit)

    def _pair_reports(self, settings: Settings, level: str, freq: str) -> int:
        """Both reports of every flow side by side (mp_base), a chunk of consecutive years at a
        time (year_chunks), so that resolving and joining hold one chunk, not the store. The
        figures of the frequency (what decides whether the build is kept on disk)."""
        sql.script(self.con, "create_mirror_base")
        chunks, figures = year_chunks(self.con, freq)
        for year_from, year_to, between in chunks:
            # nothing published between HS6 and the level: the sums go there in one step
            direct = (level == "TOTAL" and not (between["4"] or between["2"])) or (level == "2" and not between["4"])
            self._pair_chunk(settings, level, freq, year_from, year_to, direct, numbered=not between["unnumbered"])
        sql.run(self.con, "build_mirror_prov", level=level).fetchall()
        return figures

    def _pair_chunk(self, settings: Settings, level: str, freq: str, year_from: int, year_to: int,
                    direct: bool, numbered: bool) -> None:
        """One figure per flow of a chunk of years, paired into mp_base (insert_mirror_base), with
        what the checks keep of it. Choosing between competing figures is a window over every
        figure, so it runs only where some flow has several: at HS6, where figures enter as
        published, a repeated key of the paired chunk says so (looked for anyway, as the check that
        each side has one figure per flow; the chunk is then taken out and paired again, choosing);
        at coarser levels, which sum finer figures, they are looked for first (chunk_flow_keys).
        ``direct``: no figure published between HS6 and the level (mirror_flows sums in one step);
        ``numbered``: every figure has its countries and code as numbers (no text is read)."""
        chunk = {"level": level, "freq": freq, "source_order": list(settings.source_order),
                 "year_from": year_from, "year_to": year_to}
        years = {"year_from": year_from, "year_to": year_to}
        dedupe = level != "6" and _repeats(sql.run(self.con, "chunk_flow_keys", freq=freq, level=level, **years)) > 0
        self._insert_chunk(chunk, dedupe, direct, numbered)
        repeats = _repeats(sql.run(self.con, "mirror_chunk_keys", **years))
        if repeats and not dedupe:
            sql.run(self.con, "delete_mirror_chunk", **years).fetchall()
            dedupe = True
            self._insert_chunk(chunk, dedupe, direct, numbered)
            repeats = _repeats(sql.run(self.con, "mirror_chunk_keys", **years))
        if repeats:
            bad = sql.frame(self.con, "check_mirror_unique_keys")
            raise InternalError(f"the check check_mirror_unique_keys failed on the mirror just built ({len(bad)} "
                                f"keys, first: {bad.iloc[0].to_dict()})")
        if level == "6":  # the checks' sums, their sample and the provenance in one scan
            sql.run(self.con, "summarise_hs6_chunk", dedupe=dedupe, freq=freq, source_order=chunk["source_order"],
                    **years).fetchall()
            sql.script(self.con, "add_hs6_chunk_summary")
            return
        sql.run(self.con, "insert_resolved_sums", dedupe=dedupe, **chunk).fetchall()
        sql.run(self.con, "insert_mirror_sample", dedupe=dedupe, **chunk).fetchall()
        sql.script(self.con, "insert_mirror_prov_parts")

    def _insert_chunk(self, chunk: dict, dedupe: bool, direct: bool, numbered: bool) -> None:
        """The chunk's resolved figures (at a level coarser than HS6 first summed into mp_resolved,
        build_resolved) paired into mp_base."""
        try:
            if chunk["level"] != "6":
                sql.run(self.con, "build_resolved", dedupe=dedupe, direct=direct, numbered=numbered, **chunk).fetchall()
            sql.run(self.con, "insert_mirror_base", dedupe=dedupe, numbered=numbered, **chunk).fetchall()
        except duckdb.InvalidInputException as err:  # mirror_flows' one bit per source (macros.sql)
            if "at most 64 sources" not in str(err):
                raise
            raise StoreError(str(err).split("Invalid Input Error: ", 1)[-1]) from None

    def _fit_gravity(self, with_history: bool) -> bool:
        """The Growth Lab's margin model (mirror/cif_fob.py) on the pairs' median ln(M/X), predicted
        from geography for every pair with an import report and combined with the pair's own history
        (empirical Bayes). False where the store has too few pairs to fit it."""
        from . import cif_fob

        obs = sql.frame(self.con, "cif_fob_pair_medians")
        try:
            self.gravity = cif_fob.fit_gravity(obs)
        except (ValueError, np.linalg.LinAlgError):
            return False
        predicted = self.gravity.predict(sql.frame(self.con, "cif_fob_importer_pairs"))
        if with_history:
            predicted, prior = cif_fob.combine(predicted, obs)
            self.gravity.fit.update(prior)
        self.con.register("mp_gravity_df", predicted)
        try:
            sql.script(self.con, "build_cif_fob_gravity")
        finally:
            self.con.unregister("mp_gravity_df")
        return True

    def _fit_product_bias(self, settings: Settings) -> None:
        """Reporters' persistent misreporting of a product (mirror/intervals.py, product_bias): cells
        and product centres in SQL (hash aggregates, which spill), tested with Benjamini-Hochberg in
        Python (one row per reporter-product cell), the corrections registered for build_reconciled."""
        from . import intervals

        sql.run(self.con, "build_product_bias_cells", enabled=settings.product_bias,
                min_flows=PRODUCT_BIAS_MIN_FLOWS).fetchall()
        sql.run(self.con, "build_product_bias_centres", min_cells=3).fetchall()
        flagged = intervals.product_bias(sql.frame(self.con, "product_bias_tests"), fdr=PRODUCT_BIAS_FDR)
        self.con.register("mp_bias_df", flagged)
        try:
            sql.script(self.con, "build_product_bias")
        finally:
            self.con.unregister("mp_bias_df")

    def _fit_intervals(self, settings: Settings) -> None:
        """The interval model (mirror/intervals.py) on the reliability regression's cells."""
        from . import intervals

        # (frames of one row per pair and per country: they do not grow with the store's years)
        noise, between = intervals.fit_noise(sql.frame(self.con, "reliability_pairs"))
        errors = intervals.effect_errors(sql.frame(self.con, "reliability_effect_residuals"))
        sigma = noise.merge(errors, on=["role", "country"], how="outer")
        self.con.register("mp_sigma_df", sigma.astype({"s2": float, "effect_se": float}))
        try:
            sql.run(self.con, "build_interval_tables", z=intervals.z_value(settings.interval_level),
                    between_var=between).fetchall()
        finally:
            self.con.unregister("mp_sigma_df")
        # the normal model's z, widened (or narrowed) to the quantile the discrepancies show
        q = sql.run(self.con, "interval_calibration", level=settings.interval_level).fetchall()[0][0]
        if q is not None and q > 0:
            sql.run(self.con, "set_interval_multiplier", z=q).fetchall()

    def _check_build(self) -> None:
        """The SQL checks of a build (queries/checks/mirror.sql): zero rows each, or it is a bug."""
        for name in BUILD_CHECKS:
            bad = sql.frame(self.con, name)
            if len(bad):
                raise InternalError(f"the check {name} failed on the mirror just built ({len(bad)} rows, first: "
                                    f"{bad.iloc[0].to_dict()})")

    def _fit_reliability(self, settings: Settings) -> None:
        """BACI's reliability regression |ln(X/M_fob)| = a_exporter + b_importer + g_year + e,
        fitted by backfitting (alternating group means), which converges to the OLS solution
        without building a dummy matrix (BACI-scale: ~230 x 2 + years effects, 10 M flows)."""
        sql.script(self.con, "build_reliability_obs")
        for _ in range(settings.reliability_iterations):
            sql.script(self.con, "reliability_step")
            change = sql.run(self.con, "reliability_change").fetchall()[0][0]
            if change is None or change < settings.reliability_tolerance:
                break
        sql.run(self.con, "build_reliability", min_obs=settings.reliability_min_flows).fetchall()

    # -- faces -------------------------------------------------------------------------------
    def mirror(self, settings: Settings, *, exporter: str | None = None, importer: str | None = None,
               hs: str | None = None, level: str = "TOTAL", freq: str = "A", years: tuple[int, int] | None = None,
               ) -> pd.DataFrame:
        self.build(settings, level, freq)
        year_from, year_to = years or (None, None)
        frame = sql.frame(self.con, "mirror_rows", exporter=resolve(self.con, exporter),
                          importer=resolve(self.con, importer), hs=_hs_prefix(hs), year_from=year_from,
                          year_to=year_to)
        frame.attrs["settings"] = settings.describe() | {"level": check_level(level), "freq": check_freq(freq)}
        return frame

    def cif_fob_estimates(self, settings: Settings, level: str = "TOTAL", freq: str = "A") -> pd.DataFrame:
        if settings.cif_fob == "fixed":
            raise allowed("cif_fob", settings.cif_fob, ["pair", "unit-value", "gravity (the fixed method estimates nothing)"])
        self.build(settings, level, freq)
        return sql.frame(self.con, "cif_fob_pair_rows")

    def cif_fob_model(self, settings: Settings, level: str = "TOTAL", freq: str = "A") -> pd.DataFrame:
        """The gravity margin model's coefficients (term, coef, std_error, t, p_value) and fit
        statistics (pairs, flows, R2, within R2, residual s.d., clipping range), for the methods."""
        from dataclasses import replace

        if not settings.cif_fob.startswith("gravity"):
            settings = replace(settings, cif_fob="gravity")
        self.build(settings, level, freq)  # a kept build keeps the model's description too
        if self.gravity_table is None:
            raise StoreError("the gravity CIF/FOB model needs at least 10 pairs that both sides report, with "
                             "geography; this store has fewer, so the fixed factor is used. Fix: load both sides "
                             "of more pairs.")
        return self.gravity_table.copy()

    def reliability(self, settings: Settings, level: str = "TOTAL", freq: str = "A") -> pd.DataFrame:
        self.build(settings, level, freq)
        return sql.frame(self.con, "reliability_rows")

    def reconstruct(self, settings: Settings, country: str = "PRK", *, by: str = "partner", freq: str = "A",
                    years: tuple[int, int] | None = None) -> pd.DataFrame:
        query, level = _BY_QUERY[options.check("by", by, options.ReconstructBy)]
        iso3 = resolve(self.con, country)
        self.build(settings, level, freq)
        # rc_* are tables, so the same country on the same build (by partner, then by period: the
        # report) reads them again instead of rebuilding them
        key = (self._built.key, iso3)
        if self._reconstructed != key:
            sql.run(self.con, "build_reconstruction", country=iso3, freq=check_freq(freq)).fetchall()
            sql.script(self.con, "build_reconstruction_totals")
            sql.run(self.con, "build_reporting_periods", country=iso3, freq=check_freq(freq)).fetchall()
            self._reconstructed = key
        year_from, year_to = years or (None, None)
        frame = sql.frame(self.con, query, year_from=year_from, year_to=year_to)
        frame.insert(0, "country", iso3)
        frame.attrs["settings"] = settings.describe() | {"by": by, "level": level, "freq": check_freq(freq)}
        return frame


def _hs_prefix(hs: str | None) -> str | None:
    if hs is None:
        return None
    text = str(hs).strip().upper()
    if text != "TOTAL" and not text.isdigit():
        raise allowed("hs", hs, ["an HS code or prefix of digits (27, 2709), or TOTAL"])
    if text.isdigit() and len(text) % 2 == 1:
        text = "0" + text  # "3" means chapter 03, as spreadsheets write it
    return text
