"""What every change of the register shares: the dated event it records and the checks before it.

Used by ``services.py`` (arrivals, moves, deaths, corrections) and ``households.py`` (head and household
changes); callers go through ``services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents.display import RELATIONSHIP_LABELS, atena, field_label
from modules.residents.errors import Collector, ResidentError
from modules.residents.history import (
    refresh_keys,
    to_json,
)
from modules.residents.lookups import (
    is_resident,
)
from modules.residents.models import HEAD, EventKind, Household, Person, ResidentEvent, Status
from tenant_core.concurrency import ConflictError, check_version, lock_rows
from tenant_core.japanese import japan_today
from tenant_core.models import utcnow


def today_or(today: dt.date | None) -> dt.date:
    return today or japan_today()


def resident_members(session: Session, household_id: int) -> list[Person]:
    return list(
        session.scalars(
            sa.select(Person).where(Person.household_id == household_id, Person.status == Status.resident)
        )
    )


def lock_for_change(
    session: Session,
    person: Person,
    version: int | None,
    *,
    households: tuple[int, ...] = (),
) -> None:
    """Lock what a change of ``person`` may touch, then check that the clerk saw its current version.

    The order is fixed, so two changes never wait for each other in a circle: first the households
    (the person's own and ``households``), by id, then every person of them, by id. Every change of
    the register locks the person's household first, so changes of one household take turns; the
    rows are reloaded once the locks are granted, and the caller checks its input again after this.
    ``version`` is the person's version the form showed; None (a call without a form: the pages
    always send one) takes the version just read.
    """
    household_ids = {person.household_id, *households}
    lock_rows(session, Household, household_ids)
    ids = set(session.scalars(sa.select(Person.id).where(Person.household_id.in_(household_ids))))
    lock_rows(session, Person, ids | {person.id})
    if person.household_id not in household_ids:  # moved to another household meanwhile
        raise ConflictError(current=current_state(person), target=f"atena:{person.atena_no}")
    check_version(
        person, version, required=False, current=current_state(person), target=f"atena:{person.atena_no}"
    )


def current_state(person: Person) -> list[tuple[str, str]]:
    """What the 409 page shows of the person as recorded now."""
    status = {
        Status.resident: _("住民"),
        Status.moved_out: _("転出（除票）"),
        Status.deceased: _("死亡（除票）"),
    }.get(Status(person.status), person.status)
    return [
        (_("宛名番号"), atena(person.atena_no)),
        (_("氏名"), person.full_name),
        (_("住所"), f"{person.address} {person.katagaki}".strip()),
        (_("続柄"), str(RELATIONSHIP_LABELS.get(person.relationship, person.relationship))),
        (_("状態"), str(status)),
    ]


def record_event(
    session: Session,
    person: Person,
    kind: EventKind,
    on: dt.date,
    changes: dict[str, Any],
    by: str,
    note: str = "",
    *,
    notified_on: dt.date | None = None,
) -> ResidentEvent:
    """Apply ``changes`` to the person row and keep them, with what they replace, as an event.

    ``notified_on`` is the 届出日 of the event (None for one made by the city itself, 職権)."""
    before = {k: getattr(person, k) for k in changes} if person.id is not None else None
    for key, value in changes.items():
        setattr(person, key, value)
    refresh_keys(person)
    person.updated_at = utcnow()
    session.flush()
    event = ResidentEvent(
        person_id=person.id,
        household_id=person.household_id,
        kind=kind,
        effective_on=on,
        recorded_by=by,
        before=to_json(before) if before is not None else None,
        after=to_json(changes),
        note=(note or "")[:500],
        notified_on=notified_on,
    )
    session.add(event)
    session.flush()
    return event


def check_effective(c: Collector, session: Session, person: Person, on: dt.date | None) -> None:
    """An event may not precede the person's latest event: history is told in order."""
    if on is None:
        return
    latest = session.scalar(
        sa.select(sa.func.max(ResidentEvent.effective_on)).where(
            ResidentEvent.person_id == person.id,
            ResidentEvent.cancelled_by_id.is_(
                None
            ),  # a cancelled event (and its cancellation) no longer counts
            ResidentEvent.cancels_id.is_(None),
        )
    )
    if on < person.resident_since:
        c.add(
            "effective_on",
            _("異動日が住民となった日（%(day)s）より前です。", day=person.resident_since.isoformat()),
        )
    elif latest is not None and on < latest:
        c.add(
            "effective_on",
            _("異動日は前回の異動日（%(day)s）以降の日付を指定してください。", day=latest.isoformat()),
        )


def checked_day(day: dt.date | None) -> dt.date:
    """The 異動日 ``clean_date`` returned, once ``raise_if_any`` has passed.

    ``clean_date`` returns None only after adding its error, so this never raises in practice;
    the check keeps a missing date from reaching the register should that ever change.
    """
    if day is None:
        raise ResidentError(
            _("%(label)sを入力してください。", label=field_label("effective_on")), "effective_on"
        )
    return day


def require_resident(person: Person) -> None:
    if not is_resident(person):
        raise ResidentError(_("この方は既に除票となっています（転出または死亡）。"), "")


def check_new_head(
    c: Collector,
    session: Session,
    leaving: Person,
    others: list[Person],
    new_head: Person | None,
    day: dt.date | None,
) -> None:
    if leaving.relationship != HEAD or not others:
        return
    if new_head is None:
        c.add(
            "new_head",
            _("世帯主が抜けると世帯主がいなくなります。残る世帯員から新しい世帯主を選んでください。"),
        )
    elif new_head not in others:
        c.add("new_head", _("新しい世帯主は、同じ世帯に残る世帯員から選んでください。"))
    else:
        check_effective(c, session, new_head, day)


def make_head(session: Session, person: Person, day: dt.date, by: str) -> ResidentEvent:
    household = session.get_one(Household, person.household_id)
    household.head_person_id = person.id
    return record_event(
        session, person, EventKind.household_change, day, {"relationship": HEAD}, by, "世帯主変更"
    )


def begin_change(
    session: Session, person: Person, on: Any, *, version: int | None, today: dt.date | None
) -> tuple[Collector, dt.date | None]:
    """What every change of one person's items starts with: lock the person's household and check the
    version the page showed, require a resident, and check the effective date (into the collector)."""
    from modules.residents.validation import clean_date

    lock_for_change(session, person, version)
    require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    check_effective(c, session, person, day)
    return c, day
