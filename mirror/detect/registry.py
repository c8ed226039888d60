"""The detectors' registry, read by ``run``, the CLI (``--detector`` choices and help) and the
report (which flags lead its headlines).

Two kinds of entries, both registered by the detector's own module when it is imported:

- a ``Detector`` is a kind of flag (the flags' ``detector`` column): its name, what it finds in one
  line (the CLI's help; the README's table names the same detectors), and its rank among equally
  severe flags in the report's headlines;
- a ``Step`` is a function that computes flags of one or more detectors from a run's ``Inputs``,
  with the named queries it reads, run in ``order``.

Adding a detector is its module (``detector(...)`` and a ``@step``), its query file and its test;
``mirror/detect/__init__.py`` imports every module of the package, so nothing else is edited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from .. import sql
from ..errors import InternalError, TooLargeError
from .base import NEIGHBOURS, DetectSettings, Flag
from .panel import DETECTION_BYTES_PER_CELL, PanelTooLarge, SeriesPanel, available_memory, check_fits, from_parts

if TYPE_CHECKING:
    from ..store import Store


@dataclass(frozen=True)
class Detector:
    name: str
    finds: str  # one line: what a flag of this detector says (CLI help)
    headline_rank: int = 9  # among equally severe flags, lower ranks lead the report's headlines


StepFunction = Callable[["Inputs", DetectSettings], list[Flag | dict]]


@dataclass(frozen=True)
class Step:
    function: StepFunction
    produces: tuple[str, ...]  # the detectors whose flags it returns
    queries: tuple[str, ...]  # the named queries it reads (through Inputs)
    order: int  # steps run in this order (the mirror build before the steps that read it)


DETECTORS: dict[str, Detector] = {}
STEPS: list[Step] = []


def detector(name: str, finds: str, headline_rank: int = 9) -> Detector:
    """Register a kind of flag (once: a second registration of a name is a bug)."""
    if name in DETECTORS:
        raise InternalError(f"the detector {name} is registered twice")
    DETECTORS[name] = Detector(name, finds, headline_rank)
    return DETECTORS[name]


def step(*, produces: tuple[str, ...], queries: tuple[str, ...] = (), order: int = 50) -> Callable[[StepFunction], StepFunction]:
    """Register a function computing flags of ``produces`` from a run's Inputs."""
    def register(function: StepFunction) -> StepFunction:
        STEPS.append(Step(function, produces, queries, order))
        return function
    return register


def steps() -> list[Step]:
    """The registered steps in run order; each detector they produce must be registered."""
    for s in STEPS:
        unknown = [d for d in s.produces if d not in DETECTORS]
        if unknown:
            raise InternalError(f"{s.function.__module__}.{s.function.__name__} produces unregistered detectors {unknown}")
    return sorted(STEPS, key=lambda s: (s.order, s.function.__module__, s.function.__name__))


class Inputs:
    """What a run's steps read, each frame computed once and only when a step asks for it: the
    country's series (with implicit zeros, queries/detect/series.sql; a SeriesPanel), its context and estimates,
    the register's bans, and the store itself for the mirror build and the sanctions methods."""

    def __init__(self, store: Store, country: str, freq: str, level: str, settings: DetectSettings,
                 years: tuple[int, int] | None = None):
        self.store, self.country, self.freq, self.level, self.settings = store, country, freq, level, settings
        self.years = years  # the series read from these years only (None: every year of the store)
        self.neighbours = list(NEIGHBOURS.get(country, ()))
        # the country's trade and its neighbours' (rerouting, outliers' cross-sections): not the whole world
        self.countries = [country, *self.neighbours]
        self.found: list[Flag | dict] = []  # the flags of the steps run so far (run appends to it)

    def query(self, name: str, **params: object) -> pd.DataFrame:
        """A named query of the detectors' layer (queries/detect/) on the run's store."""
        return sql.frame(self.store.con, name, **params)

    @cached_property
    def series(self) -> SeriesPanel:
        """The country's series as one matrix (panel.py), read through Arrow in parts (its figures, the
        published periods, the codes figures speak for): never a long frame of strings, nor a row
        per implicit zero."""
        con, freq, countries = self.store.con, self.freq, self.countries
        years = dict(zip(("year_from", "year_to"), self.years or (None, None), strict=True))
        try:
            # the size first, in SQL (a count spills; the reads do not): a 300M panel's large country
            # over every year is millions of series, and its rows read as Arrow only to be refused
            # took gigabytes beside the store's buffers. At least the panel's size (the periods with
            # figures; the matrix adds published periods without any): a panel refused here would
            # be refused by from_parts too, which checks the exact size after the reads.
            budget = available_memory()
            if budget is not None:
                check_fits(*sql.run(con, "detect_series_size", freq=freq, countries=countries,
                                    include_estimated=self.settings.uv_include_estimated, **years).fetchall()[0],
                           budget)
            parts = (sql.arrow(con, "detect_series_reported", freq=freq, countries=countries,
                               include_estimated=self.settings.uv_include_estimated, **years),
                     sql.arrow(con, "detect_series_published", freq=freq, countries=countries, **years),
                     sql.arrow(con, "detect_series_present", freq=freq, countries=countries, **years))
            return from_parts(*parts, budget=available_memory())
        except PanelTooLarge as big:
            # an error the user can act on, not the process killed for memory half-way through a run
            raise TooLargeError(
                f"detection for {self.country} would read {big.series:,} series x {big.periods} periods "
                f"({big.series * big.periods / 1e6:,.1f} million cells, about {big.need / 1e9:,.1f} GB at "
                f"{DETECTION_BYTES_PER_CELL} bytes a cell), more than the {big.budget / 1e9:,.1f} GB of memory "
                f"available. Fix: ask for fewer years (db.flags(country={self.country!r}, years=(2015, 2024)), "
                f"`trade-mirror flags --country {self.country} --years 2015-2024` or `trade-mirror report "
                f"--country {self.country} --years 2015-2024`: the series of those years only), or run it on a "
                f"machine with more memory.") from None

    @cached_property
    def estimated_kg(self) -> int:
        """Weights Comtrade estimated, left out of the tonnes series (0 when they are counted)."""
        if self.settings.uv_include_estimated:
            return 0
        return int(sql.scalar(self.store.con, "detect_estimated_weights", freq=self.freq, countries=self.countries))

    @cached_property
    def context(self) -> pd.DataFrame:
        context = self.query("detect_context", freq=self.freq)
        context["period"] = context.period.astype(str)
        return context

    @cached_property
    def estimates(self) -> pd.DataFrame:
        return self.query("detect_estimates", freq=self.freq)

    @cached_property
    def all_bans(self) -> pd.DataFrame:
        """Every register measure: a series of the country's neighbour with a sanctioned target
        (DEU-PRK when the country asked for is DEU) is judged against the target's bans too."""
        bans = self.query("detect_bans", country=None)
        bans["effective"] = pd.to_datetime(bans.effective)
        return bans

    @cached_property
    def bans(self) -> pd.DataFrame:
        """The measures on the country itself."""
        return self.all_bans[self.all_bans.target == self.country].reset_index(drop=True)

    def flags_of(self, detector_name: str) -> pd.DataFrame:
        """The flags an earlier step of this run found (a level-shift test skips a pair's common shock)."""
        from .base import flags_frame

        frame = flags_frame(self.found)
        return frame[frame.detector == detector_name].reset_index(drop=True)

    def mirror_built(self) -> None:
        """The mirror tables the outlier and rerouting queries read, at the run's level."""
        self.store.engine.build(self.store.settings, self.level, self.freq)

    def year_chunks(self) -> list[tuple[int, int]]:
        """The chunks of years (engine.year_chunks: about a BACI year of figures each) that the steps
        testing against the world's cross-section of a period read, one at a time; in a run over a
        window (``years``) only the chunks that meet it, clipped to it. A cross-section is one
        period's, so the flags a window finds are those a run over every year finds in its years,
        and a 30-year panel's window of five reads a sixth of its figures (it read all of them and
        dropped the other years' flags: most of a window's time at 300M flows)."""
        from ..engine import year_chunks

        chunks = [(lo, hi) for lo, hi, _ in year_chunks(self.store.con, self.freq)[0]]
        if not self.years:
            return chunks
        first, last = self.years
        return [(max(lo, first), min(hi, last)) for lo, hi in chunks if lo <= last and hi >= first]
