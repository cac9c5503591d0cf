"""Reading the resident register: persons by 宛名番号 (one or many at once), households, histories.

Kept apart from the changes in ``services.py``; other modules reach these through ``public.py``.
A person under 支援措置 or 抑止 is absent from every answer here for a user who may not see them
(``protection.hidden_atenas``): the same answer as for a number the city does not hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents.history import PersonState, person_on
from modules.residents.models import HEAD, Household, Person, ResidentEvent, Status
from modules.residents.protection import covered_clause, hidden_atenas, sees_protected

# 宛名番号 are stored as 32-bit integers: anything outside cannot name a person, and asking the
# database about it would fail on PostgreSQL instead of finding no one.
_ATENA_MAX = 2**31 - 1
# Well under the bind-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
_BATCH = 1000


def _valid_atena(atena_no: object) -> bool:
    return isinstance(atena_no, int) and not isinstance(atena_no, bool) and 0 < atena_no <= _ATENA_MAX


def parse_atena(text: object) -> int | None:
    """A 宛名番号 as typed or sent (spaces around allowed); None when it cannot be one."""
    try:
        number = int(str(text or "").strip())
    except ValueError:
        return None
    return number if _valid_atena(number) else None


def get_person(session: Session, atena_no: int | None) -> Person | None:
    """The person with this 宛名番号 in the session's city (None if there is none, or no number)."""
    if not _valid_atena(atena_no):
        return None
    person = session.scalar(sa.select(Person).where(Person.atena_no == atena_no))
    if person is not None and hidden_atenas(session, [person.atena_no]):
        return None
    return person


def get_persons(session: Session, atena_nos: Iterable[int]) -> dict[int, Person]:
    """The persons of these 宛名番号 in the session's city, by number, in one query per thousand;
    numbers the city does not hold are simply absent (another city's stay invisible)."""
    wanted = list(dict.fromkeys(n for n in atena_nos if _valid_atena(n)))
    found: dict[int, Person] = {}
    for i in range(0, len(wanted), _BATCH):
        chunk = wanted[i : i + _BATCH]
        found.update(
            (p.atena_no, p) for p in session.scalars(sa.select(Person).where(Person.atena_no.in_(chunk)))
        )
    for number in hidden_atenas(session, found):
        del found[number]
    return found


def is_resident(person: Person | PersonState) -> bool:
    """Whether the person is on the register now (not moved out, not deceased: not a 除票)."""
    return person.status == Status.resident


def get_household(session: Session, household_no: int) -> Household | None:
    return session.scalar(sa.select(Household).where(Household.household_no == household_no))


def household_of(session: Session, person: Person | PersonState) -> Household | None:
    """The household the person belongs to (now, or in the state given)."""
    return session.get(Household, person.household_id)


def household_head(session: Session, household_id: int) -> PersonState | None:
    """The resident whose 続柄 is 世帯主 in this household now (None if it has none)."""
    row = session.scalar(
        sa.select(Person).where(
            Person.household_id == household_id, Person.relationship == HEAD, Person.status == Status.resident
        )
    )
    if row is None or hidden_atenas(session, [row.atena_no]):
        return None
    return PersonState.of(row)


def _order(session: Session, states: list[PersonState]) -> list[PersonState]:
    hidden = hidden_atenas(session, [s.atena_no for s in states])
    shown = [s for s in states if s.atena_no not in hidden]
    return sorted(shown, key=lambda s: (not s.is_head, s.birth_date, s.person_id))


def household_members(session: Session, household_id: int, on: dt.date | None = None) -> list[PersonState]:
    """The residents of a household, head first (now, or at the end of the date ``on``)."""
    if on is None:
        rows = session.scalars(
            sa.select(Person).where(Person.household_id == household_id, Person.status == Status.resident)
        ).all()
        return _order(session, [PersonState.of(p) for p in rows])
    ever = session.scalars(
        sa.select(ResidentEvent.person_id).where(ResidentEvent.household_id == household_id).distinct()
    ).all()
    states = [person_on(session, pid, on) for pid in ever]
    return _order(session, [s for s in states if s and s.household_id == household_id and s.is_resident])


def events_of(session: Session, person: Person) -> list[ResidentEvent]:
    return list(
        session.scalars(
            sa.select(ResidentEvent)
            .where(ResidentEvent.person_id == person.id)
            .order_by(ResidentEvent.effective_on, ResidentEvent.id)
        )
    )


def changed_since(
    session: Session, since: dt.datetime, after_atena: int | None, limit: int
) -> tuple[list[Person], bool]:
    """Persons changed at or after ``since`` (naive UTC, as stored), in (updated_at, 宛名番号) order;
    with ``after_atena``, only those after that position (a cursor: the last one already read).

    Persons the current user may not see (支援措置, 抑止) are left out of the query itself, as in the
    search, so that a page is never short of its size because of them. Returns one page and whether
    more follow.
    """
    where: list[sa.ColumnElement[bool]] = []
    if after_atena is None:
        where.append(Person.updated_at >= since)
    else:
        where.append(
            sa.or_(
                Person.updated_at > since,
                sa.and_(Person.updated_at == since, Person.atena_no > after_atena),
            )
        )
    if not sees_protected():
        where.append(sa.not_(covered_clause(Person.atena_no)))
    rows = list(
        session.scalars(
            sa.select(Person).where(*where).order_by(Person.updated_at, Person.atena_no).limit(limit + 1)
        )
    )
    hidden_atenas(session, [p.atena_no for p in rows[:limit]])  # flags the protected persons shown
    return rows[:limit], len(rows) > limit
