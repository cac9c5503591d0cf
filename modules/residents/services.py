"""Business operations of the resident register: each change is a dated event; services flush only.

Every operation checks all of its input before it changes anything, and raises ResidentError
(messages in Japanese, by field) when something is wrong: the request then rolls back and the
register is as it was. Other modules read people through ``modules.residents.public``, by the
宛名番号, never through this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import consistency, foreign, juminhyo_code, kyuuji, numbers
from modules.residents.cancellation import link
from modules.residents.departures import PersonLeft, notify_person_left
from modules.residents.errors import Collector, ResidentError
from modules.residents.history import (
    SNAPSHOT_FIELDS,
    PersonState,
    person_on,
)
from modules.residents.households import change_head, change_household
from modules.residents.lookups import (
    events_of,
    get_household,
    get_person,
    get_persons,
    household_head,
    household_members,
    household_of,
    is_resident,
    parse_atena,
)
from modules.residents.models import HEAD, Citizenship, EventKind, Household, Person, ResidentEvent, Status
from modules.residents.mynumber import Vault
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
    clean_notified,
    clean_previous_address,
)
from tenant_core.concurrency import lock_rows

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
    "register_birth",
    "relocate",
    "search",
]


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
    today = today_or(today)
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
        if household is not None:  # its head and members are checked under the lock
            lock_rows(session, Household, [household.id])
        if household is None or not resident_members(session, household.id):
            c.add("household_no", _("指定された世帯が見つかりません（世帯員のいる世帯を指定してください）。"))
    head = session.get(Person, household.head_person_id) if household and household.head_person_id else None
    # A member joining a household lives where its head lives, unless the clerk typed otherwise.
    address_in = dict(data)
    if head is not None and not (data.get("town") or "").strip():
        address_in |= {"town": head.town, "banchi": head.banchi, "katagaki": head.katagaki}
    values |= clean_address(c, address_in)
    consistency.check_household_address(c, head, values)
    if household is not None:
        consistency.check_ages(
            c, session, household.id, values["relationship"], values["birth_date"], data.get("age_confirmed")
        )
    notified = clean_notified(c, data.get("notified_on"), today)
    previous = clean_previous_address(c, data.get("previous_address"))
    if previous and kind == EventKind.birth:
        c.add("previous_address", _("出生の届出には従前の住所はありません。"))
    values |= clean_honseki(c, data)
    values |= foreign.clean_items(c, data, values)
    values |= kyuuji.clean_arrival(c, data, values.get("citizenship"))
    # 住基法30条の3: a person moving in keeps the 住民票コード of the 転出証明書; a birth, or a first
    # registration (from abroad), gets a new one of the city's range.
    code = juminhyo_code.clean(c, data.get("juminhyo_code"))
    if code and kind == EventKind.birth:
        c.add("juminhyo_code", _("出生の届出では住民票コードを入力しません（新しいコードを記載します）。"))
    elif code and juminhyo_code.in_use(session, code):
        c.add("juminhyo_code", _("この住民票コードは既にこの市の住民票に記載されています。"))
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
    on = checked_day(on)

    if household is None:
        household = Household(household_no=numbers.reserve(session, numbers.HOUSEHOLD))
        session.add(household)
        session.flush()
    values["juminhyo_code"] = code or juminhyo_code.assign(
        session, juminhyo_code.city_code(session, vault.slug)
    )
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
        # 住基法7条7号・8号: the day the address was set; for a 転入, the day of the 届出 and the former address.
        "address_since": on,
        "notified_on": notified,
        "previous_address": previous,
    }
    changes = {k: changes[k] for k in SNAPSHOT_FIELDS}
    session.add(person)
    note = str(data.get("note") or "")
    record_event(session, person, kind, on, changes, by, note, notified_on=notified)
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
    version: int | None = None,
    notified_on: Any = None,
) -> list[ResidentEvent]:
    """転出: the person (or their whole household) leaves the city on ``on``.

    ``version`` (here and in every change below) is the person's version the form showed: another
    version raises ``ConflictError``; None (a call without a form) checks nothing.
    """
    lock_for_change(session, person, version)
    require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    notified = clean_notified(c, notified_on, today_or(today))
    movers = resident_members(session, person.household_id) if whole_household else [person]
    for mover in movers:
        check_effective(c, session, mover, day)
    others = [p for p in resident_members(session, person.household_id) if p not in movers]
    if person.relationship == HEAD and others:
        c.add(
            "",
            _(
                "世帯主だけが転出する場合は、先に世帯変更で新しい世帯主を定めてください"
                "（世帯全員の転出なら「世帯全員」を選んでください）。"
            ),
        )
    c.raise_if_any()
    day = checked_day(day)
    note = f"転出先: {destination}" if destination else ""
    events = link(
        [
            record_event(
                session,
                m,
                EventKind.move_out,
                day,
                {"status": Status.moved_out.value, "left_on": day},
                by,
                note,
                notified_on=notified,
            )
            for m in movers
        ]
    )
    from modules.residents.moveouts import settle_pending  # it builds on this module

    for m in movers:
        settle_pending(session, m, day, by)  # a 転出届 made earlier is confirmed by this 転出
        # e.g. the seal registration ends with the residence (職権抹消)
        notify_person_left(session, PersonLeft(m.atena_no, day, EventKind.move_out, by))
    return events


def relocate(
    session: Session,
    person: Person,
    on: Any,
    address: Mapping[str, Any],
    *,
    by: str,
    today: dt.date | None = None,
    version: int | None = None,
    notified_on: Any = None,
) -> list[ResidentEvent]:
    """転居: the household moves to another address in the city; every resident member follows
    (consistency.py: a household has one address)."""
    lock_for_change(session, person, version)
    require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    notified = clean_notified(c, notified_on, today_or(today))
    new = clean_address(c, address)
    movers = resident_members(session, person.household_id)
    for mover in movers:
        check_effective(c, session, mover, day)
    if all(getattr(person, k) == v for k, v in new.items()):
        c.add("town", _("新しい住所が現在の住所と同じです。"))
    c.raise_if_any()
    day = checked_day(day)
    return link(
        [
            record_event(
                session,
                m,
                EventKind.relocation,
                day,
                # 住基法7条7号: 住所を定めた年月日. The 従前の住所 and its 届出の年月日 (7条8号) are those
                # of the move into the city and stay; this 転居's own 届出日 is kept on its event.
                dict(new) | {"address_since": day},
                by,
                notified_on=notified,
            )
            for m in movers
        ]
    )


def record_death(
    session: Session,
    person: Person,
    on: Any,
    *,
    by: str,
    new_head: Person | None = None,
    today: dt.date | None = None,
    version: int | None = None,
    notified_on: Any = None,
) -> list[ResidentEvent]:
    """死亡: the person leaves the register; a head leaving others behind names the new head."""
    lock_for_change(session, person, version)
    require_resident(person)
    c = Collector()
    day = clean_date(c, "effective_on", on, today_or(today))
    notified = clean_notified(c, notified_on, today_or(today))
    check_effective(c, session, person, day)
    others = [p for p in resident_members(session, person.household_id) if p.id != person.id]
    check_new_head(c, session, person, others, new_head, day)
    c.raise_if_any()
    day = checked_day(day)
    events = [
        record_event(
            session,
            person,
            EventKind.death,
            day,
            {"status": Status.deceased.value, "left_on": day},
            by,
            notified_on=notified,
        )
    ]
    if person.relationship == HEAD and others and new_head is not None:
        events.append(make_head(session, new_head, day, by))
    link(events)
    from modules.residents.moveouts import cancel_pending_on_death  # it builds on this module

    cancel_pending_on_death(session, person, by)
    notify_person_left(session, PersonLeft(person.atena_no, day, EventKind.death, by))
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
    version: int | None = None,
    notified_on: Any = None,
) -> ResidentEvent:
    """記載事項修正: fix what was recorded (names, カナ, birth date, sex, 方書, 本籍・筆頭者, 個人番号).

    本籍 and 筆頭者 are replaced by what is given, a blank clearing them; a key left out (None)
    keeps the recorded value.
    """
    lock_for_change(session, person, version)
    today = today_or(today)
    c = Collector()
    day = clean_date(c, "effective_on", on, today)
    check_effective(c, session, person, day)
    changes: dict[str, Any] = {}
    for f in ("family_name", "given_name"):
        if data.get(f) not in (None, ""):
            changes[f] = clean_name(c, f, data[f])
    for f in ("family_kana", "given_kana"):
        if data.get(f) not in (None, ""):
            changes[f] = clean_kana(c, f, data[f])
    if data.get("birth_date") not in (None, ""):
        changes["birth_date"] = clean_date(c, "birth_date", data["birth_date"], today)
        if changes["birth_date"] and changes["birth_date"] != person.birth_date:
            consistency.check_ages(
                c,
                session,
                person.household_id,
                person.relationship,
                changes["birth_date"],
                data.get("age_confirmed"),
                person_id=person.id,
            )
    notified = clean_notified(c, notified_on, today)
    if data.get("sex"):
        changes["sex"] = clean_choice(c, "sex", data["sex"], SEXES)
    if data.get("katagaki") is not None and data.get("katagaki") != person.katagaki:
        changes["katagaki"] = clean_address(c, {"katagaki": data["katagaki"]}, required=False)["katagaki"]
    if data.get("honseki") is not None or data.get("hitto_sha") is not None:
        # Checked as the pair it will be: a 筆頭者 needs a 本籍, whichever of the two was typed.
        pair = {f: getattr(person, f) if data.get(f) is None else data[f] for f in ("honseki", "hitto_sha")}
        changes |= clean_honseki(c, pair)
        if person.citizenship == Citizenship.foreign and (changes.get("honseki") or changes.get("hitto_sha")):
            c.add("honseki", _("外国人住民には本籍・筆頭者を記載しません（住民基本台帳法第30条の45）。"))
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
    day = checked_day(day)
    if number:
        person.mynumber_token = vault.encrypt(number)
        person.mynumber_digest = digest
        note = (note + " 個人番号を修正").strip()
    return record_event(session, person, EventKind.correction, day, changes, by, note, notified_on=notified)


def register_birth(
    session: Session,
    vault: Vault,
    household_no: int,
    data: Mapping[str, Any],
    *,
    by: str,
    today: dt.date | None = None,
    version: int | None = None,
) -> Person:
    """出生: a child born into this household. The household's address, and the 本籍, 筆頭者 and 氏 of
    its head, are taken over (a child enters the 戸籍 of its parents, who are usually the head or
    their spouse; another case is fixed afterwards by a 記載事項修正). ``version`` is the head's
    version the form showed: a head changed meanwhile (moved, corrected) is a 409."""
    household = get_household(session, household_no)
    head = session.get(Person, household.head_person_id) if household and household.head_person_id else None
    if head is None or not is_resident(head):
        raise ResidentError(_("指定された世帯が見つかりません（世帯員のいる世帯を指定してください）。"), "")
    lock_for_change(session, head, version)
    if head.citizenship == Citizenship.foreign:
        raise ResidentError(
            _(
                "外国人住民の世帯の出生は「転入・出生の届出」で、国籍・30条45規定区分とともに記載してください"
                "（住民基本台帳法第30条の45）。"
            ),
            "",
        )
    asked = (
        "given_name",
        "given_kana",
        "birth_date",
        "sex",
        "relationship",
        "notified_on",
        "age_confirmed",
        "note",
    )
    inherited = {
        "family_name": head.family_name,
        "family_kana": head.family_kana,
        "town": head.town,
        "banchi": head.banchi,
        "katagaki": head.katagaki,
        "honseki": head.honseki or "",
        "hitto_sha": head.hitto_sha or "",
        "citizenship": Citizenship.japanese.value,
    }
    merged = {k: data.get(k) for k in asked} | inherited | {"effective_on": data.get("birth_date")}
    return register_arrival(
        session, vault, merged, by=by, kind=EventKind.birth, household_no=household_no, today=today
    )
