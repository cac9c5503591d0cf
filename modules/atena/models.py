"""The addressees that are not residents of the city: 住登外者 and 法人, each with a 宛名番号."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow

# 宛名番号 of the addressees kept here start above every resident's number, so that one number
# names one addressee in the city whichever register holds it (a resident's number is far lower).
FIRST_NUMBER = 2_000_000_001


class AddresseeKind(enum.StrEnum):
    resident = "resident"  # 住民 (the resident register holds them; never stored here)
    nonresident = "nonresident"  # 住登外者
    corporation = "corporation"  # 法人


class Addressee(TenantBase):
    """A 住登外者 or a 法人 addressed by the city's modules."""

    __tablename__ = "atena_addressees"

    id: Mapped[int] = mapped_column(primary_key=True)
    atena_no: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(200))  # 氏名 or 法人名
    kana: Mapped[str] = mapped_column(sa.String(200), default="")
    corporate_number: Mapped[str | None] = mapped_column(sa.String(13), unique=True)  # 法人番号
    postcode: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(300))  # the whole address, prefecture first
    address_after_town: Mapped[str] = mapped_column(sa.String(200), default="")  # 番地・方書
    registered_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)


class AtenaCounter(TenantBase):
    """The sequence of 宛名番号 of 住登外者 and 法人."""

    __tablename__ = "atena_counters"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)
