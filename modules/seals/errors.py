"""The error every seal operation raises for bad input: the core's ``InputError`` by its name here.

``refused`` (from the core) marks an attempt that named something outside this city; the pages log
it with outcome "refused".
"""

from __future__ import annotations

from tenant_core.errors import InputError


class SealError(InputError):
    """Input refused; nothing was changed. ``errors`` maps a field name (or ``""``) to its message."""
