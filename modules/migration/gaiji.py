"""外字: each city's table of the private-use characters of its old system, and the way back to cp932.

A cp932 file from the old system carries its 外字 as private-use code points (U+E000–U+F8FF); the table
says which character each one stands for (a Unicode character, or one with its IVS selector). The
import maps through it; a private-use character with no entry is an error of the row, never stored.
On the way out, a file that must be cp932 cannot carry what is outside it: each such value is either
reduced by the MJ 縮退マップ (jntajis-python's ``mj_shrink_candidates``: the first candidate that cp932
can encode), or, for a receiving system that uses the same private-use codes, mapped back to them;
either way the choice is recorded.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.migration.models import GaijiEntry
from tenant_core.models import utcnow

PUA_FIRST, PUA_LAST = 0xE000, 0xF8FF
CSV_HEADER = ("私用領域コード", "文字", "備考")


@cache
def _shrink() -> int:
    """The MJ 縮退 schemes; jntajis is imported when a name first needs reducing, not at start-up."""
    import jntajis

    return int(
        jntajis.MJShrinkSchemeCombo.JIS_INCORPORATION_UCS_UNIFICATION_RULE
        | jntajis.MJShrinkSchemeCombo.INFERENCE_BY_READING_AND_GLYPH
        | jntajis.MJShrinkSchemeCombo.MOJ_NOTICE_582
        | jntajis.MJShrinkSchemeCombo.MOJ_FAMILY_REGISTER_ACT_RELATED_NOTICE
    )


class GaijiError(ValueError):
    """A 外字 entry refused; the message (Japanese) names the item."""


def parse_code_point(text: str) -> int:
    """``U+E000``, ``E000`` or ``0xE000``: a code point of the private-use area."""
    cleaned = text.strip().upper().removeprefix("U+").removeprefix("0X")
    try:
        code = int(cleaned, 16)
    except ValueError:
        raise GaijiError(f"私用領域コードが読めません（{text}）。U+E000 の形で記載してください。") from None
    if not PUA_FIRST <= code <= PUA_LAST:
        raise GaijiError(f"私用領域（U+E000〜U+F8FF）のコードではありません（{text}）。")
    return code


def check_text(text: str) -> str:
    """One character, optionally followed by its variation selector (IVS); never a private-use one."""
    text = text.strip()
    if not text:
        raise GaijiError("文字が空です。")
    base, rest = text[0], text[1:]
    if PUA_FIRST <= ord(base) <= PUA_LAST:
        raise GaijiError("対応する文字に私用領域の文字は指定できません。")
    if rest and not (len(rest) == 1 and (0xFE00 <= ord(rest) <= 0xFE0F or 0xE0100 <= ord(rest) <= 0xE01EF)):
        raise GaijiError("文字は1文字（異体字セレクタ付きも可）で指定してください。")
    if unicodedata.category(base) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        raise GaijiError("文字として使えない符号です。")
    return text


def set_entry(
    session: Session, code: int, text: str, note: str, by: str, glyph: bytes | None = None
) -> GaijiEntry:
    entry = session.get(GaijiEntry, code)
    if entry is None:
        entry = GaijiEntry(code_point=code)
        session.add(entry)
    entry.text = check_text(text)
    entry.note = note.strip()[:300]
    if glyph is not None:
        entry.glyph, entry.glyph_mime = glyph, "image/png"
    entry.updated_by, entry.updated_at = by[:120], utcnow()
    session.flush()
    return entry


def entries(session: Session) -> list[GaijiEntry]:
    return list(session.scalars(sa.select(GaijiEntry).order_by(GaijiEntry.code_point)))


def import_csv(session: Session, data: bytes, by: str) -> tuple[int, list[str]]:
    """Entries from a CSV (私用領域コード, 文字, 備考; UTF-8): all or none; the problems by line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return 0, ["1行目: UTF-8 のCSVではありません。"]
    problems: list[str] = []
    good: list[tuple[int, str, str]] = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n == 1 and row and row[0].strip().lstrip("\ufeff") == CSV_HEADER[0]:
            continue
        if not any(c.strip() for c in row):
            continue
        try:
            if len(row) < 2:
                raise GaijiError("列が足りません（私用領域コード、文字、備考）。")
            good.append((parse_code_point(row[0]), check_text(row[1]), row[2] if len(row) > 2 else ""))
        except GaijiError as exc:
            problems.append(f"{n}行目: {exc}")
    if problems:
        return 0, problems
    for code, char, note in good:
        set_entry(session, code, char, note, by)
    return len(good), []


def export_csv(session: Session) -> str:
    from tenant_core import exports

    return exports.csv_text(CSV_HEADER, ([f"U+{e.code_point:04X}", e.text, e.note] for e in entries(session)))


@dataclass(frozen=True)
class Reduction:
    original: str
    written: str
    how: str  # 縮退, 外字コード, 置換不可


def fits_cp932(text: str) -> bool:
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


class Cp932Writer:
    """Values made fit for cp932: unchanged when they already fit, else reduced, each choice recorded."""

    def __init__(self, reverse: dict[str, str] | None) -> None:
        self.reverse = reverse  # character (or IVS sequence) → private-use character, when mapping back
        self.choices: list[Reduction] = []

    def fit(self, text: str) -> str:
        if fits_cp932(text):
            return text
        if self.reverse:
            mapped = text
            for seq in sorted(self.reverse, key=len, reverse=True):
                mapped = mapped.replace(seq, self.reverse[seq])
            if fits_cp932(mapped):
                self.choices.append(Reduction(text, mapped, "外字コード"))
                return mapped
        import jntajis

        for candidate in jntajis.mj_shrink_candidates(text, _shrink()):
            if fits_cp932(candidate):
                self.choices.append(Reduction(text, candidate, "縮退"))
                return candidate
        # Neither: the variation selectors dropped, and what still does not fit made 〓 (the 下駄記号).
        plain = "".join(
            c if fits_cp932(c) else ("" if 0xFE00 <= ord(c) <= 0xFE0F or ord(c) >= 0xE0100 else "〓")
            for c in text
        )
        self.choices.append(Reduction(text, plain, "置換不可"))
        return plain


def reverse_table(session: Session) -> dict[str, str]:
    return {e.text: chr(e.code_point) for e in entries(session)}
