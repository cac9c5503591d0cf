"""異動の取消し: an 異動 entered by mistake is undone by a new event that restores what it replaced.

Nothing of the history is deleted (住民基本台帳法施行令第12条 has a wrong entry corrected, not
erased): the cancelled event stays, marked with the event that cancels it, and the cancellation is
an event of its own, dated as the event it cancels and carrying that event's ``before`` as its
``after``. The state on a date (history.py) is replayed without either, so the register reads as if
the mistaken event had never been recorded.

Rules (each refusal says why):
- the events one operation recorded together (a household's 転居 or 転出, a death and the new
  head it made, a 世帯変更 and its new head) are cancelled together: the household stays whole;
- an event that later events build on is refused: a later event of the same person, or of anyone
  in a household the event touched, must be cancelled first (latest first);
- a cancellation, or an event already cancelled, cannot be cancelled;
- an arrival (転入・出生) is not undone by this (the mistaken 住民票 is removed by 職権消除), nor a
  住民票コードの変更 (a code once replaced is not written back: 住基法30条の4), nor a 記載事項修正 of
  the 個人番号 (its former value is not kept: correct it again).

What other modules did when the person left (a seal registration ended by 職権抹消) is not
restored by cancelling the 転出 or 死亡: the page says so before the clerk confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents.display import event_label, wareki
from modules.residents.errors import Collector, ResidentError
from modules.residents.history import from_json
from modules.residents.models import HEAD, EventKind, Household, Person, ResidentEvent, Status
from modules.residents.recording import lock_for_change, record_event

_NOT_CANCELLABLE = {
    EventKind.move_in.value: lambda: _(
        "転入・出生の記載は異動の取消しでは取り消せません。誤って記載した住民票は職権で消除してください。"
    ),
    EventKind.birth.value: lambda: _(
        "転入・出生の記載は異動の取消しでは取り消せません。誤って記載した住民票は職権で消除してください。"
    ),
    EventKind.code_change.value: lambda: _(
        "住民票コードの変更は取り消せません（一度変更したコードは元に戻しません。住民基本台帳法第30条の4）。"
    ),
    EventKind.cancellation.value: lambda: _("異動の取消しそのものは取り消せません。"),
}
# The kinds that end a residence: their cancellation cannot bring back what other modules ended.
LEAVING = (EventKind.move_out.value, EventKind.death.value)
MYNUMBER_NOTE = "個人番号を修正"


def is_neutral(event: ResidentEvent) -> bool:
    """A cancelled event or a cancellation: neither counts in the state replayed from the history."""
    return event.cancelled_by_id is not None or event.cancels_id is not None


def neutral_clause() -> sa.ColumnElement[bool]:
    """SQL of the events that count (neither cancelled nor a cancellation)."""
    return sa.and_(ResidentEvent.cancelled_by_id.is_(None), ResidentEvent.cancels_id.is_(None))


def link(events: list[ResidentEvent]) -> list[ResidentEvent]:
    """Mark the events one operation recorded as one group (cancelled together)."""
    if len(events) > 1:
        for event in events:
            event.batch_id = events[0].id
    return events


@dataclass(frozen=True)
class Plan:
    """What cancelling an event would do: the group it belongs to, and why it is refused (if it is)."""

    target: ResidentEvent
    group: list[ResidentEvent]
    refusal: str | None
    later: list[ResidentEvent]

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def leaves(self) -> bool:
        return any(e.kind in LEAVING for e in self.group)


def get_event(session: Session, person: Person, event_id: int) -> ResidentEvent | None:
    """The event ``event_id`` of this person (None for another person's or an unknown one)."""
    event = session.get(ResidentEvent, event_id)
    return event if event is not None and event.person_id == person.id else None


def _households(group: list[ResidentEvent]) -> set[int]:
    ids = {e.household_id for e in group if e.household_id is not None}
    for e in group:
        before = (e.before or {}).get("household_id")
        if isinstance(before, int):
            ids.add(before)
    return ids


def plan(session: Session, event: ResidentEvent) -> Plan:
    """Check whether ``event`` may be cancelled, and gather the events cancelled with it."""
    if event.batch_id is not None:
        group = list(
            session.scalars(
                sa.select(ResidentEvent)
                .where(ResidentEvent.batch_id == event.batch_id)
                .order_by(ResidentEvent.id)
            )
        )
    else:
        group = [event]
    refusal: str | None = None
    later: list[ResidentEvent] = []
    if event.cancelled_by_id is not None:
        refusal = _("この異動は既に取り消されています。取り消した異動と取消しは履歴に残っています。")
    elif event.kind in _NOT_CANCELLABLE:
        refusal = _NOT_CANCELLABLE[event.kind]()
    elif any(e.kind == EventKind.correction and MYNUMBER_NOTE in e.note for e in group):
        refusal = _(
            "個人番号の修正を含む記載事項修正は取り消せません。正しい番号で記載事項修正をしてください。"
        )
    else:
        ids = {e.id for e in group}
        persons = {e.person_id for e in group}
        households = _households(group)
        later = list(
            session.scalars(
                sa.select(ResidentEvent)
                .where(
                    ResidentEvent.id > min(ids),
                    ResidentEvent.id.not_in(ids),
                    neutral_clause(),
                    sa.or_(
                        ResidentEvent.person_id.in_(persons),
                        ResidentEvent.household_id.in_(households),
                    ),
                )
                .order_by(ResidentEvent.id)
            )
        )
        if later:
            first = later[0]
            which = f"{wareki(first.effective_on)} {event_label(first.kind)}"
            if len(later) > 1:
                which = _("%(which)s ほか%(n)s件", which=which, n=len(later) - 1)
            refusal = _(
                "この異動の後に記録された異動（%(which)s）がこの異動を前提としています。"
                "後の異動から順に取り消してください。",
                which=which,
            )
    return Plan(target=event, group=group, refusal=refusal, later=later)


def cancel(
    session: Session,
    person: Person,
    event_id: int,
    *,
    reason: Any,
    by: str,
    version: int | None = None,
) -> list[ResidentEvent]:
    """Cancel the event ``event_id`` of ``person`` (and its group): an event each that restores the prior state."""
    event = get_event(session, person, event_id)
    if event is None:
        raise ResidentError(_("取り消す異動が見つかりません。"), "")
    households = tuple(_households(plan(session, event).group))
    lock_for_change(session, person, version, households=households)
    found = plan(session, event)  # again, under the locks: another clerk may have recorded meanwhile
    c = Collector()
    if not found.allowed:
        c.add("", found.refusal or "")
    text = " ".join(str(reason or "").split())
    if not text:
        c.add("reason", _("取消しの理由を入力してください。"))
    elif len(text) > 200:
        c.add("reason", _("取消しの理由は200文字以内で入力してください。"))
    c.raise_if_any()
    done = []
    for old in reversed(found.group):  # latest first: each restores what the one before it left
        who = session.get_one(Person, old.person_id)
        restored = from_json(old.before or {})
        if not restored:
            continue
        new = record_event(
            session,
            who,
            EventKind.cancellation,
            old.effective_on,
            restored,
            by,
            f"{event_label(old.kind)}（{old.effective_on.isoformat()}）の取消し: {text}",
        )
        new.cancels_id = old.id
        old.cancelled_by_id = new.id
        if old.kind == EventKind.move_out:
            _undo_notice(session, who, old, by, text)
        done.append(new)
    session.flush()
    _restore_heads(session, households)
    return done


def _undo_notice(session: Session, person: Person, event: ResidentEvent, by: str, reason: str) -> None:
    """A 転出届 this 転出 confirmed did not happen either: it reads as cancelled, with the reason."""
    from modules.residents.moveout_models import MoveOutNotice, NoticeState  # built on the register
    from tenant_core.models import utcnow

    notice = session.scalar(
        sa.select(MoveOutNotice).where(
            MoveOutNotice.person_id == person.id,
            MoveOutNotice.state == NoticeState.confirmed,
            MoveOutNotice.moved_on == event.effective_on,
        )
    )
    if notice is not None:
        notice.state, notice.cancel_reason = NoticeState.cancelled, f"転出の取消し: {reason}"[:300]
        notice.decided_by, notice.decided_at = by, utcnow()


def _restore_heads(session: Session, household_ids: tuple[int, ...]) -> None:
    """Each household's head is again the resident member whose 続柄 is 世帯主 (or none)."""
    for household_id in household_ids:
        household = session.get(Household, household_id)
        if household is None:
            continue
        head = session.scalar(
            sa.select(Person.id).where(
                Person.household_id == household_id,
                Person.status == Status.resident,
                Person.relationship == HEAD,
            )
        )
        household.head_person_id = head
    session.flush()


def cancellable_ids(session: Session, events: list[ResidentEvent]) -> set[int]:
    """The ids among ``events`` that the person page offers to cancel (a cheap first look; the
    form checks again)."""
    return {e.id for e in events if not is_neutral(e) and e.kind not in _NOT_CANCELLABLE}
