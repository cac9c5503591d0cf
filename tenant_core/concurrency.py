"""Two staff on one record: optimistic versions, row locks in a fixed order, and the 409 they end in.

Every record a person edits carries a version column (SQLAlchemy's ``version_id_col``): the form
(a hidden field) or the API (a ``version`` field or an ``If-Match`` header) sends back the version it
showed, and the service compares it with the row it has locked. A different version means another
staff member changed the record meanwhile: the service raises ``ConflictError`` and nothing is
changed. SQLAlchemy's ``StaleDataError`` at a flush (an UPDATE that matched no row of that version)
means the same and is answered the same way. The page answers 409 with the current state and a link
to reload; the JSON API answers 409 with a message.

Services that change several rows lock them first, each kind in the order of its id
(``SELECT ... FOR UPDATE``; on SQLite a write transaction is already exclusive), then check again what
they checked before the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tenant_core.audit import services as audit

T = TypeVar("T")


class ConflictError(Exception):
    """Another staff member changed the record since it was shown; nothing was changed.

    ``current`` lists (label, value) pairs of the record as it is now, shown on the 409 page;
    ``reload_url`` is where the clerk sees it again (the form's own address by default).
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        current: Sequence[tuple[str, Any]] = (),
        reload_url: str | None = None,
        target: str | None = None,
    ) -> None:
        self.message = message or _(
            "この記録は、表示した後に他の職員が変更しました。最新の内容を確認してから、もう一度操作してください。"
        )
        self.current = list(current)
        self.reload_url = reload_url
        self.target = target
        super().__init__(self.message)


def parse_version(value: Any) -> int | None:
    """A version sent back by a form or an API: a positive whole number, else None (missing or garbled)."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().strip('"').removeprefix("W/").strip('"')
    return int(text) if text.isdigit() and int(text) > 0 else None


def check_version(row: Any, expected: int | None, *, required: bool = True, **details: Any) -> None:
    """Raise ``ConflictError`` unless ``expected`` is the row's current version.

    ``required=False`` (the JSON API without a version) accepts a missing version as the one just read.
    """
    if expected is None and not required:
        return
    if expected is None or row.version != expected:
        raise ConflictError(**details)


def lock_rows(session: Session, model: type[T], ids: Iterable[int]) -> list[T]:
    """Lock the rows of ``model`` with these ids, in the order of their id, and reload them.

    Objects already in the session are refreshed with what the database holds once the lock is
    granted, so the checks after it see what another transaction committed meanwhile.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return []
    column = model.id  # type: ignore[attr-defined]
    query = (
        sa.select(model)
        .where(column.in_(wanted))
        .order_by(column)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def _wants_json() -> bool:
    """The API (its addresses, a JSON body, or a client that prefers JSON to HTML) gets JSON."""
    accept = request.accept_mimetypes
    prefers_json = accept.quality("application/json") > accept.quality("text/html")
    return "/api/" in request.path or request.is_json or prefers_json


def _answer(error: ConflictError):
    session = g.get("db_session")
    if session is not None:
        session.rollback()  # a failed flush leaves the session unusable until then
    audit.record(
        "change",
        screen=request.endpoint or request.path,
        target=error.target,
        outcome="failed",
        detail="conflict: changed by another staff member",
    )
    if _wants_json():
        return jsonify(error="conflict", message=error.message), 409
    reload_url = error.reload_url or (
        request.full_path.rstrip("?") if request.method == "GET" else request.path
    )
    return render_template("core/conflict.html", error=error, reload_url=reload_url), 409


def init_app(app: Flask) -> None:
    app.register_error_handler(ConflictError, _answer)
    app.register_error_handler(StaleDataError, lambda exc: _answer(ConflictError()))
