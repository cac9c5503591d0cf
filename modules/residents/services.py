"""Business operations of the resident register: each change is a dated event; services flush only.

Every operation checks all of its input before it changes anything, and raises ResidentError
(messages in Japanese, by field) when something is wrong: the request then rolls back and the
register is as it was. Other modules read people through ``modules.residents.public``, by the
宛名番号, never through this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import numbers
from modules.residents.display import field_label
from modules.residents.errors import Collector, ResidentError
from modules.residents.history import (
    SNAPSHOT_FIELDS,
    PersonState,
    person_on,
    refresh_keys,
    to_json,
)
from modules.residents.models import HEAD, EventKind, Household, Person, ResidentEvent, Status
from modules.residents.mynumber import Vault
from modules.residents.search import SearchQuery, SearchResult, search
from modules.residents.validation import (
    RELATIONSHIPS,
    SEXES,
    clean_address,
    clean_choice,
    clean_date,
    clean_honseki,
    clean_kana,
    clean_mynumber,
    clean_name,
)
from tenant_core.models import utcnow

__all__ = [
    "PersonState",
    "ResidentError",
    "SearchQuery",
    "SearchResult",
    "change_head",
    "change_household",
    "correct",
    "events_of",
    "get_household",
    "get_person",
    "get_persons",
    "household_head",
    "household_members",
    "household_of",
    "is_resident",
    "move_out",
    "parse_atena",
    "person_on",
    "record_death",
    "register_arrival",
    "relocate",
    "search",
]


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


# --- reading -------------------------------------------------------------------------------


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
    return session.scalar(sa.select(Person).where(Person.atena_no == atena_no))


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
    return PersonState.of(row) if row is not None else None


def _order(states: list[PersonState]) -> list[PersonState]:
    return sorted(states, key=lambda s: (not s.is_head, s.birth_date, s.person_id))


def household_members(session: Session, household_id: int, on: dt.date | None = None) -> list[PersonState]:
    """The residents of a household, head first (now, or at the end of the date ``on``)."""
    if on is None:
        rows = session.scalars(
            sa.select(Person).where(Person.household_id == household_id, Person.status == Status.resident)
        ).all()
        return _order([PersonState.of(p) for p in rows])
    ever = session.scalars(
        sa.select(ResidentEvent.person_id).where(ResidentEvent.household_id == household_id).distinct()
    ).all()
    states = [person_on(session, pid, on) for pid in ever]
    return _order([s for s in states if s and s.household_id == household_id and s.is_resident])


def events_of(session: Session, person: Person) -> list[ResidentEvent]:
    return list(
        session.scalars(
            sa.select(ResidentEvent)
            .where(ResidentEvent.person_id == person.id)
            .order_by(ResidentEvent.effective_on, ResidentEvent.id)
        )
    )


def _resident_members(session: Session, household_id: int) -> list[Person]:
    return list(
        session.scalars(
            sa.select(Person).where(Person.household_id == household_id, Person.status == Status.resident)
        )
    )


# --- writing -------------------------------------------------------------------------------


def _record(
    session: Session,
    person: Person,
    kind: EventKind,
    on: dt.date,
    changes: dict[str, Any],
    by: str,
    note: str = "",
) -> ResidentEvent:
    """Apply ``changes`` to the person row and keep them, with what they replace, as an event."""
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
        note=note[:500],
    )
    session.add(event)
    session.flush()
    return event


def _check_effective(c: Collector, session: Session, person: Person, on: dt.date | None) -> None:
    """An event may not precede the person's latest event: history is told in order."""
    if on is None:
        return
    latest = session.scalar(
        sa.select(sa.func.max(ResidentEvent.effective_on)).where(ResidentEvent.person_id == person.id)
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


def _checked_day(day: dt.date | None) -> dt.date:
    """The 異動日 ``clean_date`` returned, once ``raise_if_any`` has passed.

    ``clean_date`` returns None only after adding its error, so this never raises in practice;
    the check keeps a missing date from reaching the register should that ever change.
    """
    if day is None:
        raise ResidentError(
            _("%(label)sを入力してください。", label=field_label("effective_on")), "effective_on"
        )
    return day


def _require_resident(person: Person) -> None:
    if not is_resident(person):
        raise ResidentError(_("この方は既に除票となっています（転出または死亡）。"), "")


def register_arrival(
    session: Session,
    vault: Vault,
    data: Mapping[str, Any],
    *,
    by: str,
    kind: EventKind = EventKind.move_in,
    household_no: int | None = None,
    today: dt.date | None = None,
) -> Person:
    """転入 or 出生: a new person, in a new household (as its head) or in an existing one."""
    today = _today(today)
    c = Collector()
    values: dict[str, Any] = {f: clean_name(c, f, data.get(f)) for f in ("family_name", "given_name")} | {
        f: clean_kana(c, f, data.get(f)) for f in ("family_kana", "given_kana")
    }
    values["birth_date"] = clean_date(c, "birth_date", data.get("birth_date"), today)
    values["sex"] = clean_choice(c, "sex", data.get("sex"), SEXES)
    values["relationship"] = clean_choice(c, "relationship", data.get("relationship"), RELATIONSHIPS)
    on = clean_date(c, "effective_on", data.get("effective_on"), today)
    number = clean_mynumber(c, data.get("mynumber"))
    household = None
    if household_no is not None:
        household = get_household(session, household_no)
        if household is None or not _resident_members(session, household.id):
            c.add("household_no", _("指定された世帯が見つかりません（世帯員のいる世帯を指定してください）。"))
    head = session.get(Person, household.head_person_id) if household and household.head_person_id else None
    # A member joining a household lives where its head lives, unless the clerk typed otherwise.
    address_in = dict(data)
    if head is not None and not (data.get("town") or "").strip():
        address_in |= {"town": head.town, "banchi": head.banchi, "katagaki": head.katagaki}
    values |= clean_address(c, address_in)
    values |= clean_honseki(c, data)
    if household_no is None and values["relationship"] and values["relationship"] != HEAD:
        c.add(
            "relationship",
            _("新しい世帯を作る場合、続柄は「世帯主」としてください（世帯には世帯主が必要です）。"),
        )
    if household is not None and values["relationship"] == HEAD:
        c.add("relationship", _("この世帯には既に世帯主がいます。世帯主以外の続柄を選んでください。"))
    if kind == EventKind.birth:
        if household_no is None:
            c.add("household_no", _("出生の届出には、子が入る世帯を指定してください。"))
        if on and values["birth_date"] and on != values["birth_date"]:
            c.add("effective_on", _("出生の異動日は生年月日と同じ日です。"))
    elif on and values["birth_date"] and on < values["birth_date"]:
        c.add("effective_on", _("異動日が生年月日より前です。"))
    digest = vault.digest(number) if number else None
    if digest and session.scalar(sa.select(Person.id).where(Person.mynumber_digest == digest)):
        c.add("mynumber", _("この個人番号は既に別の方に記載されています。"))
    c.raise_if_any()
    on = _checked_day(on)

    if household is None:
        household = Household(household_no=numbers.reserve(session, numbers.HOUSEHOLD))
        session.add(household)
        session.flush()
    person = Person(
        atena_no=numbers.reserve(session, numbers.ATENA),
        mynumber_token=vault.encrypt(number) if number else None,
        mynumber_digest=digest,
    )
    changes = values | {
        "household_id": household.id,
        "resident_since": on,
        "status": Status.resident.value,
        "left_on": None,
    }
    changes = {k: changes[k] for k in SNAPSHOT_FIELDS}
    session.add(person)
    note = str(data.get("note") or "")
    _record(session, person, kind, on, changes, by, note)
    if changes["relationship"] == HEAD:
        household.head_person_id = person.id
        session.flush()
    return person


def move_out(
    session: Session,
    person: Person,
    on: Any,
    *,
    by: str,
    destination: str = "",
    whole_household: bool = False,
    today: dt.date | None = None,
) -> list[ResidentEvent]:
    """転出: the person (or their whole household) leaves the city on ``on``."""
    _require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, _today(today))
    movers = _resident_members(session, person.household_id) if whole_household else [person]
    for mover in movers:
        _check_effective(c, session, mover, day)
    others = [p for p in _resident_members(session, person.household_id) if p not in movers]
    if person.relationship == HEAD and others:
        c.add(
            "",
            _(
                "世帯主だけが転出する場合は、先に世帯変更で新しい世帯主を定めてください"
                "（世帯全員の転出なら「世帯全員」を選んでください）。"
            ),
        )
    c.raise_if_any()
    day = _checked_day(day)
    note = f"転出先: {destination}" if destination else ""
    return [
        _record(
            session, m, EventKind.move_out, day, {"status": Status.moved_out.value, "left_on": day}, by, note
        )
        for m in movers
    ]


def relocate(
    session: Session,
    person: Person,
    on: Any,
    address: Mapping[str, Any],
    *,
    by: str,
    today: dt.date | None = None,
) -> list[ResidentEvent]:
    """転居: the household moves to another address in the city; every resident member follows."""
    _require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, _today(today))
    new = clean_address(c, address)
    movers = _resident_members(session, person.household_id)
    for mover in movers:
        _check_effective(c, session, mover, day)
    if all(getattr(person, k) == v for k, v in new.items()):
        c.add("town", _("新しい住所が現在の住所と同じです。"))
    c.raise_if_any()
    day = _checked_day(day)
    return [_record(session, m, EventKind.relocation, day, dict(new), by) for m in movers]


def record_death(
    session: Session,
    person: Person,
    on: Any,
    *,
    by: str,
    new_head: Person | None = None,
    today: dt.date | None = None,
) -> list[ResidentEvent]:
    """死亡: the person leaves the register; a head leaving others behind names the new head."""
    _require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, _today(today))
    _check_effective(c, session, person, day)
    others = [p for p in _resident_members(session, person.household_id) if p.id != person.id]
    _check_new_head(c, session, person, others, new_head, day)
    c.raise_if_any()
    day = _checked_day(day)
    events = [
        _record(session, person, EventKind.death, day, {"status": Status.deceased.value, "left_on": day}, by)
    ]
    if person.relationship == HEAD and others and new_head is not None:
        events.append(_make_head(session, new_head, day, by))
    return events


def _check_new_head(
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
        _check_effective(c, session, new_head, day)


def _make_head(session: Session, person: Person, day: dt.date, by: str) -> ResidentEvent:
    household = session.get_one(Household, person.household_id)
    household.head_person_id = person.id
    return _record(session, person, EventKind.household_change, day, {"relationship": HEAD}, by, "世帯主変更")


def change_head(
    session: Session,
    new_head: Person,
    on: Any,
    *,
    by: str,
    former_head_relationship: str,
    today: dt.date | None = None,
) -> list[ResidentEvent]:
    """世帯変更（世帯主変更）: another member of the household becomes its head."""
    _require_resident(new_head)
    c = Collector()
    day = clean_date(c, "effective_on", on, _today(today))
    household = session.get_one(Household, new_head.household_id)
    former = session.get(Person, household.head_person_id) if household.head_person_id else None
    if new_head.relationship == HEAD:
        c.add("", _("この方は既に世帯主です。"))
    relation = clean_choice(c, "relationship", former_head_relationship, RELATIONSHIPS)
    if relation == HEAD:
        c.add("relationship", _("元の世帯主の新しい続柄に「世帯主」は選べません。"))
    _check_effective(c, session, new_head, day)
    if former is not None and former.status == Status.resident:
        _check_effective(c, session, former, day)
    c.raise_if_any()
    day = _checked_day(day)
    events = []
    if former is not None and former.status == Status.resident:
        events.append(
            _record(
                session, former, EventKind.household_change, day, {"relationship": relation}, by, "世帯主変更"
            )
        )
    events.append(_make_head(session, new_head, day, by))
    return events


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
) -> list[ResidentEvent]:
    """世帯変更: the person joins another household, or starts one of their own (世帯分離)."""
    _require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, _today(today))
    _check_effective(c, session, person, day)
    relation = clean_choice(c, "relationship", relationship, RELATIONSHIPS)
    target = None
    if household_no is not None:
        target = get_household(session, household_no)
        if target is None or not _resident_members(session, target.id):
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
    others = [p for p in _resident_members(session, person.household_id) if p.id != person.id]
    _check_new_head(c, session, person, others, new_head, day)
    changes: dict[str, Any] = {"relationship": relation}
    if address and (address.get("town") or "").strip():
        changes |= clean_address(c, address)
    elif target is not None and target.head_person_id:
        head = session.get_one(Person, target.head_person_id)
        changes |= {"town": head.town, "banchi": head.banchi, "katagaki": head.katagaki}
    c.raise_if_any()
    day = _checked_day(day)

    events = []
    if person.relationship == HEAD and others and new_head is not None:
        events.append(_make_head(session, new_head, day, by))
    if target is None:
        target = Household(household_no=numbers.reserve(session, numbers.HOUSEHOLD))
        session.add(target)
        session.flush()
    changes["household_id"] = target.id
    events.append(_record(session, person, EventKind.household_change, day, changes, by))
    if relation == HEAD:
        target.head_person_id = person.id
        session.flush()
    return events


def correct(
    session: Session,
    vault: Vault,
    person: Person,
    on: Any,
    data: Mapping[str, Any],
    *,
    by: str,
    note: str = "",
    today: dt.date | None = None,
) -> ResidentEvent:
    """記載事項修正: fix what was recorded (names, カナ, birth date, sex, 方書, 本籍・筆頭者, 個人番号).

    本籍 and 筆頭者 are replaced by what is given, a blank clearing them; a key left out (None)
    keeps the recorded value.
    """
    today = _today(today)
    c = Collector()
    day = clean_date(c, "effective_on", on, today)
    _check_effective(c, session, person, day)
    changes: dict[str, Any] = {}
    for f in ("family_name", "given_name"):
        if data.get(f) not in (None, ""):
            changes[f] = clean_name(c, f, data[f])
    for f in ("family_kana", "given_kana"):
        if data.get(f) not in (None, ""):
            changes[f] = clean_kana(c, f, data[f])
    if data.get("birth_date") not in (None, ""):
        changes["birth_date"] = clean_date(c, "birth_date", data["birth_date"], today)
    if data.get("sex"):
        changes["sex"] = clean_choice(c, "sex", data["sex"], SEXES)
    if data.get("katagaki") is not None and data.get("katagaki") != person.katagaki:
        changes["katagaki"] = clean_address(c, {"katagaki": data["katagaki"]}, required=False)["katagaki"]
    if data.get("honseki") is not None or data.get("hitto_sha") is not None:
        # Checked as the pair it will be: a 筆頭者 needs a 本籍, whichever of the two was typed.
        pair = {f: getattr(person, f) if data.get(f) is None else data[f] for f in ("honseki", "hitto_sha")}
        changes |= clean_honseki(c, pair)
    changes = {k: v for k, v in changes.items() if v != getattr(person, k)}
    number = clean_mynumber(c, data.get("mynumber"))
    digest = vault.digest(number) if number else None
    if digest and digest != person.mynumber_digest:
        if session.scalar(sa.select(Person.id).where(Person.mynumber_digest == digest)):
            c.add("mynumber", _("この個人番号は既に別の方に記載されています。"))
    elif digest:
        number = None  # the same number again: nothing to change
    if not changes and not number and not c.errors:
        c.add("", _("修正する項目がありません。変更する項目だけを入力してください。"))
    c.raise_if_any()
    day = _checked_day(day)
    if number:
        person.mynumber_token = vault.encrypt(number)
        person.mynumber_digest = digest
        note = (note + " 個人番号を修正").strip()
    return _record(session, person, EventKind.correction, day, changes, by, note)
