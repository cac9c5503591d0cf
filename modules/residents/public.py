"""What other modules may use of the resident register; they import this module, never views or models.

Field-level: the 個人番号 is shown in full only to holders of ``residents.view_mynumber``.
"""

from __future__ import annotations

from tenant_core.auth.fields import HasPermissions, masked_for

MYNUMBER_PERMISSION = "residents.view_mynumber"


def mynumber_for(user: HasPermissions | None, value: str | None) -> tuple[str, bool]:
    """The 個人番号 as ``user`` may see it, and whether it was shown (the access log records that)."""
    return masked_for(user, value, MYNUMBER_PERMISSION)
