"""CSRF protection, rate limits on sign-in and the security headers of every response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, render_template
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from tenant_core.extensions import get_settings
from tenant_core.modules import iter_modules

csrf = CSRFProtect()
# Forms open to guessing (passwords, one-time codes), throttled per address; modules add their own
# (manifest ``throttled_endpoints``).
GUESSABLE_ENDPOINTS = (
    "auth.login",
    "auth.login_totp",
    "platform_auth.login",
    "platform_auth.login_totp",
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def limit_guessable_forms(app: Flask) -> None:
    """Throttle POSTs to forms open to guessing, per address, across every city (after the routes exist)."""
    limiter: Limiter = app.extensions["kyodo.limiter"]
    rate = get_settings(app).login_rate_limit
    wrapped: dict[Callable[..., Any], Callable[..., Any]] = {}
    module_endpoints = [e for info in iter_modules() for e in info.throttled_endpoints]
    for endpoint in (*GUESSABLE_ENDPOINTS, *module_endpoints):
        view = app.view_functions[endpoint]  # a declared endpoint that does not exist is a bug: fail loudly
        # City and platform sign-in share one view function: wrap it once so it is counted once.
        if view not in wrapped:
            wrapped[view] = limiter.limit(rate, methods=["POST"])(view)
        app.view_functions[endpoint] = wrapped[view]


def init_app(app: Flask) -> None:
    settings = get_settings(app)
    local = settings.env in ("development", "test")
    app.config.update(
        SESSION_COOKIE_NAME="kyodo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not local,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the signed-in session
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    csrf.init_app(app)
    # One limiter per app (tests build several apps in one process); it counts per client address.
    app.extensions["kyodo.limiter"] = Limiter(get_remote_address, app=app, default_limits=[])
    app.after_request(_headers)
    app.register_error_handler(
        CSRFError, lambda exc: (render_template("core/error.html", code=403, csrf=True, error=exc), 403)
    )
    app.register_error_handler(
        429, lambda exc: (render_template("core/error.html", code=429, error=exc), 429)
    )
