"""A seal image is measured from its header: a huge picture is refused before any pixel is decoded."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from modules.seals.errors import SealError
from modules.seals.images import MAX_SIDE, check_image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int = 12000, height: int = 12000) -> bytes:
    """A real PNG of ``width``×``height`` white 1-bit pixels: a few KB on disk, 144 M pixels decoded."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def test_a_12000_pixel_png_is_refused_from_its_header(monkeypatch):
    data = huge_png()
    assert len(data) < 512 * 1024  # small enough to pass the size limit in kilobytes
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(SealError) as refused:
        check_image(data, 512)
    assert decoded == []  # refused before any pixel was decoded
    assert refused.value.errors["image"] == "画像が大きすぎます。縦横 4000 ピクセル以内の画像にしてください。"


def test_a_picture_just_too_large_names_its_size(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(SealError) as refused:
        check_image(huge_png(4001, 100), 512)
    assert decoded == []
    assert (
        "縦横 16〜4000 ピクセル" in refused.value.errors["image"]
        and "4001×100" in refused.value.errors["image"]
    )


def test_pillow_refuses_to_decode_a_bomb_anywhere():
    assert Image.MAX_IMAGE_PIXELS == MAX_SIDE * MAX_SIDE
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(huge_png(20000, 20000)))
