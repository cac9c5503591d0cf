"""Tables of the printing platform, per city: a print run and its documents (one row per 通番)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class RunState(enum.StrEnum):
    queued = "queued"  # 通番 given, nothing rendered yet
    rendering = "rendering"
    registering = "registering"  # every box drawn; one job writes the 発送簿
    done = "done"
    failed = "failed"


class PrintRun(TenantBase):
    """One print run: a kind of document, its subjects numbered 1..total, packed in boxes of N sheets."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # 帳票ID of the DocumentKind
    title: Mapped[str] = mapped_column(sa.String(200))
    total: Mapped[int]
    box_sheets: Mapped[int]  # N: the most sheets in one box (parameter core.print_box_sheets)
    boxes: Mapped[int]
    boxes_done: Mapped[int] = mapped_column(default=0)
    barcode: Mapped[bool] = mapped_column(default=False)  # カスタマバーコード printed
    state: Mapped[str] = mapped_column(sa.String(12), default=RunState.queued)
    job_id: Mapped[str | None] = mapped_column(sa.String(36))
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    output_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class PrintItem(TenantBase):
    """One document of a run: its 通番 (never changes, even when printed again), box and pull-out."""

    __tablename__ = "print_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("print_runs.id"))
    seq: Mapped[int]  # 通番, 1..total in the run's sorted order
    box_no: Mapped[int]  # 箱番号
    key: Mapped[str] = mapped_column(sa.String(40))  # the module's number for it (納付番号...)
    name: Mapped[str] = mapped_column(sa.String(200))
    postcode: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    # The part of the address after the town, from which the カスタマバーコード is made.
    address_after_town: Mapped[str] = mapped_column(sa.String(300), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    pulled_reason: Mapped[str | None] = mapped_column(sa.String(300))  # 引き抜き
    pulled_by: Mapped[str | None] = mapped_column(sa.String(120))
    pulled_at: Mapped[dt.datetime | None]
    reprints: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.UniqueConstraint("run_id", "seq", name="uq_print_items_run_id_seq"),
        sa.Index("ix_print_items_run_id_box_no", "run_id", "box_no"),
    )
