"""Reading an invoice CSV of any size: never the whole file in memory.

`scan(path)` reads it once, in chunks: its SHA-256 (a file whose hash is unchanged is not
imported again) and the checks the loader makes on every knowledge file, with the same
messages: not a regular file, binary (a NUL byte anywhere), not UTF-8 (the byte, its offset
and its line), empty. `open_text(path)` then gives its text line by line, hashing what it
reads (`Reading.sha256`: the content actually parsed, even if the file changed meanwhile).

Files are opened without following a link and without blocking, then checked to be regular
files: what was walked may have been swapped for a link or a FIFO since.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.knowledge.problems import FileRejected

CHUNK = 1 << 20
BOM = codecs.BOM_UTF8


@dataclass(frozen=True, slots=True)
class Scan:
    sha256: str
    size: int


def open_binary(path: Path) -> BinaryIO:
    """The file, opened safely; `FileRejected` if it cannot be, or is not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise FileRejected(1, f"cannot be opened: {exc.strerror or exc}") from None
    file = os.fdopen(fd, "rb", buffering=0)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        file.close()
        raise FileRejected(1, "is not a regular file any more; skipped")
    return file


def scan(path: Path, chunk: int = CHUNK, encoding: str = "utf-8") -> Scan:
    """Hash and check the whole file in one pass; `FileRejected` when it is not usable text
    (in `encoding`: UTF-8 for the knowledge folder, with or without a byte-order mark)."""
    utf8 = codecs.lookup(encoding).name == "utf-8"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    size = 0  # bytes read so far
    newlines = 0  # before the current chunk
    bad: tuple[int, int, int] | None = None  # (line, byte, offset) of the first non-UTF-8 byte
    blank = True
    with open_binary(path) as file:
        for data in _chunks(file, chunk):
            digest.update(data)
            if b"\0" in data:
                raise FileRejected(1, "binary file, not text; skipped")
            skip = len(BOM) if utf8 and size == 0 and data == BOM else 0  # the first 3 bytes
            if bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    text = decoder.decode(data[skip:])
                except UnicodeDecodeError as exc:
                    offset = size + skip - pending + exc.start
                    line = newlines + exc.object[: exc.start].count(b"\n") + 1
                    bad = (line, exc.object[exc.start], offset)
                else:
                    blank = blank and not text.strip()
            newlines += data.count(b"\n")
            size += len(data)
    if bad is None:
        bad = _unfinished(decoder, newlines, size)
    if bad is not None:
        raise _undecodable(bad, encoding, utf8=utf8)
    if blank:
        raise FileRejected(1, "empty file")
    return Scan(digest.hexdigest(), size)


def _unfinished(
    decoder: codecs.IncrementalDecoder, newlines: int, size: int
) -> tuple[int, int, int] | None:
    """(line, byte, offset) when the file ends inside a character."""
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return (newlines + 1, exc.object[exc.start], size - len(exc.object) + exc.start)
    return None


def _undecodable(bad: tuple[int, int, int], encoding: str, *, utf8: bool) -> FileRejected:
    line, byte, offset = bad
    where = f"byte 0x{byte:02x} at offset {offset}"
    if utf8:
        return FileRejected(line, f"not UTF-8 ({where}); save the file as UTF-8")
    return FileRejected(line, f"not {encoding} text ({where}); is its encoding another?")


def _chunks(file: BinaryIO, size: int) -> Iterator[bytes]:
    """The file's bytes: its first three alone (a byte-order mark, maybe), then by `size`."""
    if first := file.read(len(BOM)):
        yield first
        while data := file.read(size):
            yield data


class _Hashing(io.RawIOBase):
    """A binary file that hashes and counts the bytes read through it."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._file.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        self.read_bytes += n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


@dataclass
class Reading:
    """An invoice file being read: `lines` (text, "\\n"-terminated, as `csv` wants them),
    how many bytes were read so far, and the hash of what was read."""

    lines: Iterator[str]
    _raw: _Hashing

    @property
    def read_bytes(self) -> int:
        return self._raw.read_bytes

    @property
    def sha256(self) -> str:
        return self._raw.digest.hexdigest()


@contextmanager
def open_text(path: Path, encoding: str = "utf-8") -> Iterator[Reading]:
    """The file's text line by line (a byte-order mark dropped), as `scan` checked it."""
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    raw = _Hashing(open_binary(path))
    text = io.TextIOWrapper(
        io.BufferedReader(raw, CHUNK), encoding=encoding, errors="strict", newline="\n"
    )
    with text:
        try:
            yield Reading(iter(text), raw)
        except UnicodeDecodeError as exc:  # changed since it was scanned
            raise FileRejected(1, f"not {encoding} any more ({exc.reason}); skipped") from None
