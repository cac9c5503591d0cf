"""Who is signed in for this request: a plain value resolved from the server-side session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from werkzeug.local import LocalProxy


@dataclass(frozen=True)
class CurrentUser:
    id: int
    login: str
    display_name: str
    tenant_id: int | None
    operator_id: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    session_id: str
    totp_enabled: bool
    must_enrol_totp: bool = False

    @property
    def is_platform(self) -> bool:
        return self.tenant_id is None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def _get_user() -> CurrentUser | None:
    return g.get("user")


current_user: CurrentUser | None = LocalProxy(_get_user)  # type: ignore[assignment]
