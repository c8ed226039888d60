"""The store: one DuckDB file holding every figure loaded, every release, and the load manifest.

Only loads (and refreshes) write; notebooks and reports may open it read-only. A load is one
transaction: all files of a call go in, or none does. DuckDB 2.0 silently rolls back a
transaction in which a statement failed, even when COMMIT then "succeeds", so every write path
catches the error, rolls back explicitly, re-raises, and checks after COMMIT that the manifest
really holds the new loads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import options, sql
from ._version import __version__
from .engine import Engine, Sanctions, define_layers
from .errors import LoadError, MirrorError, Problem, StoreBusyError, StoreError, allowed
from .ingest import LoadOptions, StagedFile, options_json, problem_list, stage_file
from .paths import data_dir, default_db_path, is_default_store
from .settings import Settings, check_freq, check_level
from .writer import WriterLock, publish, working_copy

SCHEMA_VERSION = "2"  # 2: coverage tables (queries/coverage)
BUNDLED_FILE = Path("public_record") / "dprk_public_record.csv"
BUNDLED_RELEASE = "2026-11-22"  # when the public record in data/ was compiled
REFERENCE_FILES = {"countries": "countries.csv", "hs_codes": "hs_codes.csv", "hs_sections": "hs_sections.csv",
                   "qty_units": "qty_units.csv", "measures_bundled": "sanctions/register.csv",
                   "caps": "sanctions/caps.csv", "oil_products": "oil/products.csv",
                   "oil_product_names": "oil/product_names.csv", "oil_factors": "oil/factors.csv",
                   "exchange_rates": "exchange_rates.csv"}
PIPELINE_ESTIMATE_FILE = Path("public_record") / "pipeline_crude_estimate.csv"

ProgressCallback = Callable[[str, str], None]  # (file name, step)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
        _quiet(con)
        return con
    except duckdb.IOException as err:
        text = str(err)
        if "lock" in text.lower():
            holder = re.search(r"PID (\d+)", text)
            who = f" (process {holder.group(1)})" if holder else ""
            raise StoreBusyError(
                f"The store {path} is being written by another process{who}, probably a load or refresh. "
                "Fix: wait for it to finish and run this again; a scheduled refresh can simply retry later "
                "(exit code 75)."
            ) from None
        raise StoreError(f"Cannot open the store {path}: {text.splitlines()[0]}. "
                         "Fix: check the path and its permissions.") from None
    except duckdb.Error as err:
        raise StoreError(f"Cannot open the store {path}: {str(err).splitlines()[0]}. "
                         "Fix: if the file is not a trade-mirror store, choose another path with --db.") from None


def _quiet(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB draws a progress bar on long queries; a library must not write to the terminal. In
    Jupyter, DuckDB refuses to change that setting when ipywidgets is missing (it wants to draw a
    widget): then only the printing is switched off, and the notebook still works."""
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar_print = false")


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
        self._writer: WriterLock | None = None
        self._swap: Path | None = None  # the working copy written while readers hold the store
        if read_only:
            self.con = _connect(self.path, read_only)
        else:
            self._open_writer()
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
            self._check_schema()
        else:
            self._prepare()
        define_layers(self.con)
        self.engine = Engine(self.con)
        self.sanctions = Sanctions(self.con)
        self.settings = Settings()
        if not read_only and is_default_store(self.path) and self.meta("bundled_load") is None:
            self.load_bundled()

    # -- lifecycle ---------------------------------------------------------------------------
    def _open_writer(self) -> None:
        """Open read-write: in place, or - when only readers hold the store - on a working copy that
        close() renames over it (mirror/writer.py: readers never block a refresh for long)."""
        self._writer = WriterLock(self.path)
        try:
            self.con = _connect(self.path, False)
        except StoreBusyError:
            if not (self._writer.first and self.path.exists()):
                self._writer.release()
                raise
            try:
                self._swap = working_copy(self.path)
                self.con = _connect(self._swap, False)
            except BaseException:
                self._writer.release()
                if self._swap is not None:
                    self._swap.unlink(missing_ok=True)
                raise

    def _abandon(self) -> None:
        """Undo an open that failed half-way: no working copy published, the writer lock released."""
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        if self._swap is not None:
            self._swap.unlink(missing_ok=True)
            self._swap = None
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def close(self) -> None:
        try:
            if self._swap is not None:
                self.con.execute("CHECKPOINT")
                self.con.close()
                publish(self._swap, self.path)
                self._swap = None
            else:
                self.con.close()
        finally:
            if self._writer is not None:
                self._writer.release()
                self._writer = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<trade-mirror store {self.path}{' (read-only)' if self.read_only else ''}>"

    def meta(self, key: str) -> str | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchall()
        return rows[0][0] if rows else None

    def _set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ($key, $value)", {"key": key, "value": value})

    def _check_schema(self) -> None:
        try:
            version = self.meta("schema_version")
        except duckdb.CatalogException:
            version = None
        if version is None:
            raise StoreError(f"{self.path} is not a trade-mirror store (no schema). "
                             "Fix: open it read-write once, or choose another path with --db.")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {version}; this trade-mirror ({__version__}) "
                             f"uses {SCHEMA_VERSION}. Fix: open it read-write once to upgrade it.")

    def _prepare(self) -> None:
        """Create the schema and (re)fill the reference tables when data/ changed. Atomic."""
        with self.transaction():
            sql.script(self.con, "create_store")
            sql.script(self.con, "create_sanctions_tables")
            sql.script(self.con, "create_flags_table")
            sql.script(self.con, "create_comtrade_fetches")
            sql.script(self.con, "create_coverage_tables")
            sql.script(self.con, "create_views")
            self._set_meta("schema_version", SCHEMA_VERSION)
            self._set_meta("mirror_version", __version__)
            digest = self._reference_digest()
            if self.meta("reference_sha") != digest:
                sql.script(self.con, "clear_reference")
                sql.script(self.con, "clear_sanctions_reference")
                for table, file in REFERENCE_FILES.items():
                    sql.run(self.con, f"fill_{table}", path=str(data_dir() / file)).fetchall()
                self._set_meta("reference_sha", digest)
            if self.meta("coverage_schema") != SCHEMA_VERSION:
                self._rebuild_coverage()  # a store written before the coverage model: derive it once
                self._set_meta("coverage_schema", SCHEMA_VERSION)

    @staticmethod
    def _reference_digest() -> str:
        h = hashlib.sha256()
        for file in REFERENCE_FILES.values():
            h.update((data_dir() / file).read_bytes())
        return h.hexdigest()

    def _rebuild_coverage(self) -> None:
        """Derive what each reporter published (queries/coverage), inside the caller's transaction:
        every load and refresh that loads something rebuilds it with the figures it wrote."""
        sql.script(self.con, "rebuild_coverage")

    # -- transactions ------------------------------------------------------------------------
    def transaction(self) -> _Transaction:
        return _Transaction(self.con)

    # -- loading -----------------------------------------------------------------------------
    def load(self, paths: str | Path | Iterable[str | Path], *, format: str | None = None,  # noqa: A002 - the user's word
             release: str | None = None, source: str | None = None, encoding: str = "utf-8",
             mapping: str | Path | None = None, allow_rejects: bool = False,
             progress: ProgressCallback | None = None) -> pd.DataFrame:
        """Load files into the store, all or nothing. Returns one row per file: the manifest row of
        the load, or status 'skipped' for a file whose exact bytes were loaded before.

        Bad rows fail the whole call (LoadError listing file, line, column, value and fix) unless
        ``allow_rejects`` is set: then the good rows load and the bad ones are kept in ``rejects``."""
        if self.read_only:
            raise StoreError(f"The store {self.path} is open read-only. Fix: open it with read_only=False to load data.")
        if isinstance(paths, (str, Path)):
            paths = [paths]
        options = LoadOptions(format=format, release=release, source=source, encoding=encoding,
                              mapping=Path(mapping) if mapping else None)
        since = sql.run(self.con, "last_load_id").fetchall()[0][0]
        with self.transaction():
            report = self._load_files(paths, options, allow_rejects, progress)
            if any(r["status"] == "loaded" for r in report):
                self._rebuild_coverage()
            self._mark_batch(report, since)
        self._verify_loads([r["load_id"] for r in report if r["status"] == "loaded"])
        self.engine.invalidate()
        return self._load_report(report)

    def _load_files(self, paths: Iterable[str | Path], options: LoadOptions, allow_rejects: bool,
                    progress: ProgressCallback | None) -> list[dict]:
        """The body of a load, inside a transaction the caller opened (load, refresh)."""
        report = []
        next_id = sql.run(self.con, "next_load_id").fetchall()[0][0]
        seen: dict[str, int] = {}
        for raw_path in paths:
            path = Path(raw_path)
            note = progress or (lambda _f, _s: None)
            note(path.name, "checking")
            digest = sha256_of(path) if path.is_file() else ""
            earlier = sql.run(self.con, "load_by_sha", sha256=digest).fetchall() if digest else []
            if earlier or digest in seen:
                first = earlier[0][0] if earlier else seen[digest]
                report.append({"file_name": path.name, "status": "skipped", "load_id": first,
                               "note": f"same bytes as load {first}: nothing to do"})
                note(path.name, "skipped")
                continue
            started = datetime.now(UTC).replace(tzinfo=None)
            note(path.name, "reading")
            staged = stage_file(self.con, path, options)
            if staged.problems and not allow_rejects:
                problems, total = problem_list(self.con, staged)
                raise LoadError(problems, total=total, hint=(
                    "Nothing was loaded. To load the valid rows and keep the refused ones in the table "
                    "`rejects`, run again with --allow-rejects (Python: allow_rejects=True)."))
            note(path.name, "merging")
            self._merge(next_id, staged, digest, started, options_json(options, staged))
            seen[digest] = next_id
            report.append({"file_name": path.name, "status": "loaded", "load_id": next_id,
                           "note": "; ".join(staged.info.extra.get("notes", []))})  # e.g. an encoding detected
            next_id += 1
            note(path.name, "done")
        return report

    def _merge(self, load_id: int, staged: StagedFile, digest: str, started: datetime, options: str) -> None:
        sql.run(self.con, "accept_rows").fetchall()
        sql.run(self.con, "plan_merge").fetchall()
        counts = dict(zip(("rows_new", "rows_revised", "rows_unchanged", "rows_breakdown", "rows_apart"),
                          sql.run(self.con, "plan_counts").fetchall()[0], strict=True))
        sql.run(self.con, "close_revised", load_id=load_id).fetchall()
        sql.run(self.con, "close_revised_apart", load_id=load_id).fetchall()
        sql.run(self.con, "insert_figures", load_id=load_id).fetchall()
        sql.run(self.con, "insert_apart", load_id=load_id).fetchall()
        if staged.problems:
            sql.run(self.con, "insert_rejects", load_id=load_id, file_name=staged.path.name).fetchall()
        sql.run(self.con, "insert_load", load_id=load_id, sha256=digest, file_name=staged.path.name,
                path=str(staged.path.resolve()) if staged.path.exists() else None, format=staged.format, source=staged.source, release=staged.release,
                rows_read=staged.rows_read, rows_rejected=staged.problems, started_at=started.isoformat(),
                finished_at=datetime.now(UTC).replace(tzinfo=None).isoformat(), options=options,
                **counts).fetchall()

    def _verify_loads(self, load_ids: list[int]) -> None:
        if not load_ids:
            return
        found = self.con.execute("SELECT count(*) FROM loads WHERE list_contains($ids, load_id)",
                                 {"ids": load_ids}).fetchall()[0][0]
        if found != len(load_ids):
            raise StoreError(f"The load did not commit (expected {len(load_ids)} manifest rows, found {found}); "
                             "the store is as it was before. Fix: run the load again; if it repeats, report it.")

    def _load_report(self, report: list[dict]) -> pd.DataFrame:
        ids = [r["load_id"] for r in report if r["status"] == "loaded"]
        manifest = sql.frame(self.con, "manifest").set_index("load_id")
        rows = []
        for r in report:
            row = dict(r)
            if r["status"] == "loaded":
                row.update(manifest.loc[r["load_id"]].to_dict())
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["loaded"] = ids
        return frame

    def load_bundled(self) -> pd.DataFrame:
        """Load the bundled, cited DPRK public record (data/public_record/) and, as a separate source
        of kind 'estimated', the industry estimate of China's unrecorded pipeline crude. Idempotent."""
        since = sql.run(self.con, "last_load_id").fetchall()[0][0]
        record = self.load(data_dir() / BUNDLED_FILE, format="public-record", release=BUNDLED_RELEASE)
        pipeline = self.load(data_dir() / PIPELINE_ESTIMATE_FILE, format="public-record", release=BUNDLED_RELEASE,
                             source="pipeline-estimate")
        with self.transaction():
            self._set_meta("bundled_load", str(int(record["load_id"].iloc[0])))
            if (record.status == "loaded").any() or (pipeline.status == "loaded").any():
                self._set_meta("last_batch_since", str(since))  # the two files are one batch
        return pd.concat([record, pipeline], ignore_index=True)

    # -- analysis ----------------------------------------------------------------------------
    def configure(self, settings: Settings | None = None, **changes: object) -> Settings:
        """Set the analysis settings for this store object (``db.configure(cif_fob="pair")``)."""
        from dataclasses import replace

        self.settings = replace(settings or self.settings, **changes)
        return self.settings

    def _settings(self, overrides: dict) -> Settings:
        from dataclasses import replace

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
            from .countries import resolve

            options.warn_empty(options.explain_empty_mirror(
                self.con, exporter=resolve(self.con, exporter), importer=resolve(self.con, importer), hs=hs,
                level=level, years=years))
        return frame

    def cif_fob_estimates(self, level: str = "TOTAL", freq: str = "A", cif_fob: str = "pair",
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
        return self.engine.reconstruct(self._settings(settings), country, by=options.choice("by", by, options.RECONSTRUCT_BY),
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
        from .countries import resolve

        options.choice("by", by, options.COVERAGE_BY)
        options.choice("kind", kind, options.COVERAGE_KINDS)
        if flow is not None:
            options.choice("flow", flow, options.FLOWS)
        # any span may be asked: years the store has nothing of are the answer, "not available"
        year_from, year_to = options.parse_years(years) or (None, None)
        if hs is not None:
            return sql.frame(self.con, "coverage_code_rows", kind=kind, freq=check_freq(freq),
                             reporter=resolve(self.con, reporter), partner=resolve(self.con, partner), flow=flow,
                             hs=str(hs).strip().upper(), year_from=year_from, year_to=year_to)
        if by == "reporter":
            return sql.frame(self.con, "coverage_reporter_rows", kind=kind, freq=check_freq(freq),
                             reporter=resolve(self.con, reporter), year_from=year_from, year_to=year_to)
        return sql.frame(self.con, "coverage_rows", kind=kind, freq=check_freq(freq), reporter=resolve(self.con, reporter),
                         partner=resolve(self.con, partner), flow=flow, year_from=year_from, year_to=year_to)

    def compare_kinds(self, country: str | None = "PRK", kind: options.CompareKind | None = None,
                      hs: str | None = None) -> pd.DataFrame:
        """Customs-reported figures beside estimates or UN notifications of the same flow and the
        same span (annual vs annual, Jan-Nov vs Jan-Nov). One row per flow, goods, unit, period:
        reported_value vs other_value (medians where several publishers give one), gap, ratio."""
        from .countries import resolve

        if kind is not None:
            options.choice("kind", kind, options.COMPARE_KINDS)
        return sql.frame(self.con, "compare_kinds", country=resolve(self.con, country), kind=kind, hs=hs)

    def compare_reporters(self, country: str | None = "PRK", hs: str | None = None) -> pd.DataFrame:
        """The same published flow as its origin (exports) and its destination (imports) report it."""
        from .countries import resolve

        return sql.frame(self.con, "compare_reporters", country=resolve(self.con, country), hs=hs)

    def cif_fob_model(self, level: options.Level = "TOTAL", freq: options.Freq = "A", **settings: object) -> pd.DataFrame:
        """The gravity CIF/FOB model's coefficients (term, coef, std_error, t, p_value) and fit
        (pairs, flows, R2, within R2, residual s.d., clipping range), for a report's methods."""
        return self.engine.cif_fob_model(self._settings(settings), level=level, freq=freq)

    # -- sanctions and oil --------------------------------------------------------------------
    def measures(self, country: str | None = "PRK") -> pd.DataFrame:
        """The sanctions register (UN measures bundled in data/sanctions/ and your own)."""
        from .countries import resolve

        return sql.frame(self.con, "measure_rows", country=resolve(self.con, country))

    def add_measures(self, path: str | Path) -> pd.DataFrame:
        """Add your own measures (e.g. a national act enforcing a resolution from a given date) from a
        CSV with the register's columns (data/sanctions/register.csv). All or nothing."""
        path = Path(path)
        if not path.is_file():
            raise LoadError([Problem(str(path), None, None, None, "no such file", "check the path")])
        with self.transaction():
            try:
                sql.run(self.con, "add_user_measures", path=str(path), added_from=path.name).fetchall()
            except duckdb.Error as err:
                raise LoadError([Problem(str(path), None, None, None, f"not a measures table ({str(err).splitlines()[0]})",
                                         "use the columns of data/sanctions/register.csv, dates as YYYY-MM-DD")]) from None
            bad = sql.frame(self.con, "user_measure_problems")
            if len(bad):
                raise LoadError([Problem(str(path), None, r.field, r.value, f"measure {r.measure_id}: {r.reason}",
                                         "correct the row and add the file again") for r in bad.itertuples()])
        return self.measures(None)

    def sanctioned_trade(self, country: str = "PRK", freq: options.Freq = "A", measure: str | None = None,
                         include_before: bool = False, summary: bool = False, **settings: object) -> pd.DataFrame:
        """Partner-reported trade in goods a measure bans, in the banned direction, after its effective
        date (rows timed 'after' or 'straddles'; 'before' too with include_before). Rows: measure,
        reporter, partner, flow, hs, period, value_usd, net_weight_kg, timing. ``summary=True``: per
        measure and reporter, value and weight after, first and last period, the 12 months before."""
        if summary:
            return self.sanctions.sanctioned_trade_summary(self._settings(settings), country, freq=freq)
        return self.sanctions.sanctioned_trade(self._settings(settings), country, freq=freq, measure=measure,
                                               include_before=include_before)

    def oil(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd", kind: options.OilKind | None = None,
            years: int | str | tuple[int, int] | range | None = None) -> pd.DataFrame:
        """Oil to and from a country, every published figure: crude (2709), refined products (2710,
        by product where the source names it or the HS6 code tells), LPG (2711), with tonnes, barrels,
        bbl_per_tonne and the factor's source; kind reported / notified / estimated."""
        return self.sanctions.oil(country, factor_set=factor_set, kind=kind, years=options.check_years(self.con, years))

    def caps(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd",
             kind: options.CapKind | None = "notified", monthly: bool = False) -> pd.DataFrame:
        """Deliveries against the UN caps per cap period: by supplier and in total, percent of cap;
        ``monthly=True``: running totals by month and the date a cap is crossed."""
        if kind is not None:  # "all" (the CLI's word) = None: every kind, one row each
            kind = None if options.choice("kind", kind, options.CAP_KINDS) == "all" else kind
        return self.sanctions.caps(country, factor_set=factor_set, kind=kind, monthly=monthly)

    def notifications_vs_customs(self, country: str = "PRK", factor_set: options.FactorSet | str = "unsd",
                                 unit: options.Unit = "t") -> pd.DataFrame:
        """Each supplier's 1718 Committee notifications beside its customs-reported refined exports."""
        return self.sanctions.notifications_vs_customs(country, factor_set=factor_set, unit=unit)

    # -- detection ---------------------------------------------------------------------------
    def flags(self, detector: str | None = None, country: str = "PRK", freq: options.Freq = "A", level: options.Level = "4",
              settings: object | None = None) -> pd.DataFrame:
        """Run every detector on the current data and return the flags (most severe first): detector,
        reporter, partner, flow, hs, unit, freq, period, statistic, score, threshold, p_value,
        severity, reason, explained_by, implied_missing, evidence. On a store opened read-write the
        flags are also stored with the data state they were computed on (data_version, releases)."""
        from .countries import resolve
        from .detect import DETECTORS, run

        if detector is not None and detector not in DETECTORS:
            raise allowed("detector", detector, list(DETECTORS))
        iso3 = resolve(self.con, country)
        flags = run(self, iso3, freq=check_freq(freq), level=check_level(level), settings=settings)
        if not self.read_only:
            self._store_flags(flags, iso3, check_freq(freq))
        if detector is not None:
            tests = flags.attrs.get("tests", {})
            flags = flags[flags.detector == detector].reset_index(drop=True)
            flags.attrs["tests"] = tests
        return flags

    def _store_flags(self, flags: pd.DataFrame, country: str, freq: str) -> None:
        with self.transaction():
            self._insert_flags(flags, country, freq)

    def _insert_flags(self, flags: pd.DataFrame, country: str, freq: str) -> None:
        """Store flags with the data state they were computed on (inside the caller's transaction)."""
        version, releases = sql.run(self.con, "data_version").fetchall()[0]
        self.con.register("new_flags", flags)
        try:
            sql.run(self.con, "replace_flags", data_version=version, country=country, freq=freq).fetchall()
            sql.run(self.con, "insert_flags", data_version=version, releases=releases, country=country).fetchall()
        finally:
            self.con.unregister("new_flags")

    # -- refresh -------------------------------------------------------------------------------
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
        from .countries import resolve
        from .detect import run

        if self.read_only:
            raise StoreError(f"The store {self.path} is open read-only. Fix: open it read-write to refresh.")
        if folder is None and not comtrade:
            raise MirrorError("Nothing to refresh from. Fix: give a drop folder (--from DIR) and/or --comtrade.")
        files = refresh_candidates(Path(folder).expanduser()) if folder is not None else []  # "~/drop" as written
        iso3 = resolve(self.con, country)
        fetched = self._fetch_comtrade(comtrade, cache, progress) if comtrade else None
        since = sql.run(self.con, "last_load_id").fetchall()[0][0]
        with self.transaction():
            report = self._load_files(files, LoadOptions(release=release), allow_rejects, progress)
            if fetched is not None:
                report += self._load_fetched(fetched, allow_rejects, progress)
            loaded = [r["load_id"] for r in report if r["status"] == "loaded"]
            if loaded or fetched is not None:
                self._rebuild_coverage()  # an empty Comtrade reply is coverage too (published, no rows)
            if loaded:
                self.engine.invalidate()
                self._insert_flags(run(self, iso3, freq="A"), iso3, "A")
            self._mark_batch(report, since)
        self._verify_loads(loaded)
        self.engine.invalidate()
        files_frame = self._load_report(report) if report else pd.DataFrame()
        out = {"folder": str(folder) if folder is not None else None, "files_seen": len(report),
               "files_loaded": len(loaded), "files_skipped": len(report) - len(loaded), "since_load": since,
               "files": files_frame}
        if fetched is not None:
            out["comtrade"] = {"requests": fetched.stats.requests, "retries": fetched.stats.retries,
                               "empty_replies": len(fetched.stats.empty), "files": len(fetched.files),
                               "sets": pd.DataFrame(fetched.per_set)}
        return {**out, **self.changes(since=since, country=iso3)}

    def _fetch_comtrade(self, comtrade: bool | str | Path, cache: str | Path | None,
                        progress: ProgressCallback | None) -> object:
        from .comtrade_api import ComtradeClient, api_key, fetch, read_config
        from .paths import default_cache_dir

        codes = dict(sql.run(self.con, "comtrade_codes").fetchall())  # ISO3 -> Comtrade code
        config = read_config(None if comtrade is True else comtrade, known_iso3=set(codes))
        client = ComtradeClient(api_key(), config.api)
        folder = Path(cache) if cache else default_cache_dir() / "comtrade"
        return fetch(self.con, config, client, folder, codes,
                     (lambda m: progress("comtrade", m)) if progress else None)

    def _load_fetched(self, fetched: object, allow_rejects: bool, progress: ProgressCallback | None) -> list[dict]:
        """Inside the refresh transaction: load the downloaded files (each as the release of its
        publication date) and record every dataset taken, so the next refresh skips them."""
        report: list[dict] = []
        load_of: dict[str, int] = {}
        for item in fetched.files:
            rows = self._load_files([item.path], LoadOptions(release=item.release, source="comtrade"), allow_rejects,
                                    progress)
            report += rows
            load_of[item.path.name] = rows[0]["load_id"]
        if fetched.log:
            read = sql.frame(self.con, "manifest").set_index("load_id").rows_read.to_dict()
            log = pd.DataFrame(fetched.log)
            log["load_id"] = log.file_name.map(load_of)
            log["rows_fetched"] = [int(read.get(lid, 0)) if pd.notna(lid) else 0 for lid in log.load_id]
            log["load_id"] = log.load_id.astype("Int64")
            self.con.register("new_fetches", log)
            try:
                sql.run(self.con, "insert_comtrade_fetches").fetchall()
            finally:
                self.con.unregister("new_fetches")
        return report

    def _mark_batch(self, report: list[dict], since: int) -> None:
        """Remember where the last load or refresh that loaded something started, so that "what
        changed" means what that whole batch changed (a refresh loads many files at once)."""
        if any(r["status"] == "loaded" for r in report):
            self._set_meta("last_batch_since", str(since))

    def changes(self, since: int | None = None, country: str = "PRK", threshold: float = 0.0) -> dict:
        """What loads after load ``since`` changed (default: what the last load or refresh loaded,
        all its files): revised figures (old, new, change; relative changes below ``threshold``
        left out), new periods and reporters per source, and flags that appeared or disappeared."""
        if since is None:
            batch = self.meta("last_batch_since")
            last = sql.run(self.con, "last_load_id").fetchall()[0][0]
            since = int(batch) if batch is not None else max(last - 1, 0)
        return {"revisions": sql.frame(self.con, "changes_revisions", since=since, threshold=threshold),
                "coverage": sql.frame(self.con, "changes_coverage", since=since),
                "flags": sql.frame(self.con, "changes_flags", country=country)}

    def report(self, country: str = "PRK", years: tuple[int, int] | None = None, **options: object) -> object:
        """The report (mirror.report.Report): shows inline in a notebook, ``.save(path)`` writes the
        offline HTML file, ``.export(dir)`` the charts (PNG, SVG) and tables (CSV, Parquet)."""
        from .report import build_report

        return build_report(self, country, years, **options)

    # -- reading -----------------------------------------------------------------------------
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
        totals = sql.frame(self.con, "status_totals").iloc[0].to_dict()
        loads = sql.frame(self.con, "manifest")
        return {
            "path": str(self.path),
            "mirror_version": __version__,
            "schema_version": SCHEMA_VERSION,
            **{k: _plain(v) for k, v in totals.items()},
            "releases": _records(self.status()),
            "loads": _records(loads),
        }


# Files in a drop folder that are not data: mappings, the public record's series table, BACI's code files.
_NOT_DATA = ("series.csv",)
_NOT_DATA_PREFIXES = ("country_codes_", "product_codes_", ".")


def refresh_candidates(folder: Path) -> list[Path]:
    """The data files of a drop folder, in name order (releases named by date load oldest first)."""
    if not folder.is_dir():
        raise LoadError([Problem(str(folder), None, None, None, "not a folder", "give the drop folder's path")])
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in (".csv", ".json", ".gz", ".tsv", ".txt")
                  and p.name not in _NOT_DATA and not p.name.startswith(_NOT_DATA_PREFIXES))


def insert_canonical(store: Store, frame: pd.DataFrame, *, source: str, release: str, label: str) -> pd.DataFrame:
    """Load rows already in canonical form (simulated panels) through the same checks, merge and
    manifest as a file load, without a file. ``frame`` columns: source_row, freq, period, year,
    reporter_iso3, reporter_code, partner_iso3, partner_code, flow, classification, hs, hs_level,
    value, valuation, net_weight_kg. Idempotent: the same rows again are skipped."""
    from .ingest import RawInfo, StagedFile
    from .ingest.base import run_staging

    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
                            + label.encode()).hexdigest()
    con = store.con
    earlier = sql.run(con, "load_by_sha", sha256=digest).fetchall()
    if earlier:
        return pd.DataFrame([{"file_name": label, "status": "skipped", "load_id": earlier[0][0],
                              "note": f"same rows as load {earlier[0][0]}: nothing to do"}])
    started = datetime.now(UTC).replace(tzinfo=None)
    con.register("canonical_rows", frame)
    try:
        with store.transaction():
            load_id = sql.run(con, "next_load_id").fetchall()[0][0]
            run_staging(con, "stage_canonical", {"source": source, "release": release})
            sql.script(con, "stage_keys")
            sql.script(con, "stage_problems")
            problems = con.execute("SELECT count(*) FROM problems").fetchall()[0][0]
            info = RawInfo("simulated", None, len(frame), {})
            staged = StagedFile(Path(label), "simulated", source, release, len(frame), problems, info)
            if problems:
                found, total = problem_list(con, staged)
                raise LoadError(found, total=total)
            store._merge(load_id, staged, digest, started, json.dumps({"label": label}))
            store._rebuild_coverage()
            store._mark_batch([{"status": "loaded"}], load_id - 1)
    finally:
        con.unregister("canonical_rows")
    store._verify_loads([load_id])
    store.engine.invalidate()
    return store._load_report([{"file_name": label, "status": "loaded", "load_id": load_id, "note": ""}])


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


class _Transaction:
    """BEGIN ... COMMIT with an explicit ROLLBACK on any error (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con.execute("BEGIN TRANSACTION")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as err:
                self._rollback()
                raise StoreError(f"The store could not commit ({str(err).splitlines()[0]}); nothing was changed. "
                                 "Fix: check free disk space and that no other process writes the store.") from None
            return False
        self._rollback()
        if isinstance(exc, duckdb.Error) and not isinstance(exc, MirrorError):
            raise StoreError(f"The store rejected the change ({str(exc).splitlines()[0]}); nothing was changed. "
                             "This is a bug in trade-mirror: please report it with the file that caused it.") from exc
        return False

    def _rollback(self) -> None:
        # After a failed statement DuckDB may have rolled back already; then ROLLBACK itself errors.
        with contextlib.suppress(duckdb.Error):
            self.con.execute("ROLLBACK")


def open_store(path: str | Path | None = None, read_only: bool = False, memory_limit: str | None = None) -> Store:
    """Open (creating if needed) a store. ``path`` None = $MIRROR_DB or the default store, which
    receives the bundled DPRK public record on first use. ``memory_limit`` (or $MIRROR_MEMORY_LIMIT),
    e.g. "1GB", caps DuckDB's memory; it spills to disk beyond it."""
    return Store(path, read_only=read_only, memory_limit=memory_limit)


__all__ = ["Store", "open_store", "LoadError", "Problem"]
