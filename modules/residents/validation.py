"""Cleaning and checking what a clerk typed, field by field, with messages in the clerk's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from modules.residents import kana, mynumber
from modules.residents.display import field_label
from modules.residents.errors import Collector
from modules.residents.models import HEAD

# The codes of the register's sexes (their labels: display.SEX_LABELS).
SEXES = ("male", "female")
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


def clean_name(c: Collector, field: str, value: Any) -> str:
    text = kana.normalize_name(str(value or ""))
    if not text:
        c.add(field, _("%(label)sを入力してください。", label=field_label(field)))
    elif len(text) > 50:
        c.add(
            field, _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label(field), limit=50)
        )
    return text


def clean_kana(c: Collector, field: str, value: Any) -> str:
    text = kana.normalize_kana(str(value or ""))
    if not text:
        c.add(field, _("%(label)sを入力してください。", label=field_label(field)))
    elif not kana.is_katakana(text):
        c.add(
            field,
            _(
                "%(label)sはカタカナで入力してください（漢字・英数字は使えません）。",
                label=field_label(field),
            ),
        )
    elif len(text) > 50:
        c.add(
            field, _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label(field), limit=50)
        )
    return text


def clean_date(c: Collector, field: str, value: Any, today: dt.date) -> dt.date | None:
    if value in (None, ""):
        c.add(field, _("%(label)sを入力してください。", label=field_label(field)))
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            c.add(field, _("%(label)sは「2001-04-01」の形で入力してください。", label=field_label(field)))
            return None
    if value > today:
        c.add(field, _("%(label)sに未来の日付は指定できません。", label=field_label(field)))
    elif value.year < 1868:
        c.add(
            field, _("%(label)sが古すぎます（明治以降の日付を入力してください）。", label=field_label(field))
        )
    return value


def clean_choice(c: Collector, field: str, value: Any, choices: Any) -> str:
    text = str(value or "")
    if text not in choices:
        c.add(field, _("%(label)sを選択してください。", label=field_label(field)))
    return text


def clean_address(c: Collector, values: Mapping[str, Any], *, required: bool = True) -> dict[str, str]:
    out = {f: kana.normalize_address_part(str(values.get(f) or "")) for f in ("town", "banchi", "katagaki")}
    if required:
        for f in ("town", "banchi"):
            if not out[f]:
                c.add(f, _("%(label)sを入力してください。", label=field_label(f)))
    for f, limit in (("town", 50), ("banchi", 50), ("katagaki", 100)):
        if len(out[f]) > limit:
            c.add(f, _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label(f), limit=limit))
    return out


def clean_mynumber(c: Collector, value: Any) -> str | None:
    text = mynumber.normalize(str(value or ""))
    if not text:
        return None
    if not text.isdigit() or len(text) != 12:
        c.add("mynumber", _("個人番号は12桁の数字で入力してください。"))
    elif not mynumber.is_valid(text):
        c.add("mynumber", _("個人番号の検査用数字が正しくありません。番号を確認してください。"))
    return text


def clean_honseki(c: Collector, values: Mapping[str, Any]) -> dict[str, str | None]:
    """本籍 and 筆頭者, optional (a 外国人住民 has none), kept as entered like the names; blank → None."""
    out: dict[str, str | None] = {}
    for f, limit in (("honseki", 100), ("hitto_sha", 50)):
        text = kana.normalize_name(str(values.get(f) or ""))
        if len(text) > limit:
            c.add(f, _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label(f), limit=limit))
        out[f] = text or None
    if out["hitto_sha"] and not out["honseki"]:
        c.add("honseki", _("筆頭者を記載する場合は、本籍も入力してください。"))
    return out


def clean_notified(c: Collector, value: Any, today: dt.date) -> dt.date:
    """The 届出日 of an event: blank means today (the counter records it as it takes the 届出)."""
    if value in (None, ""):
        return today
    return clean_date(c, "notified_on", value, today) or today


def clean_previous_address(c: Collector, value: Any) -> str | None:
    """従前の住所 (住基法7条8号): as written on the 転出証明書, blank when unknown."""
    text = kana.normalize_address_part(str(value or ""))
    if len(text) > 200:
        c.add(
            "previous_address",
            _(
                "%(label)sは%(limit)s文字以内で入力してください。",
                label=field_label("previous_address"),
                limit=200,
            ),
        )
    return text or None
