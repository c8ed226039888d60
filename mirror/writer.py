"""One writer at a time, and readers that never block it for long.

DuckDB lets one process write a database file or many read it, never both: a notebook that keeps
a store open read-only makes every load and refresh fail, so a scheduled refresh at night fails
because an economist left Jupyter running. trade-mirror therefore writes in one of two ways:

- nobody has the store open: the writer opens it in place, as before;
- only readers have it open: the writer copies the file to a working copy beside it, writes there
  (in the same transactions), and when it closes, CHECKPOINTs the copy and renames it over the store
  (``os.replace``, atomic on POSIX file systems). Readers that were open keep reading the file they
  opened - a consistent state, the one before the refresh - and see the new one when they open the
  store again. A writer killed half-way leaves the store as it was (the copy is discarded by the
  next writer).

Writers among themselves: each holds an exclusive ``flock`` on ``<store>.writer.lock`` for its
lifetime, so a second writer is refused at once (exit 75, retry later) instead of racing a swap.
The store file must not carry a write-ahead log from an interrupted writer (``<store>.wal``): then
the writer waits for the readers as before, since the log belongs to the file it would replace.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from . import sql
from .connection import connect
from .errors import StoreBusyError


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".writer.lock")


def _swap_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.swap-{os.getpid()}")


_HELD: dict[Path, list] = {}  # this process's writer locks: path -> [fd, holders]


class WriterLock:
    """The exclusive writer lock of a store, held from open to close. Several Store objects of one
    process share it (DuckDB shares one database between a process's connections)."""

    def __init__(self, path: Path):
        if str(path) == ":memory:":  # DuckDB's in-memory database (each its own): nothing on disk to lock
            self.path, self.first = None, True
            return
        self.path = path.resolve()
        self.first = self.path not in _HELD  # the first holder in this process (the one that may swap)
        if not self.first:
            _HELD[self.path][1] += 1
            return
        fd = os.open(_lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreBusyError(
                f"The store {path} is being written by another process (a load or refresh). Fix: wait for it "
                "to finish and run this again; a scheduled refresh can simply retry later (exit code 75).") from None
        _HELD[self.path] = [fd, 1]
        for stale in self.path.parent.glob(f"{self.path.name}.swap-*"):  # left by a writer that was killed
            with contextlib.suppress(OSError):
                stale.unlink()

    def release(self) -> None:
        held = _HELD.get(self.path)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del _HELD[self.path]
            with contextlib.suppress(OSError):
                fcntl.flock(held[0], fcntl.LOCK_UN)
                os.close(held[0])


def working_copy(path: Path) -> Path:
    """A copy of the store to write while readers hold the original (see the module doc)."""
    if path.with_name(path.name + ".wal").exists():
        raise StoreBusyError(
            f"The store {path} is open for reading by another process and carries the write-ahead log of an "
            "interrupted write, so it cannot be copied safely. Fix: close the notebooks or reports that have it "
            "open (or wait for them) and run this again (exit code 75).")
    copy = _swap_path(path)
    shutil.copyfile(path, copy)
    return copy


def publish(copy: Path, path: Path) -> None:
    """Rename the finished working copy over the store: new readers see it, open ones keep theirs."""
    os.replace(copy, path)


class Writer:
    """The read-write connection of a store, open from Store() to close(): the file itself, or - when
    only readers hold it - a working copy that close() renames over it (see the module doc)."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = WriterLock(path)
        self.swap: Path | None = None
        try:
            self.con = connect(path, False)
        except StoreBusyError:
            if not (self.lock.first and path.exists()):
                self.lock.release()
                raise
            try:
                self.swap = working_copy(path)
                self.con = connect(self.swap, False)
            except BaseException:
                self.lock.release()
                if self.swap is not None:
                    self.swap.unlink(missing_ok=True)
                raise

    def close(self) -> None:
        """Publish what was written (the working copy renamed over the store) and release the lock."""
        try:
            if self.swap is not None:
                sql.run(self.con, "checkpoint").fetchall()
                self.con.close()
                publish(self.swap, self.path)
                self.swap = None
            else:
                self.con.close()
        finally:
            self.lock.release()

    def abandon(self) -> None:
        """Undo an open that failed half-way: no working copy published, the lock released."""
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        if self.swap is not None:
            self.swap.unlink(missing_ok=True)
            self.swap = None
        self.lock.release()
