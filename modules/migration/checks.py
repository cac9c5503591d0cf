"""The rules a row of the layout must keep (docs/migration-layout.md), each broken rule a ``Problem`` in
Japanese with its line and column. A row that keeps them becomes the register's ``Incoming``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from modules.migration import layout
from modules.migration.keys import KeyStore
from modules.migration.reading import PRIVATE_USE, Problem, map_gaiji
from modules.residents.public import (
    HEAD_RELATIONSHIP,
    ITEM_FIELDS,
    MID_LONG_CATEGORY,
    STATUS_RESIDENT,
    Incoming,
    is_katakana,
    normalize_kana,
    valid_juminhyo_code,
    valid_mynumber,
)

_NUMBER = re.compile(r"^\d{1,15}$")
_DATE = re.compile(r"^\d{8}$")
_POSTAL = re.compile(r"^\d{3}-?\d{4}$")
_CARD = re.compile(r"^[A-Z]{2}\d{8}[A-Z]{2}$")
_DIGITS = re.compile(r"^\d+$")
# The register's column sizes (modules/residents/models.py): longer text cannot be stored.
LIMITS = {
    "family_name": 100,
    "given_name": 100,
    "family_kana": 100,
    "given_kana": 100,
    "town": 100,
    "banchi": 100,
    "katagaki": 200,
    "honseki": 200,
    "hitto_sha": 100,
    "nationality": 60,
    "residence_status": 60,
    "residence_period": 30,
    "alpha_name": 200,
    "tsusho": 100,
    "tsusho_kana": 100,
    "kyuuji": 100,
    "kyuuji_kana": 100,
    "extra.destination": 300,
    "previous_address": 300,
    "extra.last_reason": 30,
}
# LIMITS as the row's check reads them: (item, its key in the values or the extras, limit, in the extras).
LIMIT_CHECKS = [
    (item, item.removeprefix("extra."), limit, item.startswith("extra.")) for item, limit in LIMITS.items()
]
KANA_ITEMS = ("family_kana", "given_kana", "kyuuji_kana", "tsusho_kana")
DATE_ITEMS = ("birth_date", "resident_since", "left_on", "residence_until", "residence_from")
FOREIGN_ONLY = (
    "nationality",
    "foreign_category",
    "residence_status",
    "residence_until",
    "card_number",
    "alpha_name",
    "tsusho",
    "tsusho_kana",
    "residence_period",
    "residence_from",
)
JAPANESE_ONLY = ("honseki", "hitto_sha", "kyuuji", "kyuuji_kana")
COLUMN_OF = {c.item: c.name for c in layout.PERSON_COLUMNS}


def parse_date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        raise ValueError
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


@dataclass
class Parsed:
    line: int
    incoming: Incoming
    extras: dict[str, Any]


class Header:
    """Where each column of the file is, by its name; a missing required column is a problem of line 1."""

    def __init__(self, file: str, cells: list[str], columns: tuple[layout.Column, ...]) -> None:
        names = [c.strip().lstrip("\ufeff") for c in cells]
        self.index = {name: i for i, name in enumerate(names)}
        self.problems = [
            Problem(file, 1, c.name, "", "必須の列がありません（見出し行にこの列名が必要です）")
            for c in columns
            if c.required and c.name not in self.index
        ]
        self.problems += [
            Problem(file, 1, name, name, "見出しが重複しています")
            for name, n in Counter(names).items()
            if n > 1
        ]


class PersonChecker:
    """Checks the persons file row by row, then its households once every row has been seen."""

    def __init__(self, file: str, gaiji: dict[str, str]) -> None:
        self.file = file
        self.gaiji = gaiji
        self.header: Header | None = None
        self.slots: list[tuple[str, int | None]] = []
        self.names: list[str] = []
        self.width = 0
        self.pick: Callable[[list[str]], tuple[str, ...]] | None = None
        self.problems: list[Problem] = []
        self.keys = KeyStore()  # on disk: memory does not grow with the file
        self.bad_households: set[int] = set()
        self.rejected_lines: set[int] = set()
        self.rows_read = 0

    def take_header(self, cells: list[str]) -> bool:
        self.header = Header(self.file, cells, layout.PERSON_COLUMNS)
        self.problems += self.header.problems
        self.slots = [(c.name, self.header.index.get(c.name)) for c in layout.PERSON_COLUMNS]
        # A row as wide as the header with every column of the layout (the usual file) is read by one
        # getter in C: building the row's dict cell by cell was a tenth of checking it.
        self.width = len(self.header.index)
        present = [i for _name, i in self.slots if i is not None]
        self.names = [name for name, _i in self.slots]
        self.pick = itemgetter(*present) if len(present) == len(self.slots) > 1 else None
        return not self.header.problems

    def _problem(self, line: int, column: str, value: str, rule: str) -> None:
        self.problems.append(Problem(self.file, line, column, value, rule))

    def parse(self, line: int, cells: list[str]) -> Parsed | None:
        """The row as the register's values, or None with its problems added (the row is rejected)."""
        assert self.header is not None
        before = len(self.problems)
        width = len(cells)
        if self.pick is not None and width == self.width:
            raw = dict(zip(self.names, map(str.strip, self.pick(cells)), strict=True))
        else:
            raw = {name: (cells[i].strip() if i is not None and i < width else "") for name, i in self.slots}
        if PRIVATE_USE.search("".join(cells)):  # most rows have no 外字: one search for the whole row
            for name, text in raw.items():
                text, unmapped = map_gaiji(text, self.gaiji)
                for char in unmapped:
                    self._problem(line, name, text, f"外字表に登録のない外字です（U+{ord(char):04X}）")
                raw[name] = text
        if len(cells) != len(self.header.index):
            self._problem(
                line,
                "",
                "",
                f"列の数が見出しと違います（{len(cells)}列、見出しは{len(self.header.index)}列）",
            )
        out: dict[str, Any] = {}

        def need(col: str) -> str:
            value = raw[col]
            if not value:
                self._problem(line, col, "", "必須項目が空です")
            return value

        def code(col: str, table: dict[str, str], required: bool = True) -> str | None:
            value = need(col) if required else raw[col]
            if value and value not in table:
                allowed = "、".join(table)
                self._problem(line, col, value, f"コード値が定義にありません（{allowed} のいずれか）")
                return None
            return table.get(value) if value else None

        def date(col: str, required: bool = False) -> dt.date | None:
            value = need(col) if required else raw[col]
            if not value:
                return None
            try:
                return parse_date(value)
            except ValueError:
                self._problem(line, col, value, "日付が正しくありません（西暦8桁 YYYYMMDD の実在する日付）")
                return None

        for col, item in (("宛名番号", "atena_no"), ("世帯番号", "household_no")):
            value = need(col)
            if value and not _NUMBER.match(value):
                self._problem(line, col, value, "15桁以内の数字で記載してください")
            elif value:
                out[item] = int(value)
        relationship = need("続柄")
        if relationship and relationship not in layout.RELATIONSHIPS:
            self._problem(line, "続柄", relationship, "続柄が定義にありません（住民票に記載する続柄）")
        out["relationship"] = relationship
        out["sex"] = code("性別", layout.SEX)
        citizenship = code("住民種別", layout.CITIZENSHIP)
        out["citizenship"] = citizenship
        status_code = need("状態")
        status = code("状態", layout.STATUS)
        out["status"] = status
        foreign = citizenship == "foreign"
        out["family_name"] = need("氏")
        out["given_name"] = raw["名"] if foreign else need("名")
        for col, item in (("氏_フリガナ", "family_kana"), ("名_フリガナ", "given_kana")):
            value = need(col) if (item == "family_kana" or not foreign) else raw[col]
            out[item] = normalize_kana(value) if value else ""
        for col, item in (("旧氏_フリガナ", "kyuuji_kana"), ("通称_フリガナ", "tsusho_kana")):
            out[item] = normalize_kana(raw[col]) if raw[col] else None
        for col_name, item in (
            ("氏_フリガナ", "family_kana"),
            ("名_フリガナ", "given_kana"),
            ("旧氏_フリガナ", "kyuuji_kana"),
            ("通称_フリガナ", "tsusho_kana"),
        ):
            if out[item] and not is_katakana(out[item]):
                self._problem(line, col_name, raw[col_name], "フリガナはカタカナで記載してください")
        out["birth_date"] = date("生年月日", True)
        out["resident_since"] = date("住民となった年月日", True)
        out["left_on"] = date("消除年月日")
        out["residence_until"] = date("在留期間満了日")
        out["residence_from"] = date("在留期間の始期")
        out["address_since"] = date("住所を定めた年月日")
        out["notified_on"] = date("届出年月日")
        out["previous_address"] = raw["前住所"] or None
        extras: dict[str, Any] = {}
        out["town"] = need("町字")
        out["banchi"] = need("番地")
        out["katagaki"] = raw["方書"]
        postal = raw["郵便番号"]
        if postal and not _POSTAL.match(postal):
            self._problem(line, "郵便番号", postal, "郵便番号は7桁の数字で記載してください（ハイフン可）")
        for col, key in (
            ("郵便番号", "postal_code"),
            ("転出先住所", "destination"),
            ("最終異動事由", "last_reason"),
        ):
            if raw[col]:
                extras[key] = raw[col]
        for col, item in (
            ("本籍", "honseki"),
            ("筆頭者", "hitto_sha"),
            ("旧氏", "kyuuji"),
            ("国籍・地域", "nationality"),
            ("在留資格", "residence_status"),
            ("在留期間", "residence_period"),
            ("アルファベット氏名", "alpha_name"),
            ("通称", "tsusho"),
        ):
            out[item] = raw[col] or None
        out["foreign_category"] = code("30条45規定区分", layout.FOREIGN_CATEGORY, required=False)
        card = raw["在留カード等番号"]
        if card and not _CARD.match(card):
            self._problem(line, "在留カード等番号", card, "在留カード等番号は英字2桁・数字8桁・英字2桁です")
        out["card_number"] = card or None
        juminhyo = raw["住民票コード"]
        if juminhyo and not valid_juminhyo_code(juminhyo):
            self._problem(line, "住民票コード", juminhyo, "住民票コードの検査数字が正しくありません（11桁）")
        out["juminhyo_code"] = juminhyo or None
        mynumber = raw["個人番号"]
        if mynumber and not valid_mynumber(mynumber):
            self._problem(line, "個人番号", mynumber, "個人番号の検査用数字が正しくありません（12桁）")
        for item, key, limit, is_extra in LIMIT_CHECKS:
            found = extras.get(key) if is_extra else out.get(key)
            if isinstance(found, str) and len(found) > limit:
                col = COLUMN_OF[item]
                self._problem(line, col, found[:40], f"{limit}文字を超えています（{len(found)}文字）")
        # Items of the 外国人住民 only (住基法30条の45), items of the 日本人住民 only (本籍・筆頭者・旧氏).
        if foreign:
            for col, item in (("国籍・地域", "nationality"), ("アルファベット氏名", "alpha_name")):
                if not out[item]:
                    self._problem(line, col, "", "外国人住民には必須の項目です")
            if not raw["30条45規定区分"]:
                self._problem(line, "30条45規定区分", "", "外国人住民には必須の項目です")
            if out["foreign_category"] == MID_LONG_CATEGORY:
                for col, item in (("在留資格", "residence_status"), ("在留期間満了日", "residence_until")):
                    if not out[item] and raw[col] == "":
                        self._problem(line, col, "", "中長期在留者には必須の項目です")
        elif citizenship == "japanese":
            for item in FOREIGN_ONLY:
                col = COLUMN_OF[item]
                if raw[col]:
                    self._problem(
                        line, col, raw[col], "日本人住民には記載しない項目です（外国人住民の記載事項）"
                    )
        if citizenship == "foreign":
            for item in JAPANESE_ONLY:
                col = COLUMN_OF[item]
                if raw[col]:
                    self._problem(
                        line, col, raw[col], "外国人住民には記載しない項目です（日本人住民の記載事項）"
                    )
        if (
            status is not None
            and status != STATUS_RESIDENT
            and out["left_on"] is None
            and not raw["消除年月日"]
        ):
            self._problem(line, "消除年月日", "", "状態が住民以外のときは必須です")
        if status == STATUS_RESIDENT and raw["消除年月日"]:
            self._problem(line, "消除年月日", raw["消除年月日"], "状態が住民のときは記載しません")
        birth, since, left = out["birth_date"], out["resident_since"], out["left_on"]
        if birth and since and since < birth:
            self._problem(line, "住民となった年月日", raw["住民となった年月日"], "生年月日より前の日付です")
        if since and left and left < since:
            self._problem(line, "消除年月日", raw["消除年月日"], "住民となった年月日より前の日付です")
        if status_code == layout.STRUCK_OFF:
            extras["status"] = layout.STRUCK_OFF
        self._household(line, out, raw, valid=len(self.problems) == before)
        if len(self.problems) > before:
            self.rejected_lines.add(line)
            return None
        items = {f: out[f] for f in ITEM_FIELDS}
        incoming = Incoming(
            atena_no=out["atena_no"],
            household_no=out["household_no"],
            items=items,
            mynumber=mynumber or None,
            removal_note="職権消除" if status_code == layout.STRUCK_OFF else "",
        )
        return Parsed(line, incoming, extras)

    def _household(self, line: int, out: dict[str, Any], raw: dict[str, str], valid: bool) -> None:
        """The row's keys, for the rules that need the whole file (duplicates, households)."""
        self.keys.add(
            (
                line,
                out.get("atena_no"),
                out.get("household_no"),
                out.get("status") == STATUS_RESIDENT,
                out.get("relationship") == HEAD_RELATIONSHIP,
                raw["町字"] + "\x1f" + raw["番地"] + "\x1f" + raw["方書"],
                valid,
                raw["状態"],
                raw["住民種別"],
            )
        )

    def has_atena(self, atena: int) -> bool:
        return self.keys.has_atena(atena)

    def finish(self) -> set[int]:
        """The rules of the whole file, once every row is read; the 世帯番号 whose every row is rejected."""
        for line, atena, first in self.keys.duplicates():
            self._problem(line, "宛名番号", str(atena), f"宛名番号が重複しています（{first}行目と同じ）")
            self.rejected_lines.add(line)
        bad: set[int] = set()
        for line, household, address in self.keys.elsewhere():
            self._problem(line, "町字", address.replace("\x1f", ""), "同じ世帯の世帯員と住所が違います")
            self.rejected_lines.add(line)
            bad.add(household)
        for household, first_line, heads, head_lines in self.keys.heads():
            if heads == 0:
                self._problem(
                    first_line, "続柄", str(household), f"世帯に世帯主がいません（世帯番号 {household}）"
                )
            else:
                for head_line in head_lines:
                    self._problem(
                        head_line, "続柄", HEAD_RELATIONSHIP, f"世帯主が2人以上います（世帯番号 {household}）"
                    )
            bad.add(household)
        # A household is taken whole or not at all: one living member refused leaves the others out too,
        # so that a partial import never makes a household without its head or half of its members.
        for household, first_line in list(self.keys.with_rejected_member(self.rejected_lines)):
            if household not in bad:
                self._problem(
                    first_line,
                    "世帯番号",
                    str(household),
                    "世帯員の行に問題があるため、この世帯は取り込みません",
                )
                bad.add(household)
        self.bad_households = bad
        return bad

    def tally(self) -> tuple[int, Counter[str], Counter[str], int]:
        """Valid rows (after ``finish``), by 状態 code and 住民種別 code, and their households."""
        return self.keys.tally(self.rejected_lines, self.bad_households)

    def close(self) -> None:
        self.keys.close()
