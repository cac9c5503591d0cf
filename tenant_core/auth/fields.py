"""Field-level control: a value shown in full only to those who hold the permission for it."""

from __future__ import annotations

from typing import Protocol


class HasPermissions(Protocol):
    def can(self, permission: str) -> bool: ...


def masked_for(user: HasPermissions | None, value: str | None, permission: str) -> tuple[str, bool]:
    """``value`` as ``user`` may see it (all but the last four characters masked without ``permission``),
    and whether it was shown in full: the access log records that."""
    if not value:
        return "", False
    if user is not None and user.can(permission):
        return value, True
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "****", False
