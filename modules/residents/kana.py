"""Kana and name normalisation: what is stored as entered, what is folded into search keys.

Stored names keep every character as the clerk entered it (外字 and variation selectors included);
only half-width katakana are widened, as the standard expects full-width. カナ fields are stored as
full-width katakana. Search keys are separate columns, folded so that ｷｮｳｺ, きょうこ, キヨウコ and
キョーコ all find キョウコ.
"""

from __future__ import annotations

import re
import unicodedata

HIRAGANA = re.compile("[\u3041-\u3096\u309d\u309e]")
# Katakana letters (ァ..ヺ), the iteration marks ヽヾ, the long vowel mark ー, the middle dot ・.
_KANA_ALLOWED = re.compile("^[\u30a1-\u30fa\u30fc\u30fd\u30fe\u30fb ]+$")
# Long vowels spelt with a vowel letter (キョウコ, サトウ, オオノ) fold like those spelt with ー.
_O_ROW = "オコゴソゾトドノホボポモヨロヲ"
_U_ROW = "ウクグスズツヅヌフブプムユル"
_LONG_U = re.compile(f"(?<=[{_O_ROW}{_U_ROW}])ウ")
_LONG_O = re.compile(f"(?<=[{_O_ROW}])オ")
_HALFWIDTH_KATAKANA = re.compile("[\uff61-\uff9f]+")
_SPACES = re.compile(r"[\s\u3000]+")
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_TO_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


# The same letters as HIRAGANA, each to the katakana 0x60 above it, as one table: str.translate runs in C,
# where a regex substitution with a Python callback cost a migration's check seconds per 100,000 rows.
_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in (*range(0x3041, 0x3097), 0x309D, 0x309E)}


def hiragana_to_katakana(text: str) -> str:
    return text.translate(_HIRAGANA_TO_KATAKANA)


def normalize_kana(text: str) -> str:
    """A カナ field as stored: NFKC (half-width → full-width), hiragana → katakana, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = hiragana_to_katakana(text)
    return _SPACES.sub(" ", text).strip()


def is_katakana(text: str) -> bool:
    """True when ``text`` (already normalised) holds only katakana, ー, ・ and spaces."""
    return bool(_KANA_ALLOWED.match(text))


def kana_search_key(text: str) -> str:
    """Folded key for searching only: small kana made large, long vowels (ー, and ウ/オ that
    lengthen the kana before them) dropped, spaces and ・ removed: キョーコ, キョウコ → キヨコ."""
    text = normalize_kana(text).translate(_SMALL_TO_LARGE)
    text = text.replace("ー", "").replace(" ", "").replace("・", "")
    return _LONG_O.sub("", _LONG_U.sub("", text))


def normalize_name(text: str) -> str:
    """A 漢字 name as stored: exactly as entered, except half-width katakana widened and outer spaces."""
    text = _HALFWIDTH_KATAKANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text.strip(" \t\r\n\u3000")


def name_search_key(text: str) -> str:
    """Folded key for 漢字 search: NFKC, variation selectors and spaces removed."""
    text = _VARIATION_SELECTORS.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub("", text)


def to_fullwidth(text: str) -> str:
    """ASCII letters, digits and signs to their full-width forms (住所の番地 as the standard prints them)."""
    return text.translate(_TO_FULLWIDTH).replace(" ", "\u3000")


def normalize_address_part(text: str) -> str:
    """An address part as stored: outer spaces trimmed, ASCII widened, hyphen-like signs unified to －."""
    text = _HALFWIDTH_KATAKANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text.strip())
    text = _SPACES.sub(" ", text)
    # A hyphen between digits is a 番地 separator whichever dash was typed.
    text = re.sub(r"(?<=[0-9０-９])[\u2010-\u2015\u2212\uff0d\ufe63ー-](?=[0-9０-９])", "-", text)
    return to_fullwidth(text)


def address_search_key(text: str) -> str:
    """Folded key for address search: NFKC, spaces removed, dashes unified to '-'."""
    text = unicodedata.normalize("NFKC", _VARIATION_SELECTORS.sub("", text))
    text = re.sub(r"(?<=[0-9])[\u2010-\u2015\u2212\u30fc\uff0d-](?=[0-9])", "-", text)
    return _SPACES.sub("", text)


__all__ = [
    "address_search_key",
    "hiragana_to_katakana",
    "is_katakana",
    "kana_search_key",
    "name_search_key",
    "normalize_address_part",
    "normalize_kana",
    "normalize_name",
    "to_fullwidth",
]
