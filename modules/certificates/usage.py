"""What this module served a city in a month, for the platform's usage measurement (the manifest's
``usage_counters``): certificates issued, by their issue date (Japan time)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.certificates.models import Issuance


def usage_counts(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    issued = session.scalar(
        sa.select(sa.func.count(Issuance.id)).where(Issuance.issued_on >= start, Issuance.issued_on < end)
    )
    return {"certificates": int(issued or 0)}
