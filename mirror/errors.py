"""Named exceptions. Every message says what failed, shows the value, and says how to fix it.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; it never shows a traceback
for these. Anything else escaping to the CLI is a bug in trade-mirror.
"""

from __future__ import annotations

from dataclasses import dataclass


class MirrorError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` is what the CLI returns."""

    exit_code = 2


class StoreError(MirrorError):
    """The store cannot be opened or is in a state that stops the command."""

    exit_code = 3


class StoreBusyError(StoreError):
    """Another process holds the store for writing."""

    exit_code = 75  # EX_TEMPFAIL: a scheduler may retry later


class InternalError(MirrorError):
    """One of trade-mirror's own invariants failed: a bug, not something the user can fix. The CLI
    says so without a traceback and exits 1 (the documented code for a bug)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(f"internal error: {message}. This is a bug in trade-mirror: please report it "
                         "(with the command and, if one was being loaded, the file).")


class OptionError(MirrorError):
    """A parameter value is not one of the allowed ones."""

    exit_code = 2


class TooLargeError(MirrorError):
    """A question whose working set would not fit in the memory available (e.g. detection over a
    large country's decades of HS6 series); the message says how to narrow it."""

    exit_code = 2


class ApiError(MirrorError):
    """The UN Comtrade API refused a request or could not be reached. Nothing was written to the
    store. ``exit_code`` 69 (EX_UNAVAILABLE: try again later) for outages, rate limits and network
    failures that outlasted the retries; 2 for replies that no retry can fix (bad key, bad request)."""

    exit_code = 69

    def __init__(self, message: str, *, retryable: bool = True):
        self.retryable = retryable
        if not retryable:
            self.exit_code = 2
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """One bad cell or line of an input file."""

    file: str
    line: int | None  # 1-based line in a text file; for JSON, the record number
    column: str | None
    value: str | None
    reason: str
    fix: str
    unit: str = "line"  # "record" for the records of a JSON reply
    column_kind: str = "column"  # "setting" for the keys of a TOML file

    def describe(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", {self.unit} {self.line}"
        if self.column:
            where += f", {self.column_kind} {self.column!r}"
        shown = "" if self.value is None else f": value {_clip(self.value)!r}"
        return f"{where}{shown}: {self.reason}. Fix: {self.fix}"


def _clip(value: str, width: int = 80) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


class LoadError(MirrorError):
    """A file could not be loaded. Nothing was written to the store."""

    exit_code = 4

    def __init__(self, problems: list[Problem], *, total: int | None = None, hint: str = ""):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        shown = problems[:10]
        lines = [p.describe() for p in shown]
        if self.total > len(shown):
            lines.append(f"... and {self.total - len(shown)} more problem(s) of this kind in the same load")
        head = "Load failed; the store is unchanged."
        if hint:
            lines.append(hint)
        super().__init__("\n".join([head, *lines]))


class FormatError(LoadError):
    """The file is not in the format it claims (or that was detected)."""


class UnknownCountryError(OptionError):
    """A country argument matched no ISO3 code, Comtrade code or name."""

    def __init__(self, value: str, suggestions: list[str]):
        self.value = value
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"Unknown country {value!r}.{hint} Use an ISO3 code (PRK), a Comtrade code (408) or a name "
            "(North Korea); `trade-mirror query countries` lists them all."
        )


def allowed(name: str, value: object, choices: list[str] | tuple[str, ...]) -> OptionError:
    """The error for a parameter outside its allowed values, listing them (pyfixest style)."""
    return OptionError(f"{name}={value!r} is not allowed. Choose one of: {', '.join(map(str, choices))}.")
