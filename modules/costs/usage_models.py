"""Shared-schema tables of measured usage (利用実績): counts per city, month and counter, and their revisions.

The platform measures them (``kyodo costs collect-usage``); a correction is a dated, reasoned revision that
keeps the measured figure and every earlier value, so a share computed on a count can be traced to it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenant_core.db import SharedBase
from tenant_core.models import Tenant, utcnow


class UsageCount(SharedBase):
    """One counter of one city for one calendar month: as measured, and as in force (after revisions)."""

    __tablename__ = "cost_usage_counts"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "year", "month", "counter"),
        sa.Index(None, "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="CASCADE"), index=True)
    year: Mapped[int]  # calendar year and month measured
    month: Mapped[int]
    counter: Mapped[str] = mapped_column(sa.String(40))  # certificates, printed, jobs, ... (see usage.py)
    measured: Mapped[int] = mapped_column(sa.BigInteger)  # what the platform counted, last collection
    value: Mapped[int] = mapped_column(sa.BigInteger)  # in force: measured, or the latest revision
    revised: Mapped[bool] = mapped_column(default=False)  # a revision holds it: collection keeps it
    collected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False, server_default="1", default=1)

    revisions: Mapped[list[UsageRevision]] = relationship(
        order_by="UsageRevision.id", cascade="all, delete-orphan", back_populates="count"
    )


class UsageRevision(SharedBase):
    """A correction of a count: from which value to which, when it takes effect, why and by whom."""

    __tablename__ = "cost_usage_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(sa.ForeignKey(UsageCount.id, ondelete="CASCADE"), index=True)
    old_value: Mapped[int] = mapped_column(sa.BigInteger)
    new_value: Mapped[int] = mapped_column(sa.BigInteger)
    effective_on: Mapped[dt.date]  # the date the corrected figure holds from (the revision's date)
    reason: Mapped[str] = mapped_column(sa.String(500))
    revised_by: Mapped[str] = mapped_column(sa.String(120))
    revised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    count: Mapped[UsageCount] = relationship(back_populates="revisions")
