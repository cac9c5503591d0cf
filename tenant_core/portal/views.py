"""Thin views of the portal: read the request, call a service, render."""

from __future__ import annotations

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tenant_core import visits
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.extensions import get_settings
from tenant_core.jobs import enqueue
from tenant_core.jobs.actions import stale_ids
from tenant_core.models import utcnow
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.portal import services
from tenant_core.tenancy import current_tenant


@require("portal.view")
def index():
    session = get_session()
    return render_template(
        "portal/index.html",
        modules=services.modules_for(current_tenant, g.user),
        panels=[m.portal_panel for m in services.enabled_modules(current_tenant) if m.portal_panel],
        notices=services.published_notices(session),
        pending=services.pending_notice_count(session),
        built=current_app.extensions["kyodo.modules_built"],
    )


@require("portal.view")
def jobs():
    page = Page.from_request(request)
    rows, total = services.tenant_jobs(get_session(), current_tenant, page.number, page.per_page)
    stale = stale_ids(rows, get_settings().jobs_stale_seconds)
    return render_template("portal/jobs.html", jobs=rows, page=page.with_total(total), stale=stale)


@require("portal.view")
def job_status(job_id: str):
    job = services.tenant_job(get_session(), current_tenant, job_id)
    if job is None:
        abort(404)
    return jsonify(
        id=job.id,
        state=str(job.state),
        stale=job.stale(utcnow(), get_settings().jobs_stale_seconds),
        progress=job.progress,
        message=job.message,
        result=job.result,
    )


@require("jobs.run")
def publish_notices():
    job_id = enqueue(
        services.publish_due_notices, tenant=current_tenant, title="お知らせの公開 / publish notices"
    )
    flash(_("ジョブを登録しました (%(job)s)", job=job_id[:8]))
    return redirect(url_for("portal.jobs"))


@require("portal.view")
def close_visit():
    """The clerk has finished with the person at the counter: the visit bar goes, the day's list keeps them."""
    atena_no = visits.close_visit()
    if atena_no is not None:
        audit.record("change", screen="portal.close_visit", target=f"atena:{atena_no}", detail="visit closed")
        flash(_("窓口対応を終了しました。"))
    back = request.form.get("next", "")
    # Only a path of this site (never another host) is followed back.
    if not back.startswith("/") or back.startswith("//"):
        back = url_for(".index")
    return redirect(back)


@require("portal.view")
def read_date():
    """The date a field's text names, as the one reader reads it: the form shows it while the clerk types
    (the same words the page shows after sending), or the reason it names none. Nothing is stored or logged."""
    from tenant_core import wareki
    from tenant_core.formatting import wareki_understood

    text = request.args.get("text", "")[:40]
    try:
        day = wareki.parse_optional(text)
    except wareki.WarekiError as exc:
        return jsonify(ok=False, message=exc.message)
    if day is None:
        return jsonify(ok=True, date=None, read="")
    return jsonify(ok=True, date=day.isoformat(), read=wareki_understood(day))
