"""The iterator run ahead in a thread: same items in the same order, errors where they happened."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from modules.migration.ahead import Ahead


def test_items_come_in_order_and_the_thread_ends():
    ahead = Ahead(iter(range(1000)))
    assert list(ahead) == list(range(1000))
    assert not ahead._thread.is_alive()


def test_an_error_of_the_source_is_raised_after_the_items_before_it():
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("broken row")

    got = []
    with pytest.raises(ValueError, match="broken row"), Ahead(source()) as ahead:
        for item in ahead:
            got.append(item)
    assert got == [1, 2]


def test_closing_early_stops_the_thread_before_the_source_runs_out():
    produced = []
    release = threading.Event()

    def source() -> Iterator[int]:
        for i in range(100):
            produced.append(i)
            yield i
        release.set()

    with Ahead(source()) as ahead:
        assert next(ahead) == 0
    assert not ahead._thread.is_alive()
    assert len(produced) < 100 and not release.is_set()
    assert list(ahead) == []
