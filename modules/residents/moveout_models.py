"""The 転出届 (notice of moving out) as the counter takes it: often before the move, confirmed or cancelled later.

住民基本台帳法第24条: a person moving out of the city notifies it *in advance* (あらかじめ) of their name,
転出先 and 転出の予定年月日. The notice is kept here with its state; the register's 転出 event (and the
person's 除票) is recorded when it takes effect (see ``moveouts.py``).
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class NoticeState(enum.StrEnum):
    pending = "pending"  # 転出予定: still a resident until the 転出予定日
    confirmed = "confirmed"  # 転出済み: the 転出 event is recorded, the person is a 除票
    cancelled = "cancelled"  # 取消し: the move did not happen; the person stays a resident


class MoveOutNotice(TenantBase):
    """One person's 転出届; the members of one household's 届出 share ``group_id`` (the first notice's id)."""

    __tablename__ = "move_out_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"))
    group_id: Mapped[int | None]
    notified_on: Mapped[dt.date]  # 届出日
    planned_on: Mapped[dt.date]  # 転出予定日
    moved_on: Mapped[dt.date | None]  # 転出日, once confirmed (the 予定日 unless the 転入通知 says otherwise)
    destination: Mapped[str] = mapped_column(sa.String(200))  # 転出先 (address)
    destination_city: Mapped[str] = mapped_column(sa.String(100), default="")  # 転出先市区町村, when known
    special: Mapped[bool] = mapped_column(default=False)  # 特例転出 (法第24条の2, マイナンバーカード)
    state: Mapped[str] = mapped_column(sa.String(12), default=NoticeState.pending)
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_by: Mapped[str] = mapped_column(sa.String(120))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str] = mapped_column(sa.String(120), default="")
    decided_at: Mapped[dt.datetime | None]

    __table_args__ = (
        sa.Index("ix_move_out_notices_person_id", "person_id"),
        sa.Index("ix_move_out_notices_state_planned_on", "state", "planned_on"),
    )
