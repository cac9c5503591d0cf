"""Tables of 軽自動車税（種別割）, per city: vehicles and their history, 課税台帳, 減免, 収納."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class Vehicle(TenantBase):
    """One vehicle of the register (軽自動車等台帳), named by its 標識番号 (plate)."""

    __tablename__ = "keitax_vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    plate_no: Mapped[str] = mapped_column(sa.String(30))  # 標識番号 / 車両番号
    vehicle_class: Mapped[str] = mapped_column(sa.String(30))  # 車種区分 (classes.py)
    first_inspection: Mapped[dt.date | None]  # 初度検査年月 (the 1st of the month); none for 原付
    green: Mapped[bool] = mapped_column(default=False)  # 電気軽自動車等 (グリーン化特例の対象)
    owner_atena_no: Mapped[int]  # 所有者 (the taxpayer, unless the title is retained)
    user_atena_no: Mapped[int | None]  # 使用者
    # 所有権留保: sold on credit, the seller keeping the title; the buyer (the 使用者) is deemed the
    # owner and taxed (地方税法第444条第1項, 軽自動車税のみなす課税).
    retained_title: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    acquired_on: Mapped[dt.date]  # 取得日
    scrapped_on: Mapped[dt.date | None]  # 廃車日
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)
    __table_args__ = (
        sa.Index("ix_keitax_vehicles_owner_atena_no", "owner_atena_no"),
        sa.Index("ix_keitax_vehicles_plate_no", "plate_no"),
    )


class VehicleEventKind(enum.StrEnum):
    acquired = "acquired"  # 取得（登録）
    changed = "changed"  # 異動（所有者・使用者・区分の変更）
    scrapped = "scrapped"  # 廃車


class VehicleEvent(TenantBase):
    """One dated change of a vehicle, with its state before and after (the history)."""

    __tablename__ = "keitax_vehicle_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("keitax_vehicles.id"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    effective_on: Mapped[dt.date]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(120))

    __table_args__ = (sa.Index("ix_keitax_vehicle_events_vehicle_id", "vehicle_id"),)


class AssessmentKind(enum.StrEnum):
    initial = "initial"  # 当初賦課
    correction = "correction"  # 更正 (a rerun found a different tax, or a 減免 was approved)


class Assessment(TenantBase):
    """One row of the 課税台帳: a taxpayer and a vehicle for a fiscal year, the rate and its rule.

    Rows are never overwritten: a 更正 adds a row that supersedes the current one (``current``).
    """

    __tablename__ = "keitax_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int]
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("keitax_vehicles.id"))
    taxpayer_atena_no: Mapped[int]
    vehicle_class: Mapped[str] = mapped_column(sa.String(30))
    rule: Mapped[str] = mapped_column(sa.String(12))  # standard, old, heavy, green, none
    rate: Mapped[int]  # the annual rate that applied
    reduction: Mapped[int] = mapped_column(default=0)  # 減免額
    amount: Mapped[int]  # 税額 to pay (rate - reduction, rounded)
    kind: Mapped[str] = mapped_column(sa.String(12))
    current: Mapped[bool] = mapped_column(default=True)
    supersedes_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    nofu_no: Mapped[str] = mapped_column(sa.String(20), unique=True)  # 納付番号 of this notice
    due_on: Mapped[dt.date]  # 納期限
    assessed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assessed_by: Mapped[str] = mapped_column(sa.String(120))

    __table_args__ = (
        sa.Index("ix_keitax_assessments_year_vehicle", "fiscal_year", "vehicle_id", "current"),
        sa.Index("ix_keitax_assessments_taxpayer", "taxpayer_atena_no"),
    )


class ReductionState(enum.StrEnum):
    applied = "applied"  # 申請
    approved = "approved"  # 承認
    rejected = "rejected"  # 却下


class Reduction(TenantBase):
    """A 減免 application for one vehicle and year (e.g. for a person with a disability)."""

    __tablename__ = "keitax_reductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int]
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("keitax_vehicles.id"))
    reason: Mapped[str] = mapped_column(sa.String(300))
    percent: Mapped[int]  # 減免の割合 (100: 全額)
    state: Mapped[str] = mapped_column(sa.String(10), default=ReductionState.applied)
    applied_on: Mapped[dt.date]
    applied_by: Mapped[str] = mapped_column(sa.String(120))
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)


class PaymentResult(enum.StrEnum):
    matched = "matched"  # 消込済（完納）
    partial = "partial"  # 一部納付
    over = "over"  # 過誤納
    unmatched = "unmatched"  # 納付番号不明
    invalid = "invalid"  # 行の形式誤り (kept, with its text)


class PaymentImport(TenantBase):
    """One payment file imported (収納データ), with its counts."""

    __tablename__ = "keitax_payment_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    rows: Mapped[int]
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(sa.String(120))


class Payment(TenantBase):
    """One payment row of an import, reconciled (消込) to an assessment or reported unmatched."""

    __tablename__ = "keitax_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("keitax_payment_imports.id"))
    line_no: Mapped[int]
    nofu_no: Mapped[str] = mapped_column(sa.String(40))
    amount: Mapped[int | None]
    paid_on: Mapped[dt.date | None]
    channel: Mapped[str] = mapped_column(sa.String(40), default="")
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("keitax_assessments.id"))
    result: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    __table_args__ = (sa.Index("ix_keitax_payments_assessment_id", "assessment_id"),)


class KeitaxCounter(TenantBase):
    """Per-city sequences of the module (納付番号)."""

    __tablename__ = "keitax_counters"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)
