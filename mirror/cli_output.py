"""How the command line prints a result: a table on a terminal; piped or redirected, tab-separated
text (one header line, raw numbers, one line per row) unless --table, --csv or --json says
otherwise; progress on stderr, on a terminal only (mirror/progress.py). pandas is imported where a
frame is printed, not with the CLI (its help and usage errors never print one)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .progress import Steps

if TYPE_CHECKING:
    import pandas as pd


def emit(frame: pd.DataFrame, args: argparse.Namespace, title: str | None = None,
          columns: list[str] | None = None) -> None:
    """JSON and CSV carry every column; the table and TSV the ``columns`` that fit a screen."""
    from . import export

    if getattr(args, "json", False):
        print(export.to_json(frame))
    elif getattr(args, "csv", False):
        sys.stdout.write(export.to_csv(frame))
    else:
        print_table(frame[[c for c in columns if c in frame.columns]] if columns else frame, title, args)


def plain(args: argparse.Namespace | None) -> bool:
    """Tab-separated text instead of a table: asked for, or stdout is not a terminal (a pipe, a file)."""
    if args is not None and getattr(args, "table", False):
        return False
    return bool(args is not None and getattr(args, "tsv", False)) or not sys.stdout.isatty()


def tsv(frame: pd.DataFrame) -> str:
    """One header line, one line per row, raw values (no thousands separators): for cut, awk, sort.
    A tab or line break inside a text cell becomes a space, so every line has the same fields."""
    import pandas as pd

    text = frame.copy()
    for col in text.columns:
        if not pd.api.types.is_numeric_dtype(text[col]):
            text[col] = text[col].map(lambda v: v if not isinstance(v, str) else " ".join(v.split("\t")).replace("\n", " "))
    return text.to_csv(sep="\t", index=False, lineterminator="\n")


def print_table(frame: pd.DataFrame, title: str | None, args: argparse.Namespace | None = None) -> None:
    if plain(args):
        sys.stdout.write(tsv(frame))
        return
    import pandas as pd
    from rich.table import Table

    table = Table(title=title, show_lines=False, row_styles=["", "dim"])
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        # headings as words so they wrap at spaces; every column keeps a readable width (numbers whole)
        cells = [_cell(v) for v in frame[col].head(200)]
        widest = max([len(c) for c in cells] + [1])
        table.add_column(str(col).replace("_", " "), justify="right" if numeric else "left", overflow="fold",
                         min_width=min(widest, 14) if numeric else min(widest, 10))
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console = terminal()
    console.print(table)
    if frame.empty:
        console.print("(no rows)")
    elif (sum(c.min_width or 1 for c in table.columns) + 3 * len(table.columns) + 1 > console.width
          and not getattr(args, "quiet", False)):  # each column's minimum, its padding and rule
        print(f"trade-mirror: the table is wider than the terminal ({console.width} columns) and is cut at the "
              "right; --tsv, --csv or --json give every column.", file=sys.stderr)


def _cell(value: object) -> str:
    import pandas as pd  # already imported by whoever made the frame: a dictionary look-up

    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def terminal():
    from rich.console import Console

    # --table when piped keeps its width (rich would fold everything to 80 columns).
    return Console() if sys.stdout.isatty() else Console(width=240)


def steps_for(args: argparse.Namespace) -> Steps:
    return Steps(quiet=getattr(args, "quiet", False))
