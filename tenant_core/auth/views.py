"""Sign-in, sign-out, password change and TOTP enrolment, for city staff and platform operators."""

from __future__ import annotations

import time

import segno
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from markupsafe import Markup

from tenant_core.audit import services as audit
from tenant_core.auth import services
from tenant_core.auth.current import current_user
from tenant_core.auth.forms import LoginForm, PasswordChangeForm, TotpForm
from tenant_core.auth.guard import SESSION_KEY
from tenant_core.auth.models import User
from tenant_core.auth.throttle import get_throttle
from tenant_core.boundary import get_session
from tenant_core.models import Tenant
from tenant_core.permissions import public, require
from tenant_core.tenancy import current_tenant

_PENDING = "pending_totp"
_PENDING_SECONDS = 300
# What login_user writes into the cookie; Kyodo's cookie carries only the session token.
_FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id")


def _tenant_row() -> Tenant | None:
    return get_session().get(Tenant, current_tenant.id) if g.get("tenant") else None


def _home() -> str:
    return url_for("portal.index") if g.get("tenant") else url_for("platform.tenants")


def _safe_next() -> str:
    """Only a path inside this city (or the platform) is followed after sign-in."""
    target = request.args.get("next", "")
    prefix = f"/{current_tenant.slug}/" if g.get("tenant") else "/platform/"
    if target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    return _home()


def _complete_sign_in(user: User):
    old = session.get(SESSION_KEY)
    if old:
        services.end_session(get_session(), old, "signed in again")
    # A fresh cookie: nothing from before sign-in (or from another account) is carried over.
    session.clear()
    token = services.start_session(get_session(), user, request.remote_addr or "", request.user_agent.string)
    session[SESSION_KEY] = token
    # The rest of this request sees the new sign-in as Flask-Login's current_user; the next ones
    # find it again through the guard's request loader, from the token.
    login_user(services.signed_in_user(user, token), force=True)
    for key in _FLASK_LOGIN_KEYS:  # its own cookie state is not kept: the token is the sign-in
        session.pop(key, None)
    audit.record("login", operator=user.operator_id, detail="signed in")
    return redirect(_safe_next())


def _operator_label(login: str) -> str:
    return f"{current_tenant.code}:{login}" if g.get("tenant") else f"platform:{login}"


@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        tenant = _tenant_row()
        policy = services.policy_for_tenant(tenant)
        source = get_throttle()
        scope = current_tenant.slug if g.get("tenant") else "platform"
        key = source.key(scope, form.login.data, request.remote_addr or "")
        if source.blocked(key, policy):
            # This address has guessed too often for this login: it waits; the owner, elsewhere, does not.
            result = services.SignInResult(
                None, services.locked_message(), "locked", "too many failures from this address"
            )
        else:
            result = services.authenticate(get_session(), tenant, form.login.data, form.password.data)
            if result.outcome == "failed":
                source.failed(key, policy)
            elif result.user is not None:
                source.succeeded(key, policy)
        if result.user is None:
            audit.record(
                "login",
                operator=_operator_label(form.login.data),
                outcome=result.outcome,
                detail=result.detail,
            )
            flash(result.problem, "error")
            return render_template("auth/login.html", form=form), 200
        if result.user.totp_enabled:
            session.clear()
            session[_PENDING] = [result.user.id, time.time()]
            return redirect(url_for(".login_totp", next=request.args.get("next")))
        return _complete_sign_in(result.user)
    return render_template("auth/login.html", form=form)


@public
def login_totp():
    pending = session.get(_PENDING)
    if not pending or time.time() - pending[1] > _PENDING_SECONDS:
        session.pop(_PENDING, None)
        flash(_("もう一度ログインIDとパスワードを入力してください。"))
        return redirect(url_for(".login"))
    user = get_session().get(User, pending[0])
    tenant_id = current_tenant.id if g.get("tenant") else None
    if user is None or user.tenant_id != tenant_id:
        session.pop(_PENDING, None)
        return redirect(url_for(".login"))
    form = TotpForm()
    if form.validate_on_submit():
        if services.verify_totp(user, form.code.data):
            return _complete_sign_in(user)
        audit.record("login", operator=user.operator_id, outcome="failed", detail="wrong one-time password")
        flash(_("確認コードが正しくありません。"), "error")
    return render_template("auth/login_totp.html", form=form)


@public
def logout():
    token = session.get(SESSION_KEY)
    if token:
        services.end_session(get_session(), token, "logout")
        audit.record("logout", detail="signed out")
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"))
    return redirect(url_for(".login"))


@require("account.self")
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = get_session().get(User, current_user.id)
        try:
            services.change_password(get_session(), user, form.current.data, form.new.data)
        except services.AccountError as exc:
            flash(str(exc), "error")
            return render_template("auth/password.html", form=form), 422
        audit.record("change", target=f"user:{user.id}", detail="password changed")
        flash(_("パスワードを変更しました。"))
        return redirect(url_for("portal.index"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@require("account.self")
def totp():
    user = get_session().get(User, current_user.id)
    secret = session.get("totp_secret") or services.new_totp_secret()
    session["totp_secret"] = secret
    form = TotpForm()
    if form.validate_on_submit():
        try:
            services.enrol_totp(get_session(), user, secret, form.code.data)
        except services.AccountError as exc:
            flash(str(exc), "error")
        else:
            session.pop("totp_secret", None)
            audit.record("setting", target=f"user:{user.id}", detail="TOTP enrolled")
            flash(_("ワンタイムパスワードを設定しました。次回からログイン時に確認コードを入力します。"))
            return redirect(url_for("portal.index"))
    uri = services.totp_uri(secret, user, issuer=f"Kyodo {current_tenant.name}")
    qr = Markup(segno.make(uri).svg_inline(scale=4))  # inline SVG: no script, allowed by the CSP
    return render_template("auth/totp.html", form=form, secret=secret, qr=qr, enrolled=user.totp_enabled)
