"""Invoice files of any size are read as streams: the one-pass scan finds what reading the
whole file would (binary, the first byte that is not UTF-8 with its line, empty), whatever
the chunk boundaries; the text comes line by line, as `csv` wants it."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.invoices.files import open_text, scan
from bot.knowledge.problems import FileRejected

PIECES = [b"a", b"\n", b" ", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xc3",
          b"\xe9", b"\x80", b"\0", codecs.BOM_UTF8]  # fmt: skip


def whole_file(data: bytes) -> object:
    """What reading `data` at once finds (the loader's checks on other files)."""
    if b"\0" in data:
        return "binary file, not text; skipped"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        line = data[:start].count(b"\n") + 1
        return line, f"not UTF-8 (byte 0x{data[start]:02x} at offset {start})"
    return "empty file" if not text.strip() else hashlib.sha256(data).hexdigest()


def scanned(path: Path, chunk: int) -> object:
    try:
        return scan(path, chunk).sha256
    except FileRejected as exc:
        if exc.message.startswith("not UTF-8"):
            return exc.line, exc.message.split(";")[0]
        return exc.message


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=14).map(b"".join),
    st.sampled_from([1, 2, 3, 5, 1 << 20]),
)
def test_the_scan_finds_what_reading_the_whole_file_would(tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("scan") / "invoices.csv"
    path.write_bytes(data)
    assert scanned(path, chunk) == whole_file(data)


def test_text_comes_line_by_line_without_the_byte_order_mark(tmp_path: Path):
    path = tmp_path / "invoices.csv"
    data = codecs.BOM_UTF8 + 'a,b\r\nc\rd,é\n"x\ny",z'.encode()
    path.write_bytes(data)
    with open_text(path) as reading:
        assert list(reading.lines) == ["a,b\r\n", "c\rd,é\n", '"x\n', 'y",z']
        assert reading.sha256 == hashlib.sha256(data).hexdigest() == scan(path).sha256
        assert reading.read_bytes == len(data)


@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_only_regular_files_are_opened(tmp_path: Path, kind: str):
    import os

    path = tmp_path / "invoices.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        (tmp_path / "real.csv").write_text("a\n")
        path.symlink_to(tmp_path / "real.csv")
    with pytest.raises(FileRejected):
        scan(path)
