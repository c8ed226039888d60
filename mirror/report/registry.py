"""The report's sections of findings, registered by the module that builds each (parts.py holds
the first six), and built in ``order`` by build_report. "Data and methods" comes last, always:
it says what the others left out.

Adding a section is its function (``@section(order, label)``, taking the run's ``Context`` and
returning zero or one Section through the Builder), its query in queries/report/ and its test;
build_report imports every module of the package, so nothing else is edited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .page import Section
    from .sections import Builder


@dataclass(frozen=True)
class Context:
    """What every section may read: the Builder (the store, names, what was left out) and the
    run's country, years and choices, with the flags, caps and oil computed once for all, and the
    pair-product the mirror section draws (``pair``: its rows and title, parts.pair_to_show)."""

    b: Builder
    iso3: str
    name: str
    span: tuple[int, int]
    top: int
    factor_set: str
    flags: pd.DataFrame
    caps: pd.DataFrame
    oil: pd.DataFrame
    pair: tuple[pd.DataFrame, str]


SectionBuilder = Callable[[Context], list["Section"]]


@dataclass(frozen=True)
class SectionSpec:
    order: int
    label: str  # the progress step's words ("rebuilt trade")
    build: SectionBuilder


SECTIONS: list[SectionSpec] = []


def section(order: int, label: str) -> Callable[[SectionBuilder], SectionBuilder]:
    def register(build: SectionBuilder) -> SectionBuilder:
        SECTIONS.append(SectionSpec(order, label, build))
        return build
    return register


def sections() -> list[SectionSpec]:
    return sorted(SECTIONS, key=lambda s: (s.order, s.label))
