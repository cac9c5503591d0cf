"""Japan Post's カスタマバーコード (customer barcode), printed under the address.

As Japan Post's 郵便番号・バーコードマニュアル describes it: a start code, the 7-digit 郵便番号, the
住所表示番号 (the numbers and letters of the address after the town, 13 characters, padded with
CC4), a check digit and a stop code. Each character is three bars; a letter is a control code
(CC1 to CC3) followed by a digit and takes two places. The check digit makes the sum of the
characters' check values (0-9 for digits, 10 for "-", 11-18 for CC1-CC8) a multiple of 19.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Bars of each character: 1 long, 2 upper half (ascender), 3 lower half (descender), 4 timing (short).
BARS = {
    "1": "114",
    "2": "132",
    "3": "312",
    "4": "123",
    "5": "141",
    "6": "321",
    "7": "213",
    "8": "231",
    "9": "411",
    "0": "144",
    "-": "414",
    "CC1": "324",
    "CC2": "342",
    "CC3": "234",
    "CC4": "432",
    "CC5": "243",
    "CC6": "423",
    "CC7": "441",
    "CC8": "111",
}
START, STOP = "13", "31"
CHECK_VALUE = {**{str(d): d for d in range(10)}, "-": 10, **{f"CC{n}": 10 + n for n in range(1, 9)}}
VALUE_CHAR = {v: k for k, v in CHECK_VALUE.items()}
ADDRESS_PLACES = 13

_KANJI_DIGITS = dict(zip("〇一二三四五六七八九", "0123456789", strict=True))
# Words of an address that separate its numbers (丁目, 番地, 番, 号, の...): a hyphen in the code.
_SEPARATORS = re.compile(r"(丁目|番地|番|号|地割|線|の|ノ|－|ー|―|‐|-)+")


def _kanji_number(match: re.Match[str]) -> str:
    """一 to 九十九 as digits (十 alone is 10, 二十三 is 23)."""
    text = match.group(0)
    if "十" not in text:
        return "".join(_KANJI_DIGITS[c] for c in text)
    tens, _, ones = text.partition("十")
    return str(
        int(_KANJI_DIGITS.get(tens, "1") if tens else "1") * 10 + int(_KANJI_DIGITS.get(ones, "0") or 0)
    )


def address_number(after_town: str) -> str:
    """The 住所表示番号 of the part of an address after the town: ``1丁目3番2号 503`` -> ``1-3-2-503``."""
    text = unicodedata.normalize("NFKC", after_town).upper()
    text = re.sub(r"[〇一二三四五六七八九十]+", _kanji_number, text)
    text = _SEPARATORS.sub("-", text)
    # Anything but digits and Latin letters (building names in kana, spaces) separates numbers.
    text = re.sub(r"[^0-9A-Z]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    # No hyphen next to a letter: Japan Post's example 「6-7 LプラザB 106」 is 6-7LB106.
    return re.sub(r"-?([A-Z])-?", r"\1", text)


def characters(postcode: str, after_town: str) -> list[str]:
    """The barcode's characters between start and stop: 郵便番号, 住所表示番号 (13 places), check digit."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", postcode))
    if len(digits) != 7:
        raise ValueError("a 郵便番号 has seven digits")
    chars = list(digits)
    places: list[str] = []
    for c in address_number(after_town):
        if c.isdigit() or c == "-":
            places.append(c)
        else:  # A-J: CC1 + 0-9, K-T: CC2 + 0-9, U-Z: CC3 + 0-5
            index = ord(c) - ord("A")
            places += [f"CC{1 + index // 10}", str(index % 10)]
    # Beyond 13 places the rest is left out, but a letter's control code at the 13th keeps its digit.
    if len(places) > ADDRESS_PLACES:
        keep = ADDRESS_PLACES + (1 if places[ADDRESS_PLACES - 1].startswith("CC") else 0)
        places = places[:keep]
    places += ["CC4"] * (ADDRESS_PLACES - len(places))
    chars += places
    total = sum(CHECK_VALUE[c] for c in chars)
    chars.append(VALUE_CHAR[(19 - total % 19) % 19])
    return chars


def bar_pattern(postcode: str, after_town: str) -> str:
    """Every bar of the code, start to stop, as the digits 1-4 (see ``BARS``)."""
    return START + "".join(BARS[c] for c in characters(postcode, after_town)) + STOP


def draw(canvas: Any, x: float, y: float, pattern: str, point: float = 10.0) -> None:
    """Draw the bars at (x, y) (the bottom of the long bars), at ``point`` size (8 to 11.5 allowed).

    Sizes after the manual at 10 points: bar pitch 1.2 mm, bar width 0.6 mm, long bar 3.6 mm, timing
    bar 1.2 mm. The bars go out as one filled path (hundreds of thousands of sheets: one operator list
    per sheet rather than one drawing call per bar).
    """
    mm = 72 / 25.4
    scale = point / 10
    pitch, width = 1.2 * mm * scale, 0.6 * mm * scale
    long_, timing = 3.6 * mm * scale, 1.2 * mm * scale
    half = (long_ + timing) / 2
    middle = y + (long_ - timing) / 2
    shapes = {"1": (y, long_), "2": (middle, half), "3": (y, half), "4": (middle, timing)}
    ops = []
    for i, bar in enumerate(pattern):
        bottom, height = shapes[bar]
        ops.append(f"{x + i * pitch:.2f} {bottom:.2f} {width:.2f} {height:.2f} re")
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()
