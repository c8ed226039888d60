"""trade-mirror: compare the two reports of every trade flow, and rebuild the trade of countries
that publish none (North Korea) from their partners' reports.

    >>> import mirror
    >>> db = mirror.open()          # the default store, with the bundled DPRK public record
    >>> db.status()                 # a DataFrame: sources, releases, rows, years ...

Importing this package changes no global state (no Altair theme, no pandas options).
"""

from . import simulate
from ._version import __version__
from .errors import LoadError, MirrorError, OptionError, StoreBusyError, StoreError
from .ingest import FORMATS
from .settings import Settings
from .store import Store
from .store import open_store as open  # noqa: A004 - mirror.open() is the notebook API

_LAZY = {"Report", "build_report", "use_offline_renderer"}  # the report pulls in Altair and Jinja: 0.5 s


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import report

        return getattr(report, name)
    raise AttributeError(f"module 'mirror' has no attribute {name!r}")


__all__ = ["__version__", "open", "Store", "Settings", "simulate", "FORMATS", "Report", "build_report",
           "use_offline_renderer", "MirrorError", "LoadError", "OptionError", "StoreError", "StoreBusyError"]
