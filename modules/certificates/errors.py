"""The error every certificate operation raises for bad input: the core's ``InputError`` by its name here."""

from __future__ import annotations

from collections.abc import Mapping

from tenant_core.errors import InputError


class CertificateError(InputError):
    """Request refused; nothing was recorded. ``errors`` maps a field name (or ``""``) to its message.

    ``not_found`` marks a 宛名番号 this city does not hold (perhaps another city's): a 404 and a
    refusal in the access log. It is the core's ``refused`` under the name the pages use.
    """

    def __init__(self, errors: Mapping[str, str] | str, field: str = "", *, not_found: bool = False) -> None:
        super().__init__(errors, field, refused=not_found)

    @property
    def not_found(self) -> bool:
        return self.refused
