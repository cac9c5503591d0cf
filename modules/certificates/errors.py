"""The error every certificate operation raises for bad input: messages in Japanese, by field."""

from __future__ import annotations


class CertificateError(ValueError):
    """Request refused; nothing was recorded. ``errors`` maps a field name (or ``""``) to its message.

    ``not_found`` marks a 宛名番号 this city does not hold (perhaps another city's): a 404 and a
    refusal in the access log.
    """

    def __init__(self, errors: dict[str, str] | str, field: str = "", *, not_found: bool = False) -> None:
        self.errors = {field: errors} if isinstance(errors, str) else dict(errors)
        self.not_found = not_found
        super().__init__(" ".join(self.errors.values()))
