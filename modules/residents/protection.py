"""支援措置 (DV等支援措置) and 抑止: who is protected, and the register's answer to everyone else.

The rules come from the 住民記録システム標準仕様書 (第4.0版, 第3章 機能要件 「3 抑止設定」: 支援措置 is one
kind of 抑止 there, with the same setting and release; whence one table with a kind) and from
住民基本台帳事務処理要領 第5-10 (「ドメスティック・バイオレンス、ストーカー行為等、
児童虐待及びこれらに準ずる行為の被害者の保護のための住民基本台帳の一部の写しの閲覧及び住民票の写し等の
交付等に関する取扱い」), as the cities' 支援措置事務取扱要綱 restate it:

- a measure lasts one year from its start (要領 第5-10; the 延長の申出 is taken from a month before the end); it may be extended by a 延長の申出, again
  for one year from the day after the old end, and ended at any time (終了), with the reason;
- a request from the named 加害者 is refused as made for an improper purpose (住基法 第12条第6項;
  要領 第5-10); any other request for the person is examined strictly
  (本人確認 and the 請求事由, 要領 第5-10): here, only staff holding ``PROTECT_VIEW`` reach the
  person at all, and the 請求事由 must be recorded;
- 併せて支援を求める者: members of the 申出者's household covered by the same measure (要領 第5-10).

An 抑止 is the same mechanism for one record (``MeasureKind.hold``): browsing and issuance stop until
an holder of ``PROTECT_RELEASE`` releases it; it has no fixed end.

Visibility: a person covered by an active measure does not exist for a signed-in user without
``PROTECT_VIEW`` (``lookups``/``search`` ask ``hidden_atenas``); for one with it, every access is
logged with the flag ``protected:<kind>`` in the entry's detail and the page shows a banner. Jobs
and the command line (no request) see everyone: they act for the city, not for a clerk.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from modules.residents.errors import Collector, ResidentError
from modules.residents.models import (
    MeasureKind,
    Person,
    Status,
    SupportMeasure,
    SupportMeasureChange,
    SupportMeasureTarget,
)
from tenant_core.audit import services as audit
from tenant_core.codes import code_check_digit
from tenant_core.japanese import japan_today

PROTECT_VIEW = "residents.protect_view"  # sees persons under a measure (banner, flagged log)
PROTECT = "residents.protect"  # registers, extends and ends a 支援措置; sets an 抑止; the expiry list
PROTECT_RELEASE = "residents.protect_release"  # releases an 抑止

# 要領 第5-10: the administrator is reminded a month before a measure ends (延長の申出は終了の1か月前から).
EXPIRY_WINDOW_DAYS = 31

KIND_LABELS = {MeasureKind.support: _l("支援措置"), MeasureKind.hold: _l("抑止")}


# --- who is protected ---------------------------------------------------------------------------


def _active(on: dt.date) -> sa.ColumnElement[bool]:
    return sa.and_(
        SupportMeasure.ended_on.is_(None),
        SupportMeasure.start_on <= on,
        sa.or_(SupportMeasure.end_on.is_(None), SupportMeasure.end_on >= on),
    )


def covered_clause(atena_column: Any, on: dt.date | None = None) -> sa.ColumnElement[bool]:
    """SQL: the person of ``atena_column`` is covered by an active measure (for search filters)."""
    on = on or japan_today()
    return sa.exists(
        sa.select(SupportMeasureTarget.id)
        .join(SupportMeasure, SupportMeasure.id == SupportMeasureTarget.measure_id)
        .where(SupportMeasureTarget.atena_no == atena_column, _active(on))
    )


def visible_clause(atena_column: Any) -> sa.ColumnElement[bool]:
    """SQL for another module's list keyed by 宛名番号: true for the rows the current user may see
    (everything for one who may see protected persons; else the rows of no covered person)."""
    return sa.true() if sees_protected() else sa.not_(covered_clause(atena_column))


def protected_kinds(session: Session, atena_nos: Iterable[int], on: dt.date | None = None) -> dict[int, str]:
    """The 宛名番号 among these under an active measure, with the kind (支援措置 before 抑止)."""
    wanted = list(dict.fromkeys(atena_nos))
    if not wanted:
        return {}
    on = on or japan_today()
    found: dict[int, str] = {}
    for i in range(0, len(wanted), 1000):
        rows = session.execute(
            sa.select(SupportMeasureTarget.atena_no, SupportMeasure.kind)
            .join(SupportMeasure, SupportMeasure.id == SupportMeasureTarget.measure_id)
            .where(SupportMeasureTarget.atena_no.in_(wanted[i : i + 1000]), _active(on))
        ).all()
        for atena_no, kind in rows:
            if found.get(atena_no) != MeasureKind.support:
                found[atena_no] = kind
    return found


def sees_protected() -> bool:
    """Whether whoever acts now may see persons under a measure: a job or the CLI may; in a request,
    only a signed-in user holding ``PROTECT_VIEW``."""
    if not has_request_context():
        return True
    user = g.get("user")
    return bool(user is not None and user.can(PROTECT_VIEW))


def flag_access(atena_no: int, kind: str) -> None:
    """Log, once per request and person, that a protected person was shown (``protected:<kind>``)."""
    if not has_request_context():
        return
    seen: set[int] = g.setdefault("protected_seen", set())
    banners: dict[int, str] = g.setdefault("protected_banners", {})
    banners[atena_no] = kind
    if atena_no in seen:
        return
    seen.add(atena_no)
    audit.record(
        "view",
        screen=request.endpoint or request.path,
        target=f"atena:{atena_no}",
        detail=f"protected:{kind}",
    )


def hidden_atenas(session: Session, atena_nos: Iterable[int]) -> set[int]:
    """Of these 宛名番号, those the current user may not see; those shown are flagged in the log."""
    kinds = protected_kinds(session, atena_nos)
    if not kinds:
        return set()
    if sees_protected():
        for atena_no, kind in kinds.items():
            flag_access(atena_no, kind)
        return set()
    return set(kinds)


def page_banners() -> dict[str, Any]:
    """Template context: the warning each page shows about the protected persons it displays."""
    if not has_request_context():
        return {}
    banners = g.get("protected_banners") or {}
    texts = [
        _(
            "宛名番号 %(atena)s の方は%(kind)sの対象です。閲覧は記録されています。"
            "加害者からの請求には応じず、所在を推知させる情報を伝えないでください。",
            atena=atena_no,
            kind=KIND_LABELS.get(MeasureKind(kind), kind),
        )
        for atena_no, kind in sorted(banners.items())
    ]
    return {"page_banners": texts} if texts else {}


# --- registering, extending, ending -----------------------------------------------------------------


def one_year_from(start: dt.date) -> dt.date:
    """The last day of a one-year period starting on ``start`` (要領 第5-10: 期間は1年)."""
    try:
        next_year = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        next_year = start.replace(year=start.year + 1, day=28) + dt.timedelta(days=1)
    return next_year - dt.timedelta(days=1)


def _person_here(session: Session, atena_no: object) -> Person | None:
    if not isinstance(atena_no, int) or isinstance(atena_no, bool) or not 0 < atena_no < 2**31:
        return None
    return session.scalar(sa.select(Person).where(Person.atena_no == atena_no))


def _clean_date(
    c: Collector, data: Mapping[str, Any], key: str, label: str, required: bool
) -> dt.date | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            c.add(key, _("%(label)sを入力してください。", label=label))
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        c.add(key, _("%(label)sは「2026-04-01」の形で入力してください。", label=label))
        return None


def _clean_text(c: Collector, data: Mapping[str, Any], key: str, label: str, limit: int) -> str:
    text = str(data.get(key) or "").strip()
    if len(text) > limit:
        c.add(key, _("%(label)sは%(n)s文字以内で入力してください。", label=label, n=limit))
    return text


def _overlapping(
    session: Session, kind: str, atena_nos: list[int], start: dt.date, end: dt.date | None
) -> SupportMeasure | None:
    far = dt.date.max
    return session.scalar(
        sa.select(SupportMeasure)
        .join(SupportMeasureTarget, SupportMeasureTarget.measure_id == SupportMeasure.id)
        .where(
            SupportMeasure.kind == kind,
            SupportMeasure.ended_on.is_(None),
            SupportMeasureTarget.atena_no.in_(atena_nos),
            SupportMeasure.start_on <= (end or far),
            sa.or_(SupportMeasure.end_on.is_(None), SupportMeasure.end_on >= start),
        )
        .limit(1)
    )


def _history(session: Session, measure: SupportMeasure, action: str, by: str, **values: Any) -> None:
    session.add(
        SupportMeasureChange(
            measure_id=measure.id,
            action=action,
            on=values.pop("on", None) or japan_today(),
            by=by,
            **values,
        )
    )


def register_support(session: Session, atena_no: int, data: Mapping[str, Any], *, by: str) -> SupportMeasure:
    """A 支援措置 for a person of this city and the companions of their household.

    ``data``: requested_on (申出日), start_on, end_on (default one year), offender_name/_kana,
    offender_city_code + offender_atena_no (加害者の宛名番号, of any city), companions (宛名番号 list),
    reason (申出の区分 or a note). Every problem is reported by field; nothing is recorded then.
    """
    person = _person_here(session, atena_no)
    if person is None:
        # Another city's number, or none: refused as if unknown (nothing of other cities is reachable).
        raise ResidentError(
            _("指定された宛名番号の方は、この市の住民記録にありません。"), "atena_no", refused=True
        )
    c = Collector()
    if person.status != Status.resident:
        c.add("atena_no", _("この方は住民ではありません（転出・死亡による除票）。"))
    requested = _clean_date(c, data, "requested_on", _("申出日"), True)
    start = _clean_date(c, data, "start_on", _("開始日"), True)
    end = _clean_date(c, data, "end_on", _("終了予定日"), False)
    if start and end is None and "end_on" not in c.errors:
        end = one_year_from(start)
    if start and end and end < start:
        c.add("end_on", _("終了予定日は開始日以降の日付にしてください。"))
    if requested and start and start < requested:
        c.add("start_on", _("開始日は申出日以降の日付にしてください。"))
    offender_name = _clean_text(c, data, "offender_name", _("加害者の氏名"), 200)
    offender_kana = _clean_text(c, data, "offender_kana", _("加害者のカナ氏名"), 200)
    reason = _clean_text(c, data, "reason", _("備考"), 500)
    city_code = str(data.get("offender_city_code") or "").strip()
    offender_atena = data.get("offender_atena_no")
    if offender_atena in ("", None):
        offender_atena = None
        if city_code:
            c.add(
                "offender_atena_no", _("加害者の宛名番号を入力してください（団体コードと組で記録します）。")
            )
    else:
        try:
            offender_atena = int(str(offender_atena).strip())
            if not 0 < offender_atena < 10**15:
                raise ValueError
        except ValueError:
            c.add("offender_atena_no", _("加害者の宛名番号は数字で入力してください。"))
            offender_atena = None
        if not city_code:
            c.add(
                "offender_city_code",
                _("加害者の宛名番号を記録するときは、その団体コード（6桁）も入力してください。"),
            )
    if city_code and not (
        len(city_code) == 6 and city_code.isdigit() and int(city_code[5]) == code_check_digit(city_code[:5])
    ):
        c.add("offender_city_code", _("加害者の団体コードは検査数字を含む6桁の数字で入力してください。"))
    if not offender_name and offender_atena is None:
        c.add("offender_name", _("加害者の氏名を入力してください（不明の場合は「不明」）。"))
    companions: list[int] = []
    for raw in data.get("companions") or []:
        other = _person_here(session, raw if isinstance(raw, int) else _int_or_none(raw))
        if other is None or other.household_id != person.household_id or other.status != Status.resident:
            c.add(
                "companions",
                _(
                    "併せて支援を求める者は、申出者と同じ世帯の住民の宛名番号で入力してください（%(n)s）。",
                    n=raw,
                ),
            )
        elif other.atena_no != person.atena_no and other.atena_no not in companions:
            companions.append(other.atena_no)
    if start and end and not c.errors:
        clash = _overlapping(session, MeasureKind.support, [person.atena_no, *companions], start, end)
        if clash is not None:
            c.add(
                "start_on",
                _(
                    "開始日: 期間の重なる支援措置（%(start)s〜%(end)s）が既に登録されています。"
                    "延長または終了の手続をしてください。",
                    start=clash.start_on.isoformat(),
                    end=clash.end_on.isoformat() if clash.end_on else "",
                ),
            )
    c.raise_if_any()
    assert requested and start and end  # checked above
    measure = SupportMeasure(
        kind=MeasureKind.support,
        atena_no=person.atena_no,
        requested_on=requested,
        start_on=start,
        end_on=end,
        reason=reason,
        offender_name=offender_name,
        offender_kana=offender_kana,
        offender_city_code=city_code or None,
        offender_atena_no=offender_atena,
        end_reason="",
        created_by=by,
        ended_by="",
    )
    session.add(measure)
    session.flush()
    session.add(SupportMeasureTarget(measure_id=measure.id, atena_no=person.atena_no, companion=False))
    for other_no in companions:
        session.add(SupportMeasureTarget(measure_id=measure.id, atena_no=other_no, companion=True))
    _history(session, measure, "registered", by, on=requested, new_end_on=end, note=reason)
    session.flush()
    return measure


def _int_or_none(text: object) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def register_hold(
    session: Session, atena_no: int, reason: str, *, by: str, start_on: dt.date | None = None
) -> SupportMeasure:
    """An 抑止 of one record: hidden and not issued until released (no fixed end)."""
    person = _person_here(session, atena_no)
    if person is None:
        raise ResidentError(
            _("指定された宛名番号の方は、この市の住民記録にありません。"), "atena_no", refused=True
        )
    c = Collector()
    text = _clean_text(c, {"reason": reason}, "reason", _("抑止の理由"), 500)
    if not text:
        c.add("reason", _("抑止の理由を入力してください。"))
    start = start_on or japan_today()
    if not c.errors and _overlapping(session, MeasureKind.hold, [person.atena_no], start, None):
        c.add("reason", _("この方には既に抑止が設定されています。"))
    c.raise_if_any()
    measure = SupportMeasure(
        kind=MeasureKind.hold,
        atena_no=person.atena_no,
        requested_on=start,
        start_on=start,
        end_on=None,
        reason=text,
        offender_name="",
        offender_kana="",
        end_reason="",
        created_by=by,
        ended_by="",
    )
    session.add(measure)
    session.flush()
    session.add(SupportMeasureTarget(measure_id=measure.id, atena_no=person.atena_no, companion=False))
    _history(session, measure, "registered", by, on=start, note=text)
    session.flush()
    return measure


def get_measure(session: Session, measure_id: int) -> SupportMeasure | None:
    return session.get(SupportMeasure, measure_id)


def _require_open(measure: SupportMeasure, kind: str) -> None:
    if measure.kind != kind:
        raise ResidentError(_("この措置にはこの手続はできません。"), "")
    if measure.ended_on is not None:
        raise ResidentError(_("この措置は既に終了しています。"), "")


def extend(
    session: Session, measure: SupportMeasure, *, by: str, new_end: dt.date | None = None, note: str = ""
) -> SupportMeasure:
    """延長: a new end (default one year after the old one), kept in the history with the old end."""
    _require_open(measure, MeasureKind.support)
    old_end = measure.end_on
    assert old_end is not None  # a 支援措置 always has an end
    target = new_end or one_year_from(old_end + dt.timedelta(days=1))
    if target <= old_end:
        raise ResidentError(
            _("延長後の終了予定日は、現在の終了予定日より後の日付にしてください。"), "new_end"
        )
    if len(note) > 500:
        raise ResidentError(_("備考は500文字以内で入力してください。"), "note")
    measure.end_on = target
    _history(session, measure, "extended", by, old_end_on=old_end, new_end_on=target, note=note.strip())
    session.flush()
    return measure


def _close(
    session: Session, measure: SupportMeasure, action: str, on: dt.date | None, reason: str, by: str
) -> None:
    reason = reason.strip()
    if not reason:
        raise ResidentError(_("終了の理由を入力してください。"), "reason")
    if len(reason) > 500:
        raise ResidentError(_("終了の理由は500文字以内で入力してください。"), "reason")
    day = on or japan_today()
    if day < measure.start_on:
        raise ResidentError(_("終了日は開始日以降の日付にしてください。"), "ended_on")
    measure.ended_on, measure.end_reason, measure.ended_by = day, reason, by
    _history(session, measure, action, by, on=day, old_end_on=measure.end_on, note=reason)
    session.flush()


def end_support(
    session: Session, measure: SupportMeasure, reason: str, *, by: str, on: dt.date | None = None
) -> SupportMeasure:
    """終了 of a 支援措置 before its end (the 申出者 asks, or the need is gone), with the reason."""
    _require_open(measure, MeasureKind.support)
    _close(session, measure, "ended", on, reason, by)
    return measure


def release_hold(
    session: Session, measure: SupportMeasure, reason: str, *, by: str, on: dt.date | None = None
) -> SupportMeasure:
    """解除 of an 抑止; the view asks for ``PROTECT_RELEASE``, which its setter need not hold."""
    _require_open(measure, MeasureKind.hold)
    if by == measure.created_by:
        raise ResidentError(_("抑止を設定した職員とは別の職員が解除してください。"), "reason")
    _close(session, measure, "released", on, reason, by)
    return measure


# --- reading ------------------------------------------------------------------------------------


def measures_of(session: Session, atena_no: int) -> list[SupportMeasure]:
    """Every measure covering this person (as 申出者 or companion), newest first."""
    return list(
        session.scalars(
            sa.select(SupportMeasure)
            .join(SupportMeasureTarget, SupportMeasureTarget.measure_id == SupportMeasure.id)
            .where(SupportMeasureTarget.atena_no == atena_no)
            .order_by(SupportMeasure.start_on.desc(), SupportMeasure.id.desc())
        )
    )


def covered_persons(session: Session, measure: SupportMeasure) -> list[SupportMeasureTarget]:
    return list(
        session.scalars(
            sa.select(SupportMeasureTarget)
            .where(SupportMeasureTarget.measure_id == measure.id)
            .order_by(SupportMeasureTarget.companion, SupportMeasureTarget.atena_no)
        )
    )


def changes_of(session: Session, measure: SupportMeasure) -> list[SupportMeasureChange]:
    return list(
        session.scalars(
            sa.select(SupportMeasureChange)
            .where(SupportMeasureChange.measure_id == measure.id)
            .order_by(SupportMeasureChange.id)
        )
    )


def expiring(
    session: Session, on: dt.date | None = None, days: int = EXPIRY_WINDOW_DAYS
) -> list[SupportMeasure]:
    """支援措置 still open whose end falls within ``days`` of ``on`` (today): the 延長 reminder list."""
    on = on or japan_today()
    return list(
        session.scalars(
            sa.select(SupportMeasure)
            .where(
                SupportMeasure.kind == MeasureKind.support,
                SupportMeasure.ended_on.is_(None),
                SupportMeasure.end_on >= on,
                SupportMeasure.end_on <= on + dt.timedelta(days=days),
            )
            .order_by(SupportMeasure.end_on, SupportMeasure.id)
        )
    )


# --- requests for a certificate -------------------------------------------------------------------


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass(frozen=True)
class Verdict:
    """What the register says of a request for a person's certificate."""

    allowed: bool
    kind: str | None = None  # the measure's kind, None when the person is not protected
    offender: bool = False  # refused because the requester is the named 加害者
    message: str = ""
    field: str = ""


def protection_check(
    session: Session,
    atena_no: int,
    requester_name: str,
    *,
    relation: str = "",
    purpose: str = "",
    requester_city_code: str | None = None,
    requester_atena_no: int | None = None,
    on: dt.date | None = None,
) -> Verdict:
    """Whether a certificate may be issued for this person to this requester (要領 第5-10).

    Refused: while an 抑止 holds; when the requester (or the one on whose behalf they ask) is the named
    加害者 of an active 支援措置, by name (spaces and width folded) or by 宛名番号. Allowed otherwise,
    but a request by anyone but the person themself needs the permission and a recorded reason.
    """
    on = on or japan_today()
    measures = [m for m in measures_of(session, atena_no) if _is_active(m, on)]
    if not measures:
        return Verdict(True)
    if any(m.kind == MeasureKind.hold for m in measures):
        return Verdict(
            False,
            MeasureKind.hold,
            message=_("この方の記録には抑止が設定されているため、交付できません。"),
            field="atena_no",
        )
    name = _folded(requester_name)
    for m in measures:
        by_name = bool(name) and name in {_folded(m.offender_name), _folded(m.offender_kana)} - {""}
        by_number = (
            requester_atena_no is not None
            and m.offender_atena_no == requester_atena_no
            and (m.offender_city_code or "") == (requester_city_code or "")
        )
        if by_name or by_number:
            return Verdict(
                False,
                MeasureKind.support,
                offender=True,
                message=_(
                    "請求者: 支援措置の加害者として申出のあった方からの請求には応じられません"
                    "（住民基本台帳法第12条第6項、住民基本台帳事務処理要領第5-10）。"
                ),
                field="requester_name",
            )
    if relation != "本人":
        if not sees_protected():
            return Verdict(
                False,
                MeasureKind.support,
                message=_("支援措置の対象者について本人以外の請求を扱う権限がありません。"),
                field="requester_relation",
            )
        if not purpose.strip():
            return Verdict(
                False,
                MeasureKind.support,
                message=_("請求事由: 支援措置の対象者について本人以外の請求には、請求事由の記録が必要です。"),
                field="purpose",
            )
    return Verdict(True, MeasureKind.support)


def _is_active(m: SupportMeasure, on: dt.date) -> bool:
    return m.ended_on is None and m.start_on <= on and (m.end_on is None or m.end_on >= on)
