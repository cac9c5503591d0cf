"""The request boundary: one session per request, bound to its tenant; services flush, this commits."""

from __future__ import annotations

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


def _commit_on_success(response: Response) -> Response:
    """End the request's transaction, then write its access-log entries before the response leaves."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
    audit.write_pending()
    return response


def _close(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    if exc is not None and g.get("audit_pending"):
        audit.write_pending()  # a request that failed still leaves its trace


def init_app(app: Flask) -> None:
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close)
