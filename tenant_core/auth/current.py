"""Who is signed in for this request: Flask-Login's ``current_user``, resolved from the server-side session.

``current_user`` is re-exported from Flask-Login so that ``from tenant_core.auth.current import
current_user`` keeps working. Signed out, it is :class:`AnonymousUser`, which is false in a test
(``if current_user``, ``{% if current_user %}``) exactly as the former ``None`` was.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import AnonymousUserMixin, UserMixin
from flask_login import current_user as current_user


@dataclass(frozen=True)
class CurrentUser(UserMixin):
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

    def get_id(self) -> str:
        """Flask-Login's identifier: the server-side session (one sign-in, which can be ended), not the account."""
        return self.session_id


class AnonymousUser(AnonymousUserMixin):
    """Nobody signed in for this city (or for the platform): false in a test, and holds no permission."""

    id = None
    login = ""
    display_name = ""
    tenant_id = None
    operator_id = "-"
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = frozenset()
    session_id = ""
    totp_enabled = False
    must_enrol_totp = False
    is_platform = False

    def __bool__(self) -> bool:
        return False

    def can(self, permission: str) -> bool:
        return False
