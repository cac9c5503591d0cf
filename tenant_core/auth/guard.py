"""The one place every request passes: resolve the signed-in user, then check the route's permission.

Flask-Login is the interface (``current_user``, ``login_user``, ``logout_user``); underneath, the
cookie carries only a random token (``session["sid"]``) and the session itself lives on the server
(``shared.user_sessions``), where sign-out, disabling an account or a timeout ends it for good.

A route that declares neither a permission nor ``@public`` is refused: new code is closed until
someone decides who may use it.
"""

from __future__ import annotations

from flask import Flask, Request, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager

from tenant_core.audit import services as audit
from tenant_core.auth import services
from tenant_core.auth.current import AnonymousUser, CurrentUser, current_user
from tenant_core.boundary import first_statement, get_session
from tenant_core.modules import module_of_blueprint
from tenant_core.permissions import declared_permission, is_public

SESSION_KEY = "sid"
_ENROLMENT_ENDPOINTS = {"auth.totp", "auth.logout", "static"}
# Flask-Login reads a remember-me cookie before it asks the request loader. Kyodo never issues one
# (a sign-in lasts as long as its server-side session, which the city's timeouts end); a name
# containing ";" can never arrive as a cookie, so that branch can neither run nor skip the loader.
_NO_REMEMBER_COOKIE = "kyodo; no remember-me cookie"


def _wants_json() -> bool:
    return request.path.endswith(".json") or "/api/" in request.path or request.is_json


def session_holder() -> CurrentUser | None:
    """Resolve the cookie's token to whoever holds the server-side session, once per request.

    ``g.user`` keeps that person whichever city the session belongs to: the access log names them
    as the operator, also when they are refused here.
    """
    if "user" in g:
        return g.user
    g.user = None  # set first: if the look-up fails, nobody is signed in and it is not retried
    token = session.get(SESSION_KEY)
    if not token:
        return None
    # On the request's own connection and in its transaction (one statement when nothing is due);
    # what the check writes (an ended session, the idle clock) commits at once, whatever the request
    # does next.
    check = first_statement(lambda s: services.resolve_session(s, token))
    s = get_session()
    if s.dirty:
        s.commit()
    if check.user is not None and check.touch_due:
        # Ends the transaction that read first: on SQLite one that writes first waits its turn.
        s.commit()
        services.touch_session(s, check.user.session_id)
        s.commit()
    if check.user is None:
        session.pop(SESSION_KEY, None)
        g.session_refused = check.refused
    g.user = check.user
    return check.user


def _in_scope(user: CurrentUser) -> bool:
    tenant = g.get("tenant")
    return user.tenant_id == tenant.id if tenant is not None else user.is_platform


def request_loader(_request: Request) -> CurrentUser | None:
    """Flask-Login's loader, scoped to the URL: a session of another city (or of the platform on a
    city's pages, or of a city on platform pages) is never loaded as the current user."""
    user = session_holder()
    return user if user is not None and _in_scope(user) else None


def load_user() -> None:
    """Resolve the session at the start of every request, not lazily: expiry, revocation and the
    idle clock apply to every request, signed-in pages or not. Static files are the exception:
    they are the same for everyone, and a browser fetches several at once, so they neither read
    nor touch the session."""
    if request.endpoint == "static" or request.path.startswith("/static/"):
        g.user = None
        return
    if not session.get(SESSION_KEY):
        # No session token: nobody is signed in, and Flask-Login's search (signals, its session
        # checks, our loader) would only find that out; it keeps the user it found in ``g._login_user``.
        g.user = None
        g._login_user = AnonymousUser()
        return
    current_user._get_current_object()


def _refuse(reason: str, status: int = 403):
    audit.record("access", outcome="refused", detail=reason)
    if _wants_json():
        return jsonify(error="forbidden", message=_("この操作を行う権限がありません。")), status
    abort(status)


def _to_sign_in():
    """Flask-Login's unauthorised handler: pages go to the sign-in form, JSON gets a 401."""
    if _wants_json():
        return jsonify(error="unauthorized", message=_("サインインしてください。")), 401
    tenant = g.get("tenant")
    if tenant is not None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("platform_auth.login", next=request.full_path.rstrip("?")))


def enforce():
    """Check the current route against the signed-in user; return a response to stop the request."""
    if request.endpoint is None:
        return None  # routing already failed: 404 or 405
    view = current_app.view_functions.get(request.endpoint)
    if view is None or is_public(view):
        return None
    permission = declared_permission(view)
    if permission is None:
        return _refuse(f"route {request.endpoint} declares no permission")
    holder = g.get("user")
    if holder is None:
        return current_app.login_manager.unauthorized()
    tenant = g.get("tenant")
    if not current_user.is_authenticated:
        # Someone signed in elsewhere (another city, or the platform) knocking on this door:
        # refused and logged, not sent to sign in.
        if tenant is not None:
            return _refuse(f"session of {holder.operator_id} is not valid for {tenant.slug}")
        return _refuse("city staff cannot open platform pages")
    if current_user.must_enrol_totp and request.endpoint not in _ENROLMENT_ENDPOINTS:
        return redirect(url_for("auth.totp"))
    module = module_of_blueprint(request.blueprint)
    if tenant is not None and module is not None and not _module_enabled(module.name):
        # A module the city has not enabled does not exist for it, whatever the person's roles.
        abort(404)
    if not current_user.can(permission):
        return _refuse(f"missing permission {permission}")
    return None


def _module_enabled(name: str) -> bool:
    from tenant_core.params.services import param

    return name in param("core.modules_enabled")


def _template_user() -> dict[str, object]:
    # Only what this request already resolved: an error page shown before the guard ran (an unknown
    # city, a failed database) shows nobody signed in rather than resolving the session late.
    return {"current_user": current_user if "user" in g else AnonymousUser()}


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.request_loader(request_loader)
    manager.unauthorized_handler(_to_sign_in)
    manager.anonymous_user = AnonymousUser
    # Session protection would store a hash of the address and browser in the cookie and drop or
    # "unfreshen" the sign-in when it changes; the cookie carries only the token, and the server-side
    # session (ended on sign-out, disabling, timeouts) is what protects it.
    manager.session_protection = None
    app.config["REMEMBER_COOKIE_NAME"] = _NO_REMEMBER_COOKIE
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = False
    manager.init_app(app, add_context_processor=False)
    app.before_request(load_user)
    app.before_request(enforce)
    app.context_processor(_template_user)
