"""The city administrator's pages: staff accounts and roles, and the access-log viewer."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tenant_core import wareki
from tenant_core.audit import services as audit
from tenant_core.audit.reading import FUNCTION_LABELS, read_entries
from tenant_core.auth import services as accounts
from tenant_core.auth.forms import PasswordResetForm, UserCreateForm, UserRolesForm, UserStatusForm
from tenant_core.auth.roles import city_roles
from tenant_core.boundary import get_session
from tenant_core.i18n import request_lang
from tenant_core.japanese import japan_today
from tenant_core.models import Tenant
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant


def _role_choices() -> list[tuple[str, str]]:
    return [(r.name, r.label(request_lang())) for r in city_roles()]


def _user_or_404(user_id: int):
    user = accounts.tenant_user(get_session(), current_tenant.id, user_id)
    if user is None:
        abort(404)
    return user


@require("users.manage")
def users():
    page = Page.from_request(request)
    rows, total = accounts.tenant_users(get_session(), current_tenant.id, page.number, page.per_page)
    labels = dict(_role_choices())
    return render_template("admin/users.html", users=rows, page=page.with_total(total), labels=labels)


@require("users.manage")
def user_new():
    form = UserCreateForm()
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        tenant = get_session().get(Tenant, current_tenant.id)
        try:
            user = accounts.create_user(
                get_session(),
                tenant,
                form.login.data,
                form.display_name.data,
                form.password.data,
                form.roles.data,
            )
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            audit.record(
                "change", target=f"user:{user.id}", detail=f"account created with roles {form.roles.data}"
            )
            flash(_("%(name)s（%(login)s）を登録しました。", name=user.display_name, login=user.login))
            return redirect(url_for(".users"))
    return render_template("admin/user_new.html", form=form), 422 if request.method == "POST" else 200


@require("users.manage")
def user_detail(user_id: int):
    user = _user_or_404(user_id)
    roles_form = UserRolesForm(prefix="roles", data={"roles": user.role_names})
    roles_form.roles.choices = _role_choices()
    return render_template(
        "admin/user_detail.html",
        user=user,
        roles_form=roles_form,
        status_form=UserStatusForm(prefix="status"),
        unlock_form=UserStatusForm(prefix="unlock"),
        locked=accounts.is_locked(user),
        reset_form=PasswordResetForm(prefix="reset"),
    )


@require("users.manage")
def user_roles(user_id: int):
    user = _user_or_404(user_id)
    form = UserRolesForm(prefix="roles")
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        accounts.set_roles(get_session(), user, form.roles.data)
        audit.record("change", target=f"user:{user.id}", detail=f"roles set to {form.roles.data}")
        flash(_("役割を更新しました。"))
    return redirect(url_for(".user_detail", user_id=user.id))


@require("users.manage")
def user_status(user_id: int):
    user = _user_or_404(user_id)
    form = UserStatusForm(prefix="status")
    if not form.validate_on_submit():
        flash(_("確認欄にチェックを入れてから実行してください。"), "error")
        return redirect(url_for(".user_detail", user_id=user.id))
    accounts.set_active(get_session(), user, not user.active)
    audit.record("change", target=f"user:{user.id}", detail="enabled" if user.active else "disabled")
    flash(
        _("アカウントを有効にしました。")
        if user.active
        else _("アカウントを無効にし、ログイン中のセッションを終了しました。")
    )
    return redirect(url_for(".user_detail", user_id=user.id))


@require("users.manage")
def user_unlock(user_id: int):
    """Lift the lock that too many failed sign-ins put on an account (with a confirmation)."""
    user = _user_or_404(user_id)
    form = UserStatusForm(prefix="unlock")
    if not form.validate_on_submit():
        flash(_("確認欄にチェックを入れてから実行してください。"), "error")
        return redirect(url_for(".user_detail", user_id=user.id))
    failures = user.failed_logins
    accounts.unlock(get_session(), user)
    audit.record(
        "change", target=f"user:{user.id}", detail=f"lock lifted by administrator ({failures} failures)"
    )
    flash(_("アカウントのロックを解除しました。"))
    return redirect(url_for(".user_detail", user_id=user.id))


@require("users.manage")
def user_reset(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordResetForm(prefix="reset")
    if form.validate_on_submit():
        try:
            accounts.reset_password(get_session(), user, form.password.data)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            audit.record("change", target=f"user:{user.id}", detail="password reset by administrator")
            flash(_("パスワードを再設定しました。"))
    return redirect(url_for(".user_detail", user_id=user.id))


def _log_filter() -> audit.LogFilter:
    def day(name: str) -> dt.date | None:
        return wareki.try_parse(request.args.get(name, ""))

    return audit.LogFilter(
        target=request.args.get("target", "").strip(),
        operator=request.args.get("operator", "").strip(),
        function=request.args.get("function", "").strip(),
        date_from=day("from"),
        date_to=day("to"),
    )


@require("audit.view")
def audit_log():
    log_filter = _log_filter()
    page = Page.from_request(request, per_page=50)
    rows, total = audit.entries(get_session(), log_filter, page.number, page.per_page)
    audit.record("view", screen="audit_log", search=audit.search_shape(request.args.to_dict(), total))
    return render_template(
        "admin/audit.html",
        rows=read_entries(get_session(), current_tenant, list(rows)),
        function_labels=FUNCTION_LABELS,
        page=page.with_total(total),
        f=log_filter,
        flags=audit.flags,
        local_time=audit.local_time,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@require("audit.export")
def audit_export():
    log_filter = _log_filter()
    body = audit.export_csv(get_session(), log_filter, current_tenant)
    audit.record("export", screen="audit_log.csv", search=audit.search_shape(request.args.to_dict()))
    filename = f"access-log-{current_tenant.slug}-{japan_today():%Y%m%d}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
