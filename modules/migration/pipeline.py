"""Batches applied two at a time, on two connections, committed in the file's order.

Applying a batch is Python preparing rows (search keys, encryption, events) and then PostgreSQL
taking them in through COPY into indexed tables; measured on a city's register, the client waited
for the server about a third of the time. With two batches in flight, one is prepared while the
server takes the other (psycopg lets go of the GIL while it waits), on a 2-core machine as well.

The order of the file is kept where it matters:
- batch k commits only after batch k-1 has committed *and* the caller has reported it (progress,
  the run's checkpoint): the checkpoint "applied through line N" still means that every line before
  N is in, and a run stopped after a batch has nothing of a later batch committed;
- whatever two batches could both lock (a household that spans them, whose head each settles) is
  written in that turn, after the batch before has committed, so two transactions never wait for
  each other.
A batch that fails stops every later one (they roll back) and its error is raised to the caller.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

B = TypeVar("B")
R = TypeVar("R")


class Stopped(Exception):
    """An earlier batch failed, or the caller stopped: this batch rolls back."""


class Turns:
    """Batch k takes its turn once batch k-1's is over; ``stop`` ends every turn still to come."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._over = -1
        self._stopped = False

    def wait(self, k: int) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or self._over >= k - 1)
            if self._stopped:
                raise Stopped

    def over(self, k: int) -> None:
        with self._cond:
            self._over = max(self._over, k)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


class InOrder(Generic[B, R]):
    """Runs ``apply(k, batch, turns)`` for each batch, ``in_flight`` at a time, and ``report(k, batch,
    result)`` in order in the calling thread; ``apply`` must call ``turns.wait(k)`` before it commits.

    With ``in_flight`` 1 every batch is applied in the calling thread (SQLite; a test's single
    connection), by the same code.
    """

    def __init__(
        self,
        apply: Callable[[int, B, Turns], R],
        report: Callable[[int, B, R], None],
        in_flight: int = 2,
    ) -> None:
        self.apply, self.report, self.in_flight = apply, report, max(1, in_flight)
        self.turns = Turns()

    def run(self, batches: Iterable[B]) -> None:
        if self.in_flight == 1:
            for k, batch in enumerate(batches):
                self._reported(k, batch, self.apply(k, batch, self.turns))
            return
        pending: deque[tuple[int, B, Future[R]]] = deque()
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="kyodo-batch") as pool:
            try:
                for k, batch in enumerate(batches):
                    pending.append((k, batch, pool.submit(self.apply, k, batch, self.turns)))
                    if len(pending) >= self.in_flight:
                        self._oldest(pending)
                while pending:
                    self._oldest(pending)
            except BaseException:
                self.turns.stop()
                for _k, _batch, future in pending:
                    future.exception()  # wait: each rolls back (Stopped) before the error goes up
                raise

    def _oldest(self, pending: deque[tuple[int, B, Future[R]]]) -> None:
        k, batch, future = pending.popleft()
        self._reported(k, batch, future.result())

    def _reported(self, k: int, batch: B, result: R) -> None:
        self.report(k, batch, result)
        self.turns.over(k)
