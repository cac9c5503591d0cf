"""Accounts, their roles and their server-side sessions (shared schema)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenant_core.db import SharedBase
from tenant_core.models import Tenant, utcnow


class User(SharedBase):
    """A staff account of one city, or a platform operator (no city)."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="CASCADE"), index=True)
    login: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    tenant: Mapped[Tenant | None] = relationship()

    @property
    def role_names(self) -> list[str]:
        return [r.role for r in self.roles]

    @property
    def is_locked(self) -> bool:
        """Locked by too many failed sign-ins (from several addresses), until an administrator lifts it."""
        return self.locked_until is not None and self.locked_until > utcnow()

    @property
    def operator_id(self) -> str:
        """How the access log names this account: city code and login, or the operator's login."""
        return f"{self.tenant.code}:{self.login}" if self.tenant else f"platform:{self.login}"


class UserRole(SharedBase):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class UserSession(SharedBase):
    """A signed-in session; the cookie holds only its random id, so sign-out ends it for good."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped[User] = relationship(lazy="joined")
