"""A restored city's 個人番号: re-encrypted under a new slug's key, and checked against this secret.

The vault's keys are derived from the slug (mynumber.py), so after ``kyodo tenants restore --as`` the
tokens and digests written under the old slug would read as no number at all. The core calls this
through the module contract (``ModuleInfo.rekey``) inside the restore's transaction, then
``check_key`` (``ModuleInfo.key_check``): an archive restored on an installation with another
KYODO_SECRET_KEY would otherwise give back every 個人番号 as blank, without a word.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents.models import Person
from modules.residents.mynumber import vault_for

BATCH = 2000


def rekey_city(session: Session, old_slug: str, new_slug: str) -> dict[str, int]:
    """Re-encrypt every 個人番号 and renew its digest; a token the old key cannot open is left as it is."""
    old, new = vault_for(old_slug), vault_for(new_slug)
    table = cast(sa.Table, Person.__table__)
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(mynumber_token=sa.bindparam("b_token"), mynumber_digest=sa.bindparam("b_digest"))
    )
    done = unreadable = 0
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(table.c.id, table.c.mynumber_token)
            .where(table.c.mynumber_token.is_not(None), table.c.id > last_id)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        changes: list[dict[str, Any]] = []
        for row in rows:
            number = old.decrypt(row.mynumber_token)
            if number is None:
                unreadable += 1
                continue
            changes.append({"b_id": row.id, "b_token": new.encrypt(number), "b_digest": new.digest(number)})
        if changes:
            # Core executemany: not a change of the person (no version bump, no history entry).
            session.execute(update, changes)
            done += len(changes)
    return {"persons": done, "unreadable": unreadable}


SAMPLE = 20


def check_key(session: Session, slug: str) -> str | None:
    """None when the city's 個人番号 open with this installation's key; else why the restore must stop.

    A few tokens are tried (all are written under one key): none opening means another secret.
    """
    vault = vault_for(slug)
    tokens = session.scalars(
        sa.select(Person.mynumber_token)
        .where(Person.mynumber_token.is_not(None))
        .order_by(Person.id)
        .limit(SAMPLE)
    ).all()
    if tokens and not any(vault.decrypt(t) is not None for t in tokens):
        return (
            "the archive's 個人番号 were encrypted under another KYODO_SECRET_KEY: restore it on an "
            "installation with the same secret"
        )
    return None
