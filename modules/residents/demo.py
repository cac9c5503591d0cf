"""Demo residents for ``make run`` / ``kyodo init --demo``: a small register in each demo city."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from modules.residents.bulk import load_residents
from modules.residents.models import Person
from tenant_core.config import Settings
from tenant_core.db import Database

DEMO_RESIDENTS = 300


def load_demo(
    db: Database, settings: Settings, slugs: list[str], count: int = DEMO_RESIDENTS
) -> Iterator[str]:
    """Give each city ``count`` synthetic residents, unless it already has some (safe to run again)."""
    secret = settings.resolved_secret_key()
    for slug in slugs:
        with db.session(f"t_{slug}") as session:
            existing = session.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
        if existing:
            yield f"residents {slug}: {existing} already registered"
            continue
        added = load_residents(db, secret, slug, count)
        yield f"residents {slug}: {added} demo residents added"
