"""The request boundary: one session per request, bound to its tenant; services flush, this commits.

A request checks out one pooled connection, once: the city's look-up, the signed-in user's session
and the request's own work run on it, in that order (``get_session``), and the access-log writes
and sealing that follow the commit reuse it. The look-up runs before the city is known, so the
session starts bound to no city and ``bind_tenant`` points it at the city's schema when it is found.

The access-log entries a request recorded are part of its transaction when it succeeds: the change
and its trace commit together or not at all. A refused or failed request rolls back and its entries
are written on their own, so the refusal is kept. After either, the sealer chains the new entries in
a short transaction of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tenant_core.audit import services as audit
from tenant_core.extensions import get_db

T = TypeVar("T")


def get_session() -> Session:
    """The session of the current request or job, bound to its tenant's schema."""
    session = g.get("db_session")
    if session is None:
        tenant = g.get("tenant")
        session = _open_session(tenant.schema if tenant else None)
    return session


def _open_session(schema: str | None) -> Session:
    db = get_db()
    if db.test_connection is not None or not has_request_context():
        session = db.session(schema)  # tests' shared connection, or a job's own session
    else:
        connection = g.get("db_connection")
        if connection is None:
            connection = g.db_connection = db.engine.connect()
        g.db_connection_idle = False
        session = Session(bind=db.bind_connection(connection, schema), expire_on_commit=False)
    g.db_session = session
    return session


def bind_tenant(schema: str) -> None:
    """Point the request's session, opened before its city was known, at the city's schema."""
    session = g.get("db_session")
    if session is None:
        return
    db = get_db()
    if db.is_sqlite:
        # A tenant's file is attached when a transaction begins: end the look-up's transaction first.
        session.commit()
    connection = db.test_connection if db.test_connection is not None else g.get("db_connection")
    if connection is not None:
        db.bind_connection(connection, schema)


def first_statement(run: Callable[[Session], T]) -> T:
    """The request's first statement; a pooled connection the server dropped is replaced, once.

    Nothing has run on the request's connection yet, so running the statement again on a new one
    repeats nothing (the pool has no pre-ping: see ``db.POOL_RECYCLE_SECONDS``).
    """
    first = not g.get("db_used")
    g.db_used = True
    try:
        return run(get_session())
    except sa.exc.DBAPIError as exc:
        if not (first and exc.connection_invalidated and get_db().test_connection is None):
            raise
    _release()
    return run(get_session())


def _release() -> None:
    """Close the request's session and give its connection back to the pool."""
    session = g.pop("db_session", None)
    if session is not None:
        with contextlib.suppress(Exception):
            session.close()
    connection: Connection | None = g.pop("db_connection", None)
    g.pop("db_connection_idle", None)
    if connection is not None:
        connection.close()


def _idle_request_connection() -> Connection | None:
    """The request's connection once its session is closed, for the writes that follow (else None)."""
    if has_request_context() and g.get("db_connection_idle"):
        connection: Connection | None = g.get("db_connection")
        return connection
    return None


def _commit(session: Session) -> None:
    """Commit the request's transaction (a seam for tests that cut the connection here)."""
    session.commit()


def _commit_on_success(response: Response) -> Response:
    """End the request's transaction with its access-log entries, then seal them."""
    session: Session | None = g.pop("db_session", None)
    pending: audit.Pending = g.pop("audit_pending", [])
    written: audit.Written = []
    separate: audit.Pending = []
    failure: BaseException | None = None
    if response.status_code < 400:
        own, separate = audit.split_pending(pending, g.get("tenant"))
        if session is None and own:
            session = get_session()
            g.pop("db_session", None)
        if session is not None:
            try:
                added = audit.add_entries(session, own)
                _commit(session)
                written += [(t, e.id) for t, e in added]
            except Exception as exc:  # nothing of the request committed: say so in the log, then fail
                failure = exc
                with contextlib.suppress(Exception):  # a lost connection has nothing to roll back
                    session.rollback()
                separate = audit.as_failed(own, "not saved") + separate
            finally:
                session.close()
    else:
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()
        separate = pending
    g.db_connection_idle = True
    written += audit.write_separately(separate)
    audit.seal_written(written)
    if failure is not None:
        raise failure
    return response


def _close(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
        finally:
            session.close()
    g.db_connection_idle = True
    try:
        if exc is not None and g.get("audit_pending"):
            audit.seal_written(audit.write_pending())  # a request that failed still leaves its trace
    finally:
        _release()


def init_app(app: Flask) -> None:
    get_db(app).idle_request_connection = _idle_request_connection
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close)
    audit.check_key_at_startup(app)
