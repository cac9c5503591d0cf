"""旧氏 of a 日本人住民 (住基法施行令30条の13以下): recorded and deleted at the person's request.

The 旧氏 is a former surname from the person's 戸籍; it is printed on a 住民票 only when asked
(certificates read it through ``public.kyuuji_of``). Each 記載 and 削除 is an event of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import kana
from modules.residents.display import field_label
from modules.residents.errors import Collector, ResidentError
from modules.residents.models import Citizenship, EventKind, Person, ResidentEvent


def clean(c: Collector, data: Mapping[str, Any], *, required: bool) -> dict[str, str | None]:
    name = kana.normalize_name(str(data.get("kyuuji") or ""))
    reading = kana.normalize_kana(str(data.get("kyuuji_kana") or ""))
    if required and not name:
        c.add("kyuuji", _("%(label)sを入力してください。", label=field_label("kyuuji")))
    if len(name) > 50:
        c.add(
            "kyuuji",
            _("%(label)sは%(limit)s文字以内で入力してください。", label=field_label("kyuuji"), limit=50),
        )
    if name and not reading:
        c.add("kyuuji_kana", _("%(label)sを入力してください。", label=field_label("kyuuji_kana")))
    elif reading and not kana.is_katakana(reading):
        c.add(
            "kyuuji_kana",
            _(
                "%(label)sはカタカナで入力してください（漢字・英数字は使えません）。",
                label=field_label("kyuuji_kana"),
            ),
        )
    return {"kyuuji": name or None, "kyuuji_kana": reading or None}


def clean_arrival(c: Collector, data: Mapping[str, Any], citizenship: str | None) -> dict[str, str | None]:
    """At an arrival: a 旧氏 only for a 日本人住民, optional."""
    out = clean(c, data, required=False)
    if out["kyuuji"] and citizenship == Citizenship.foreign:
        c.add("kyuuji", _("外国人住民には旧氏を記載しません（日本人住民の記載事項です）。"))
    return out


def set_kyuuji(
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
    """旧氏の記載 or, with ``delete``, 旧氏の削除: an event each, the prior value kept as its ``before``."""
    from modules.residents.recording import begin_change, checked_day, record_event

    c, day = begin_change(session, person, on, version=version, today=today)
    if person.citizenship != Citizenship.japanese:
        raise ResidentError(_("外国人住民には旧氏を記載しません（日本人住民の記載事項です）。"), "kyuuji")
    if delete:
        if not person.kyuuji:
            c.add("kyuuji", _("削除する旧氏が記載されていません。"))
        changes: dict[str, Any] = {"kyuuji": None, "kyuuji_kana": None}
        note = "旧氏の削除"
    else:
        changes = dict(clean(c, data, required=True))
        if changes["kyuuji"] == person.kyuuji and changes["kyuuji_kana"] == person.kyuuji_kana:
            c.add("kyuuji", _("記載されている旧氏と同じです。"))
        note = "旧氏の記載"
    c.raise_if_any()
    return record_event(session, person, EventKind.kyuuji, checked_day(day), changes, by, note)
