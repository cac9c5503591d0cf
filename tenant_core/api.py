"""What every JSON API of Kyodo shares: the error schema, timestamps with their time zone, the
OpenAPI generator's set-up, and JSON errors for every address under ``/api``.

A module builds its document with ``new_spec`` (apispec + marshmallow) and answers refusals with
``ErrorSchema``; the core knows no module: any route whose path contains ``/api/`` (or ends in
``/api``) gets its HTTP errors as JSON, whichever blueprint it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, jsonify, make_response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from tenant_core.japanese import JST

SESSION_COOKIE = "kyodo_session"

# The statuses an API answers as JSON whatever raised them (abort, routing, the size limit, the limiter).
JSON_ERROR_CODES = (400, 401, 403, 404, 405, 409, 413, 422, 429, 500)
_DESCRIBED = {
    400: "bad request (a malformed request, a failed CSRF check)",
    401: "not signed in",
    403: "refused (no permission, or a session of another city)",
    404: "not found",
    405: "method not allowed",
    409: "changed by another staff member since it was read",
    413: "request body too large",
    422: "bad arguments, named by field",
    429: "too many requests",
    500: "server error",
}


class ErrorSchema(Schema):
    error = fields.String(
        required=True, metadata={"description": "bad_request, unauthorized, forbidden, not_found..."}
    )
    message = fields.String(
        required=True, metadata={"description": "for a person, in the requester's language"}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "messages by field"},
    )


_NAIVE = _l("日時には時差（タイムゾーン）を付けてください（例: 2027-04-01T09:00:00+09:00）。")


class Timestamp(fields.DateTime):
    """A moment, always written with its offset (ISO 8601, Japan time) and read only with one.

    The database keeps naive UTC (tenant_core.models.utcnow); an answer without its zone would be
    read as the reader's local time by another system, nine hours off.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(JST).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            raise ValidationError(str(_NAIVE))
        return moment


def new_spec(*, title: str, description: str, server: str) -> APISpec:
    """An OpenAPI 3.0 document of one API of one city: its server URL, the session cookie as security
    scheme, and the ``Error`` schema every refusal uses."""
    spec = APISpec(
        title=title,
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": description},
        servers=[{"url": server}],
        security=[{"session": []}],
    )
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE, "description": "staff sign-in"}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    return spec


def errors(*codes: int, **described: str) -> dict[str, Any]:
    """The documented error answers of an operation (``_409="..."`` to describe one in its own words)."""
    return {
        str(code): {
            "description": described.get(f"_{code}", _DESCRIBED[code]),
            "content": {"application/json": {"schema": "Error"}},
        }
        for code in codes
    }


def json_response(schema: type[Schema], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def is_api_path() -> bool:
    path = request.path
    return "/api/" in path or path.endswith("/api")


def _message(code: int) -> str:
    messages = {
        400: _("リクエストが正しくありません。"),
        401: _("サインインしてください。"),
        403: _("この操作を行う権限がありません。"),
        404: _("指定されたものは見つかりません。"),
        405: _("このアドレスではこの操作（メソッド）は使えません。"),
        409: _("他の職員が先に変更しました。読み直してください。"),
        413: _("送信されたデータが大きすぎます。"),
        422: _("入力に誤りがあります。"),
        429: _("しばらく時間をおいてから、もう一度お試しください。"),
    }
    return messages.get(code, _("システムエラーが発生しました。"))


def _as_json(code: int, exc: BaseException, answer: Response | None) -> Response:
    """The JSON error of ``code``; the HTML handler's headers (Allow, Retry-After) are kept."""
    name = exc.name if isinstance(exc, HTTPException) else "Internal Server Error"
    body = jsonify(error=name.lower().replace(" ", "_"), message=_message(code))
    body.status_code = code
    source: Iterable[tuple[str, str]] = (
        answer.headers.items() if answer is not None else getattr(exc, "get_headers", list)()
    )
    for header, value in source:
        if header.lower() in ("allow", "retry-after") or header.lower().startswith("x-ratelimit"):
            body.headers[header] = value
    return body


def _json_under_api(code: int, handler: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """Run the existing handler (its access-log entry is kept), then answer JSON on an API path."""

    def handle(exc: Any) -> Any:
        if handler is None:
            if not is_api_path():
                return exc
            return _as_json(code, exc, None)
        answer = handler(exc)
        if not is_api_path():
            return answer
        response = make_response(answer)
        if response.is_json:
            return response
        return _as_json(response.status_code or code, exc, response)

    return handle


def init_app(app: Flask) -> None:
    """After every other error handler is registered: wrap them (and add one where a status has none)."""
    for code in JSON_ERROR_CODES:
        handlers = app.error_handler_spec[None][code]
        for cls, handler in list(handlers.items()):
            handlers[cls] = _json_under_api(code, handler)
        if not handlers:
            app.register_error_handler(code, _json_under_api(code, None))
