"""The seal register in bulk, for a city's data migration (移行): write registrations as a file states
them (keyed by the 登録番号 of the old system), read them back for an export.

A registration not yet in the register is added with the events its state implies (登録, then the
亡失・廃止・職権抹消 that ended it, on the date the file gives), never more; one already there is left
as it is. The image was checked by the caller with ``check_image`` (a registration without one keeps
an empty image: the old system had none to give).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.seals.images import CheckedImage
from modules.seals.models import SealEvent, SealEventKind, SealRegistration, SealStatus
from tenant_core.models import utcnow


@dataclass(frozen=True)
class IncomingSeal:
    registration_no: str
    atena_no: int
    registered_on: dt.date
    status: str  # a SealStatus value
    ended_on: dt.date | None
    image: CheckedImage | None
    image_name: str = ""


def apply_seals(session: Session, rows: Sequence[IncomingSeal], *, source: str, by: str) -> int:
    """Add the registrations not yet in the register; return how many were added."""
    if not rows:
        return 0
    known = set(
        session.scalars(
            sa.select(SealRegistration.registration_no).where(
                SealRegistration.registration_no.in_([r.registration_no for r in rows])
            )
        )
    )
    added = 0
    now = utcnow()
    for row in rows:
        if row.registration_no in known:
            continue
        image = row.image
        reg = SealRegistration(
            registration_no=row.registration_no,
            card_no=row.registration_no,  # the old system's card numbers are not in the layout
            atena_no=row.atena_no,
            registered_on=row.registered_on,
            status=row.status,
            image=image.data if image else b"",
            image_mime=image.mime if image else "",
            image_sha256=image.sha256 if image else "",
            image_width=image.width if image else 0,
            image_height=image.height if image else 0,
            registered_by=by,
            lost_on=row.ended_on if row.status == SealStatus.lost else None,
            lost_reason="",
            abolished_on=row.ended_on if row.status in (SealStatus.abolished, SealStatus.erased) else None,
            abolished_reason=f"移行（{source}）" if row.status != SealStatus.registered else "",
            created_at=now,
            updated_at=now,
        )
        session.add(reg)
        session.flush()
        note = f"移行（{source}）"[:300]
        session.add(
            SealEvent(
                registration_id=reg.id,
                kind=SealEventKind.registered,
                effective_on=row.registered_on,
                reason=note,
                recorded_by=by,
                recorded_at=now,
            )
        )
        if row.status != SealStatus.registered and row.ended_on is not None:
            session.add(
                SealEvent(
                    registration_id=reg.id,
                    kind=SealEventKind(row.status),
                    effective_on=row.ended_on,
                    reason=note,
                    recorded_by=by,
                    recorded_at=now,
                )
            )
        added += 1
    session.flush()
    return added


def registration_known(session: Session, registration_no: str) -> bool:
    return (
        session.scalar(
            sa.select(SealRegistration.id).where(SealRegistration.registration_no == registration_no)
        )
        is not None
    )


@dataclass(frozen=True)
class OutgoingSeal:
    registration_no: str
    atena_no: int
    registered_on: dt.date
    status: str
    ended_on: dt.date | None
    image: bytes
    image_mime: str


def iter_seals(session: Session, batch: int = 1000) -> Iterator[OutgoingSeal]:
    """Every registration, by 登録番号, read in batches."""
    last = ""
    while True:
        regs = session.scalars(
            sa.select(SealRegistration)
            .where(SealRegistration.registration_no > last)
            .order_by(SealRegistration.registration_no)
            .limit(batch)
        ).all()
        if not regs:
            return
        last = regs[-1].registration_no
        for r in regs:
            ended = r.lost_on if r.status == SealStatus.lost else r.abolished_on
            yield OutgoingSeal(
                r.registration_no, r.atena_no, r.registered_on, r.status, ended, r.image, r.image_mime
            )
        session.expunge_all()
