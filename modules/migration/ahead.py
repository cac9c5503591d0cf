"""An iterator run one step ahead in a thread, so that producing the next item overlaps using this one.

An import writes a batch and waits for PostgreSQL most of that time; psycopg lets go of the GIL while it
waits, so a thread can meanwhile read the next batch from the spool and prepare it (search keys,
encryption). Only pure Python work belongs here: the thread never touches the database.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


class Ahead(Iterator[T]):
    """The items of ``source`` in order, each produced by a thread while the caller uses the one before.

    An exception of ``source`` is raised to the caller at the item where it happened. ``close`` (or
    leaving a ``with`` block) stops the thread and waits for it: call it before closing what the source
    reads from.
    """

    def __init__(self, source: Iterable[T], depth: int = 1) -> None:
        self._queue: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(iter(source),), name="ahead", daemon=True)
        self._thread.start()

    def _put(self, item: object, error: BaseException | None = None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((item, error), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[T]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the caller, who decides
            self._put(_END, exc)

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item, error = self._queue.get()
        if item is _END:
            self._done = True
            self.close()
            if error is not None:
                raise error
            raise StopIteration
        return item  # type: ignore[return-value]

    def close(self) -> None:
        self._done = True
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
