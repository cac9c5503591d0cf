"""The access log (操作ログ): one hash chain per city in its own schema, one for the platform."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tenant_core.db import SharedBase, TenantBase
from tenant_core.models import utcnow


class AccessLogColumns:
    """What the national standard asks a resident system to record for every access."""

    __tablename__: str  # set by each table that takes these columns

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    operator: Mapped[str] = mapped_column(
        sa.String(120)
    )  # "<団体コード>:<login>", "platform:<login>", or "-"
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    function: Mapped[str] = mapped_column(sa.String(60))  # e.g. login, logout, view, search, change, export
    screen: Mapped[str] = mapped_column(sa.String(120), default="")  # endpoint or page
    target: Mapped[str | None] = mapped_column(sa.String(200))  # the record looked at, e.g. "person:123"
    search_shape: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # which fields, never their values
    mynumber_shown: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="ok")  # ok, refused, failed
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            sa.Index(f"ix_{cls.__tablename__}_at", "at"),
            sa.Index(f"ix_{cls.__tablename__}_operator", "operator"),
        )


class AccessLog(AccessLogColumns, TenantBase):
    __tablename__ = "access_log"


class PlatformAccessLog(AccessLogColumns, SharedBase):
    __tablename__ = "platform_access_log"


class ChainHeadColumns:
    """The newest link of a chain, locked while appending so concurrent writers queue up.

    ``base_seq``/``base_hash`` mark where the retained log starts after old entries were purged.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    base_seq: Mapped[int] = mapped_column(default=0)
    base_hash: Mapped[str] = mapped_column(sa.String(64))


class AccessLogHead(ChainHeadColumns, TenantBase):
    __tablename__ = "access_log_head"


class PlatformAccessLogHead(ChainHeadColumns, SharedBase):
    __tablename__ = "platform_access_log_head"
