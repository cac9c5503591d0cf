"""Structured operations logs: one JSON line per event, with the request id and the city.

The operations log is not the access log (操作ログ, in each city's schema): it is for the people who
run the service, so it carries no personal data. A request is logged by its route pattern
(``/<tenant>/residents/<int:atena_no>``), never its concrete path or query string, so no search term,
name or number reaches it. Every response carries the request id as ``X-Request-Id``; an id sent by
the front proxy (letters, digits, ``-``, up to 64) is kept so that both logs can be joined.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

request_log = logging.getLogger("kyodo.request")


class RequestContextFilter(logging.Filter):
    """Adds the request id and the city slug to every record made during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id"):
                record.request_id = g.get("request_id", "-")
            if not hasattr(record, "tenant"):
                tenant = g.get("tenant")
                record.tenant = tenant.slug if tenant is not None else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON (gunicorn and the CLI call this once per process)."""
    root = logging.getLogger()
    if any(getattr(h, "kyodo_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.kyodo_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_log_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    started = g.pop("request_log_started", None)
    if request.endpoint != "static":
        request_log.info(
            "request",
            extra={
                "method": request.method,
                # the route's pattern, never the path or the query: they can hold names and numbers
                "route": request.url_rule.rule if request.url_rule is not None else "-",
                "endpoint": request.endpoint or "-",
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "address": request.remote_addr or "-",
            },
        )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    logging.getLogger("kyodo").addFilter(RequestContextFilter())
    request_log.addFilter(RequestContextFilter())
