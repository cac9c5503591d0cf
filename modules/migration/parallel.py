"""Checking the rows of a large persons file in worker processes, the results taken back in file order.

Checking a row (``PersonChecker.parse``) is pure Python and was half of an import's time: on a machine
with more than one core, worker processes check chunks of rows while this process reads the file and
keeps what they give back. Every rule is the same code; only the rules of the whole file (duplicates,
households) wait for every row, as they always did, in this process's ``PersonChecker``.

The workers are forked (as ``tenant_core.migrate`` does): they inherit the modules already imported and
never touch the database (``tenant_core.db`` drops inherited connections in a fork).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from modules.migration.checks import PersonChecker, flat
from modules.migration.keys import Row
from modules.migration.reading import Problem

CHUNK = 2000  # rows a worker checks at a time: big enough that sending them costs little
MIN_BYTES = 8 << 20  # below this (about 40,000 rows) starting the workers costs more than it saves

Cells = tuple[int, list[str]]  # a row's line and cells
Checked = tuple[list[tuple[Any, ...]], list[Problem], list[Row], list[int], int]


def workers_for(size: int, told: int | None) -> int:
    """How many worker processes check a file of ``size`` bytes (0: none, this process checks it)."""
    if told is not None:
        return told
    cores = os.cpu_count() or 1
    return min(2, cores) if cores > 1 and size >= MIN_BYTES else 0


_checker: PersonChecker | None = None
_keys: list[Row] = []  # the keys of the rows a worker checked, handed back to the parent's KeyStore


def _start(file: str, gaiji: dict[str, str], header: list[str]) -> None:
    global _checker
    _checker = PersonChecker(file, gaiji)
    _checker.take_header(header)
    _checker.key_sink = _keys.append


def _check(chunk: list[Cells], keep: bool) -> Checked:
    """One chunk in a worker: the valid rows (flat, when ``keep``), problems, keys, rejected lines."""
    checker = _checker
    assert checker is not None
    checker.problems, checker.rejected_lines = [], set()
    _keys.clear()
    rows = []
    for line, cells in chunk:
        parsed = checker.parse(line, cells)
        if parsed is not None and keep:
            rows.append(flat(parsed))
    return rows, checker.problems, list(_keys), sorted(checker.rejected_lines), len(chunk)


def check_in_workers(
    checker: PersonChecker,
    header: list[str],
    records: Iterable[Cells],
    workers: int,
    keep: bool,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Check ``records`` in ``workers`` processes; ``checker`` takes every problem, key and rejected
    line in file order, as if it had checked the rows itself. Yields the valid rows (flat) in order
    when ``keep``. ``on_chunk`` is told the rows read so far."""
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_start,
        initargs=(checker.file, checker.gaiji, header),
    ) as pool:
        pending: deque[Future[Checked]] = deque()

        def take() -> Iterator[tuple[Any, ...]]:
            rows, problems, keys, rejected, count = pending.popleft().result()
            checker.problems.extend(problems)
            checker.rejected_lines.update(rejected)
            for key in keys:
                checker.keys.add(key)
            checker.rows_read += count
            if on_chunk:
                on_chunk(checker.rows_read)
            yield from rows

        chunk: list[Cells] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                pending.append(pool.submit(_check, chunk, keep))
                chunk = []
                # Two chunks a worker in flight: the workers never wait, memory stays flat.
                if len(pending) > 2 * workers:
                    yield from take()
        if chunk:
            pending.append(pool.submit(_check, chunk, keep))
        while pending:
            yield from take()
