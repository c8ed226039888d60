"""Where things are: the bundled data and SQL, and the default store.

In a source checkout (or an editable install) data/ and queries/ sit beside the package; in a
wheel they are shipped inside it as mirror/data and mirror/queries (see pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE.parent / name, _PACKAGE / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"trade-mirror's {name}/ folder is missing from {_PACKAGE.parent}; reinstall the package")


def data_dir() -> Path:
    return _resource_dir("data")


def queries_dir() -> Path:
    return _resource_dir("queries")


def default_db_path() -> Path:
    """The default store: $MIRROR_DB, else $XDG_DATA_HOME/trade-mirror/mirror.duckdb
    (~/.local/share/trade-mirror/mirror.duckdb when XDG_DATA_HOME is unset)."""
    env = os.environ.get("MIRROR_DB")
    if env:
        return Path(env).expanduser()
    return default_home_store()


def default_home_store() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "trade-mirror" / "mirror.duckdb"


def is_default_store(path: Path) -> bool:
    """True for the store a user gets without naming one: the one that receives the bundled data."""
    return Path(path).expanduser().resolve() == default_home_store().resolve()


def default_cache_dir() -> Path:
    """Where API downloads wait to be loaded: $XDG_CACHE_HOME/trade-mirror (~/.cache/trade-mirror).
    Kept between runs, so an interrupted refresh resumes without downloading again."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "trade-mirror"


def templates_dir() -> Path:
    """The bundled report templates (reports/templates in a checkout, mirror/reports/templates in a wheel)."""
    return _resource_dir("reports/templates")
