"""CSRF protection, rate limits on sign-in, request size and the security headers of every response.

Refusals of every kind (a bad CSRF token, too many attempts, a body too large) are written to the
access log of the city in the URL (or the platform's), like the guard's own refusals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from tenant_core.audit import services as audit
from tenant_core.auth import throttle
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

STORAGE_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
)


def _headers(response: Response) -> Response:
    """Each security header the view has not set itself (one pass over the response's few headers,
    rather than a look-up and a validated ``set`` for each)."""
    headers = response.headers
    present = {key.lower() for key, _value in headers.items()}
    headers.extend([(k, v) for k, v in SECURITY_HEADERS if k.lower() not in present])
    return response


def guess_source() -> str:
    """The bucket of a guessable POST: the city in the URL (or the platform) and the client address.

    Per city, so that two cities behind one address (a shared NAT) never use up each other's budget.
    """
    tenant = g.get("tenant")
    return f"{tenant.slug if tenant is not None else 'platform'}|{get_remote_address()}"


def limit_guessable_forms(app: Flask) -> None:
    """Throttle POSTs to forms open to guessing, per city and address (after the routes exist).

    One shared budget: every POST to any of these forms (password, one-time code, a module's own)
    counts once against ``KYODO_LOGIN_RATE_LIMIT`` for its city (or the platform) and address.
    """
    limiter: Limiter = app.extensions["kyodo.limiter"]
    rate = get_settings(app).login_rate_limit
    budget = limiter.shared_limit(rate, scope="guessable-forms", key_func=guess_source, methods=["POST"])
    wrapped: dict[Callable[..., Any], Callable[..., Any]] = {}
    module_endpoints = [e for info in iter_modules() for e in info.throttled_endpoints]
    for endpoint in (*GUESSABLE_ENDPOINTS, *module_endpoints):
        view = app.view_functions[endpoint]  # a declared endpoint that does not exist is a bug: fail loudly
        # City and platform sign-in share one view function: wrap it once.
        if view not in wrapped:
            wrapped[view] = budget(view)
        app.view_functions[endpoint] = wrapped[view]
    _limiter_hooks_only_for(app, limiter, {*GUESSABLE_ENDPOINTS, *module_endpoints})


def _limiter_hooks_only_for(app: Flask, limiter: Limiter, endpoints: set[str]) -> None:
    """Run the limiter's after-request hooks (its headers, its per-request state) only where a view
    is throttled: elsewhere they have nothing to do, and cost on every page."""

    def belongs(hook: Any) -> bool:
        return getattr(hook, "__self__", None) is limiter or (
            isinstance(hook, functools.partial) and limiter in hook.args
        )

    def only_for(hook: Callable[..., Any], passthrough: bool) -> Callable[..., Any]:
        @functools.wraps(hook)
        def run(arg: Any) -> Any:
            if request.endpoint in endpoints:
                return hook(arg)
            return arg if passthrough else None

        return run

    for registry, passthrough in ((app.after_request_funcs, True), (app.teardown_request_funcs, False)):
        hooks = registry.get(None, [])
        registry[None] = [only_for(h, passthrough) if belongs(h) else h for h in hooks]


def _csrf_refused(exc: CSRFError):
    # The CSRF check runs before the guard: name whoever holds the session, as the guard would.
    from tenant_core.auth.guard import session_holder

    session_holder()
    audit.record("access", outcome="refused", detail=f"CSRF check failed: {exc.description}"[:200])
    return render_template("core/error.html", code=403, csrf=True, error=exc), 403


def _too_many(exc: HTTPException):
    audit.record("access", outcome="refused", detail="too many attempts from this address")
    return render_template("core/error.html", code=429, error=exc), 429


def _too_large(exc: HTTPException):
    audit.record("access", outcome="refused", detail="request body larger than the limit")
    limit = get_settings().max_request_mb
    return render_template("core/error.html", code=413, error=exc, limit_mb=limit), 413


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer made once per secret rather than on every request."""

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        secret = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(secret)
        if signer is None:
            signer = self._signers[secret] = super().get_signing_serializer(app)
        return signer


def init_app(app: Flask) -> None:
    settings = get_settings(app)
    app.session_interface = SigningSessionInterface()
    local = settings.env in ("development", "test")
    app.config.update(
        SESSION_COOKIE_NAME="kyodo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not local,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the signed-in session
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        # Redis unreachable: count in memory (logged once by Flask-Limiter), sign-in keeps working;
        # short timeouts so that a dead Redis costs a second, not the request.
        RATELIMIT_STORAGE_OPTIONS=STORAGE_OPTIONS if settings.redis_url else {},
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
    )
    csrf.init_app(app)
    # One limiter per app (tests build several apps in one process).
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    # Kyodo sets no default, application or blueprint limit: only the throttled views' decorators
    # (``limit_guessable_forms``) count, and a decorated view checks its own limit when it is called.
    # The extension's check before every request would only find nothing to count, at a cost on every
    # page (a tenth of a millisecond, measured by tests/bench/bench_request_path.py), so it is taken out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.extensions["kyodo.limiter"] = limiter
    throttle.init_app(app, settings.redis_url, STORAGE_OPTIONS)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(429, _too_many)
    app.register_error_handler(413, _too_large)
