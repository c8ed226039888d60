"""Progress on a terminal: what a long command is doing and how long each step took.

Steps are shown on stderr (stdout stays the result, for pipes) with rich's spinner and elapsed
time, and each finished step leaves one line ("✓ detect: 12 flags  3.1 s"). Nothing is shown when
stderr is not a terminal (a pipe, a log file, cron) or with ``--quiet``: scheduled runs log only
their results and errors. The library takes a plain callback (``progress(name, step)``) and never
prints; this module is the CLI's face of it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Steps:
    """``with steps.step("build", "mirror pairs"):`` shows a spinner while the block runs."""

    def __init__(self, quiet: bool = False, stream: object | None = None):
        stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and bool(getattr(stream, "isatty", lambda: False)())
        self._console = None
        self._status = None
        if self.enabled:
            from rich.console import Console

            self._console = Console(file=stream, highlight=False)
        self.started = time.perf_counter()

    @contextmanager
    def step(self, name: str, text: str = "") -> Iterator[Steps]:
        if not self.enabled:
            yield self
            return
        began = time.perf_counter()
        label = f"[bold]{name}[/bold]{': ' + text if text else ''}"
        with self._console.status(label, spinner="dots") as status:
            self._status = (status, name)
            try:
                yield self
            finally:
                self._status = None
        self._console.print(f"[green]✓[/green] {label}  [dim]{time.perf_counter() - began:.1f} s[/dim]")

    def update(self, text: str) -> None:
        """A sub-step of the running step (a file being staged, a section being built)."""
        if self._status is not None:
            status, name = self._status
            status.update(f"[bold]{name}[/bold]: {text}")

    def callback(self, name: str, step: str) -> None:
        """The library's progress callback (``progress(name, step)``) shown as a sub-step."""
        self.update(f"{name} - {step}" if name else step)

    def done(self, text: str) -> None:
        if self.enabled:
            self._console.print(f"[dim]{text} in {time.perf_counter() - self.started:.1f} s[/dim]")
