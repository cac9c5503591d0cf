"""Versions of parameter values, in the shared schema: nothing is overwritten, every change is a row."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import SharedBase
from tenant_core.models import Consortium, Tenant, utcnow


class Scope(enum.StrEnum):
    consortium = "consortium"
    tenant = "tenant"


class ParamVersion(SharedBase):
    """One value of one parameter for a consortium or a city, in force from ``effective_from``.

    The newest version (by date, then by id) whose date has come wins; a ``reset`` version removes
    the level's own value (the consortium's value or the default applies again). A cancelled
    version was a scheduled change withdrawn before its date: it stays, flagged, in the history.
    """

    __tablename__ = "param_versions"
    __table_args__ = (
        sa.CheckConstraint(
            "(scope = 'tenant' AND tenant_id IS NOT NULL) OR (scope = 'consortium' AND tenant_id IS NULL)",
            name="scope_owner",
        ),
        sa.Index("ix_param_versions_tenant_id_key", "tenant_id", "key"),
        sa.Index("ix_param_versions_consortium_id_key", "consortium_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[Scope] = mapped_column(sa.Enum(Scope, native_enum=False, length=20))
    # Always the owning consortium: a city's versions carry its consortium too, so that one query
    # by consortium finds every version a comparison needs.
    consortium_id: Mapped[int] = mapped_column(sa.ForeignKey(Consortium.id, ondelete="CASCADE"))
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(120))
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    reset: Mapped[bool] = mapped_column(default=False)
    effective_from: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(120))
    reason: Mapped[str] = mapped_column(sa.String(500))
    legal_basis: Mapped[str | None] = mapped_column(sa.String(300))
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(120))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
