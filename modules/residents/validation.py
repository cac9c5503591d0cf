"""Cleaning and checking what a clerk typed, field by field, with messages in Japanese."""

from __future__ import annotations

import datetime as dt
from typing import Any

from modules.residents import kana, mynumber
from modules.residents.errors import Collector
from modules.residents.models import HEAD

SEXES = {"male": "男", "female": "女"}
RELATIONSHIPS = (
    HEAD,
    "妻",
    "夫",
    "子",
    "父",
    "母",
    "孫",
    "祖父",
    "祖母",
    "兄",
    "姉",
    "弟",
    "妹",
    "子の妻",
    "子の夫",
    "妻の父",
    "妻の母",
    "夫の父",
    "夫の母",
    "同居人",
    "縁故者",
)
LABELS = {
    "family_name": "氏",
    "given_name": "名",
    "family_kana": "氏（カナ）",
    "given_kana": "名（カナ）",
    "birth_date": "生年月日",
    "sex": "性別",
    "relationship": "続柄",
    "town": "町名",
    "banchi": "番地",
    "katagaki": "方書",
    "effective_on": "異動日",
    "mynumber": "個人番号",
    "honseki": "本籍",
    "hitto_sha": "筆頭者",
}


def clean_name(c: Collector, field: str, value: Any) -> str:
    text = kana.normalize_name(str(value or ""))
    if not text:
        c.add(field, f"{LABELS[field]}を入力してください。")
    elif len(text) > 50:
        c.add(field, f"{LABELS[field]}は50文字以内で入力してください。")
    return text


def clean_kana(c: Collector, field: str, value: Any) -> str:
    text = kana.normalize_kana(str(value or ""))
    if not text:
        c.add(field, f"{LABELS[field]}を入力してください。")
    elif not kana.is_katakana(text):
        c.add(field, f"{LABELS[field]}はカタカナで入力してください（漢字・英数字は使えません）。")
    elif len(text) > 50:
        c.add(field, f"{LABELS[field]}は50文字以内で入力してください。")
    return text


def clean_date(c: Collector, field: str, value: Any, today: dt.date) -> dt.date | None:
    if value in (None, ""):
        c.add(field, f"{LABELS[field]}を入力してください。")
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            c.add(field, f"{LABELS[field]}は「2001-04-01」の形で入力してください。")
            return None
    if value > today:
        c.add(field, f"{LABELS[field]}に未来の日付は指定できません。")
    elif value.year < 1868:
        c.add(field, f"{LABELS[field]}が古すぎます（明治以降の日付を入力してください）。")
    return value


def clean_choice(c: Collector, field: str, value: Any, choices: Any) -> str:
    text = str(value or "")
    if text not in choices:
        c.add(field, f"{LABELS[field]}を選択してください。")
    return text


def clean_address(c: Collector, values: dict[str, Any], *, required: bool = True) -> dict[str, str]:
    out = {f: kana.normalize_address_part(str(values.get(f) or "")) for f in ("town", "banchi", "katagaki")}
    if required:
        for f in ("town", "banchi"):
            if not out[f]:
                c.add(f, f"{LABELS[f]}を入力してください。")
    for f, limit in (("town", 50), ("banchi", 50), ("katagaki", 100)):
        if len(out[f]) > limit:
            c.add(f, f"{LABELS[f]}は{limit}文字以内で入力してください。")
    return out


def clean_mynumber(c: Collector, value: Any) -> str | None:
    text = mynumber.normalize(str(value or ""))
    if not text:
        return None
    if not text.isdigit() or len(text) != 12:
        c.add("mynumber", "個人番号は12桁の数字で入力してください。")
    elif not mynumber.is_valid(text):
        c.add("mynumber", "個人番号の検査用数字が正しくありません。番号を確認してください。")
    return text


def clean_honseki(c: Collector, values: dict[str, Any]) -> dict[str, str | None]:
    """本籍 and 筆頭者, optional (a 外国人住民 has none), kept as entered like the names; blank → None."""
    out: dict[str, str | None] = {}
    for f, limit in (("honseki", 100), ("hitto_sha", 50)):
        text = kana.normalize_name(str(values.get(f) or ""))
        if len(text) > limit:
            c.add(f, f"{LABELS[f]}は{limit}文字以内で入力してください。")
        out[f] = text or None
    if out["hitto_sha"] and not out["honseki"]:
        c.add("honseki", "筆頭者を記載する場合は、本籍も入力してください。")
    return out
