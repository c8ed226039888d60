"""The detectors' simulated null laws, kept on disk between processes.

Each series length's tables (inference.null_table, pooled.gls_table) are simulated from a fixed
seed: the same numbers in every process, about 3 CPU-seconds each, paid again by every `flags` or
`report` run (a 25-year store has lengths 8 to 25). They are kept in the cache folder
($XDG_CACHE_HOME/trade-mirror/null-tables), under a key made of the table's name and length, the
source of the modules that simulate them and NumPy's version: any change to the procedure or its
random numbers is a new key, so a kept table is always the one the code would simulate (a test
checks a table read back equals one simulated, bit for bit). A cache that cannot be read or written
only costs the simulation; a file is written whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from ..paths import default_cache_dir

_SIMULATING_MODULES = ("inference.py", "pooled.py")


@cache
def _code_key() -> str:
    """What the tables depend on: the simulating modules' source and NumPy's version."""
    digest = hashlib.sha256(np.__version__.encode())
    here = Path(__file__).parent
    for name in _SIMULATING_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def path_for(name: str, length: int) -> Path:
    return default_cache_dir() / "null-tables" / f"{name}-{length}-{_code_key()}.npz"


def kept(name: str, length: int, simulate: Callable[[], dict]) -> dict:
    """The table ``name`` for ``length``: read back if kept, else simulated and kept. Values are
    NumPy arrays or ints (an int is stored as a 0-d array and given back as an int)."""
    path = path_for(name, length)
    with contextlib.suppress(OSError, ValueError, KeyError, EOFError), np.load(path, allow_pickle=False) as saved:
        return {k: (int(v) if v.ndim == 0 else v) for k, v in ((k, saved[k]) for k in saved.files)}
    table = simulate()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.part.npz")
        np.savez(tmp, **{k: np.asarray(v) for k, v in table.items()})
        tmp.replace(path)  # atomic: a process beside this one reads a whole table or none
    return table
