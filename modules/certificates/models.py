"""The issuance register (交付簿) of 証明書交付, per city, and its number sequences.

Each row keeps what was printed (``content``: the persons, the city's layout and fee in force on
the issue day), so a certificate can be printed again exactly as issued, whatever changed since.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class Kind(enum.StrEnum):
    juminhyo = "juminhyo"  # 住民票の写し
    joshu = "joshu"  # 除票の写し (住基法15条の4)
    tenshutsu = "tenshutsu"  # 転出証明書 (住基法24条, 施行令23条)
    inkan = "inkan"  # 印鑑登録証明書


# Shown in the reader's language; the printed certificate has its own, always Japanese, title (pdf.py).
# Keyed by the stored code (a plain str; the Kind members are equal to and hash as their values).
KIND_LABELS: dict[str, LazyString] = {
    Kind.juminhyo: _l("住民票の写し"),
    Kind.joshu: _l("除票の写し"),
    Kind.tenshutsu: _l("転出証明書"),
    Kind.inkan: _l("印鑑登録証明書"),
}
# The forms of a 住民票の写し: 個人票 (one person a sheet) or 世帯連記式 (the household on one sheet).
FORM_LABELS: dict[str, LazyString] = {"kojin": _l("個人票"), "renki": _l("世帯連記式")}


class Issuance(TenantBase):
    """One certificate issued: who, for whom, what it shows, the fee collected, how to verify it."""

    __tablename__ = "certificate_issuances"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # 交付番号: 2026-000001
    fiscal_year: Mapped[int]
    serial: Mapped[int]  # sequential within the fiscal year
    kind: Mapped[str] = mapped_column(sa.String(12))
    atena_no: Mapped[int]  # the person asked for
    scope: Mapped[str] = mapped_column(sa.String(12))  # person, household
    items: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # 続柄, 本籍, 個人番号 included or not
    persons: Mapped[list[int]] = mapped_column(sa.JSON)  # 宛名番号 of everyone on the certificate
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # what was printed (exact characters)
    fee: Mapped[int]  # 手数料 collected, in yen (the parameter in force on the issue day)
    requester_name: Mapped[str] = mapped_column(sa.String(100))  # 請求者
    requester_relation: Mapped[str] = mapped_column(sa.String(20))  # 本人, 同一世帯, 代理人, 第三者
    purpose: Mapped[str] = mapped_column(sa.String(300))  # 請求事由
    mynumber_condition: Mapped[str | None] = mapped_column(sa.String(300))  # recorded when included
    verification_code: Mapped[str] = mapped_column(sa.String(20))
    issued_by: Mapped[str] = mapped_column(sa.String(120))
    issued_on: Mapped[dt.date]  # the date printed (Japan time)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    seal_image: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # 印影 as printed (印鑑登録証明書)
    seal_image_mime: Mapped[str | None] = mapped_column(sa.String(20))
    # The signed PDF as issued (a new signature each time, so it is kept, not drawn again); when it
    # shows a 個人番号 it is stored encrypted with the city's key, as the number itself is.
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_encrypted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    signer: Mapped[str | None] = mapped_column(sa.String(300))  # the signing certificate's subject
    # 交付取消: a certificate issued in error is cancelled, with the reason; the verification says so.
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(120))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    reissue_of: Mapped[str | None] = mapped_column(sa.String(20))  # 再交付: the 交付番号 it replaces
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    __table_args__ = (
        sa.UniqueConstraint("fiscal_year", "serial", name="uq_certificate_issuances_fiscal_year_serial"),
        sa.Index("ix_certificate_issuances_issued_on", "issued_on"),
        sa.Index("ix_certificate_issuances_atena_no", "atena_no"),
    )

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


def kind_label(code: str) -> str:
    """住民票の写し/印鑑登録証明書 for a stored kind (the code itself if unknown)."""
    return str(KIND_LABELS.get(code, code))


class CertificateCounter(TenantBase):
    """Per-city number sequences (one per fiscal year), advanced atomically."""

    __tablename__ = "certificate_counters"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)
