"""外国人住民 (住基法第3章の3, 30条の45): the items a 外国人住民 has instead of 本籍・筆頭者, 通称, the expiry list.

住基法30条の45 lists, for a 外国人住民, the 国籍・地域, the 区分 of its table (中長期在留者, 特別永住者,
一時庇護許可者, 仮滞在許可者, 出生による経過滞在者, 国籍喪失による経過滞在者) and, per 区分, the 在留資格,
在留期間 and its 満了の日 and the 在留カード等の番号 (a 在留カード or 特別永住者証明書: two letters,
eight digits, two letters). A 外国人住民's 住民票 carries the items of 住基法7条 except 5号 (戸籍の表示),
6号 (住民となった年月日) and 9号 (選挙人名簿): so no 本籍 or 筆頭者; a 日本人住民 has none of these items.
The アルファベット氏名 is the 氏名 of 7条1号 as the 在留カード writes it (a 外国人住民's name is kept in
the Latin alphabet); the 氏名 in Japanese script is kept beside it for the counter. The 通称 (住基法施行令30条の26) is recorded and deleted at the
person's request, each time an event of the history.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from modules.residents import kana
from modules.residents.display import field_label
from modules.residents.errors import Collector, ResidentError
from modules.residents.models import Citizenship, EventKind, Person, ResidentEvent, Status

CITIZENSHIP_LABELS = {Citizenship.japanese.value: _l("日本人"), Citizenship.foreign.value: _l("外国人")}
MID_LONG = "mid_long_term"
SPECIAL_PERMANENT = "special_permanent"
# The 区分 of the table of 住基法30条の45, in its order.
CATEGORY_LABELS = {
    MID_LONG: _l("中長期在留者"),
    SPECIAL_PERMANENT: _l("特別永住者"),
    "temporary_refuge": _l("一時庇護許可者"),
    "provisional_stay": _l("仮滞在許可者"),
    "birth_transition": _l("出生による経過滞在者"),
    "loss_transition": _l("国籍喪失による経過滞在者"),
}
# 在留資格 and 在留期間 are items of the 中長期在留者 only; a 一時庇護許可者 has a 上陸期間 and a
# 仮滞在許可者 a 仮滞在期間, both kept as the period and its 満了の日.
_STATUS_CATEGORIES = (MID_LONG,)
_PERIOD_CATEGORIES = (MID_LONG, "temporary_refuge", "provisional_stay")
_CARD_CATEGORIES = (MID_LONG, SPECIAL_PERMANENT)  # 在留カード / 特別永住者証明書
CARD_NUMBER = re.compile(r"^[A-Z]{2}\d{8}[A-Z]{2}$")
_ALPHA = re.compile(r"^[A-Z][A-Z .,'\-]*$")
# The 外国人住民's fields (their values are None for a 日本人住民).
ITEMS = (
    "nationality",
    "foreign_category",
    "residence_status",
    "residence_period",
    "residence_from",
    "residence_until",
    "card_number",
    "alpha_name",
    "tsusho",
    "tsusho_kana",
)
EXPIRY_DAYS = 30
_RESIDENCE_FIELDS = (
    "residence_status",
    "residence_period",
    "residence_from",
    "residence_until",
    "card_number",
)


def category_label(code: str | None) -> str:
    return str(CATEGORY_LABELS.get(code or "", code or ""))


def citizenship_label(code: str | None) -> str:
    return str(CITIZENSHIP_LABELS.get(code or "", code or ""))


def _text(values: Mapping[str, Any], f: str) -> str:
    return kana.normalize_name(str(values.get(f) or ""))


def _limit(c: Collector, f: str, text: str, limit: int) -> None:
    if len(text) > limit:
        c.add(f, _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label(f), limit=limit))


def _date(c: Collector, f: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        c.add(f, _("%(label)sは「2001-04-01」の形で入力してください。", label=field_label(f)))
        return None


def clean_card_number(c: Collector, value: Any) -> str | None:
    text = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(value or ""))).upper()
    if not text:
        return None
    if not CARD_NUMBER.match(text):
        c.add(
            "card_number",
            _(
                "%(label)sは英字2文字・数字8桁・英字2文字の12文字で入力してください（例: AB12345678CD）。",
                label=field_label("card_number"),
            ),
        )
    return text


def clean_alpha_name(c: Collector, value: Any) -> str | None:
    text = " ".join(unicodedata.normalize("NFKC", str(value or "")).upper().split())
    if not text:
        return None
    if not _ALPHA.match(text):
        c.add("alpha_name", _("アルファベット氏名は英字で入力してください（空白・,・-・' は使えます）。"))
    _limit(c, "alpha_name", text, 100)
    return text


def clean_residence(c: Collector, values: Mapping[str, Any], category: str) -> dict[str, Any]:
    """在留資格, 在留期間, its start and 満了の日, 在留カード等の番号, as the 区分 asks for them."""
    out: dict[str, Any] = {
        "residence_status": _text(values, "residence_status") or None,
        "residence_period": _text(values, "residence_period") or None,
        "residence_from": _date(c, "residence_from", values.get("residence_from")),
        "residence_until": _date(c, "residence_until", values.get("residence_until")),
        "card_number": clean_card_number(c, values.get("card_number")),
    }
    _limit(c, "residence_status", out["residence_status"] or "", 30)
    _limit(c, "residence_period", out["residence_period"] or "", 20)
    required = {
        "residence_status": category in _STATUS_CATEGORIES,
        "residence_period": category in _STATUS_CATEGORIES,
        "residence_until": category in _PERIOD_CATEGORIES,
        "card_number": category in _CARD_CATEGORIES,
    }
    allowed = {
        "residence_status": category in _STATUS_CATEGORIES,
        "residence_period": category in _PERIOD_CATEGORIES,
        "residence_from": category in _PERIOD_CATEGORIES,
        "residence_until": category in _PERIOD_CATEGORIES,
        "card_number": category in _CARD_CATEGORIES,
    }
    label = category_label(category)
    for f, needed in required.items():
        if needed and out[f] is None and f not in c.errors:
            c.add(
                f, _("%(category)sの方は%(label)sを入力してください。", category=label, label=field_label(f))
            )
    for f, ok in allowed.items():
        if not ok and out[f] is not None:
            c.add(f, _("%(category)sの方には%(label)sを記載しません。", category=label, label=field_label(f)))
            out[f] = None
    start, end = out["residence_from"], out["residence_until"]
    if start and end and end < start:
        c.add(
            "residence_until",
            _(
                "在留期間の満了日（%(end)s）が始期（%(start)s）より前です。",
                end=end.isoformat(),
                start=start.isoformat(),
            ),
        )
    return out


def clean_items(c: Collector, data: Mapping[str, Any], honseki: Mapping[str, Any]) -> dict[str, Any]:
    """At an arrival: 日本人 or 外国人, and for a 外国人 its items of 住基法30条の45 (all None for a 日本人)."""
    citizenship = str(data.get("citizenship") or Citizenship.japanese.value)
    out: dict[str, Any] = dict.fromkeys(ITEMS)
    if citizenship not in CITIZENSHIP_LABELS:
        c.add("citizenship", _("%(label)sを選択してください。", label=field_label("citizenship")))
        return out | {"citizenship": citizenship}
    out["citizenship"] = citizenship
    typed = [f for f in ITEMS if str(data.get(f) or "").strip()]
    if citizenship == Citizenship.japanese:
        for f in typed:
            c.add(
                f,
                _(
                    "日本人住民には%(label)sを記載しません（外国人住民の記載事項です）。",
                    label=field_label(f),
                ),
            )
        return out
    for f in ("honseki", "hitto_sha"):
        if honseki.get(f):
            c.add(
                f,
                _(
                    "外国人住民には%(label)sを記載しません（住民基本台帳法第30条の45）。",
                    label=field_label(f),
                ),
            )
    out["nationality"] = _text(data, "nationality") or None
    if not out["nationality"]:
        c.add("nationality", _("%(label)sを入力してください。", label=field_label("nationality")))
    _limit(c, "nationality", out["nationality"] or "", 30)
    category = str(data.get("foreign_category") or "")
    if category not in CATEGORY_LABELS:
        c.add("foreign_category", _("%(label)sを選択してください。", label=field_label("foreign_category")))
    else:
        out["foreign_category"] = category
        out |= clean_residence(c, data, category)
    out["alpha_name"] = clean_alpha_name(c, data.get("alpha_name"))
    if not out["alpha_name"]:
        c.add("alpha_name", _("%(label)sを入力してください。", label=field_label("alpha_name")))
    out |= clean_tsusho(c, data, required=False)
    return out


def clean_tsusho(c: Collector, data: Mapping[str, Any], *, required: bool) -> dict[str, str | None]:
    name = _text(data, "tsusho")
    reading = kana.normalize_kana(str(data.get("tsusho_kana") or ""))
    _limit(c, "tsusho", name, 50)
    if required and not name:
        c.add("tsusho", _("%(label)sを入力してください。", label=field_label("tsusho")))
    if reading and not kana.is_katakana(reading):
        c.add(
            "tsusho_kana",
            _(
                "%(label)sはカタカナで入力してください（漢字・英数字は使えません）。",
                label=field_label("tsusho_kana"),
            ),
        )
    if reading and not name:
        c.add(
            "tsusho",
            _("フリガナだけでは記載できません。%(label)sを入力してください。", label=field_label("tsusho")),
        )
    return {"tsusho": name or None, "tsusho_kana": reading or None}


def _require_foreign(person: Person) -> None:
    if person.citizenship != Citizenship.foreign:
        raise ResidentError(_("この項目は外国人住民にだけ記載します。"), "")


def set_tsusho(
    session: Session,
    person: Person,
    on: Any,
    data: Mapping[str, Any],
    *,
    by: str,
    delete: bool = False,
    today: dt.date | None = None,
    version: int | None = None,
) -> ResidentEvent:
    """通称の記載 (or its change) or, with ``delete``, 通称の削除 (住基法施行令30条の26): an event each."""
    from modules.residents.recording import begin_change, checked_day, record_event

    c, day = begin_change(session, person, on, version=version, today=today)
    _require_foreign(person)
    if delete:
        if not person.tsusho:
            c.add("tsusho", _("削除する通称が記載されていません。"))
        changes: dict[str, Any] = {"tsusho": None, "tsusho_kana": None}
        note = "通称の削除"
    else:
        changes = dict(clean_tsusho(c, data, required=True))
        if changes["tsusho"] == person.tsusho and changes["tsusho_kana"] == person.tsusho_kana:
            c.add("tsusho", _("記載されている通称と同じです。"))
        note = "通称の記載"
    c.raise_if_any()
    return record_event(session, person, EventKind.tsusho, checked_day(day), changes, by, note)


def update_residence(
    session: Session,
    person: Person,
    on: Any,
    data: Mapping[str, Any],
    *,
    by: str,
    today: dt.date | None = None,
    version: int | None = None,
) -> ResidentEvent:
    """在留期間の更新・在留資格の変更・在留カードの再交付など: the 在留 items replaced as given."""
    from modules.residents.recording import begin_change, checked_day, record_event

    c, day = begin_change(session, person, on, version=version, today=today)
    _require_foreign(person)
    category = str(data.get("foreign_category") or person.foreign_category or "")
    changes: dict[str, Any] = {}
    if category not in CATEGORY_LABELS:
        c.add("foreign_category", _("%(label)sを選択してください。", label=field_label("foreign_category")))
    else:
        # A key left out (None) keeps the recorded value; a blank clears it.
        current = {f: getattr(person, f) for f in _RESIDENCE_FIELDS}
        merged = current | {k: v for k, v in data.items() if k in _RESIDENCE_FIELDS and v is not None}
        changes = {"foreign_category": category} | clean_residence(c, merged, category)
    changes = {k: v for k, v in changes.items() if v != getattr(person, k)}
    if not changes and not c.errors:
        c.add("", _("変更する項目がありません。"))
    c.raise_if_any()
    return record_event(
        session, person, EventKind.residence, checked_day(day), changes, by, "在留資格・在留期間等の変更"
    )


def expiring(session: Session, today: dt.date, days: int = EXPIRY_DAYS) -> list[Person]:
    """外国人住民 whose 在留期間 ends within ``days`` from ``today`` (or has ended), soonest first."""
    return list(
        session.scalars(
            sa.select(Person)
            .where(
                Person.status == Status.resident,
                Person.citizenship == Citizenship.foreign,
                Person.residence_until.is_not(None),
                Person.residence_until <= today + dt.timedelta(days=days),
            )
            .order_by(Person.residence_until, Person.kana_key)
        )
    )
