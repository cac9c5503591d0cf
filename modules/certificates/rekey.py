"""A city restored under another slug: its certificates' secrets re-encrypted under the new slug's key.

A stored PDF that shows a 個人番号 is encrypted with the city's vault, and the recorded content keeps
the number's token as the register had it; both follow the city to its new slug (``ModuleInfo.rekey``,
called inside the restore's transaction).
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.certificates.models import Issuance
from modules.residents.public import Vault, vault_for

BATCH = 500


def _retoken(value: Any, old: Vault, new: Vault) -> tuple[Any, bool]:
    """``value`` with every ``mynumber_token`` re-encrypted (wherever the content nests it)."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "mynumber_token" and isinstance(v, str) and v:
                number = old.decrypt(v)
                if number is not None:
                    v, changed = new.encrypt(number), True
            else:
                v, inner = _retoken(v, old, new)
                changed = changed or inner
            out[k] = v
        return out, changed
    if isinstance(value, list):
        items = [_retoken(v, old, new) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def rekey_city(session: Session, old_slug: str, new_slug: str) -> dict[str, int]:
    old, new = vault_for(old_slug), vault_for(new_slug)
    table = cast(sa.Table, Issuance.__table__)
    done = 0
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(table.c.id, table.c.content, table.c.pdf, table.c.pdf_encrypted)
            .where(table.c.id > last_id)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            values: dict[str, Any] = {}
            content, changed = _retoken(row.content, old, new)
            if changed:
                values["content"] = content
            if row.pdf_encrypted and row.pdf is not None:
                text = old.decrypt(bytes(row.pdf).decode("ascii"))
                if text is not None:
                    values["pdf"] = new.encrypt(text).encode("ascii")
            if values:
                # Core update: the record is the same issuance (its version stays).
                session.execute(sa.update(table).where(table.c.id == row.id).values(**values))
                done += 1
    return {"issuances": done}
