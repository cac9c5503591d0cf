"""Per-city number sequences (宛名番号, 登録番号, 交付番号...), each a row of a counter table.

Each module keeps its own counter table (``name`` primary key, ``value`` BigInteger) so that its
numbers live and move with its data; the logic that advances them is this one function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

ATTEMPTS = 3


class CounterTable(Protocol):
    """A mapped class with a ``name`` (primary key) and the last ``value`` given out."""

    name: Any
    value: Any

    def __init__(self, *, name: str, value: int) -> None: ...


def reserve(
    session: Session,
    counter: type[CounterTable],
    name: str,
    count: int = 1,
    *,
    first: Callable[[Session], int] | int = 1,
) -> int:
    """Reserve ``count`` consecutive numbers of sequence ``name``; return the first of them.

    One ``UPDATE ... RETURNING``: concurrent requests queue on the counter row's lock and never
    share a number. The row is made on first use (a city's schema is created without seed rows),
    starting at ``first`` (a number, or a function of the session for a sequence whose numbers
    already exist in its table); the insert runs in a savepoint so that two first uses at once
    make one row, the loser taking the UPDATE path again.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    from tenant_core.emergency import sequence_name

    # In emergency mode a separate counter from 900001: the numbers never meet the main system's.
    name, emergency_first = sequence_name(name)
    if emergency_first is not None:
        first = emergency_first
    for _attempt in range(ATTEMPTS):
        last = session.execute(
            sa.update(counter)
            .where(counter.name == name)
            .values(value=counter.value + count)
            .returning(counter.value)
        ).scalar()
        if last is not None:
            return int(last) - count + 1
        start = first(session) if callable(first) else first
        try:
            with session.begin_nested():
                session.add(counter(name=name, value=start + count - 1))
            return start
        except sa.exc.IntegrityError:
            continue  # someone else made the row meanwhile: take the UPDATE path
    raise RuntimeError(f"could not reserve numbers of sequence {name}")
