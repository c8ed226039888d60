"""Built mirrors kept on disk beside the store, so that the next process (the next report, another
country's questions) reads the world's mirror at a level instead of building it again: at BACI
scale a build of the world is minutes, reading one country's rows from a kept build is seconds.

What is kept: the tables a build's views and faces read (queries/mirror/cache.sql:
write_build_cache), not its scratch tables; the views (mp_pairs, mp_final, mp_reconciled) are
defined again over them, as a build defines them. One file per build,
``<store>.builds/mirror-<level>-<freq>-<state>-<code>-<settings>.duckdb``: the state is the store's
data (its loads, and the last load's file hash and time), the code a hash of this version's (the
mirror's SQL and the modules that fit it), the settings a hash of the build's settings, so a kept
build is used only where building again would give the same tables. A file is written under a
temporary name and renamed when whole: a reader never sees half a build. The next build after a
load, or after an upgrade of trade-mirror, writes a new file and deletes the files of earlier
states or other code (about 200 MB each for HS4 of three BACI-scale years).

Only large builds are kept (``CACHE_MIN_FIGURES`` figures at the build's frequency or more):
a small store builds faster than a file is written. A store folder that cannot be written to
(read-only media) simply keeps nothing. Of the fitted gravity model (a Python object) the
description a report's methods show is kept (table mp_model: ``cif_fob.describe``), so that
``Engine.cif_fob_model`` reads it instead of fitting the world again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from . import sql
from .paths import queries_dir

# About a tenth of a BACI year: below this a build takes seconds, about what keeping it would cost.
CACHE_MIN_FIGURES = 2_000_000
# Kept builds per store (levels x frequencies x settings); the oldest go first.
KEEP_FILES = 12
# What a kept build's tables depend on besides the data and the settings.
_CODE = ("engine.py", "intervals.py", "cif_fob.py", "settings.py", "build_cache.py")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the code a build's tables come from: the mirror's SQL, the fitting modules, DuckDB."""
    h = hashlib.sha256(duckdb.__version__.encode())
    for path in sorted((queries_dir() / "mirror").glob("*.sql")) + [Path(__file__).parent / n for n in _CODE]:
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


class BuildCache:
    """The kept builds of one connection's store, and which of them the connection reads now."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.min_figures = CACHE_MIN_FIGURES
        self.restored: Path | None = None  # the kept build this connection's mirror views read
        self.model: pd.DataFrame | None = None  # the gravity model's description kept with it (None: none)

    def folder(self) -> Path | None:
        """``<store>.builds`` beside the store file (None for an in-memory database)."""
        path = self.con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        return Path(path[0]).with_name(Path(path[0]).name + ".builds") if path and path[0] else None

    def _name(self, build_key: tuple) -> str:
        """mirror-<level>-<freq>-<state>-<code>-<settings>.duckdb (_field: 3 and 4)."""
        settings, level, freq, _ = build_key
        loads, last_id, last = sql.run(self.con, "build_cache_state").fetchone()
        state = hashlib.sha256(f"{loads}|{last_id}|{last}".encode()).hexdigest()[:12]
        code = code_digest()[:12]
        digest = hashlib.sha256(f"{settings!r}|{level}|{freq}|{code_digest()}".encode()).hexdigest()[:16]
        return f"mirror-{level}-{freq}-{state}-{code}-{digest}.duckdb"

    def restore(self, build_key: tuple, view_scripts: tuple[str, ...]) -> bool:
        """Read the kept build for ``build_key`` if there is one: its tables under the build's names,
        then ``view_scripts`` (the build's views over them). False: none kept (or unreadable: then
        it is deleted, and the caller builds)."""
        folder = self.folder()
        if folder is None:
            return False
        path = folder / self._name(build_key)
        if not path.exists():
            return False
        self.release()
        try:
            sql.run(self.con, "attach_build_cache_read", path=str(path)).fetchall()
            sql.script(self.con, "drop_built_mirror_tables")
            sql.script(self.con, "restore_build_cache")
            model = sql.frame(self.con, "build_cache_model")
            self.model = model if len(model) else None
            self.restored = path
            for name in view_scripts:
                sql.script(self.con, name)
        except duckdb.Error:
            self.release()
            path.unlink(missing_ok=True)
            return False
        os.utime(path)  # the most recently used files are kept longest
        return True

    def release(self) -> None:
        """Stop reading a kept build (before this connection builds its own tables)."""
        if self.restored is not None:
            sql.script(self.con, "release_build_cache")
            self.restored, self.model = None, None

    def save(self, build_key: tuple, figures: int, model: pd.DataFrame | None = None) -> Path | None:
        """Keep the build just made (its tables are this connection's temp tables) and ``model``, the
        description of its gravity model (None: none fitted), if it is large enough and the store's
        folder can be written; delete the kept builds of earlier states or other code (_prune)."""
        folder = self.folder()
        if folder is None or figures < self.min_figures:
            return None
        name = self._name(build_key)
        final = folder / name
        if final.exists():
            return final
        part = folder / f".{name}.{os.getpid()}.part"
        try:
            folder.mkdir(exist_ok=True)
            part.unlink(missing_ok=True)
            sql.run(self.con, "attach_build_cache_write", path=str(part)).fetchall()
            self.con.register("mp_model_df", model if model is not None else _NO_MODEL)
            try:
                sql.script(self.con, "write_build_cache")
            finally:
                self.con.unregister("mp_model_df")
            os.replace(part, final)
        except (OSError, duckdb.Error):  # a read-only folder or a full disk: nothing is kept
            sql.script(self.con, "detach_build_cache_write")
            for leftover in (part, Path(f"{part}.wal")):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
            return None
        self._prune(final)
        return final

    def _prune(self, kept: Path) -> None:
        """Delete the kept builds of earlier states of the data or of other code (this version never
        reads them), and the oldest beyond KEEP_FILES."""
        for i, path in enumerate(self.kept()):
            stale = _field(path, 3) != _field(kept, 3) or _field(path, 4) != _field(kept, 4)
            if path != kept and path != self.restored and (stale or i >= KEEP_FILES):
                path.unlink(missing_ok=True)

    def kept(self) -> list[Path]:
        """The kept builds of this store, newest first."""
        folder = self.folder()
        if folder is None or not folder.is_dir():
            return []
        return sorted(folder.glob("mirror-*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)


# The description's columns when no model was fitted (cif_fob.describe's, typed as it types them).
_NO_MODEL = pd.DataFrame({"term": pd.Series([], dtype=object), "coef": pd.Series([], dtype=float),
                          "std_error": pd.Series([], dtype=float), "t": pd.Series([], dtype=float),
                          "p_value": pd.Series([], dtype=float), "kind": pd.Series([], dtype=object)})


def _field(path: Path, i: int) -> str:
    """Field ``i`` of a kept build's name (3: the data's state, 4: the code's hash); "" if it has none
    (a file named as an earlier version named them: other code)."""
    parts = path.name.removesuffix(".duckdb").split("-")
    return parts[i] if len(parts) == 6 else ""
