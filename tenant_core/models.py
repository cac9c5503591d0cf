"""Shared-schema models of the core: consortia, tenants and job records; and the core's tenant table."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenant_core.codes import schema_name
from tenant_core.db import SharedBase, TenantBase


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    archived = "archived"


class Consortium(SharedBase):
    """A 協議会: the group of cities that share the system and split its cost."""

    __tablename__ = "consortia"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tenants: Mapped[list[Tenant]] = relationship(back_populates="consortium", order_by="Tenant.code")


class Tenant(SharedBase):
    """A participating city; its business data lives in the schema ``t_<slug>``."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    population: Mapped[int | None]
    households: Mapped[int | None]
    population_as_of: Mapped[dt.date | None]
    status: Mapped[TenantStatus] = mapped_column(
        sa.Enum(TenantStatus, native_enum=False, length=20), default=TenantStatus.active
    )
    consortium_id: Mapped[int] = mapped_column(sa.ForeignKey(Consortium.id), index=True)
    modules: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Per-city settings from the declaration's [security] table (timeouts, password rules, TOTP).
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default=sa.text("'{}'"))
    # The tenant schema's Alembic revision, kept here so that "nothing to migrate" costs one query.
    schema_revision: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consortium: Mapped[Consortium] = relationship(back_populates="tenants")

    @property
    def schema(self) -> str:
        return schema_name(self.slug)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.active


class JobState(enum.StrEnum):
    queued = "queued"
    started = "started"
    finished = "finished"
    failed = "failed"
    canceled = "canceled"


class JobRecord(SharedBase):
    """One background job: which tenant it runs for, its state, progress and outcome.

    The record is the source of truth (an outbox): rq only carries it to a worker. ``attempts``
    counts the runs that claimed it and fences a stale run out; ``heartbeat_at`` is refreshed while
    it runs; ``progress_state`` is the checkpoint a job resumes from on retry.
    """

    __tablename__ = "job_records"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="CASCADE"), index=True)
    func: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    queue: Mapped[str] = mapped_column(sa.String(40), default="default")
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[JobState] = mapped_column(
        sa.Enum(JobState, native_enum=False, length=20), default=JobState.queued, index=True
    )
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    idempotent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    timeout: Mapped[int] = mapped_column(default=600, server_default="600")
    dispatch_error: Mapped[str | None] = mapped_column(sa.Text)
    heartbeat_at: Mapped[dt.datetime | None]
    runner: Mapped[str | None] = mapped_column(sa.String(100))
    progress_state: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    tenant: Mapped[Tenant | None] = relationship()

    def stale(self, now: dt.datetime, stale_after: int) -> bool:
        """A started run that has not shown a sign of life for ``stale_after`` seconds, or overran its timeout."""
        if self.state != JobState.started:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        if (now - last).total_seconds() > stale_after:
            return True
        started = self.started_at or self.created_at
        return (now - started).total_seconds() > self.timeout + stale_after


class Notice(TenantBase):
    """A notice (お知らせ) that a city posts on its staff portal; published on its date by a job."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    publish_on: Mapped[dt.date] = mapped_column(index=True)
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CounterVisit(TenantBase):
    """A clerk's visit at the counter (窓口対応) with one person, from opening their page until the clerk
    closes it: the person every module's page offers first, and the day's 'recent persons'.

    The person is named by the 宛名番号 only; their name is read through the module that keeps the
    register each time it is shown, so that a person hidden from this clerk (支援措置) stays hidden.
    """

    __tablename__ = "counter_visits"
    __table_args__ = (sa.Index("ix_counter_visits_user_id_opened_at", "user_id", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]  # shared.users.id of the clerk (another schema: no foreign key)
    atena_no: Mapped[int]
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
