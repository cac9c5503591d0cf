"""転出届 as the counter takes it: made before the move, the 転出 taking effect on the 転出予定日.

The law (住民基本台帳法 and its 施行令):
- 法第24条: whoever moves out of the city notifies it in advance (あらかじめ) of their name, the 転出先 and
  the 転出の予定年月日. So a 転出予定日 in the future is the normal case; until that day the person is
  still a resident of the city (their 住民票 is not yet removed).
- 施行令第8条: the 住民票 is removed (消除) when the person has moved out. Nothing else has to happen:
  on the 転出予定日 the person leaves the register. ``confirm_due`` records that for every notice whose
  date has come (meant to run daily; ``kyodo residents confirm-due-move-outs``); a clerk may also confirm
  one by hand on or after its date, with the actual 転出日 when the new city's 転入通知 (法第9条第1項)
  gives another one. Before its date a notice cannot be confirmed.
- A notice whose move does not happen is cancelled (転出取消し): the person stays a resident, the
  notice stays in the record with its reason. A confirmed 転出 is not cancelled here: the register's
  event stands, and undoing it is a correction of the register (異動の取消し).
- 法第24条の2: a holder of a マイナンバーカード (個人番号カード) may make a 特例転出; the notice records it
  (``special``); the person must have a 個人番号 recorded.
- A 転出予定日 today or in the past (a notice made after the move) records the 転出 at once.

A 死亡 while a notice is pending cancels it (``cancel_pending_on_death``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import services
from modules.residents.errors import Collector, ResidentError
from modules.residents.models import HEAD, Person
from modules.residents.moveout_models import MoveOutNotice, NoticeState
from modules.residents.recording import (
    check_effective,
    lock_for_change,
    require_resident,
    resident_members,
    today_or,
)
from modules.residents.validation import clean_date
from tenant_core.models import utcnow

DESTINATION_MAX = 200
CITY_MAX = 100
REASON_MAX = 300
SYSTEM = "system:move-out"


def pending_for(session: Session, person: Person) -> MoveOutNotice | None:
    """The person's 転出予定 not yet confirmed or cancelled."""
    return session.scalar(
        sa.select(MoveOutNotice).where(
            MoveOutNotice.person_id == person.id, MoveOutNotice.state == NoticeState.pending
        )
    )


@dataclass(frozen=True)
class MoveOutInfo:
    """A 転出届 as other modules read it (``public.pending_move_out``): what a 転出証明書 prints from it."""

    notice_id: int
    group_id: int  # the household's 届出 (the first notice's id)
    state: str  # pending (転出予定), confirmed (転出確定), cancelled (取消し)
    notified_on: dt.date  # 届出日
    planned_on: dt.date  # 転出予定日
    moved_on: dt.date | None  # 転出日, once confirmed
    destination: str  # 転出先 (address)
    destination_city: str  # 転出先市区町村, when known
    special: bool  # 特例転出 (法第24条の2)
    cancel_reason: str
    atena_nos: tuple[int, ...]  # everyone of the same 届出, the 世帯主 last

    @property
    def destination_text(self) -> str:
        """The 転出先 as printed: the city (when given) and the address."""
        city, address = self.destination_city.strip(), self.destination.strip()
        return address if not city or address.startswith(city) else f"{city}{address}"


def move_out_info(session: Session, notice: MoveOutNotice) -> MoveOutInfo:
    group = group_of(session, notice) if notice.group_id is not None else [notice]
    ids = [n.person_id for n in group]
    rows = session.execute(sa.select(Person.id, Person.atena_no).where(Person.id.in_(ids)))
    numbers = {person_id: atena_no for person_id, atena_no in rows}
    return MoveOutInfo(
        notice_id=notice.id,
        group_id=notice.group_id or notice.id,
        state=str(notice.state),
        notified_on=notice.notified_on,
        planned_on=notice.planned_on,
        moved_on=notice.moved_on,
        destination=notice.destination,
        destination_city=notice.destination_city,
        special=notice.special,
        cancel_reason=notice.cancel_reason,
        atena_nos=tuple(numbers[i] for i in ids),
    )


def notices_of(session: Session, person: Person) -> list[MoveOutNotice]:
    """Every 転出届 of the person, newest first."""
    return list(
        session.scalars(
            sa.select(MoveOutNotice)
            .where(MoveOutNotice.person_id == person.id)
            .order_by(MoveOutNotice.id.desc())
        )
    )


def group_of(session: Session, notice: MoveOutNotice) -> list[MoveOutNotice]:
    """The notices made together (one household's 届出), the 世帯主's last."""
    rows = list(session.scalars(sa.select(MoveOutNotice).where(MoveOutNotice.group_id == notice.group_id)))
    people = {
        p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_([n.person_id for n in rows])))
    }
    return sorted(rows, key=lambda n: (people[n.person_id].relationship == HEAD, n.id))


def file_move_out(
    session: Session,
    person: Person,
    data: Mapping[str, Any],
    *,
    by: str,
    whole_household: bool = False,
    today: dt.date | None = None,
    version: int | None = None,
) -> list[MoveOutNotice]:
    """転出届: ``data`` holds ``planned_on``, ``destination``, ``destination_city``, ``special``.

    A future 転出予定日 leaves the person a resident with a pending notice; today or a past date
    records the 転出 at once. Everything is checked first; ResidentError changes nothing.
    """
    today = today_or(today)
    lock_for_change(session, person, version)
    require_resident(person)
    c = Collector()
    # Any date: the law asks for the notice in advance and sets no limit (法第24条).
    planned = clean_date(c, "planned_on", data.get("planned_on"), dt.date.max)
    destination = str(data.get("destination") or "").strip()
    city = str(data.get("destination_city") or "").strip()
    special = bool(data.get("special"))
    if not destination:
        c.add("destination", _("転出先の住所を入力してください（転出届の記載事項です）。"))
    elif len(destination) > DESTINATION_MAX:
        c.add("destination", _("転出先は%(max)s文字以内で入力してください。", max=DESTINATION_MAX))
    if len(city) > CITY_MAX:
        c.add("destination_city", _("転出先市区町村は%(max)s文字以内で入力してください。", max=CITY_MAX))
    movers = resident_members(session, person.household_id) if whole_household else [person]
    for mover in movers:
        _check_planned(c, session, mover, planned)
        if pending_for(session, mover) is not None:
            c.add(
                "planned_on",
                _(
                    "%(name)s さんには取り消されていない転出予定があります。先に確定するか取り消してください。",
                    name=mover.full_name,
                ),
            )
    others = [p for p in resident_members(session, person.household_id) if p not in movers]
    if person.relationship == HEAD and others:
        c.add(
            "",
            _(
                "世帯主だけが転出する場合は、先に世帯変更で新しい世帯主を定めてください"
                "（世帯全員の転出なら「世帯全員」を選んでください）。"
            ),
        )
    if special and not person.mynumber_token:
        c.add(
            "special",
            _("特例転出はマイナンバーカードをお持ちの方の届出です。この方には個人番号が記録されていません。"),
        )
    c.raise_if_any()
    assert planned is not None
    notices = []
    for mover in movers:
        notice = MoveOutNotice(
            person_id=mover.id,
            notified_on=today,
            planned_on=planned,
            destination=destination,
            destination_city=city,
            special=special,
            state=NoticeState.pending,
            cancel_reason="",
            recorded_by=by,
            decided_by="",
        )
        session.add(notice)
        notices.append(notice)
    session.flush()
    for notice in notices:
        notice.group_id = notices[0].id
    session.flush()
    if planned <= today:  # the move has happened: the 転出 is recorded now
        _confirm(session, notices[0], planned, by, today)
    return notices


def _check_planned(c: Collector, session: Session, person: Person, planned: dt.date | None) -> None:
    """A 転出予定日 may not come before the person's last 異動 (history is told in order)."""
    check_effective(c, session, person, planned)
    if "effective_on" in c.errors:  # the register's message, on this form's field
        c.errors["planned_on"] = c.errors.pop("effective_on").replace(_("異動日"), _("転出予定日"), 1)


def _notice_or_error(session: Session, notice_id: int) -> MoveOutNotice:
    notice = session.get(MoveOutNotice, notice_id)
    if notice is None:
        raise ResidentError(_("指定された転出届が見つかりません。"), "")
    return notice


def _lock_group(session: Session, notice: MoveOutNotice, version: int | None) -> list[MoveOutNotice]:
    """Lock the household (as every change of the register does), then reload the notices."""
    person = session.get_one(Person, notice.person_id)
    lock_for_change(session, person, version)
    rows = group_of(session, notice)
    for row in rows:
        session.refresh(row)
    return rows


def _check_state(notice: MoveOutNotice, action: str) -> None:
    if notice.state == NoticeState.confirmed:
        raise ResidentError(
            _(
                "この転出は既に確定しています（%(day)s）。確定した転出は%(action)sできません"
                "（誤りの場合は異動の取消しを行ってください）。",
                day=notice.moved_on.isoformat() if notice.moved_on else "",
                action=action,
            ),
            "",
        )
    if notice.state == NoticeState.cancelled:
        raise ResidentError(_("この転出届は既に取り消されています。"), "")


def confirm_move_out(
    session: Session,
    notice: MoveOutNotice,
    *,
    by: str,
    moved_on: Any = None,
    today: dt.date | None = None,
    version: int | None = None,
) -> list[MoveOutNotice]:
    """転出確定: on or after the 転出予定日, record the 転出 (the actual 転出日 if given, else the 予定日)."""
    today = today_or(today)
    group = _lock_group(session, notice, version)
    _check_state(notice, _("確定"))
    c = Collector()
    day: dt.date | None = notice.planned_on
    if moved_on not in (None, ""):
        day = clean_date(c, "moved_on", moved_on, today)
    if today < notice.planned_on:
        c.add(
            "",
            _(
                "転出予定日（%(day)s）より前には確定できません。予定日までこの方は住民です。",
                day=notice.planned_on.isoformat(),
            ),
        )
    c.raise_if_any()
    assert day is not None
    _confirm(session, group[0], day, by, today)
    return group


def _confirm(session: Session, notice: MoveOutNotice, day: dt.date, by: str, today: dt.date) -> None:
    """Record the 転出 of every resident of the notice's group on ``day`` (members first, the head last)."""
    group = group_of(session, notice)
    note = f"{notice.destination_city} {notice.destination}".strip()
    if notice.special:
        note = f"特例転出 {note}"
    for row in group:
        person = session.get_one(Person, row.person_id)
        if services.is_resident(person):
            # The register's own checks apply (dates in order, a head not leaving others behind),
            # and so do the listeners of a 転出 (the seal registration ends).
            try:
                services.move_out(session, person, day, by=by, destination=note, today=today)
            except ResidentError as exc:
                if "effective_on" in exc.errors:
                    exc.errors["moved_on"] = exc.errors.pop("effective_on")
                raise
        row.state, row.moved_on = NoticeState.confirmed, day
        row.decided_by, row.decided_at = by, utcnow()
    session.flush()


def cancel_move_out(
    session: Session,
    notice: MoveOutNotice,
    *,
    reason: str | None,
    by: str,
    version: int | None = None,
) -> list[MoveOutNotice]:
    """転出取消し: the move does not happen; the household's notice ends, the people stay residents."""
    group = _lock_group(session, notice, version)
    _check_state(notice, _("取り消し"))
    text = (reason or "").strip()
    if not text:
        raise ResidentError(_("取消しの理由を入力してください。"), "cancel_reason")
    if len(text) > REASON_MAX:
        raise ResidentError(
            _("取消しの理由は%(max)s文字以内で入力してください。", max=REASON_MAX), "cancel_reason"
        )
    for row in group:
        row.state, row.cancel_reason = NoticeState.cancelled, text
        row.decided_by, row.decided_at = by, utcnow()
    session.flush()
    return group


def settle_pending(session: Session, person: Person, day: dt.date, by: str) -> None:
    """A 転出 recorded for the person (by any way in) confirms their pending 転出届 with its date."""
    notice = pending_for(session, person)
    if notice is not None:
        notice.state, notice.moved_on = NoticeState.confirmed, day
        notice.decided_by, notice.decided_at = by, utcnow()


def cancel_pending_on_death(session: Session, person: Person, by: str) -> None:
    """A person who dies before their 転出予定日 does not move: their pending notice ends."""
    notice = pending_for(session, person)
    if notice is not None:
        notice.state, notice.cancel_reason = NoticeState.cancelled, "死亡"
        notice.decided_by, notice.decided_at = by, utcnow()


def confirm_due(session: Session, *, today: dt.date | None = None, by: str = SYSTEM) -> tuple[int, list[str]]:
    """Record the 転出 of every pending notice whose 転出予定日 has come (施行令第8条: no other act is needed).

    Returns how many groups were confirmed and, for those the register refused (an event dated after
    the 予定日 meanwhile, a head with new members), a line each: they stay pending for a clerk.
    Each group is done in a savepoint, so one refusal does not undo the others.
    """
    today = today_or(today)
    firsts = list(
        session.scalars(
            sa.select(MoveOutNotice.group_id)
            .where(MoveOutNotice.state == NoticeState.pending, MoveOutNotice.planned_on <= today)
            .distinct()
        )
    )
    done, refused = 0, []
    for group_id in firsts:
        notice = session.get_one(MoveOutNotice, group_id)
        try:
            with session.begin_nested():
                confirm_move_out(session, notice, by=by, today=today)
        except ResidentError as exc:
            refused.append(f"転出届 {group_id}: {' '.join(exc.errors.values())}")
        else:
            done += 1
    return done, refused
