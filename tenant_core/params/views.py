"""Thin views of the parameter pages and API: read the request, call a service, render or dump."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError
from tenant_core.params import changes, comparison, forms, openapi, resolution, schemas
from tenant_core.params.declare import CITY, CONSORTIUM, Param
from tenant_core.params.registry import UnknownParameter, registry
from tenant_core.permissions import public, require
from tenant_core.tenancy import current_tenant

# Where a value comes from (``Resolved.source``), as the pages name it.
SOURCE_LABELS = {"default": _l("既定値"), "consortium": _l("協議会"), "city": _l("団体")}
CONSORTIUM_PERMISSION = "params.edit_consortium"


def _param_or_404(key: str) -> Param:
    try:
        return registry().get(key)
    except UnknownParameter:
        abort(404)


def _actor(scope: str) -> changes.Actor | None:
    """The signed-in person acting at ``scope``, or None when their roles do not allow it."""
    needed = "params.edit" if scope == CITY else CONSORTIUM_PERMISSION
    if scope not in (CITY, CONSORTIUM) or not g.user.can(needed):
        return None
    return changes.Actor(g.user.operator_id, scope)


def _levels(p: Param) -> list[str]:
    """The levels this person may set this parameter at."""
    return [s for s in (CITY, CONSORTIUM) if s in p.editable_by and _actor(s) is not None]


def _on() -> dt.date | None:
    text = request.args.get("on", "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        abort(400)


def _module_arg() -> str | None:
    module = request.args.get("module", "").strip() or None
    if module is not None and module not in registry().modules():
        abort(404)
    return module


# --- pages ---------------------------------------------------------------------------------------


@require("params.view")
def index():
    module = _module_arg()
    lines = resolution.overview(resolution.current_param_set(), module)
    audit.record("view", screen="params.index", target="params", detail=f"module={module or 'all'}")
    return render_template(
        "params/index.html",
        lines=lines,
        modules=registry().modules(),
        module=module,
        sources=SOURCE_LABELS,
    )


@require("params.view")
def detail(key: str):
    p = _param_or_404(key)
    ps = resolution.current_param_set()
    versions = changes.history(get_session(), key, current_tenant.id, current_tenant.consortium_id)
    audit.record("view", screen="params.detail", target=f"param:{key}")
    return render_template(
        "params/detail.html",
        p=p,
        line=resolution.line(ps, p),
        city=ps.own(key),
        consortium=ps.own(key, scope="consortium"),
        versions=versions,
        today=resolution.today(),
        levels=_levels(p),
        sources=SOURCE_LABELS,
    )


def _token(value: object) -> int | None:
    """A version token sent back by a form, a JSON body or an ``If-Match`` header; None if missing."""
    text = str(value if value is not None else "").strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


@require("params.view")
def edit(key: str):
    p = _param_or_404(key)
    levels = _levels(p)
    if not levels:
        abort(403)
    ps = resolution.current_param_set()
    errors: list[str] = []
    submitted = forms.initial(p, ps.value(key), levels[0])
    # The page's version of the key: a change recorded after it was shown makes the form stale (409).
    version_token = str(
        changes.latest_version_id(get_session(), key, current_tenant.id, current_tenant.consortium_id)
    )
    if request.method == "POST":
        version_token = request.form.get("version", "")
        submitted = forms.submitted(p, request.form, request.files)
        actor = _actor(submitted["scope"])
        if actor is None or submitted["scope"] not in levels:
            abort(403)
        when, date_problem = forms.parse_date(submitted["effective_from"])
        try:
            if date_problem:
                raise changes.ParamError.one(key, date_problem)
            based_on = _token(version_token)
            if based_on is None:  # a form always carries the version it showed
                raise ConflictError(target=f"param:{key}")
            changes.lock_key(get_session(), key, current_tenant.id, current_tenant.consortium_id, based_on)
            version = changes.change(
                get_session(),
                key,
                submitted["value"],
                tenant_id=current_tenant.id if submitted["scope"] == CITY else None,
                consortium_id=current_tenant.consortium_id,
                actor=actor,
                reason=submitted["reason"],
                legal_basis=submitted["legal_basis"],
                effective_from=when,
                reset=submitted["reset"],
            )
        except changes.ParamError as exc:
            errors = exc.messages
        else:
            audit.record(
                "setting",
                screen="params.edit",
                target=f"param:{key}",
                detail=f"{submitted['scope']} version {version.id} from {version.effective_from}"
                + (" (reset)" if version.reset else ""),
            )
            label = p.label(g.get("lang", "ja"))
            flash(
                _(
                    "「%(label)s」の変更を登録しました（%(date)s から適用）。",
                    label=label,
                    date=version.effective_from.isoformat(),
                )
                if version.effective_from > resolution.today()
                else _("「%(label)s」を変更しました。", label=label)
            )
            return redirect(url_for(".detail", key=key))
    submitted = forms.with_blank_rows(p, submitted)
    page = render_template(
        "params/edit.html",
        p=p,
        widget=forms.widget(p),
        submitted=submitted,
        errors=errors,
        levels=levels,
        today=resolution.today(),
        current=ps.resolve(key),
        sources=SOURCE_LABELS,
        version_token=version_token,
    )
    return page, 422 if errors else 200


@require("params.view")
def cancel(version_id: int):
    version = changes.version_of(get_session(), version_id, current_tenant.id, current_tenant.consortium_id)
    if version is None:
        abort(404)
    scope = CITY if version.tenant_id is not None else CONSORTIUM
    actor = _actor(scope)
    if actor is None:
        abort(403)
    try:
        changes.cancel(get_session(), version, actor, request.form.get("reason", ""))
    except changes.ParamError as exc:
        flash(" ".join(exc.messages), "error")
    else:
        audit.record(
            "setting",
            screen="params.cancel",
            target=f"param:{version.key}",
            detail=f"cancelled version {version.id}",
        )
        flash(_("変更予定を取り消しました。"))
    return redirect(url_for(".detail", key=version.key))


@require("params.compare")
def compare():
    module = _module_arg()
    only_diff = request.args.get("diff") == "1"
    table = comparison.compare(get_session(), current_tenant.consortium_id, module, _on())
    audit.record("view", screen="params.compare", target="params:compare", detail=f"module={module or 'all'}")
    shown = [p for p in table.params if not only_diff or table.differs(p.key)]
    return render_template(
        "params/compare.html",
        comparison=table,
        shown=shown,
        modules=registry().modules(),
        module=module,
        only_diff=only_diff,
    )


@require("params.compare")
def compare_xlsx():
    from tenant_core.params.excel import comparison_workbook  # openpyxl: only when a workbook is asked for

    module = _module_arg()
    table = comparison.compare(get_session(), current_tenant.consortium_id, module, _on())
    audit.record(
        "export", screen="params.compare.xlsx", target="params:compare", detail=f"module={module or 'all'}"
    )
    title = _("パラメータ比較（FIT&GAP） %(date)s", date=resolution.today().isoformat())
    return Response(
        comparison_workbook(table, title),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=params-compare.xlsx"},
    )


# --- JSON API ------------------------------------------------------------------------------------


def _not_found():
    return jsonify(error="not_found", message=_("未定義のパラメータです。")), 404


def _problems(errors: dict[str, list[str]], status: int = 422):
    return jsonify(
        error="invalid", message=_("入力に誤りがあります。何も変更していません。"), errors=errors
    ), status


def _invalid(exc: ValidationError):
    """A request the schema refused; its messages may be lazy strings, made text here."""
    messages = exc.normalized_messages()
    return _problems(
        {name: [str(m) for m in (ms if isinstance(ms, list) else [ms])] for name, ms in messages.items()}
    )


@require("params.view")
def api_list():
    module, on = _module_arg(), _on()
    ps = resolution.current_param_set()
    items = [resolution.describe(ps, p, on) for p in registry().of_module(module)]
    audit.record("view", screen="params.api_list", target="params", detail=f"module={module or 'all'}")
    return jsonify(
        schemas.ResolvedListSchema().dump(
            {"tenant": current_tenant.slug, "on": on or resolution.today(), "params": items}
        )
    )


@require("params.view")
def api_get(key: str):
    if key not in registry():
        return _not_found()
    p = registry().get(key)
    audit.record("view", screen="params.api_get", target=f"param:{key}")
    response = jsonify(
        schemas.ResolvedParamSchema().dump(resolution.describe(resolution.current_param_set(), p, _on()))
    )
    # The key's version: send it back as If-Match (or "version") with a change to refuse a stale one.
    token = changes.latest_version_id(get_session(), key, current_tenant.id, current_tenant.consortium_id)
    response.headers["ETag"] = f'"{token}"'
    return response


@require("params.view")
def api_history(key: str):
    if key not in registry():
        return _not_found()
    versions = changes.history(get_session(), key, current_tenant.id, current_tenant.consortium_id)
    audit.record("view", screen="params.api_history", target=f"param:{key}")
    return jsonify(schemas.HistorySchema().dump({"key": key, "versions": versions}))


@require("params.view")
def api_change(key: str):
    if key not in registry():
        return _not_found()
    p = registry().get(key)
    try:
        data = schemas.ChangeRequestSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return _invalid(exc)
    actor = _actor(data["scope"])
    if actor is None or data["scope"] not in p.editable_by:
        return jsonify(error="forbidden", message=_("この設定を変更する権限がありません。")), 403
    # A client that sends no version changes the value as it reads it now (no check); the change
    # still takes its turn on the consortium's lock.
    based_on = data["version"] if data["version"] is not None else _token(request.headers.get("If-Match"))
    changes.lock_key(get_session(), key, current_tenant.id, current_tenant.consortium_id, based_on)
    try:
        version = changes.change(
            get_session(),
            key,
            data["value"],
            tenant_id=current_tenant.id if data["scope"] == CITY else None,
            consortium_id=current_tenant.consortium_id,
            actor=actor,
            reason=data["reason"],
            legal_basis=data["legal_basis"],
            effective_from=data["effective_from"],
            reset=data["reset"],
        )
    except changes.ParamError as exc:
        return _problems(exc.problems)
    audit.record("setting", screen="params.api_change", target=f"param:{key}", detail=f"version {version.id}")
    return jsonify(schemas.VersionSchema().dump(version)), 201


@require("params.view")
def api_cancel(version_id: int):
    version = changes.version_of(get_session(), version_id, current_tenant.id, current_tenant.consortium_id)
    if version is None:
        return jsonify(error="not_found", message=_("該当する変更がありません。")), 404
    try:
        data = schemas.CancelRequestSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return _invalid(exc)
    actor = _actor(CITY if version.tenant_id is not None else CONSORTIUM)
    if actor is None:
        return jsonify(error="forbidden", message=_("この変更予定を取り消す権限がありません。")), 403
    try:
        changes.cancel(get_session(), version, actor, data["reason"])
    except changes.ParamError as exc:
        return _problems(exc.problems)
    audit.record(
        "setting", screen="params.api_cancel", target=f"param:{version.key}", detail=f"cancelled {version.id}"
    )
    return jsonify(schemas.VersionSchema().dump(version))


@public
def openapi_json():
    return jsonify(openapi.document())
