"""The inquiry page: the form, then (with a reason) one person's situation; every step is logged."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from modules.inquiry import services
from modules.inquiry.forms import OTHER, PURPOSES, InquiryForm
from modules.residents import public as residents
from tenant_core import visits
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.japanese import japan_today
from tenant_core.permissions import require

SCREEN = "inquiry.index"
MAX_CANDIDATES = 50


def record_url(endpoint: str, **values: Any) -> str | None:
    """The page of a record the inquiry shows, when its module is here and the user may open it."""
    module = endpoint.partition(".")[0]
    if endpoint not in current_app.view_functions or not g.user.can(f"{module}.view"):
        return None
    return url_for(endpoint, **values)


def _render(status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(
        "inquiry/index.html", **residents.HELPERS, today=japan_today(), record_url=record_url, **context
    ), status


def _reason_text(purpose: str, text: str) -> str:
    return f"{PURPOSES[purpose]}: {text}" if text else str(PURPOSES[purpose])


def _stated_reason(form: InquiryForm) -> tuple[str, str] | None:
    """The reason as shown and as logged ("目的: 具体的な理由"), or None after putting the message
    under the field. The log keeps the purpose in Japanese whatever the clerk reads: it is a record."""
    purpose, text = form.purpose.data or "", (form.reason.data or "").strip()
    if purpose not in PURPOSES:
        form.purpose.errors = [
            *form.purpose.errors,
            _("照会の目的を選択してください（理由のない照会はできません）。"),
        ]
        return None
    if purpose == OTHER and not text:
        form.reason.errors = [*form.reason.errors, _("「その他」の場合は照会理由を入力してください。")]
        return None
    with force_locale("ja"):
        logged = _reason_text(purpose, text)
    return _reason_text(purpose, text), logged


@require("inquiry.view")
def index():
    """GET: the form. POST: candidates for a カナ search, or the situation of a 宛名番号."""
    form = InquiryForm()
    if request.method == "GET":
        # The person named in the link (a person's page, the visit bar) or at the counter now.
        form.atena_no.data = request.args.get("atena_no", type=int) or visits.current_atena()
    if request.method == "GET" or not form.validate_on_submit():
        return _render(422 if request.method == "POST" else 200, form=form)
    stated = _stated_reason(form)
    target = f"atena:{form.atena_no.data}" if form.atena_no.data else None
    if stated is None:
        audit.record("view", screen=SCREEN, target=target, outcome="refused", detail="照会理由なし")
        return _render(422, form=form)
    reason, logged_reason = stated
    session = get_session()
    if not form.atena_no.data:
        if not (form.kana.data or "").strip():
            form.atena_no.errors = [_("宛名番号を入力するか、カナ氏名で探してください。")]
            return _render(422, form=form)
        query = residents.SearchQuery(kana=form.kana.data, include_removed=True)
        try:
            result = residents.search(session, query, 1, MAX_CANDIDATES)
        except residents.ResidentError as exc:
            form.kana.errors = list(exc.errors.values())
            return _render(422, form=form)
        audit.record(
            "search",
            screen=SCREEN,
            search=audit.search_shape(query.terms(), result.total),
            detail=f"照会理由: {logged_reason}",
        )
        return _render(form=form, candidates=result)
    found = services.situation(session, form.atena_no.data)
    if found is None:
        audit.record(
            "view",
            screen=SCREEN,
            target=target,
            outcome="failed",
            detail=f"not found; 照会理由: {logged_reason}",
        )
        form.atena_no.errors = [_("この宛名番号の方はこの団体の住民記録にいません。")]
        return _render(404, form=form)
    audit.record("view", screen=SCREEN, target=target, detail=f"照会理由: {logged_reason}")
    return _render(form=form, found=found, reason=reason)
