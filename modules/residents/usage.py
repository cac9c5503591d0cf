"""What this module holds for a city in a month, for the platform's usage measurement (the manifest's
``usage_counters``): resident records held at the end of the month (residents then, not yet left)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents.models import Person


def usage_counts(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    held = session.scalar(
        sa.select(sa.func.count(Person.id)).where(
            Person.resident_since < end, sa.or_(Person.left_on.is_(None), Person.left_on >= end)
        )
    )
    return {"resident_records": int(held or 0)}
