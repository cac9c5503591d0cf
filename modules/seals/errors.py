"""The error every seal operation raises for bad input: messages in Japanese, by field."""

from __future__ import annotations


class SealError(ValueError):
    """Input refused; nothing was changed. ``errors`` maps a field name (or ``""``) to its message."""

    def __init__(self, errors: dict[str, str] | str, field: str = "", *, refused: bool = False) -> None:
        self.errors = {field: errors} if isinstance(errors, str) else dict(errors)
        # True when the attempt named something outside this city (logged with outcome "refused").
        self.refused = refused
        super().__init__(" ".join(self.errors.values()))
