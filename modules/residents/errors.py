"""The error every resident operation raises for bad input: messages in Japanese, by field."""

from __future__ import annotations


class ResidentError(ValueError):
    """Input refused; nothing was changed. ``errors`` maps a field name (or ``""``) to its message."""

    def __init__(self, errors: dict[str, str] | str, field: str = "") -> None:
        self.errors = {field: errors} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(self.errors.values()))


class Collector:
    """Gathers every problem of one input so that the clerk sees them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ResidentError(self.errors)
