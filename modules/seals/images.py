"""Checking an uploaded seal image (印影) by its content: PNG or JPEG, decodable, of a sensible size."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from flask_babel import gettext as _

from modules.seals.errors import SealError

FIELD = "image"

# The magic bytes decide the type; the file name and the browser's Content-Type are not trusted.
MAGIC = {b"\x89PNG\r\n\x1a\n": ("image/png", "PNG"), b"\xff\xd8\xff": ("image/jpeg", "JPEG")}
MIN_SIDE, MAX_SIDE = 16, 4000  # pixels: smaller cannot show a seal, larger is a photo, not a scan


@cache
def _pil() -> ModuleType:
    """Pillow, imported when an image is first checked (the only place images are opened), not at start-up.

    Pillow refuses to decode anything larger (DecompressionBombError) wherever an image is opened;
    a seal image is checked from its header against MAX_SIDE long before this.
    """
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE
    return Image


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime: str
    sha256: str
    width: int
    height: int


def _refuse(message: str) -> SealError:
    # The page shows the message under the field's label; the service's own message names it too.
    return SealError(message, FIELD)


def check_image(data: bytes | None, max_kb: int) -> CheckedImage:
    """The image if it is a PNG or JPEG within ``max_kb`` and the size limits; SealError otherwise."""
    if not data:
        raise _refuse(_("ファイルを選択してください。"))
    if len(data) > max_kb * 1024:
        raise _refuse(
            _("ファイルが大きすぎます（%(kb)sKB、上限 %(max)sKB）。", kb=len(data) // 1024, max=max_kb)
        )
    kind = next((v for magic, v in MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise _refuse(_("PNG または JPEG の画像ファイルを選択してください（画像ではないファイルです）。"))
    mime, pil_format = kind
    Image = _pil()
    from PIL import UnidentifiedImageError

    try:
        # Image.open reads the header only: the dimensions are known before any pixel is decoded,
        # so a small file claiming 12000×12000 pixels is refused without inflating it.
        with Image.open(io.BytesIO(data)) as header:
            fmt, (width, height) = header.format, header.size
    except Image.DecompressionBombError:
        raise _refuse(_too_large_message(None, None)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_("画像として読み取れません（壊れているか、画像ではないファイルです）。")) from None
    if fmt != pil_format:
        raise _refuse(_("PNG または JPEG の画像ファイルを選択してください。"))
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise _refuse(_too_large_message(width, height))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure and checksums, without decoding every pixel
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # a truncated file fails here
    except Image.DecompressionBombError:
        raise _refuse(_too_large_message(width, height)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_("画像として読み取れません（壊れているか、画像ではないファイルです）。")) from None
    return CheckedImage(data, mime, hashlib.sha256(data).hexdigest(), width, height)


def _too_large_message(width: int | None, height: int | None) -> str:
    if width is None or height is None:
        return _("画像が大きすぎます。縦横 %(max)s ピクセル以内の画像にしてください。", max=MAX_SIDE)
    return _(
        "画像の大きさは縦横 %(min)s〜%(max)s ピクセルにしてください（%(width)s×%(height)s）。",
        min=MIN_SIDE,
        max=MAX_SIDE,
        width=width,
        height=height,
    )
