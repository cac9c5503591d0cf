"""Changes of a household: a new head (世帯主変更), a person joining another household (世帯変更).

Each checks all of its input first and records a dated event, as every change of the register does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import consistency, numbers
from modules.residents.cancellation import link
from modules.residents.errors import Collector
from modules.residents.lookups import (
    get_household,
)
from modules.residents.models import HEAD, EventKind, Household, Person, ResidentEvent, Status
from modules.residents.recording import (
    check_effective,
    check_new_head,
    checked_day,
    lock_for_change,
    make_head,
    record_event,
    require_resident,
    resident_members,
    today_or,
)
from modules.residents.validation import (
    RELATIONSHIPS,
    clean_address,
    clean_choice,
    clean_date,
    clean_notified,
)


def change_head(
    session: Session,
    new_head: Person,
    on: Any,
    *,
    by: str,
    former_head_relationship: str,
    today: dt.date | None = None,
    version: int | None = None,
) -> list[ResidentEvent]:
    """世帯変更（世帯主変更）: another member of the household becomes its head."""
    lock_for_change(session, new_head, version)
    require_resident(new_head)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    household = session.get_one(Household, new_head.household_id)
    former = session.get(Person, household.head_person_id) if household.head_person_id else None
    if new_head.relationship == HEAD:
        c.add("", _("この方は既に世帯主です。"))
    relation = clean_choice(c, "relationship", former_head_relationship, RELATIONSHIPS)
    if relation == HEAD:
        c.add("relationship", _("元の世帯主の新しい続柄に「世帯主」は選べません。"))
    check_effective(c, session, new_head, day)
    if former is not None and former.status == Status.resident:
        check_effective(c, session, former, day)
    c.raise_if_any()
    day = checked_day(day)
    events = []
    if former is not None and former.status == Status.resident:
        events.append(
            record_event(
                session, former, EventKind.household_change, day, {"relationship": relation}, by, "世帯主変更"
            )
        )
    events.append(make_head(session, new_head, day, by))
    return link(events)


def change_household(
    session: Session,
    person: Person,
    on: Any,
    *,
    by: str,
    household_no: int | None,
    relationship: str,
    new_head: Person | None = None,
    address: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
    version: int | None = None,
    notified_on: Any = None,
    age_confirmed: Any = None,
) -> list[ResidentEvent]:
    """世帯変更: the person joins another household, or starts one of their own (世帯分離).

    Joining a household means living at its address (consistency.py): a typed address other than
    the household's is refused. Starting one's own household may take a new address (a 転居 too).
    """
    found = get_household(session, household_no) if household_no is not None else None
    lock_for_change(session, person, version, households=(found.id,) if found else ())
    require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    notified = clean_notified(c, notified_on, today_or(today))
    check_effective(c, session, person, day)
    relation = clean_choice(c, "relationship", relationship, RELATIONSHIPS)
    target = None
    if household_no is not None:
        target = get_household(session, household_no)
        if target is None or not resident_members(session, target.id):
            c.add("household_no", _("指定された世帯が見つかりません（世帯員のいる世帯を指定してください）。"))
        elif target.id == person.household_id:
            c.add("household_no", _("現在と同じ世帯です。世帯主の変更は「世帯主変更」から行ってください。"))
        elif relation == HEAD:
            c.add("relationship", _("移る先の世帯には既に世帯主がいます。世帯主以外の続柄を選んでください。"))
    elif relation and relation != HEAD:
        c.add(
            "relationship",
            _("新しい世帯を作る場合、続柄は「世帯主」としてください（世帯には世帯主が必要です）。"),
        )
    others = [p for p in resident_members(session, person.household_id) if p.id != person.id]
    check_new_head(c, session, person, others, new_head, day)
    changes: dict[str, Any] = {"relationship": relation}
    head = (
        session.get(Person, target.head_person_id) if target is not None and target.head_person_id else None
    )
    if address and (address.get("town") or "").strip():
        changes |= clean_address(c, address)
        consistency.check_household_address(c, head, changes)
    elif head is not None:
        changes |= {"town": head.town, "banchi": head.banchi, "katagaki": head.katagaki}
    if target is not None:
        consistency.check_ages(
            c, session, target.id, relation, person.birth_date, age_confirmed, person_id=person.id
        )
    if (changes.get("town"), changes.get("banchi")) not in ((None, None), (person.town, person.banchi)):
        # 住基法7条7号: a new address within the city and the day it was set (the 従前の住所 of 7条8号
        # is the one before the move into the city: it stays).
        changes["address_since"] = day
    c.raise_if_any()
    day = checked_day(day)

    events = []
    if person.relationship == HEAD and others and new_head is not None:
        events.append(make_head(session, new_head, day, by))
    if target is None:
        target = Household(household_no=numbers.reserve(session, numbers.HOUSEHOLD))
        session.add(target)
        session.flush()
    changes["household_id"] = target.id
    events.append(
        record_event(session, person, EventKind.household_change, day, changes, by, notified_on=notified)
    )
    if relation == HEAD:
        target.head_person_id = person.id
        session.flush()
    return link(events)
