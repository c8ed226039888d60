"""The bytes of an input file before any reader sees them: is it there and readable, is its gzip
stream whole, which encoding is it in, and which physical line each row starts on.

These checks run in Python because they are about the file, not its rows: a truncated gzip
download, a symbolic link that loops or a UTF-16 export must be named as such, not surface as
a parser's error from deep inside DuckDB's CSV reader.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import io
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import LoadError, OptionError, Problem

# The encodings a file may be read in, by every spelling users give (DuckDB's CSV reader knows
# these three natively; Windows-1252 is read as Latin-1, which differs only in 0x80-0x9F).
ENCODINGS = {"utf8": "utf-8", "utf8sig": "utf-8", "latin1": "latin-1", "iso88591": "latin-1", "l1": "latin-1",
             "cp1252": "latin-1", "windows1252": "latin-1", "utf16": "utf-16"}
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 24


def encoding_name(encoding: str | None) -> str:
    """trade-mirror's name for an encoding a user gives (utf-8, latin-1 or utf-16), or an error
    that names the value and lists the ones accepted."""
    key = str(encoding or "utf-8").lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in ENCODINGS:
        raise OptionError(f"--encoding {encoding!r} is not an encoding trade-mirror reads. Fix: use utf-8 (the "
                          "default; a byte-order mark is fine), latin-1 (also iso-8859-1, cp1252, windows-1252) or "
                          "utf-16; or save the file as UTF-8.")
    return ENCODINGS[key]


def check_file(path: Path) -> None:
    """Refuse a path that is not a readable file, saying why (a loop of symbolic links is not 'no
    such file')."""
    try:
        info = path.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise LoadError([Problem(str(path), None, None, None, "a symbolic link that points (through others) back "
                                     "to itself: a loop, not a file",
                                     "point the link at the real file (ls -l shows where it points)")]) from None
        if err.errno == errno.EACCES:
            raise LoadError([Problem(str(path), None, None, None, "permission denied",
                                     "make the file readable (chmod u+r) or copy it somewhere you can read")]) from None
        if path.is_symlink():
            raise LoadError([Problem(str(path), None, None, None, "a symbolic link to a file that does not exist",
                                     "point the link at the real file, or name the file itself")]) from None
        raise LoadError([Problem(str(path), None, None, None, "no such file", "check the path")]) from None
    if path.is_dir():
        raise LoadError([Problem(str(path), None, None, None, "this is a folder, not a file",
                                 "name the files to load (e.g. folder/*.csv), or use `trade-mirror refresh --from`")])
    if info.st_size == 0:
        raise LoadError([Problem(str(path), 1, None, None, "the file is empty",
                                 "download the file again; a complete export has a header line and data rows")])
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as err:
        raise LoadError([Problem(str(path), None, None, None, f"cannot be read ({err.strerror})",
                                 "check that the file is readable and not locked by another program")]) from None


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


# Delimiters whose presence at a line's end the scan records (the comma, tab, semicolon and bar
# that readers split on): only a line ending in its delimiter can hide an extra field.
LINE_END_DELIMITERS = b",\t;|"


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes found: its physical lines, whether the last one ends in a
    line break, whether the bytes are UTF-8 and which delimiters end some line."""

    newlines: int
    ends_in_newline: bool
    trailing_blank: int = 0  # blank lines at the very end (harmless: the reader skips them)
    utf8: bool = True  # the whole (decompressed) content decodes as UTF-8
    line_end_delimiters: bytes = b""  # those of LINE_END_DELIMITERS that end a line (before CR LF or LF) or the file

    @property
    def lines(self) -> int:
        """Physical lines up to the last one holding anything."""
        return self.newlines + (0 if self.ends_in_newline else 1) - self.trailing_blank


def scan(path: Path) -> Scan:
    """Count the file's line breaks, checking a gzip stream whole on the way (a download cut short,
    or a proxy's error page appended, is named here, not reported as a parser error); on the same
    pass, whether it is UTF-8 and which delimiters end a line. Remembered per file state, so that
    the checks before reading and the reader share one pass (three passes over a 141 MB file cost
    0.75 s; this one about half of that). The load's digest (load.sha256_of) stays a pass of its
    own: a file loaded before is skipped after it alone."""
    info = path.stat()
    return _scan(str(path), info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=8)
def _scan(name: str, _mtime_ns: int, _size: int) -> Scan:
    path = Path(name)
    lines = _LineScan()
    try:
        with (gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                lines.add(chunk)
    except EOFError:
        raise LoadError([Problem(str(path), None, None, None,
                                 "the gzip file is cut short (its compressed stream ends before its end marker)",
                                 "download the file again: the download was interrupted")]) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        trailing = isinstance(err, gzip.BadGzipFile)
        raise LoadError([Problem(str(path), None, None, None,
                                 "bytes that are not gzip after the end of the gzip stream" if trailing
                                 else f"the gzip stream is damaged ({err})",
                                 "download the file again (a proxy or an interrupted transfer may have added to it)")]) from None
    tail = lines.tail
    # the line breaks after the last character that is not one: the first ends the last line,
    # the others are blank lines (so a file ending in "\n\n" needs no slower line-by-line reading)
    ending = tail[len(tail.rstrip(b"\r\n")):]
    ends = lines.delimiters | ({tail[-1]} & set(LINE_END_DELIMITERS) if tail else set())
    return Scan(lines.newlines, tail[-1:] == b"\n", max(ending.count(b"\n") - 1, 0), lines.finish_utf8(),
                bytes(sorted(ends)))


class _LineScan:
    """The per-chunk work of scan: line breaks counted and the byte before each (CR skipped) looked
    up with NumPy, UTF-8 checked by runs of whole lines (a line break never falls inside a UTF-8
    character; an all-ASCII run needs no decoding)."""

    def __init__(self) -> None:
        self.newlines = 0
        self.delimiters: set[int] = set()
        self.tail = b""  # the last bytes seen (at most 256)
        self.utf8 = True
        self._undecoded = b""  # the end of the last chunk after its last line break

    def add(self, chunk: bytes) -> None:
        import numpy as np

        before = self.tail[-2:]
        data = np.frombuffer(before + chunk, dtype=np.uint8)
        breaks = np.flatnonzero(data == 10)
        breaks = breaks[breaks >= len(before)]  # those of this chunk
        self.newlines += len(breaks)
        previous = data[np.maximum(breaks - 1, 0)]
        crlf = (previous == 13) & (breaks >= 2)
        previous = np.where(crlf, data[np.maximum(breaks - 2, 0)], previous)
        wanted = np.frombuffer(LINE_END_DELIMITERS, dtype=np.uint8)
        self.delimiters |= {int(d) for d in wanted if (previous[breaks > 0] == d).any()}
        self.tail = (self.tail + chunk)[-256:]
        if self.utf8:
            run = self._undecoded + chunk
            cut = run.rfind(b"\n") + 1
            self.utf8 = run[:cut].isascii() or _decodes(run[:cut])
            self._undecoded = run[cut:]

    def finish_utf8(self) -> bool:
        return self.utf8 and (self._undecoded.isascii() or _decodes(self._undecoded))


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def head_bytes(path: Path, size: int = 4096) -> bytes:
    with (gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")) as fh:
        try:
            return fh.read(size)
        except (EOFError, gzip.BadGzipFile, zlib.error):
            return b""  # scan() names the damage


def file_encoding(path: Path, given: str, notes: list[str]) -> str:
    """The encoding to read a file in: the one given, except that a UTF-16 file (Excel's "Unicode
    text") left at the UTF-8 default is recognised by its byte-order mark and read as UTF-16 (the
    load's note says so). A file with NUL bytes and no mark is refused: it is UTF-16 without a mark
    or not text at all."""
    head = head_bytes(path)
    if head.startswith(UTF16_BOMS):
        if given == "utf-8":
            notes.append(f"{path.name} is UTF-16 (it starts with a byte-order mark): read as UTF-16")
        elif given != "utf-16":
            raise LoadError([Problem(str(path), 1, None, None,
                                     f"the file is UTF-16 (it starts with a UTF-16 byte-order mark), not {given}",
                                     "load it with --encoding utf-16 (or leave --encoding out), or save it as UTF-8")])
        return "utf-16"
    if given == "utf-16":
        raise LoadError([Problem(str(path), 1, None, None, "the file has no UTF-16 byte-order mark: it is not UTF-16 "
                                 "(or is UTF-16 without a mark, which cannot be told from binary data)",
                                 "leave --encoding out for UTF-8, or save the file as UTF-16 with a mark (Excel's "
                                 "'Unicode text') or as UTF-8")])
    if b"\x00" in head:
        raise LoadError([Problem(str(path), 1, None, None, "the file holds NUL bytes: it is UTF-16 without a byte-order "
                                 "mark, or not a text file",
                                 "save it as UTF-8 (or as UTF-16 with a byte-order mark), or check that it is the "
                                 "table you meant to load")])
    return given


def open_text(path: Path, encoding: str = "utf-8") -> io.TextIOBase:
    """The file as text; a UTF-8 byte-order mark is dropped ('utf-8-sig' reads files with and
    without one alike)."""
    python = "utf-8-sig" if encoding == "utf-8" else encoding
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=python, newline="")
    return open(path, encoding=python, newline="")


@dataclass
class Records:
    """Where each record of a delimited file starts (physical line numbers), as Python's csv module
    reads it: for files where rows and lines differ (a quoted cell holding a line break, blank
    lines), so that every message names the line an editor shows."""

    starts: list[int]  # physical line of each data record, in order
    blank: list[int]  # blank lines before the last record (trailing blank lines are harmless)
    long: list[tuple[int, int, str]]  # (line, fields, text) of records with more fields than the header


def records(path: Path, delimiter: str, encoding: str, ncols: int) -> Records:
    starts, blank, long = [], [], []
    pending_blank: list[int] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a long quoted note is a cell, not an error (the default stops at 128 kB)
    try:
        _read_records(path, delimiter, encoding, ncols, starts, blank, long, pending_blank)
    finally:
        csv.field_size_limit(limit)
    return Records(starts, blank, long)


def _read_records(path: Path, delimiter: str, encoding: str, ncols: int, starts: list[int], blank: list[int],
                  long: list[tuple[int, int, str]], pending_blank: list[int]) -> None:
    with open_text(path, encoding) as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        next(reader, None)  # the header
        start = reader.line_num + 1
        for fields in reader:
            if not fields:
                pending_blank.append(start)
            else:
                blank += pending_blank
                pending_blank = []
                starts.append(start)
                if len(fields) > ncols:
                    long.append((start, len(fields), delimiter.join(fields)))
            start = reader.line_num + 1
