"""The store: one DuckDB file holding every figure loaded, every release, and the load manifest.

``Store`` is the connection, the schema, transactions and the read API (thin, documented methods
over the engine and the named queries). Only loads and refreshes write, through mirror/load.py and
mirror/refresh.py; notebooks and reports may open the store read-only, and a writer that finds
readers holding the file works on a copy that replaces it on close (mirror/writer.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from . import load as loading
from . import options, schema, sql
from . import refresh as refreshing
from .connection import Transaction, connect
from .engine import Engine, define_layers
from .errors import InternalError, LoadError, MirrorError, Problem, StoreError
from .ingest import LoadOptions
from .load import ProgressCallback, insert_canonical
from .measures import Measures
from .oil import Caps, Oil
from .paths import default_db_path, is_default_store
from .settings import CifFobMethod, Settings, check_freq, check_level
from .writer import Writer

if TYPE_CHECKING:
    from .detect import DetectSettings
    from .report import Report

SCHEMA_VERSION = schema.SCHEMA_VERSION


class Store:
    """An open store. Use ``mirror.open()`` to get one; close it (or use ``with``) when done."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False, memory_limit: str | None = None):
        self.path = Path(path).expanduser() if path else default_db_path()
        self.read_only = read_only
        if read_only and not self.path.exists():
            if is_default_store(self.path):
                Store(self.path).close()  # build the default store (with the bundled data) first
            else:
                raise StoreError(f"No store at {self.path}. Fix: create it with `trade-mirror load PATH --db {self.path}` "
                                 "(or `trade-mirror load --bundled --db ...` for the bundled DPRK record).")
        if not read_only and is_default_store(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.parent.is_dir():  # a typo in a folder name must not create an empty store elsewhere
            raise StoreError(f"The folder {self.path.parent} does not exist, so there is no store {self.path.name} in it. "
                             "Fix: check the path, or create the folder first (mkdir -p) to start a new store there.")
        # read-write: the file itself, or a working copy while readers hold it (mirror/writer.py)
        self._writer = None if read_only else Writer(self.path)
        self.con = connect(self.path, True) if read_only else self._writer.con
        try:
            self._configure(memory_limit)
        except BaseException:
            self._abandon()
            raise

    def _configure(self, memory_limit: str | None) -> None:
        limit = memory_limit or os.environ.get("MIRROR_MEMORY_LIMIT")
        if limit:
            # DuckDB spills to disk beyond this (default: 80% of RAM). E.g. "1GB".
            try:
                sql.run(self.con, "set_memory_limit", limit=limit).fetchall()
            except duckdb.Error as err:
                raise StoreError(f"memory limit {limit!r} not understood ({str(err).splitlines()[0]}). "
                                 "Fix: write it like 1GB or 800MB.") from None
        read_only = self.read_only
        if read_only:
            schema.check(self.con, self.path)
        else:
            schema.prepare(self.con)
        define_layers(self.con)
        self.engine = Engine(self.con)
        self._oil, self._caps, self._measures = Oil(self.con), Caps(self.con), Measures(self.con)
        self.settings = Settings()
        if not read_only and is_default_store(self.path) and self.meta("bundled_load") is None:
            self.load_bundled()

    # -- lifecycle ---------------------------------------------------------------------------
    def _abandon(self) -> None:
        """Undo an open that failed half-way: no working copy published, the writer lock released."""
        if self._writer is not None:
            self._writer.abandon()
        else:
            with contextlib.suppress(duckdb.Error):
                self.con.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        else:
            self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<trade-mirror store {self.path}{' (read-only)' if self.read_only else ''}>"

    def meta(self, key: str) -> str | None:
        """One value of the store's meta table (schema_version, reference_sha, bundled_load ...)."""
        return schema.meta(self.con, key)

    def set_meta(self, key: str, value: str) -> None:
        """Write paths only (mirror/load.py, mirror/refresh.py), inside their transaction."""
        schema.set_meta(self.con, key, value)

    def require_writable(self, action: str) -> None:
        if self.read_only:
            raise StoreError(f"The store {self.path} is open read-only, so it cannot {action}. "
                             "Fix: open it with read_only=False (the CLI opens it read-write for this command).")

    def transaction(self) -> Transaction:
        """All or nothing: ``with db.transaction(): ...`` commits at the end, rolls back on any error."""
        return Transaction(self.con)

    # -- writing (mirror/load.py, mirror/refresh.py) -----------------------------------------
    def load(self, paths: str | Path | Iterable[str | Path], *, format: str | None = None,  # noqa: A002 - the user's word
             release: str | None = None, source: str | None = None, encoding: str = "utf-8",
             mapping: str | Path | None = None, allow_rejects: bool = False,
             progress: ProgressCallback | None = None) -> pd.DataFrame:
        """Load files into the store, all or nothing. Returns one row per file: the manifest row of
        the load, or status 'skipped' for a file whose exact bytes were loaded before.

        Bad rows fail the whole call (LoadError listing file, line, column, value and fix) unless
        ``allow_rejects`` is set: then the good rows load and the bad ones are kept in ``rejects``."""
        options = LoadOptions(format=format, release=release, source=source, encoding=encoding,
                              mapping=Path(mapping) if mapping else None)
        return loading.load(self, paths, options, allow_rejects=allow_rejects, progress=progress)

    def load_bundled(self) -> pd.DataFrame:
        """Load the bundled, cited DPRK public record (data/public_record/) and, as a separate source
        of kind 'estimated', the industry estimate of China's unrecorded pipeline crude. Idempotent."""
        return loading.load_bundled(self)

    def refresh(self, folder: str | Path | None = None, *, comtrade: bool | str | Path = False,
                cache: str | Path | None = None, release: str | None = None, allow_rejects: bool = False,
                country: str = "PRK", progress: ProgressCallback | None = None) -> dict:
        """Load what is new and recompute the flags, all in one transaction: the store is as before
        or fully refreshed, never between. Files already loaded (same sha256) are skipped, so a
        second run changes nothing. Returns a summary (files, counts, changes).

        Sources: ``folder``, a drop folder (every data file in it); ``comtrade``, the UN Comtrade
        API (True for the bundled fetch sets, or the path of your own fetch-set TOML; key from
        COMTRADE_API_KEY). API downloads go to ``cache`` first (default ~/.cache/trade-mirror),
        outside the transaction, so an interrupted refresh resumes without downloading again."""
        return refreshing.refresh(self, folder, comtrade=comtrade, cache=cache, release=release,
                                  allow_rejects=allow_rejects, country=country, progress=progress)

    def changes(self, since: int | None = None, country: str = "PRK", threshold: float = 0.0) -> dict:
        """What loads after load ``since`` changed (default: what the last load or refresh loaded,
        all its files): revised figures (old, new, change; relative changes below ``threshold``
        left out), new periods and reporters per source, and flags that appeared or disappeared."""
        return refreshing.changes(self, since=since, country=country, threshold=threshold)

    def add_measures(self, path: str | Path) -> pd.DataFrame:
        """Add your own measures (e.g. a national act enforcing a resolution from a given date) from a
        CSV with the register's columns (data/sanctions/register.csv). All or nothing."""
        loading.add_measures(self, path)
        return self.measures(None)

    # -- analysis ----------------------------------------------------------------------------
    def configure(self, settings: Settings | None = None, **changes: object) -> Settings:
        """Set the analysis settings for this store object (``db.configure(cif_fob="pair")``)."""
        self.settings = replace(settings or self.settings, **changes)
        return self.settings

    def _settings(self, overrides: dict) -> Settings:
        return replace(self.settings, **overrides) if overrides else self.settings

    def mirror(self, exporter: str | None = None, importer: str | None = None, hs: str | None = None,
               level: options.Level | None = None, freq: options.Freq = "A",
               years: int | str | tuple[int, int] | range | None = None, **settings: object) -> pd.DataFrame:
        """Both reports of each flow, side by side: one row per (period, exporter, importer, hs).

        Countries: ISO3, Comtrade codes or names; None = all. ``hs`` is a code or prefix at
        ``level`` ('2', '4', '6' or 'TOTAL'; default: the code's own level, 2709 -> '4', else
        'TOTAL'); ``freq`` 'A' or 'M' (never mixed); ``years`` 2018, "2010-2019", (2010, 2019) or a
        range. A filter that matches nothing is named in an ``EmptyResult`` warning. Any Settings
        field may be passed to override it for this call, e.g. ``cif_fob="pair"``.

        Columns: period, exporter, importer, hs, value_exporter_usd (X, FOB), value_importer_usd
        (M, CIF as reported), value_importer_fob_usd (M / cif_fob_factor), gap_usd (M_fob - X),
        log_ratio ln(M_fob/X), discrepancy_index (X - M_fob)/(X + M_fob) in [-1, 1],
        reported_by (both / exporter only / importer only), cif_fob_factor, cif_fob_method,
        weight_exporter (reliability weight of X), value_reconciled_usd, the same for weights
        (kg) and unit values (USD/kg), and provenance (source, release, how each side was resolved)."""
        level, years = options.implied_level(hs, level), options.check_years(self.con, years)
        frame = self.engine.mirror(self._settings(settings), exporter=exporter, importer=importer, hs=hs,
                                   level=level, freq=freq, years=years)
        if frame.empty and any(v is not None for v in (exporter, importer, hs, years)):
            options.warn_empty(options.explain_empty_mirror(
                self.con, exporter=self.country(exporter), importer=self.country(importer), hs=hs,
                level=level, years=years))
        return frame

    def cif_fob_estimates(self, level: options.Level = "TOTAL", freq: options.Freq = "A", cif_fob: CifFobMethod = "pair",
                          **settings: object) -> pd.DataFrame:
        """Each pair's estimated CIF/FOB margin (before clipping and the would-widen rule):
        observations, its own median ln(M/X), the all-pairs median and the shrunk tau."""
        return self.engine.cif_fob_estimates(self._settings({"cif_fob": cif_fob, **settings}), level=level, freq=freq)

    def reliability(self, level: options.Level = "TOTAL", freq: options.Freq = "A", **settings: object) -> pd.DataFrame:
        """Each country's reporting reliability as exporter and as importer (BACI's method)."""
        return self.engine.reliability(self._settings(settings), level=level, freq=freq)

    def reconstruct(self, country: str = "PRK", by: options.ReconstructBy = "partner", freq: options.Freq = "A",
                    years: int | str | tuple[int, int] | range | None = None, **settings: object) -> pd.DataFrame:
        """A country's trade rebuilt from its partners' reports: imports = partners' exports to it,
        exports = partners' imports from it converted to FOB. ``by``: partner, period, chapter
        (or hs), heading, section. Rows: period, partner, hs, imports_usd, exports_usd (USD, FOB);
        by partner also imports_status/exports_status, which say when a partner reported nothing."""
        return self.engine.reconstruct(self._settings(settings), country, by=options.check("by", by, options.ReconstructBy),
                                       freq=freq, years=options.check_years(self.con, years))

    def coverage(self, reporter: str | None = None, partner: str | None = None, flow: options.Flow | None = None,
                 freq: options.Freq = "A", years: int | str | tuple[int, int] | range | None = None, kind: options.CoverageKind = "reported",
                 by: options.CoverageBy = "pair", hs: str | None = None) -> pd.DataFrame:
        """What the store knows of each reporter's reports (queries/coverage): ``by="pair"`` gives one
        row per (reporter, partner, flow, period) of the years asked (default: the store's), with
        state 'reported' (figures), 'reported nothing' (published, no figure: a zero) or 'not
        available' (not published, or not loaded), and the basis it is known on. ``by="reporter"``:
        the periods each reporter published for anyone. With ``hs``: the state of that one code
        (or TOTAL) in each period, with its value (0 where it reported nothing). Countries as ISO3,
        codes or names."""
        options.check("by", by, options.CoverageBy)
        options.check("kind", kind, options.CoverageKind)
        if flow is not None:
            options.check("flow", flow, options.Flow)
        # any span may be asked: years the store has nothing of are the answer, "not available"
        year_from, year_to = options.parse_years(years) or (None, None)
        asked = {"kind": kind, "freq": check_freq(freq), "reporter": self.country(reporter), "year_from": year_from,
                 "year_to": year_to}
        if hs is not None:
            return sql.frame(self.con, "coverage_code_rows", **asked, partner=self.country(partner), flow=flow,
                             hs=str(hs).strip().upper())
        if by == "reporter":
            return sql.frame(self.con, "coverage_reporter_rows", **asked)
        return sql.frame(self.con, "coverage_rows", **asked, partner=self.country(partner), flow=flow)

    def compare_kinds(self, country: str | None = "PRK", kind: options.CompareKind | None = None,
                      hs: str | None = None) -> pd.DataFrame:
        """Customs-reported figures beside estimates or UN notifications of the same flow and the
        same span (annual vs annual, Jan-Nov vs Jan-Nov). One row per flow, goods, unit, period:
        reported_value vs other_value (medians where several publishers give one), gap, ratio."""
        if kind is not None:
            options.check("kind", kind, options.CompareKind)
        return sql.frame(self.con, "compare_kinds", country=self.country(country), kind=kind, hs=hs)

    def compare_reporters(self, country: str | None = "PRK", hs: str | None = None) -> pd.DataFrame:
        """The same published flow as its origin (exports) and its destination (imports) report it."""
        return sql.frame(self.con, "compare_reporters", country=self.country(country), hs=hs)

    def cif_fob_model(self, level: options.Level = "TOTAL", freq: options.Freq = "A", **settings: object) -> pd.DataFrame:
        """The gravity CIF/FOB model's coefficients (term, coef, std_error, t, p_value) and fit
        (pairs, flows, R2, within R2, residual s.d., clipping range), for a report's methods."""
        return self.engine.cif_fob_model(self._settings(settings), level=level, freq=freq)

    # -- sanctions and oil --------------------------------------------------------------------
    def measures(self, country: str | None = "PRK") -> pd.DataFrame:
        """The sanctions register (UN measures bundled in data/sanctions/ and your own)."""
        return sql.frame(self.con, "measure_rows", country=self.country(country))

    def sanctioned_trade(self, country: str = "PRK", freq: options.Freq = "A", measure: str | None = None,
                         include_before: bool = False, summary: bool = False, **settings: object) -> pd.DataFrame:
        """Partner-reported trade in goods a measure bans, in the banned direction, after its effective
        date (rows timed 'after' or 'straddles'; 'before' too with include_before). Rows: measure,
        reporter, partner, flow, hs, period, value_usd, net_weight_kg, timing. ``summary=True``: per
        measure and reporter, value and weight after, first and last period, the 12 months before."""
        if summary:
            return self._measures.summary(self._settings(settings), self.country(country), freq=freq)
        return self._measures.sanctioned_trade(self._settings(settings), self.country(country), freq=freq,
                                               measure=measure, include_before=include_before)

    def oil(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd", kind: options.OilKind | None = None,
            years: int | str | tuple[int, int] | range | None = None) -> pd.DataFrame:
        """Oil to and from a country, every published figure: crude (2709), refined products (2710,
        by product where the source names it or the HS6 code tells), LPG (2711), with tonnes, barrels,
        bbl_per_tonne and the factor's source; kind reported / notified / estimated."""
        return self._oil.oil(self.country(country), factor_set=factor_set, kind=kind, years=self.span(years))

    def oil_conversions(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd") -> pd.DataFrame:
        """Deliveries published in both tonnes and barrels: the implied barrels per tonne, flagged when
        outside the product's plausible range or far from the factor used."""
        return self._oil.conversions(self.country(country), factor_set=factor_set)

    def caps(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd",
             kind: options.CapKind | None = "notified", monthly: bool = False) -> pd.DataFrame:
        """Deliveries against the UN caps per cap period: by supplier and in total, percent of cap;
        ``monthly=True``: running totals by month and the date a cap is crossed."""
        if kind is not None:  # "all" (the CLI's word) = None: every kind, one row each
            kind = None if options.check("kind", kind, options.CapKind) == "all" else kind
        return self._caps.caps(self.country(country), factor_set=factor_set, kind=kind, monthly=monthly)

    def cap_periods(self) -> pd.DataFrame:
        """Every UN cap period with its amount, unit, citation and verification note."""
        return self._caps.periods()

    def notifications_vs_customs(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd",
                                 unit: options.Unit = "t") -> pd.DataFrame:
        """Each supplier's 1718 Committee notifications beside its customs-reported refined exports."""
        return self._caps.notifications_vs_customs(self.country(country), factor_set=factor_set, unit=unit)

    # -- detection ---------------------------------------------------------------------------
    def flags(self, detector: str | None = None, country: str = "PRK", freq: options.Freq = "A", level: options.Level = "4",
              settings: DetectSettings | None = None, years: int | str | tuple[int, int] | range | None = None
              ) -> pd.DataFrame:
        """Run every detector on the current data and return the flags (most severe first): detector,
        reporter, partner, flow, hs, unit, freq, period, statistic, score, threshold, p_value,
        severity, reason, explained_by, implied_missing, evidence. On a store opened read-write the
        flags are also stored with the data state they were computed on (data_version, releases).
        ``years`` (2018, "2010-2019", (2010, 2019), a range): the country's series of those years
        only, and their flags - a break is judged on the history inside them; such a run is not
        stored (the stored flags are those of every year). For a large country over decades, whose
        series do not fit in memory at once."""
        from .detect import DETECTORS, run

        if detector is not None:
            options.check("detector", detector, tuple(DETECTORS))
        iso3 = self.country(country)
        span = self.span(years)
        flags = run(self, iso3, freq=check_freq(freq), level=check_level(level), settings=settings, years=span)
        if not self.read_only and span is None:
            loading.store_flags(self, flags, iso3, check_freq(freq))
        if detector is not None:
            tests = flags.attrs.get("tests", {})
            flags = flags[flags.detector == detector].reset_index(drop=True)
            flags.attrs["tests"] = tests
        return flags

    def report(self, country: str = "PRK", years: tuple[int, int] | None = None, **options: object) -> Report:
        """The report (mirror.report.Report): shows inline in a notebook, ``.save(path)`` writes the
        offline HTML file, ``.export(dir)`` the charts (PNG, SVG) and tables (CSV, Parquet)."""
        from .report import build_report

        return build_report(self, country, years, **options)

    # -- reading -----------------------------------------------------------------------------
    def country(self, text: str | None) -> str | None:
        """The ISO3 code of a country given as ISO3, Comtrade code or name (None stays None); an
        unknown one is an error suggesting the closest names."""
        from .countries import resolve

        return resolve(self.con, text)

    def span(self, years: int | str | tuple[int, int] | range | None) -> tuple[int, int] | None:
        """A years argument (2018, "2010-2019", (2010, 2019), a range) checked: (first, last) or None."""
        return options.check_years(self.con, years)

    def report_data(self, name: str, frame: pd.DataFrame | None = None, **params: object) -> pd.DataFrame:
        """A query of the report's own layer (queries/report/), aggregating in SQL: over ``frame``
        (registered as report_input, e.g. a Store method's rows) when given. The report reads the
        store only through this and the other public methods."""
        query = sql.get(name)
        if query.layer != "report":
            raise InternalError(f"report_data runs the report's queries only, not {name} ({query.path.name})")
        if frame is None:
            return sql.frame(self.con, name, **params)
        self.con.register("report_input", frame)
        try:
            return sql.frame(self.con, name, **params)
        finally:
            self.con.unregister("report_input")

    def query(self, name: str, **params: object) -> pd.DataFrame:
        """Run a named query from queries/ with bound parameters; returns a DataFrame."""
        query = sql.get(name)
        if not query.public:
            raise MirrorError(f"{name} is an internal query of the loader and cannot be run on its own.")
        return sql.frame(self.con, name, **params)

    def check(self) -> pd.DataFrame:
        """Run the store's SQL checks (queries/checks/store.sql): one row per check with the number
        of offending rows (0 = pass) and the first offender."""
        rows = []
        for q in sql.catalog().values():
            if q.layer == "checks" and q.public:
                bad = sql.frame(self.con, q.name)
                rows.append({"check": q.name, "offending_rows": len(bad), "doc": q.doc,
                             "first": "" if bad.empty else str(bad.iloc[0].to_dict())})
        return pd.DataFrame(rows)

    def status(self) -> pd.DataFrame:
        """One row per source and release: loads, current figures, years, reporters, partners, rejects."""
        return sql.frame(self.con, "status_by_release")

    def status_dict(self) -> dict:
        """Everything `trade-mirror status --json` prints: rows, loads, releases, rejects ..."""
        from .status import status_dict

        return status_dict(self)


def open_store(path: str | Path | None = None, read_only: bool = False, memory_limit: str | None = None) -> Store:
    """Open (creating if needed) a store. ``path`` None = $MIRROR_DB or the default store, which
    receives the bundled DPRK public record on first use. ``memory_limit`` (or $MIRROR_MEMORY_LIMIT),
    e.g. "1GB", caps DuckDB's memory; it spills to disk beyond it."""
    return Store(path, read_only=read_only, memory_limit=memory_limit)


__all__ = ["Store", "open_store", "insert_canonical", "LoadError", "Problem"]
