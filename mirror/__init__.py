"""trade-mirror: compare the two reports of every trade flow, and rebuild the trade of countries
that publish none (North Korea) from their partners' reports.

    >>> import mirror
    >>> db = mirror.open()          # the default store, with the bundled DPRK public record
    >>> db.status()                 # a DataFrame: sources, releases, rows, years ...

Importing this package changes no global state (no Altair theme, no pandas options), and imports
nothing heavy: every name below but the version and the errors is looked up on first use (PEP 562),
so `trade-mirror --help` and a mistyped argument never pay for pandas, DuckDB or NumPy (0.4 s).
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .errors import LoadError, MirrorError, OptionError, StoreBusyError, StoreError

# name -> (module, attribute in it; None: the module itself)
_LAZY = {"open": (".store", "open_store"), "Store": (".store", "Store"), "Settings": (".settings", "Settings"),
         "FORMATS": (".ingest", "FORMATS"), "simulate": (".simulate", None),
         # the report pulls in Altair and Jinja
         "Report": (".report", "Report"), "build_report": (".report", "build_report"),
         "use_offline_renderer": (".report", "use_offline_renderer")}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'mirror' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["__version__", "open", "Store", "Settings", "simulate", "FORMATS", "Report", "build_report",
           "use_offline_renderer", "MirrorError", "LoadError", "OptionError", "StoreError", "StoreBusyError"]
