"""Gathering one person's situation across the modules, each through that module's own services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from modules.residents import services as residents
from modules.residents.models import Household, Person
from tenant_core.optional import optional_module

# The certificate module's reading function, by the first of these names that it provides:
# ``f(session, atena_no) -> list`` of issued certificates, newest first.


@dataclass
class Situation:
    person: Person
    household: Household | None
    members: list[Any]
    events: list[Any]
    seals: list[Any] | None  # None when the seal module is absent
    certificates: list[Any] | None  # None when the certificate module is absent
    notes: list[str] = field(default_factory=list)


def _certificates(session: Session, atena_no: int) -> list[Any] | None:
    module = optional_module("modules.certificates.services")
    if module is None:
        return None
    return module.issuances_of(session, atena_no)


def _seals(session: Session, atena_no: int) -> list[Any] | None:
    module = optional_module("modules.seals.services")
    return None if module is None else module.registrations_of(session, atena_no)


def situation(session: Session, atena_no: int) -> Situation | None:
    """Everything the modules know of this person in the session's city (None if no such person)."""
    person = residents.get_person(session, atena_no)
    if person is None:
        return None
    return Situation(
        person=person,
        household=session.get(Household, person.household_id),
        members=residents.household_members(session, person.household_id),
        events=residents.events_of(session, person),
        seals=_seals(session, atena_no),
        certificates=_certificates(session, atena_no),
    )
