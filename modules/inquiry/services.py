"""Gathering one person's situation across the modules, each through that module's own services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from modules.residents import public as residents
from modules.residents.public import Household, Person
from tenant_core.modules import get_module, import_part


@dataclass
class Situation:
    person: Person
    household: Household | None
    members: list[Any]
    events: list[Any]
    seals: list[Any] | None  # None when the seal module is absent
    certificates: list[Any] | None  # None when the certificate module is absent
    notes: list[str] = field(default_factory=list)
    # How a seal registration's state reads (the seal module's labels; the code when it is absent).
    seal_status: Callable[[str], str] = str


def _installed_reader(module: str, function: str) -> Callable[..., Any] | None:
    """``function`` of another module's public interface (a reader is called ``(session, atena_no)``);
    None when that module is not installed here (one installed but broken has already stopped the
    start-up)."""
    info = get_module(module)
    return None if info is None else import_part(info, f"modules.{module}.public:{function}")


def _certificates(session: Session, atena_no: int) -> list[Any] | None:
    reader = _installed_reader("certificates", "issuances_of")
    return None if reader is None else reader(session, atena_no)


def _seals(session: Session, atena_no: int) -> list[Any] | None:
    reader = _installed_reader("seals", "registrations_of")
    return None if reader is None else reader(session, atena_no)


def situation(session: Session, atena_no: int) -> Situation | None:
    """Everything the modules know of this person in the session's city (None if no such person)."""
    person = residents.get_person(session, atena_no)
    if person is None:
        return None
    seal_status = _installed_reader("seals", "status_label")
    return Situation(
        person=person,
        household=residents.household_of(session, person),
        members=residents.household_members(session, person.household_id),
        events=residents.events_of(session, person),
        seals=_seals(session, atena_no),
        certificates=_certificates(session, atena_no),
        seal_status=seal_status or str,
    )
