"""The one place every request passes: resolve the signed-in user, then check the route's permission.

A route that declares neither a permission nor ``@public`` is refused: new code is closed until
someone decides who may use it.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for

from tenant_core.audit import services as audit
from tenant_core.auth import services
from tenant_core.extensions import get_db
from tenant_core.modules import module_of_blueprint
from tenant_core.permissions import declared_permission, is_public

SESSION_KEY = "sid"
_ENROLMENT_ENDPOINTS = {"auth.totp", "auth.logout", "static"}


def _wants_json() -> bool:
    return request.path.endswith(".json") or "/api/" in request.path or request.is_json


def load_user() -> None:
    g.user = None
    token = session.get(SESSION_KEY)
    if not token:
        return
    with get_db().session() as s:
        check = services.resolve_session(s, token)
        s.commit()
    if check.user is None:
        session.pop(SESSION_KEY, None)
        g.session_refused = check.refused
    g.user = check.user


def _refuse(reason: str, status: int = 403):
    audit.record("access", outcome="refused", detail=reason)
    if _wants_json():
        return jsonify(error="forbidden", message="この操作を行う権限がありません。"), status
    abort(status)


def _to_sign_in():
    if _wants_json():
        return jsonify(error="unauthorized", message="サインインしてください。"), 401
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
    user = g.get("user")
    if user is None:
        return _to_sign_in()
    tenant = g.get("tenant")
    if tenant is not None and user.tenant_id != tenant.id:
        # Someone signed in elsewhere (another city, or the platform) knocking on this city's door.
        return _refuse(f"session of {user.operator_id} is not valid for {tenant.slug}")
    if tenant is None and not user.is_platform:
        return _refuse("city staff cannot open platform pages")
    if user.must_enrol_totp and request.endpoint not in _ENROLMENT_ENDPOINTS:
        return redirect(url_for("auth.totp"))
    module = module_of_blueprint(request.blueprint)
    if tenant is not None and module is not None and not _module_enabled(module.name):
        # A module the city has not enabled does not exist for it, whatever the person's roles.
        abort(404)
    if not user.can(permission):
        return _refuse(f"missing permission {permission}")
    return None


def _module_enabled(name: str) -> bool:
    from tenant_core.params.services import param

    return name in param("core.modules_enabled")


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.before_request(enforce)
    app.context_processor(lambda: {"current_user": g.get("user")})
