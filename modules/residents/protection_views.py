"""Pages of 支援措置 and 抑止: a person's measures, registering, 延長/終了/解除, and the expiry list."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from modules.residents import protection
from modules.residents.display import HELPERS
from modules.residents.errors import ResidentError
from modules.residents.models import MeasureKind, SupportMeasure
from modules.residents.ui import person_or_404
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.errors import place_errors
from tenant_core.inputs import KyodoForm, WarekiDateField
from tenant_core.japanese import japan_today
from tenant_core.permissions import require
from tenant_core.views import form_status, page_renderer, parse_date

_render = page_renderer(HELPERS)


class SupportForm(KyodoForm):
    requested_on = WarekiDateField(_l("申出日"))
    start_on = WarekiDateField(_l("開始日"))
    end_on = WarekiDateField(_l("終了予定日（空欄なら開始日から1年）"))
    offender_name = StringField(_l("加害者の氏名"), validators=[Length(max=200)])
    offender_kana = StringField(_l("加害者のカナ氏名"), validators=[Length(max=200)])
    offender_city_code = StringField(_l("加害者の団体コード（6桁、わかる場合）"), validators=[Length(max=6)])
    offender_atena_no = StringField(_l("加害者の宛名番号（わかる場合）"), validators=[Length(max=15)])
    companions = StringField(
        _l("併せて支援を求める者の宛名番号（同一世帯、空白区切り）"), validators=[Length(max=200)]
    )
    reason = TextAreaField(_l("備考"), validators=[Optional(), Length(max=500)])


class HoldForm(KyodoForm):
    reason = TextAreaField(_l("抑止の理由"), validators=[Length(max=500)])


class ActionForm(KyodoForm):
    new_end = WarekiDateField(_l("延長後の終了予定日（空欄なら1年延長）"))
    reason = TextAreaField(_l("理由・備考"), validators=[Length(max=500)])


ACTIONS = {
    "extend": (protection.PROTECT, MeasureKind.support, _l("支援措置の延長")),
    "end": (protection.PROTECT, MeasureKind.support, _l("支援措置の終了")),
    "release": (protection.PROTECT_RELEASE, MeasureKind.hold, _l("抑止の解除")),
}


@require(protection.PROTECT_VIEW)
def person_measures(atena_no: int):
    """The measures of one person, with their history."""
    session = get_session()
    person = person_or_404(atena_no, "residents.protection")
    measures = protection.measures_of(session, atena_no)
    audit.record("view", screen="residents.protection", target=f"atena:{atena_no}")
    return _render(
        "residents/protection.html",
        person=person,
        kind_labels=protection.KIND_LABELS,
        measures=[
            (m, protection.covered_persons(session, m), protection.changes_of(session, m)) for m in measures
        ],
        today=japan_today(),
        can_protect=g.user.can(protection.PROTECT),
        can_release=g.user.can(protection.PROTECT_RELEASE),
    )


def _measure_person_or_404(atena_no: int, screen: str):
    return person_or_404(atena_no, screen)


@require(protection.PROTECT)
def new_support(atena_no: int):
    """支援措置の登録 (申出の受付)."""
    person = _measure_person_or_404(atena_no, "residents.protection_support")
    form = SupportForm()
    if request.method == "GET":
        form.requested_on.data = form.start_on.data = japan_today().isoformat()
    errors: list[str] = []
    if form.validate_on_submit():
        data = {k: form[k].data for k in form.data if k != "csrf_token"}
        data["companions"] = (form.companions.data or "").replace(",", " ").replace("、", " ").split()
        try:
            measure = protection.register_support(get_session(), atena_no, data, by=g.user.operator_id)
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change",
                screen="residents.protection_support",
                target=f"atena:{atena_no}",
                detail="support:registered",
            )
            flash(
                _(
                    "支援措置を登録しました（%(start)s〜%(end)s）。",
                    start=measure.start_on,
                    end=measure.end_on,
                )
            )
            return redirect(url_for(".protection", atena_no=atena_no))
    return _render(
        "residents/protection_form.html",
        form_status(),
        form=form,
        person=person,
        errors=errors,
        title=_("支援措置の登録"),
        action=url_for(".protection_support", atena_no=atena_no),
    )


@require(protection.PROTECT)
def new_hold(atena_no: int):
    """抑止の設定."""
    person = _measure_person_or_404(atena_no, "residents.protection_hold")
    form = HoldForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            protection.register_hold(get_session(), atena_no, form.reason.data or "", by=g.user.operator_id)
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change", screen="residents.protection_hold", target=f"atena:{atena_no}", detail="hold:set"
            )
            flash(_("抑止を設定しました。"))
            return redirect(url_for(".protection", atena_no=atena_no))
    return _render(
        "residents/protection_form.html",
        form_status(),
        form=form,
        person=person,
        errors=errors,
        title=_("抑止の設定"),
        action=url_for(".protection_hold", atena_no=atena_no),
    )


@require(protection.PROTECT_VIEW)
def measure_action(measure_id: int, action: str):
    """延長 or 終了 of a 支援措置 (``PROTECT``), 解除 of an 抑止 (``PROTECT_RELEASE``)."""
    if action not in ACTIONS:
        abort(404)
    permission, kind, title = ACTIONS[action]
    session = get_session()
    measure: SupportMeasure | None = protection.get_measure(session, measure_id)
    if measure is None or measure.kind != kind:
        audit.record(
            "view",
            screen="residents.protection_action",
            target=f"measure:{measure_id}",
            outcome="failed",
            detail="not found",
        )
        abort(404)
    if not g.user.can(permission):
        audit.record(
            "change",
            screen="residents.protection_action",
            target=f"measure:{measure_id}",
            outcome="refused",
            detail=f"{action}: no {permission}",
        )
        abort(403)
    person = _measure_person_or_404(measure.atena_no, "residents.protection_action")
    form = ActionForm()
    errors: list[str] = []
    if form.validate_on_submit():
        by = g.user.operator_id
        try:
            if action == "extend":
                new_end = parse_date(form.new_end.data)
                protection.extend(session, measure, by=by, new_end=new_end, note=form.reason.data or "")
            elif action == "end":
                protection.end_support(session, measure, form.reason.data or "", by=by)
            else:
                protection.release_hold(session, measure, form.reason.data or "", by=by)
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change",
                screen="residents.protection_action",
                target=f"atena:{measure.atena_no}",
                detail=f"{kind}:{action}",
            )
            flash(_("%(title)sを登録しました。", title=title))
            return redirect(url_for(".protection", atena_no=measure.atena_no))
    return _render(
        "residents/protection_action.html",
        form_status(),
        form=form,
        person=person,
        measure=measure,
        action=action,
        title=title,
        errors=errors,
    )


@require(protection.PROTECT)
def expiring():
    """支援措置 ending within a month: the administrator asks the 申出者 about a 延長."""
    session = get_session()
    rows = protection.expiring(session)
    audit.record("view", screen="residents.protection_expiring", detail=f"{len(rows)} measures")
    return _render(
        "residents/protection_expiring.html",
        rows=rows,
        today=japan_today(),
        days=protection.EXPIRY_WINDOW_DAYS,
    )
