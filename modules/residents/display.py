"""How the register's values read on screen: era dates (和暦), sex and event names in Japanese."""

from __future__ import annotations

import datetime as dt

from modules.residents.models import EventKind, Status

_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1868, 1, 25), "明治"),
)
SEX_LABELS = {"male": "男", "female": "女"}
STATUS_LABELS = {Status.resident: "住民", Status.moved_out: "転出（除票）", Status.deceased: "死亡（除票）"}
EVENT_LABELS = {
    EventKind.move_in: "転入",
    EventKind.birth: "出生",
    EventKind.move_out: "転出",
    EventKind.relocation: "転居",
    EventKind.death: "死亡",
    EventKind.household_change: "世帯変更",
    EventKind.correction: "記載事項修正",
}
FIELD_LABELS = {
    "household_id": "世帯",
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
    "resident_since": "住民となった日",
    "status": "状態",
    "left_on": "除票日",
    "honseki": "本籍",
    "hitto_sha": "筆頭者",
}


def wareki(day: dt.date | None) -> str:
    """令和7年4月1日 (元年 for the first year of an era); the Western date before the eras above."""
    if day is None:
        return ""
    for start, name in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def atena(number: int) -> str:
    """The 宛名番号 as printed: ten digits."""
    return f"{number:010d}"


HELPERS = {
    "wareki": wareki,
    "age_on": age_on,
    "atena": atena,
    "sex_label": SEX_LABELS.get,
    "status_label": lambda s: STATUS_LABELS.get(s, s),
    "event_label": lambda k: EVENT_LABELS.get(k, k),
    "field_label": lambda f: FIELD_LABELS.get(f, f),
}
