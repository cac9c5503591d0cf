"""Synthetic residents in bulk: plausible households generated in memory, inserted in batches.

Each batch is one transaction of four statements (households, persons, their first event, the
heads), sent as multi-row INSERTs (SQLAlchemy's insertmanyvalues), so 富士市's 254,203 residents
load in minutes. Every person gets the event that made them a resident (転入 or 出生) holding
their full state, so the history functions work on demo people as on real ones.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from modules.residents import demo_data, numbers
from modules.residents.history import FIELD_DEFAULTS, SNAPSHOT_FIELDS, search_keys, to_json
from modules.residents.kana import to_fullwidth
from modules.residents.models import HEAD, EventKind, Household, Person, ResidentEvent, Status
from modules.residents.mynumber import Vault, with_check_digit
from tenant_core.db import Database
from tenant_core.japanese import japan_today
from tenant_core.models import utcnow

# Shares of households by size, roughly as in the census of a Japanese city of this size.
SIZE_WEIGHTS = ((1, 36), (2, 28), (3, 17), (4, 13), (5, 4), (6, 2))
_MYNUMBER_STEP = 7_654_321_019  # odd and not a multiple of 5: a bijection modulo 10**11
BY = "kyodo-cli:demo"


@dataclass
class _Draft:
    values: dict[str, Any]
    kind: EventKind


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _birth(rng: random.Random, age: int, today: dt.date) -> dt.date:
    year = today.year - age
    return _day_in(
        rng, dt.date(year - 1, today.month, 1) + dt.timedelta(days=1), dt.date(year, today.month, 1)
    )


class Generator:
    """Plausible households of one city; deterministic for a given seed."""

    def __init__(self, slug: str, seed: int = 2026, today: dt.date | None = None) -> None:
        self.rng = random.Random(f"{slug}:{seed}")
        # Its own stream, so adding the 本籍 left every other generated value as it was.
        self.honseki_rng = random.Random(f"{slug}:{seed}:honseki")
        self.home = demo_data.HONSEKI_CITIES.get(slug)
        self.today = today or japan_today()
        self.towns = demo_data.TOWNS.get(slug, demo_data.GENERIC_TOWNS)
        self.sizes = [s for s, _ in SIZE_WEIGHTS]
        self.weights = [w for _, w in SIZE_WEIGHTS]

    def _name(self, sex: str) -> tuple[str, str]:
        return self.rng.choice(demo_data.MALE_NAMES if sex == "male" else demo_data.FEMALE_NAMES)

    def _address(self) -> dict[str, str]:
        rng = self.rng
        town = rng.choice(self.towns)
        if rng.random() < 0.5:
            banchi = f"{rng.randint(1, 5)}丁目{rng.randint(1, 30)}番{rng.randint(1, 25)}号"
        else:
            banchi = f"{rng.randint(1, 3000)}番地{'' if rng.random() < 0.6 else f'の{rng.randint(1, 20)}'}"
        katagaki = ""
        if rng.random() < 0.2:
            katagaki = f"{rng.choice(demo_data.BUILDINGS)}{rng.randint(1, 4)}0{rng.randint(1, 8)}号室"
        return {"town": town, "banchi": to_fullwidth(banchi), "katagaki": katagaki}

    def _honseki(self) -> str:
        """A plausible 本籍: mostly in this city, else elsewhere in the prefecture or in Japan."""
        rng = self.honseki_rng
        roll = rng.random()
        if self.home and roll < 0.55:
            place = self.home + rng.choice(self.towns)
        elif roll < 0.8:
            place = rng.choice(
                [p for p in demo_data.HONSEKI_PREFECTURE if not p.startswith(self.home or "-")]
            )
        else:
            place = rng.choice(demo_data.HONSEKI_ELSEWHERE)
        if rng.random() < 0.3:
            return f"{place}{rng.choice('一二三四五')}丁目{rng.randint(1, 40)}番地"
        return f"{place}{rng.randint(1, 3000)}番地"

    def _family_register(
        self, members: list[tuple[str, str, dt.date]], names: list[str]
    ) -> list[tuple[str | None, str | None]]:
        """本籍 and 筆頭者 of each member: the head's 戸籍 for spouse and children, a parent's own;
        now and then a household of 外国人住民, who have none."""
        rng = self.honseki_rng
        if rng.random() < 0.03:
            return [(None, None)] * len(members)
        family = (self._honseki(), names[0])
        out: list[tuple[str | None, str | None]] = []
        for (_sex, relationship, _birth), name in zip(members, names, strict=True):
            out.append((self._honseki(), name) if relationship in ("父", "母") else family)
        return out

    def household(self, size: int | None = None) -> list[_Draft]:
        """One household: a head, maybe a spouse, children, a parent; same surname and address."""
        rng, today = self.rng, self.today
        size = size or rng.choices(self.sizes, self.weights)[0]
        surname, surname_kana = rng.choice(demo_data.SURNAMES)
        address = self._address()
        head_age = rng.randint(22, 92) if size == 1 else rng.randint(28, 75)
        head_sex = "male" if rng.random() < (0.5 if size == 1 else 0.8) else "female"
        arrived = _day_in(rng, max(dt.date(1975, 1, 1), _birth(rng, head_age - 18, today)), today)
        members: list[tuple[str, str, dt.date]] = [(head_sex, HEAD, _birth(rng, head_age, today))]
        if size >= 2 and rng.random() < 0.85:
            spouse = "female" if head_sex == "male" else "male"
            age = max(20, head_age + rng.randint(-6, 4))
            members.append((spouse, "妻" if spouse == "female" else "夫", _birth(rng, age, today)))
        if size >= 3 and head_age < 70 and rng.random() < 0.15:
            parent_age = min(100, head_age + rng.randint(24, 34))
            parent_sex = rng.choice(("male", "female"))
            members.append(
                (parent_sex, "父" if parent_sex == "male" else "母", _birth(rng, parent_age, today))
            )
        while len(members) < size:
            age = max(0, head_age - rng.randint(22, 40))
            members.append((rng.choice(("male", "female")), "子", _birth(rng, age, today)))
        given_names = [self._name(sex) for sex, _rel, _birth in members]
        registers = self._family_register(members, [f"{surname}\u3000{g}" for g, _ in given_names])
        drafts = []
        for (sex, relationship, birth), (given, given_kana), (honseki, hitto_sha) in zip(
            members, given_names, registers, strict=True
        ):
            since = max(arrived, birth)
            values = {
                "family_name": surname,
                "given_name": given,
                "family_kana": surname_kana,
                "given_kana": given_kana,
                "birth_date": birth,
                "sex": sex,
                "relationship": relationship,
                **address,
                "resident_since": since,
                "status": Status.resident.value,
                "left_on": None,
                "honseki": honseki,
                "hitto_sha": hitto_sha,
            }
            drafts.append(_Draft(values, EventKind.birth if since == birth else EventKind.move_in))
        return drafts

    def households(self, count: int) -> Iterator[list[_Draft]]:
        """Households until ``count`` people are made (the last one cut to fit)."""
        made = 0
        while made < count:
            drafts = self.household()[: count - made]
            made += len(drafts)
            yield drafts


def demo_mynumber(atena_no: int) -> str:
    """A well-formed, synthetic 個人番号, unique per 宛名番号 within a city."""
    return with_check_digit(f"{(atena_no * _MYNUMBER_STEP + 10**10) % 10**11:011d}")


def _insert_batch(
    conn: Connection, vault: Vault, batch: list[list[_Draft]], first_household: int, first_atena: int
) -> None:
    now = utcnow()
    # Plain executemany (psycopg pipelines it) and then one indexed SELECT to learn the new ids:
    # much faster than multi-row INSERT ... RETURNING, whose huge statements psycopg must parse.
    last_household = first_household + len(batch) - 1
    conn.execute(
        sa.insert(Household),
        [{"household_no": first_household + i, "created_at": now} for i in range(len(batch))],
    )
    household_ids = dict(
        conn.execute(
            sa.select(Household.household_no, Household.id).where(
                Household.household_no.between(first_household, last_household)
            )
        ).all()
    )
    person_rows = []
    atena_no = first_atena
    for i, drafts in enumerate(batch):
        household_id = household_ids[first_household + i]
        for draft in drafts:
            # 住所を定めた年月日 (住基法7条7号): the demo people have lived at their address since they came.
            values = {
                "address_since": draft.values["resident_since"],
                **draft.values,
                "household_id": household_id,
            }
            number = demo_mynumber(atena_no)
            person_rows.append(
                {
                    **{f: values.get(f, FIELD_DEFAULTS.get(f)) for f in SNAPSHOT_FIELDS},
                    "atena_no": atena_no,
                    **search_keys(values),
                    "mynumber_token": vault.encrypt(number),
                    "mynumber_digest": vault.digest(number),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            atena_no += 1
    conn.execute(sa.insert(Person), person_rows)
    person_ids = dict(
        conn.execute(
            sa.select(Person.atena_no, Person.id).where(Person.atena_no.between(first_atena, atena_no - 1))
        ).all()
    )
    drafts_flat = [d for drafts in batch for d in drafts]
    events = []
    for row, draft in zip(person_rows, drafts_flat, strict=True):
        person_id = person_ids[row["atena_no"]]
        snapshot = {f: row[f] for f in SNAPSHOT_FIELDS}
        events.append(
            {
                "person_id": person_id,
                "household_id": row["household_id"],
                "kind": draft.kind.value,
                "effective_on": row["resident_since"],
                "recorded_at": now,
                "recorded_by": BY,
                "before": None,
                "after": to_json(snapshot),
                "note": "デモデータ",
            }
        )
    conn.execute(sa.insert(ResidentEvent), events)
    heads = (
        sa.select(Person.id)
        .where(Person.household_id == Household.id, Person.relationship == HEAD)
        .scalar_subquery()
    )
    conn.execute(
        sa.update(Household)
        .where(Household.household_no.between(first_household, last_household))
        .values(head_person_id=heads)
    )


def load_residents(
    db: Database,
    secret: str,
    slug: str,
    count: int,
    *,
    batch_people: int = 5000,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Add ``count`` synthetic residents to the city ``slug``; return how many were added."""
    vault = Vault.for_city(secret, slug)
    with db.session(f"t_{slug}") as session:
        already = session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    generator = Generator(slug, seed * 1_000_003 + already)  # a second run adds other people
    done = 0
    pending: list[list[_Draft]] = []
    pending_people = 0

    def flush() -> None:
        nonlocal done, pending, pending_people
        with db.session(f"t_{slug}") as session:
            first_household = numbers.reserve(session, numbers.HOUSEHOLD, len(pending))
            first_atena = numbers.reserve(session, numbers.ATENA, pending_people)
            _insert_batch(session.connection(), vault, pending, first_household, first_atena)
            session.commit()
        done += pending_people
        pending, pending_people = [], 0
        if progress:
            progress(done, count)

    for drafts in generator.households(count):
        pending.append(drafts)
        pending_people += len(drafts)
        if pending_people >= batch_people:
            flush()
    if pending:
        flush()
    return done
