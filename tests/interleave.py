"""Two real transactions interleaved deterministically (PostgreSQL): the first takes its row locks,
the second starts in a thread and is seen waiting on them, then the first commits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tenant_core.extensions import get_db


def require_postgres(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one write transaction at a time")


def waiting_on_a_lock(app: Flask) -> bool:
    """Whether some connection of this test's database is waiting for a lock."""
    with get_db(app).engine.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        return bool(conn.scalar(sa.text(query)))


def interleave(
    app: Flask,
    first: Callable[[Session], Any],
    second: Callable[[Session], Any],
    schema: str | None = "t_fuji",
) -> tuple[Any, Any]:
    """Run ``first`` in one transaction; while it holds its locks, start ``second`` in another, wait until
    it is blocked on them, commit the first, and return both outcomes (an exception for a refusal)."""
    db = get_db(app)
    outcome: dict[str, Any] = {}

    def run_second() -> None:
        with app.app_context(), db.session(schema) as s:
            try:
                outcome["second"] = second(s)
                s.commit()
            except Exception as exc:  # the outcome is what the test looks at
                s.rollback()
                outcome["second"] = exc

    with app.app_context(), db.session(schema) as s:
        outcome["first"] = first(s)
        thread = threading.Thread(target=run_second)
        thread.start()
        while thread.is_alive() and not waiting_on_a_lock(app):
            thread.join(0.01)
        assert thread.is_alive(), outcome.get("second")  # it waited for the first one's lock
        s.commit()
    thread.join()
    return outcome["first"], outcome["second"]
