"""Who must know when a person leaves the register (転出 or 死亡), told in the same transaction.

Other modules keep things that end with the person's residence: a seal registration is erased by
the city itself when its holder moves out or dies (職権抹消). The register must not know those
modules (they depend on it, not the reverse), so they register a listener here, through
``modules.residents.public.on_person_left``, when the app starts (their manifest's ``startup``).

``move_out`` and ``record_death`` call every listener after recording the event, in the same
session and transaction: a listener that raises makes the whole event fail, so the register and
what follows it never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from modules.residents.models import EventKind


@dataclass(frozen=True)
class PersonLeft:
    """A person has left the register: their 宛名番号, the 異動日, why (``move_out``/``death``), who recorded it."""

    atena_no: int
    on: dt.date
    kind: str  # EventKind.move_out or EventKind.death
    by: str

    @property
    def is_death(self) -> bool:
        return self.kind == EventKind.death


Listener = Callable[[Session, PersonLeft], object]  # what it returns is ignored

# Filled at start-up, never per request; registering the same function again changes nothing
# (an app is created many times in one test process).
_listeners: list[Listener] = []


def on_person_left(listener: Listener) -> Listener:
    """Call ``listener(session, PersonLeft)`` whenever a person leaves the register; usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def listeners() -> tuple[Listener, ...]:
    return tuple(_listeners)


def notify_person_left(session: Session, left: PersonLeft) -> None:
    """Tell every listener, in the order they registered; an exception propagates (the event fails)."""
    for listener in tuple(_listeners):
        listener(session, left)
