"""The access log (操作ログ): one hash chain per city in its own schema, one for the platform."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tenant_core.db import SharedBase, TenantBase
from tenant_core.models import utcnow


class AccessLogColumns:
    """What the national standard asks a resident system to record for every access.

    An entry is written with an ``id`` from the table's own counter, inside the transaction of
    the change it records, and a keyed ``mac`` over its fields. The sealer later gives it its
    place in the chain (``seq``) and links it (``prev_hash``, ``hash``); until then those are empty.
    """

    __tablename__: str  # set by each table that takes these columns

    id: Mapped[int] = mapped_column(primary_key=True)  # order of writing, from the table's counter
    seq: Mapped[int | None] = mapped_column(unique=True)  # place in the chain, given when sealed
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
    mac: Mapped[str | None] = mapped_column(sa.String(64))  # keyed digest of the entry as written
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            sa.Index(f"ix_{cls.__tablename__}_at", "at"),
            sa.Index(f"ix_{cls.__tablename__}_operator", "operator"),
            sa.Index(f"ix_{cls.__tablename__}_target", "target"),
        )


class AccessLog(AccessLogColumns, TenantBase):
    __tablename__ = "access_log"


class PlatformAccessLog(AccessLogColumns, SharedBase):
    __tablename__ = "platform_access_log"


class ChainHeadColumns:
    """The newest sealed link of a chain, locked only while sealing.

    ``base_seq``/``base_hash`` mark where the retained log starts after old entries were purged.
    ``key_check`` is a short keyed fingerprint of the key the chain is sealed with.
    ``checkpoint_seq``/``checkpoint_at`` say when the head was last copied into the platform chain.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    base_seq: Mapped[int] = mapped_column(default=0)
    base_hash: Mapped[str] = mapped_column(sa.String(64))
    key_check: Mapped[str | None] = mapped_column(sa.String(64))
    checkpoint_seq: Mapped[int] = mapped_column(default=0)
    checkpoint_at: Mapped[dt.datetime | None]


class AccessLogHead(ChainHeadColumns, TenantBase):
    __tablename__ = "access_log_head"


class PlatformAccessLogHead(ChainHeadColumns, SharedBase):
    __tablename__ = "platform_access_log_head"
