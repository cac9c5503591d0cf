"""A seal registration follows the resident register: a 転出 or 死亡 erases it (職権抹消).

印鑑登録証明事務処理要領 (昭和49年自治振第10号, 登録の抹消) and each city's 印鑑条例 (準則 第12条
「職権で、当該印鑑の登録を抹消しなければならない」): the registration is erased by the city itself when
its holder 転出届をしたとき or 死亡したとき, among other causes. Here the erasure happens when the 転出
takes effect in the register (the person leaves it on the 転出日), so a person who has made a 転出届 for
a later date keeps a usable seal until that day, as the cities' counters tell residents; a 死亡 erases
it at once. Either way it is done in the transaction of the register's event: if the event fails,
the seal stays registered.

Registered at start-up by the manifest's ``startup`` (``modules/seals/__init__.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.residents import public as residents
from modules.seals.models import SealEvent, SealEventKind, SealRegistration, SealStatus
from tenant_core.concurrency import lock_rows
from tenant_core.models import utcnow

# The reason written on the registration and its history (Japanese, as the 原票 reads).
REASONS = {False: "転出による職権抹消", True: "死亡による職権抹消"}


def erase_on_person_left(session: Session, left: residents.PersonLeft) -> list[SealRegistration]:
    """Erase every registration of the person still in force (registered, or with its card lost)."""
    ids = list(
        session.scalars(
            sa.select(SealRegistration.id).where(
                SealRegistration.atena_no == left.atena_no,
                SealRegistration.status.in_([SealStatus.registered, SealStatus.lost]),
            )
        )
    )
    if not ids:
        return []
    # The same lock a 亡失届, 廃止届 or a certificate takes: whichever comes second sees the first.
    lock_rows(session, SealRegistration, ids)
    reason = REASONS[left.is_death]
    erased = []
    for reg in session.scalars(sa.select(SealRegistration).where(SealRegistration.id.in_(ids))):
        if reg.status not in (SealStatus.registered, SealStatus.lost):
            continue  # abolished meanwhile
        reg.status, reg.abolished_on, reg.abolished_reason = SealStatus.erased, left.on, reason
        reg.updated_at = utcnow()
        session.add(
            SealEvent(
                registration_id=reg.id,
                kind=SealEventKind.erased,
                effective_on=left.on,
                reason=reason,
                recorded_by=left.by,
            )
        )
        erased.append(reg)
    session.flush()
    return erased


def register_listener() -> None:
    """The manifest's ``startup``: listen to the register's 転出 and 死亡 (idempotent)."""
    residents.on_person_left(erase_on_person_left)
