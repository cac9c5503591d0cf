"""The request boundary: one session per request, bound to its tenant; services flush, this commits.

The access-log entries a request recorded are part of its transaction when it succeeds: the change
and its trace commit together or not at all. A refused or failed request rolls back and its entries
are written on their own, so the refusal is kept. After either, the sealer chains the new entries in
a short transaction of its own.
"""

from __future__ import annotations

import contextlib

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from tenant_core.audit import services as audit
from tenant_core.extensions import get_db


def get_session() -> Session:
    """The session of the current request or job, bound to its tenant's schema."""
    session = g.get("db_session")
    if session is None:
        tenant = g.get("tenant")
        session = get_db().session(tenant.schema if tenant else None)
        g.db_session = session
    return session


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
    written += audit.write_separately(separate)
    audit.seal_written(written)
    if failure is not None:
        raise failure
    return response


def _close(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    if exc is not None and g.get("audit_pending"):
        audit.seal_written(audit.write_pending())  # a request that failed still leaves its trace


def init_app(app: Flask) -> None:
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close)
    audit.check_key_at_startup(app)
