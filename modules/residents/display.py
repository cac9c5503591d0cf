"""How the register's values read on screen: era dates (和暦), and the labels of its coded values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from modules.residents.models import EventKind, Status
from tenant_core.formatting import page_date

# Data stored as codes, shown as labels in the reader's language (the Japanese text is the msgid).
# 続柄 are stored as the register's own words; these are their labels in the reader's language.
RELATIONSHIP_LABELS = {
    "世帯主": _l("世帯主"),
    "妻": _l("妻"),
    "夫": _l("夫"),
    "子": _l("子"),
    "父": _l("父"),
    "母": _l("母"),
    "孫": _l("孫"),
    "祖父": _l("祖父"),
    "祖母": _l("祖母"),
    "兄": _l("兄"),
    "姉": _l("姉"),
    "弟": _l("弟"),
    "妹": _l("妹"),
    "子の妻": _l("子の妻"),
    "子の夫": _l("子の夫"),
    "妻の父": _l("妻の父"),
    "妻の母": _l("妻の母"),
    "夫の父": _l("夫の父"),
    "夫の母": _l("夫の母"),
    "同居人": _l("同居人"),
    "縁故者": _l("縁故者"),
}
SEX_LABELS = {"male": _l("男"), "female": _l("女")}
# Keyed by the stored code: the enum members are equal to and hash as their str values.
STATUS_LABELS: dict[str, LazyString] = {
    Status.resident: _l("住民"),
    Status.moved_out: _l("転出（除票）"),
    Status.deceased: _l("死亡（除票）"),
}
EVENT_LABELS: dict[str, LazyString] = {
    EventKind.move_in: _l("転入"),
    EventKind.birth: _l("出生"),
    EventKind.move_out: _l("転出"),
    EventKind.relocation: _l("転居"),
    EventKind.death: _l("死亡"),
    EventKind.household_change: _l("世帯変更"),
    EventKind.correction: _l("記載事項修正"),
    EventKind.code_change: _l("住民票コードの変更"),
    EventKind.tsusho: _l("通称の記載・削除"),
    EventKind.residence: _l("在留資格・在留期間等の変更"),
    EventKind.kyuuji: _l("旧氏の記載・削除"),
    EventKind.cancellation: _l("異動の取消し"),
}
# The names of the register's fields: in the history of a person and in the input messages.
FIELD_LABELS = {
    "household_id": _l("世帯"),
    "family_name": _l("氏"),
    "given_name": _l("名"),
    "family_kana": _l("氏（カナ）"),
    "given_kana": _l("名（カナ）"),
    "birth_date": _l("生年月日"),
    "sex": _l("性別"),
    "relationship": _l("続柄"),
    "town": _l("町名"),
    "banchi": _l("番地"),
    "katagaki": _l("方書"),
    "resident_since": _l("住民となった日"),
    "status": _l("状態"),
    "left_on": _l("除票日"),
    "honseki": _l("本籍"),
    "hitto_sha": _l("筆頭者"),
    "effective_on": _l("異動日"),
    "mynumber": _l("個人番号"),
    "juminhyo_code": _l("住民票コード"),
    "citizenship": _l("日本人・外国人の別"),
    "nationality": _l("国籍・地域"),
    "foreign_category": _l("30条45規定区分"),
    "residence_status": _l("在留資格"),
    "residence_period": _l("在留期間"),
    "residence_from": _l("在留期間の始期"),
    "residence_until": _l("在留期間の満了日"),
    "card_number": _l("在留カード等番号"),
    "alpha_name": _l("アルファベット氏名"),
    "tsusho": _l("通称"),
    "tsusho_kana": _l("通称（カナ）"),
    "kyuuji": _l("旧氏"),
    "kyuuji_kana": _l("旧氏（カナ）"),
    "planned_on": _l("転出予定日"),
    "moved_on": _l("転出日"),
    "destination": _l("転出先"),
    "destination_city": _l("転出先市区町村"),
    "special": _l("特例転出"),
    "cancel_reason": _l("取消しの理由"),
    "address_since": _l("住所を定めた年月日"),
    "notified_on": _l("届出日"),
    "previous_address": _l("従前の住所"),
    "reason": _l("取消しの理由"),
    "age_confirmed": _l("続柄と年齢を確認しました"),
}


def relationship_label(word: str) -> str:
    return str(RELATIONSHIP_LABELS.get(word, word))


def sex_label(code: str) -> str:
    """男/女 in the reader's language (inside ``force_locale("ja")``: the words of the register)."""
    return str(SEX_LABELS.get(code, code))


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def wareki(day: dt.date | None) -> str:
    """令和7年4月1日 on Japanese pages (the core's era arithmetic, shared with the printed certificates)."""
    return page_date(day)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def atena(number: int) -> str:
    """The 宛名番号 as printed: ten digits."""
    return f"{number:010d}"


def category_label(code: str | None) -> str:
    from modules.residents.foreign import category_label as label

    return label(code)


def citizenship_label(code: str | None) -> str:
    from modules.residents.foreign import citizenship_label as label

    return label(code)


HELPERS: dict[str, Callable[..., Any]] = {
    "category_label": category_label,
    "citizenship_label": citizenship_label,
    "relationship_label": relationship_label,
    "wareki": wareki,
    "age_on": age_on,
    "atena": atena,
    "sex_label": sex_label,
    "status_label": status_label,
    "event_label": event_label,
    "field_label": field_label,
}
