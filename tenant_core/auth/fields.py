"""Field-level control: values such as the 個人番号 shown only to roles that hold the right."""

from __future__ import annotations

from tenant_core.auth.current import CurrentUser

MYNUMBER_PERMISSION = "residents.view_mynumber"


def mynumber_for(user: CurrentUser | None, value: str | None) -> tuple[str, bool]:
    """The 個人番号 as ``user`` may see it, and whether it was shown (the access log records that)."""
    if not value:
        return "", False
    if user is not None and user.can(MYNUMBER_PERMISSION):
        return value, True
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "****", False
