"""A person's state on any date: the ``after`` values of their events, replayed in date order."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents import kana
from modules.residents.models import HEAD, Citizenship, NameAndAddress, Person, ResidentEvent, Status

# The fields an event may change; dates travel through JSON as ISO strings.
SNAPSHOT_FIELDS = (
    "household_id",
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "birth_date",
    "sex",
    "relationship",
    "town",
    "banchi",
    "katagaki",
    "resident_since",
    "status",
    "left_on",
    "honseki",
    "hitto_sha",
    "juminhyo_code",
    "citizenship",
    "nationality",
    "foreign_category",
    "residence_status",
    "residence_period",
    "residence_from",
    "residence_until",
    "card_number",
    "alpha_name",
    "tsusho",
    "tsusho_kana",
    "kyuuji",
    "kyuuji_kana",
    "address_since",
    "notified_on",
    "previous_address",
)
DATE_FIELDS = (
    "birth_date",
    "resident_since",
    "left_on",
    "residence_from",
    "residence_until",
    "address_since",
    "notified_on",
)
# What a field reads as when an event recorded before the register kept it says nothing of it.
FIELD_DEFAULTS: dict[str, Any] = {"citizenship": Citizenship.japanese.value}


@dataclass(frozen=True)
class PersonState(NameAndAddress):
    """What the register said about a person on one date (or now): a plain value, never an ORM row."""

    person_id: int
    atena_no: int
    household_id: int
    family_name: str
    given_name: str
    family_kana: str
    given_kana: str
    birth_date: dt.date
    sex: str
    relationship: str
    town: str
    banchi: str
    katagaki: str
    resident_since: dt.date
    status: str
    left_on: dt.date | None
    honseki: str | None = None  # 本籍; None for events recorded before the register kept it
    hitto_sha: str | None = None  # 筆頭者の氏名
    juminhyo_code: str | None = None  # 住民票コード
    citizenship: str = Citizenship.japanese.value  # 日本人 / 外国人
    nationality: str | None = None  # 国籍・地域
    foreign_category: str | None = None  # 30条45規定区分
    residence_status: str | None = None  # 在留資格
    residence_period: str | None = None  # 在留期間
    residence_from: dt.date | None = None  # 在留期間の始期
    residence_until: dt.date | None = None  # 在留期間の満了の日
    card_number: str | None = None  # 在留カード等の番号
    alpha_name: str | None = None  # アルファベット氏名
    tsusho: str | None = None  # 通称
    tsusho_kana: str | None = None
    kyuuji: str | None = None  # 旧氏
    kyuuji_kana: str | None = None
    address_since: dt.date | None = None  # 住所を定めた年月日
    notified_on: dt.date | None = None  # その届出の年月日
    previous_address: str | None = None  # 従前の住所

    @property
    def is_foreign(self) -> bool:
        return self.citizenship == Citizenship.foreign

    @property
    def is_resident(self) -> bool:
        return self.status == Status.resident

    @property
    def is_head(self) -> bool:
        return self.relationship == HEAD

    @classmethod
    def of(cls, person: Person) -> PersonState:
        return cls(
            person_id=person.id,
            atena_no=person.atena_no,
            **{f: getattr(person, f) for f in SNAPSHOT_FIELDS},
        )


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def from_json(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (dt.date.fromisoformat(v) if k in DATE_FIELDS and isinstance(v, str) else v)
        for k, v in values.items()
        if k in SNAPSHOT_FIELDS
    }


def snapshot(person: Person) -> dict[str, Any]:
    return {f: getattr(person, f) for f in SNAPSHOT_FIELDS}


def search_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """The search keys (``kana_key``, ``name_key``, ``address_key``) of a person with these fields."""
    return {
        "kana_key": kana.kana_search_key(values["family_kana"] + values["given_kana"]),
        "name_key": kana.name_search_key(values["family_name"] + values["given_name"]),
        "address_key": kana.address_search_key(values["town"] + values["banchi"]),
        "alpha_key": alpha_search_key(values.get("alpha_name")),
        "tsusho_key": kana.name_search_key(values["tsusho"]) if values.get("tsusho") else None,
    }


def alpha_search_key(name: str | None) -> str | None:
    """An アルファベット氏名 folded for a prefix search: upper case, letters only (spaces, commas dropped)."""
    if not name:
        return None
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", name).upper() if ch.isalnum())
    return folded or None


def refresh_keys(person: Person) -> None:
    """Recompute the search keys of a person row from its fields."""
    keys = search_keys(snapshot(person))
    person.kana_key = keys["kana_key"]
    person.name_key = keys["name_key"]
    person.address_key = keys["address_key"]
    person.alpha_key = keys["alpha_key"]
    person.tsusho_key = keys["tsusho_key"]


def person_on(session: Session, person_id: int, on: dt.date) -> PersonState | None:
    """The person as the register showed them at the end of ``on``; None if not yet registered."""
    atena_no = session.scalar(sa.select(Person.atena_no).where(Person.id == person_id))
    if atena_no is None:
        return None
    events = session.scalars(
        sa.select(ResidentEvent)
        .where(
            ResidentEvent.person_id == person_id,
            ResidentEvent.effective_on <= on,
            # 異動の取消し (cancellation.py): a cancelled event and its cancellation leave no trace here.
            ResidentEvent.cancelled_by_id.is_(None),
            ResidentEvent.cancels_id.is_(None),
        )
        .order_by(ResidentEvent.effective_on, ResidentEvent.id)
    ).all()
    state: dict[str, Any] = {}
    for event in events:
        state.update(from_json(event.after))
    if not state:
        return None
    names = {f.name for f in fields(PersonState)}
    # The events' JSON is typed by its field names, not by mypy: each value as ``from_json`` made it.
    values: dict[str, Any] = {
        k: state.get(k, FIELD_DEFAULTS.get(k)) for k in names - {"person_id", "atena_no"}
    }
    return PersonState(person_id=person_id, atena_no=atena_no, **values)
