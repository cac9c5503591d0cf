"""Per-city number sequences: the 宛名番号 (common addressee number) and the 世帯番号."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents.models import Household, Person, ResidentCounter
from tenant_core import sequences

ATENA = "atena"
HOUSEHOLD = "household"
_COLUMNS = {ATENA: Person.atena_no, HOUSEHOLD: Household.household_no}


def reserve(session: Session, name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of sequence ``name``; return the first.

    A city whose register was loaded before its counter row existed goes on after the highest
    number already given, never reusing one.
    """

    def after_existing(s: Session) -> int:
        return (s.scalar(sa.select(sa.func.max(_COLUMNS[name]))) or 0) + 1

    return sequences.reserve(session, ResidentCounter, name, count, first=after_existing)
