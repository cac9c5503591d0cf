"""Input refused by a business operation, and where its messages go on a form.

Every module's services check all of their input before they change anything and raise one
``InputError`` naming each bad field (``""`` for what belongs to no field): the request then rolls
back and the clerk sees every problem at once. Modules keep thin subclasses for their own names
(``ResidentError``, ``SealError``, ``CertificateError``) so a view catches only its module's errors.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, ClassVar


class InputError(ValueError):
    """Input refused; nothing was changed. ``errors`` maps a field name (or ``""``) to its message.

    ``refused`` marks an attempt that named something outside this city (another city's 宛名番号,
    say): the page answers as if it did not exist and the access log records a refusal.
    """

    def __init__(self, errors: Mapping[str, str] | str, field: str = "", *, refused: bool = False) -> None:
        self.errors: dict[str, str] = {field: errors} if isinstance(errors, str) else dict(errors)
        self.refused = refused
        super().__init__(" ".join(str(m) for m in self.errors.values()))


class Collector:
    """Gathers every problem of one input so that the clerk sees them all at once.

    The first message of a field wins: later checks of the same field are usually consequences.
    """

    error_class: ClassVar[type[InputError]] = InputError

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self.error_class(self.errors)


def place_errors(form: Any, errors: Mapping[str, str], *, general: Collection[str] = ()) -> list[str]:
    """Put each message under its field of ``form``; return those that belong to no field.

    ``general`` names fields whose messages go above the form anyway (a hidden field, say, whose
    message would otherwise be shown nowhere).
    """
    unplaced: list[str] = []
    for name, message in errors.items():
        target = getattr(form, name, None) if name and name not in general else None
        if target is not None and hasattr(target, "errors"):
            # The form's own check may have said it already (an unread date, which the service names
            # with the field's label): said once.
            if not any(str(e) in str(message) for e in target.errors):
                target.errors = [*target.errors, message]
        else:
            unplaced.append(message)
    return unplaced
