"""A city restored under another slug: its 個人番号 re-encrypted under the new slug's key.

The vault's keys are derived from the slug (mynumber.py), so after ``kyodo tenants restore --as`` the
tokens and digests written under the old slug would read as no number at all. The core calls this
through the module contract (``ModuleInfo.rekey``) inside the restore's transaction.
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
