"""The Teams app icons, drawn deterministically with the standard library only.

Teams wants a 192×192 full-colour icon and a 32×32 outline icon (white on transparent). Both
show a receipt. `python -m adapters.teams.icons manifests/teams` rewrites the committed PNGs;
the same bytes come out every time, so the files never change unless this code does.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

COLOR_SIZE = 192
OUTLINE_SIZE = 32
COLOR_FILE = "color.png"
OUTLINE_FILE = "outline.png"

Rgba = tuple[int, int, int, int]
BRAND: Rgba = (37, 99, 235, 255)  # blue background of the colour icon
PAPER: Rgba = (255, 255, 255, 255)
INK: Rgba = (30, 64, 175, 255)
CLEAR: Rgba = (0, 0, 0, 0)

# The receipt in unit coordinates (0..1 across the icon).
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.28, 0.72, 0.16, 0.80
_TOOTH = 0.0733  # width of one zig-zag tooth along the torn bottom edge
_LINES = (0.32, 0.44, 0.56)  # text lines on the receipt
_LINE_LEFT, _LINE_RIGHT = 0.36, 0.64


def png(width: int, height: int, pixel: Callable[[int, int], Rgba]) -> bytes:
    """Encode an RGBA image; `pixel(x, y)` gives each pixel's colour."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: none
        for x in range(width):
            raw.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; `ValueError` if it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def color_icon() -> bytes:
    size = COLOR_SIZE

    def pixel(x: int, y: int) -> Rgba:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if not _inside_receipt(u, v):
            return BRAND
        if _on_line(u, v, half_thickness=0.018):
            return INK
        return PAPER

    return png(size, size, pixel)


def outline_icon() -> bytes:
    size = OUTLINE_SIZE
    edge = 1.6 / size  # the outline stroke: about 2 pixels

    def pixel(x: int, y: int) -> Rgba:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if not _inside_receipt(u, v):
            return CLEAR
        inner = _inside_receipt(u - edge, v) and _inside_receipt(u + edge, v)
        inner = inner and _inside_receipt(u, v - edge) and _inside_receipt(u, v + edge)
        if not inner or _on_line(u, v, half_thickness=0.03):
            return PAPER
        return CLEAR

    return png(size, size, pixel)


def write_icons(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    color, outline = folder / COLOR_FILE, folder / OUTLINE_FILE
    color.write_bytes(color_icon())
    outline.write_bytes(outline_icon())
    return color, outline


def _inside_receipt(u: float, v: float) -> bool:
    if not (_LEFT <= u <= _RIGHT and v >= _TOP):
        return False
    phase = ((u - _LEFT) / _TOOTH) % 1.0
    tooth = _TOOTH * 0.6 * (1 - abs(2 * phase - 1))  # triangle wave: the torn edge
    return v <= _BOTTOM - tooth


def _on_line(u: float, v: float, *, half_thickness: float) -> bool:
    if not (_LINE_LEFT <= u <= _LINE_RIGHT):
        return False
    return any(abs(v - line) <= half_thickness for line in _LINES)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


if __name__ == "__main__":
    for written in write_icons(Path(sys.argv[1] if len(sys.argv) > 1 else "manifests/teams")):
        print(written)
