"""Tables of the data migration, per city: the runs (移行テスト and the cut-over), the 外字 table, and the
items of the layout the register does not hold (kept so that an export gives back what came in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class MigrationRun(TenantBase):
    """One run of the importer on one file: a dry run, a rehearsal applied, or the real cut-over."""

    __tablename__ = "migration_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(12))  # dry_run, rehearsal, cutover
    file_name: Mapped[str] = mapped_column(sa.String(300))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    seals_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    encoding: Mapped[str] = mapped_column(sa.String(10), default="")
    state: Mapped[str] = mapped_column(
        sa.String(12), default="validating"
    )  # validated, applying, done, refused
    by: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    duration_s: Mapped[float] = mapped_column(default=0.0)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_valid: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The old system's control totals (persons, households, seals), as the operator gave them.
    control: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    accept_partial: Mapped[bool] = mapped_column(default=False)
    # The checkpoint: the last line of the file whose batch is committed (a killed run resumes after it).
    applied_through: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    corrected: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    seals_added: Mapped[int] = mapped_column(default=0)
    sample_size: Mapped[int] = mapped_column(default=0)
    sample_mismatches: Mapped[int | None]
    signed_off_by: Mapped[str] = mapped_column(sa.String(120), default="")
    signed_off_at: Mapped[dt.datetime | None]
    override_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    report_dir: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (sa.Index("ix_migration_runs_sha256", "sha256"),)


class GaijiEntry(TenantBase):
    """One 外字 of the city's old system: a private-use code point and the character it stands for."""

    __tablename__ = "gaiji_entries"

    code_point: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # U+E000–U+F8FF
    text: Mapped[str] = mapped_column(sa.String(20))  # a Unicode character, or one with its IVS selector
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    glyph: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the old system's glyph image, if known
    glyph_mime: Mapped[str] = mapped_column(sa.String(20), default="")
    updated_by: Mapped[str] = mapped_column(sa.String(120), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PersonExtra(TenantBase):
    """The layout's items of a person that the register does not hold (郵便番号, 前住所, 職権消除...)."""

    __tablename__ = "migration_person_extras"

    atena_no: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    items: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
