"""The register in bulk, for a city's data migration (移行) and hand-over: write persons as a file states
them, read every person back.

Writing is keyed by the 宛名番号 the old system gave: a person not yet in the register is added with the
history the file implies (the event that made them a resident, dated 住民となった年月日, and for a 除票
the event that removed them, dated 消除年月日), never anything else; a person already there whose items
differ gets one 記載事項修正 event naming the file; a person whose items are equal is left as they are.
Each call is one batch in the caller's transaction (flushed, never committed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents import juminhyo_code as _juminhyo
from modules.residents import kana as _kana
from modules.residents import mynumber as _mynumber
from modules.residents.foreign import CATEGORY_LABELS, MID_LONG
from modules.residents.history import FIELD_DEFAULTS, SNAPSHOT_FIELDS, from_json, search_keys, to_json
from modules.residents.models import (
    HEAD,
    EventKind,
    Household,
    Person,
    ResidentCounter,
    ResidentEvent,
    Status,
)
from modules.residents.mynumber import Vault
from modules.residents.validation import RELATIONSHIPS as _RELATIONSHIPS
from tenant_core.db import TENANT
from tenant_core.models import utcnow

# The items a migration file carries for a person: the snapshot without the internal household id.
ITEM_FIELDS = tuple(f for f in SNAPSHOT_FIELDS if f != "household_id")
FOREIGN_CATEGORIES = tuple(CATEGORY_LABELS)  # in the order of the table of 住基法30条の45
MID_LONG_CATEGORY = MID_LONG
HEAD_RELATIONSHIP = HEAD
# The 続柄 the register takes (the forms' list): an exchange file may carry these.
RELATIONSHIPS = _RELATIONSHIPS
STATUS_RESIDENT, STATUS_MOVED_OUT, STATUS_DECEASED = (s.value for s in Status)

valid_juminhyo_code = _juminhyo.is_valid
valid_mynumber = _mynumber.is_valid
is_katakana = _kana.is_katakana
normalize_kana = _kana.normalize_kana


@dataclass
class Incoming:
    """One person as a migration file states them (current state, 除票 included)."""

    atena_no: int
    household_no: int
    items: dict[str, Any]  # every name of ITEM_FIELDS
    mynumber: str | None = None
    # The kind of the event that removed a 除票 (転出 or 死亡); 職権消除 is recorded as a 転出 with this note.
    removal_note: str = ""


def _items(row: Incoming) -> dict[str, Any]:
    """The row's items, every name of ITEM_FIELDS in that order (the default where one is missing)."""
    given = row.items
    if tuple(given) == ITEM_FIELDS:  # as a migration file's check makes them: nothing to copy
        return given
    return {f: given[f] if f in given else FIELD_DEFAULTS.get(f) for f in ITEM_FIELDS}


class JsonText(str):
    """A JSON column's value already encoded with ``json.dumps``: ``insert_rows`` sends it as it is.

    Encoding an event's snapshot once, straight from its dates (``to_json_text``), costs a third of
    converting it to a dict of strings and encoding that.
    """


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json_text(values: dict[str, Any]) -> JsonText:
    """``json.dumps(to_json(values))``, the same text, in one pass (dates as ISO strings)."""
    return JsonText(json.dumps(values, default=_iso))


@dataclass
class Applied:
    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    corrected_atena: list[int] = field(default_factory=list)
    households: set[int] = field(default_factory=set)  # ids whose head is to be settled


def among(session: Session, column: Any, values: Sequence[int]) -> sa.ColumnElement[bool]:
    """``column IN values`` for a batch of thousands of numbers.

    On PostgreSQL the numbers go as ONE array parameter (``= ANY(%s)``): an ``IN`` of 5,000 bound
    parameters costs more to render, send and parse than the lookup itself (the profile of an import
    showed it). SQLite has no arrays, so it keeps the plain ``IN``.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(sa.BigInteger)))
    return column.in_(list(values))


def insert_rows(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows: by COPY on PostgreSQL (the fastest way it has to take rows in), else executemany.

    The rows go through the session's own connection, so they are in its transaction.
    """
    conn = session.connection()
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    if conn.dialect.name != "postgresql" or not rows:
        if rows and json_columns:  # the column's type encodes the value itself: give it back as a value
            rows = [
                {c: json.loads(v) if isinstance(v, JsonText) else v for c, v in row.items()} for row in rows
            ]
        conn.execute(sa.insert(table), rows)
        return
    from psycopg import sql

    schema = conn.get_execution_options().get("schema_translate_map", {}).get(TENANT)
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, table.name) if schema else sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    # The values of a row in the statement's order by one getter in C; only JSON columns are looked at.
    pick = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    encode = [i for i, c in enumerate(columns) if c in json_columns]
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = pick(row)
            if encode:
                values = list(values)
                for i in encode:
                    v = values[i]
                    if v is not None and not isinstance(v, JsonText):
                        values[i] = json.dumps(v)
            copy.write_row(values)


def _first_event(items: dict[str, Any]) -> EventKind:
    return EventKind.birth if items["resident_since"] == items["birth_date"] else EventKind.move_in


def ensure_households(session: Session, numbers: set[int]) -> dict[int, int]:
    """Household ids by 世帯番号, the missing households made."""
    found = dict(
        session.execute(
            sa.select(Household.household_no, Household.id).where(
                among(session, Household.household_no, sorted(numbers))
            )
        ).all()
    )
    missing = sorted(numbers - found.keys())
    if missing:
        now = utcnow()
        insert_rows(
            session,
            Household.__table__,  # type: ignore[arg-type]
            [{"household_no": n, "created_at": now} for n in missing],
        )
        found.update(
            session.execute(
                sa.select(Household.household_no, Household.id).where(
                    among(session, Household.household_no, missing)
                )
            ).all()
        )
    return found


def apply_incoming(
    session: Session,
    vault: Vault,
    rows: Sequence[Incoming],
    *,
    source: str,
    by: str,
    today: dt.date,
    household_ids: Mapping[int, int] | None = None,
    heads: bool = True,
) -> Applied:
    """Write one batch of persons (see the module's text); ``source`` names the file in every event.

    ``household_ids``: the batch's households, already made by the caller (``ensure_households``).
    ``heads=False`` leaves the households' heads to the caller (``settle_heads(applied.households)``):
    a caller applying batches side by side settles them in the batches' order, so that two
    transactions never wait for each other's lock on a household that spans both.
    """
    result = Applied()
    if not rows:
        return result
    now = utcnow()
    if household_ids is None:
        household_ids = ensure_households(session, {r.household_no for r in rows})
    # The stored items of the persons already there, read as plain rows (cheap); only a person whose
    # items differ is loaded as an object and changed.
    columns = [getattr(Person, f) for f in SNAPSHOT_FIELDS]
    existing = {
        r.atena_no: r
        for r in session.execute(
            sa.select(Person.id, Person.atena_no, Person.mynumber_digest, *columns).where(
                among(session, Person.atena_no, [r.atena_no for r in rows])
            )
        )
    }
    new_rows: list[dict[str, Any]] = []
    new_incoming: list[Incoming] = []
    new_snapshots: list[dict[str, Any]] = []
    left_households: list[int] = []
    for row in rows:
        # SNAPSHOT_FIELDS is the household and then ITEM_FIELDS: this dict is in its order.
        values = {"household_id": household_ids[row.household_no], **_items(row)}
        digest = vault.digest(row.mynumber) if row.mynumber else None
        stored = existing.get(row.atena_no)
        if stored is None:
            record: dict[str, Any] = {
                **values,
                "atena_no": row.atena_no,
                **search_keys(values),
                "mynumber_token": None,  # encrypted below, the batch's numbers together
                "mynumber_digest": digest,
                "created_at": now,
                "updated_at": now,
            }
            new_rows.append(record)
            new_incoming.append(row)
            new_snapshots.append(values)
            continue
        # The stored items in the same order: one comparison in C settles an unchanged person.
        if tuple(stored)[3:] == tuple(values.values()) and digest == stored.mynumber_digest:
            result.unchanged += 1
            continue
        mapping = stored._mapping
        before = {f: mapping[f] for f in SNAPSHOT_FIELDS if mapping[f] != values[f]}
        number_changed = digest != stored.mynumber_digest
        if not before and not number_changed:
            result.unchanged += 1
            continue
        person = session.get_one(Person, stored.id)
        left_households.append(stored.household_id)  # its head is looked at again below
        for f in before:
            setattr(person, f, values[f])
        if number_changed:
            person.mynumber_digest = digest
            person.mynumber_token = vault.encrypt(row.mynumber) if row.mynumber else None
        keys = search_keys({f: getattr(person, f) for f in SNAPSHOT_FIELDS})
        for k, v in keys.items():
            setattr(person, k, v)
        person.updated_at = now
        session.flush()
        after = {f: values[f] for f in before}
        if number_changed:  # the number itself never goes into an event: only that it changed
            before["mynumber"], after["mynumber"] = "(変更前)", "(変更後)"
        session.add(
            ResidentEvent(
                person_id=person.id,
                household_id=person.household_id,
                kind=EventKind.correction.value,
                effective_on=today,
                recorded_at=now,
                recorded_by=by,
                before=to_json(before),
                after=to_json(after),
                note=f"記載事項修正（移行ファイル {source}）"[:500],
            )
        )
        result.corrected += 1
        result.corrected_atena.append(row.atena_no)
        session.flush()
    if new_rows:
        for record, row in zip(new_rows, new_incoming, strict=True):
            if row.mynumber:
                record["mynumber_token"] = vault.encrypt(row.mynumber)
        insert_rows(session, Person.__table__, new_rows)  # type: ignore[arg-type]
        ids = dict(
            session.execute(
                sa.select(Person.atena_no, Person.id).where(
                    among(session, Person.atena_no, [r["atena_no"] for r in new_rows])
                )
            ).all()
        )
        events: list[dict[str, Any]] = []
        for record, row, snapshot in zip(new_rows, new_incoming, new_snapshots, strict=True):
            entered = {**snapshot, "status": STATUS_RESIDENT, "left_on": None}
            events.append(
                {
                    "person_id": ids[row.atena_no],
                    "household_id": record["household_id"],
                    "kind": _first_event(record).value,
                    "effective_on": record["resident_since"],
                    "recorded_at": now,
                    "recorded_by": by,
                    "before": None,
                    "after": to_json_text(entered),
                    "note": f"移行（{source}）"[:500],
                }
            )
            if record["status"] != STATUS_RESIDENT:
                kind = EventKind.death if record["status"] == STATUS_DECEASED else EventKind.move_out
                events.append(
                    {
                        "person_id": ids[row.atena_no],
                        "household_id": record["household_id"],
                        "kind": kind.value,
                        "effective_on": record["left_on"],
                        "recorded_at": now,
                        "recorded_by": by,
                        "before": to_json_text({"status": STATUS_RESIDENT, "left_on": None}),
                        "after": to_json_text({"status": record["status"], "left_on": record["left_on"]}),
                        "note": f"{row.removal_note or '消除'}（移行 {source}）"[:500],
                    }
                )
        insert_rows(session, ResidentEvent.__table__, events)  # type: ignore[arg-type]
        result.added = len(new_rows)
    result.households = set(household_ids.values()) | set(left_households)
    if heads:
        settle_heads(session, result.households)
    session.flush()
    return result


def settle_heads(session: Session, households: Iterable[int]) -> None:
    """Each household's head is its living 世帯主 (a migration file was checked to have exactly one)."""
    touched = list(households)
    if not touched:
        return
    heads = (
        sa.select(Person.id)
        .where(
            Person.household_id == Household.id, Person.relationship == HEAD, Person.status == STATUS_RESIDENT
        )
        .limit(1)
        .scalar_subquery()
    )
    # Only a household whose head is not already that person is written (a re-import changes nothing).
    session.execute(
        sa.update(Household)
        .where(among(session, Household.id, touched), Household.head_person_id.is_distinct_from(heads))
        .values(head_person_id=heads, version=Household.version + 1)
        .execution_options(synchronize_session=False)
    )


def advance_counters(session: Session) -> None:
    """After a migration: the 宛名番号 and 世帯番号 the city gives next follow the highest imported."""
    for name, column in (("atena", Person.atena_no), ("household", Household.household_no)):
        highest = session.scalar(sa.select(sa.func.max(column)))
        if highest is not None:
            session.execute(
                sa.update(ResidentCounter)
                .where(ResidentCounter.name == name, ResidentCounter.value < highest)
                .values(value=highest)
            )


@dataclass(frozen=True)
class Outgoing:
    """One person of the register as a migration file states them."""

    atena_no: int
    household_no: int
    items: dict[str, Any]
    mynumber: str | None


def iter_register(
    session: Session, vault: Vault | None, *, as_of: dt.date | None = None, batch: int = 5000
) -> Iterator[Outgoing]:
    """Every person of the register (除票 included), by 宛名番号, as they stand now or at the end of ``as_of``.

    Read in batches by key, so memory stays flat whatever the size of the city; the state on a date
    replays each person's events up to that date (a person registered later is left out). The
    個人番号 is decrypted only when a vault is given.
    """
    households = dict(session.execute(sa.select(Household.id, Household.household_no)).all())
    columns = [getattr(Person, f) for f in SNAPSHOT_FIELDS]
    last = -1
    while True:
        # Plain rows, not objects: the register is read once, nothing is changed.
        persons = session.execute(
            sa.select(Person.id, Person.atena_no, Person.mynumber_token, *columns)
            .where(Person.atena_no > last)
            .order_by(Person.atena_no)
            .limit(batch)
        ).all()
        if not persons:
            return
        last = persons[-1].atena_no
        states: dict[int, dict[str, Any]] = {}
        if as_of is not None:
            events = session.execute(
                sa.select(ResidentEvent.person_id, ResidentEvent.after)
                .where(
                    ResidentEvent.person_id.in_([p.id for p in persons]),
                    ResidentEvent.effective_on <= as_of,
                    # As ``history.person_on`` reads: a cancelled event and its cancellation leave no trace.
                    ResidentEvent.cancelled_by_id.is_(None),
                    ResidentEvent.cancels_id.is_(None),
                )
                .order_by(ResidentEvent.person_id, ResidentEvent.effective_on, ResidentEvent.id)
            ).all()
            for person_id, after in events:
                states.setdefault(person_id, {}).update(from_json(after))
        for p in persons:
            mapping = p._mapping
            if as_of is None:
                values = {f: mapping[f] for f in SNAPSHOT_FIELDS}
            elif p.id in states:
                values = {f: states[p.id].get(f, FIELD_DEFAULTS.get(f)) for f in SNAPSHOT_FIELDS}
            else:
                continue
            items = {f: values[f] for f in ITEM_FIELDS}
            number = vault.decrypt(p.mynumber_token) if vault is not None else None
            yield Outgoing(p.atena_no, households[values["household_id"]], items, number)
