"""How a command opens the store: read-only for reads (a typo in --db is an error, never an empty
store), read-write for loads and refreshes (which may start a store in a new folder), and the
step shown when the default store is built on first use."""

from __future__ import annotations

import argparse
from pathlib import Path

from .progress import Steps


def open_store_for(args: argparse.Namespace, read_only: bool):
    from .store import open_store

    return open_store(getattr(args, "db", None), read_only=read_only)


def first_use(args: argparse.Namespace, steps: Steps):
    """The step of building the default store on first use (it loads the bundled record), shown."""
    from contextlib import nullcontext

    from .paths import default_db_path

    if getattr(args, "db", None) or default_db_path().exists():
        return nullcontext()
    return steps.step("load", f"the bundled DPRK record into a new default store, {default_db_path()}")


def create_folder(args: argparse.Namespace) -> None:
    """A command that writes may start a store in a new folder; reads never create one (a typo in
    --db is an error there, not an empty store)."""
    if getattr(args, "db", None):
        Path(args.db).expanduser().parent.mkdir(parents=True, exist_ok=True)
