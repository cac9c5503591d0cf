"""Tables of the seal register (印鑑登録原票), per city, and the history of each registration."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class SealStatus(enum.StrEnum):
    registered = "registered"  # 登録中: a certificate may be issued
    lost = "lost"  # 印鑑登録証亡失: no certificate until abolished or replaced
    abolished = "abolished"  # 登録廃止
    erased = "erased"  # 職権抹消: the holder moved out or died (the date and reason as for 廃止)


class SealEventKind(enum.StrEnum):
    registered = "registered"  # 登録
    lost = "lost"  # 亡失届
    abolished = "abolished"  # 廃止届
    erased = "erased"  # 職権抹消 (転出・死亡)


class SealRegistration(TenantBase):
    """One registered seal of a resident (named by the 宛名番号 of the resident register)."""

    __tablename__ = "seal_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str] = mapped_column(sa.String(20), unique=True)  # 登録番号
    card_no: Mapped[str] = mapped_column(sa.String(20), unique=True)  # 印鑑登録証の番号
    atena_no: Mapped[int]
    registered_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(sa.String(12), default=SealStatus.registered)
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)  # 印影 (PNG or JPEG, checked on upload)
    image_mime: Mapped[str] = mapped_column(sa.String(20))
    image_sha256: Mapped[str] = mapped_column(sa.String(64))
    image_width: Mapped[int]
    image_height: Mapped[int]
    registered_by: Mapped[str] = mapped_column(sa.String(120))
    lost_on: Mapped[dt.date | None]
    lost_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # When and why the registration ended: by a 廃止届, or by the city (職権抹消, status ``erased``).
    abolished_on: Mapped[dt.date | None]
    abolished_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Optimistic concurrency: every UPDATE checks and advances it (tenant_core/concurrency.py).
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)
    __table_args__ = (sa.Index("ix_seal_registrations_atena_no", "atena_no"),)


class SealEvent(TenantBase):
    """One step in the life of a registration: registered, card lost, abolished."""

    __tablename__ = "seal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("seal_registrations.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    effective_on: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(120))

    __table_args__ = (sa.Index("ix_seal_events_registration_id", "registration_id"),)


class SealCounter(TenantBase):
    """Per-city number sequences (登録番号, 印鑑登録証番号), advanced atomically."""

    __tablename__ = "seal_counters"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)
