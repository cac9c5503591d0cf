"""Per-city number sequences: the 宛名番号 (common addressee number) and the 世帯番号."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents.models import Household, Person, ResidentCounter

ATENA = "atena"
HOUSEHOLD = "household"
_COLUMNS = {ATENA: Person.atena_no, HOUSEHOLD: Household.household_no}


def reserve(session: Session, name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of sequence ``name``; return the first.

    One UPDATE ... RETURNING: concurrent clerks queue on the counter row, never share a number.
    The row is made on first use (a city's schema is created from the models, without seed rows).
    """
    for _attempt in range(3):
        last = session.execute(
            sa.update(ResidentCounter)
            .where(ResidentCounter.name == name)
            .values(value=ResidentCounter.value + count)
            .returning(ResidentCounter.value)
        ).scalar()
        if last is not None:
            return int(last) - count + 1
        start = (session.scalar(sa.select(sa.func.max(_COLUMNS[name]))) or 0) + 1
        try:
            with session.begin_nested():
                session.add(ResidentCounter(name=name, value=start + count - 1))
            return start
        except sa.exc.IntegrityError:
            continue  # someone else made the row meanwhile: take the UPDATE path
    raise RuntimeError(f"could not reserve numbers of sequence {name}")
