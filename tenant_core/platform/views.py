"""Thin views of the platform pages."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.extensions import get_db, get_settings
from tenant_core.jobs.actions import JobAction, JobActionError, allowed, apply, stale_ids
from tenant_core.models import JobRecord, JobState
from tenant_core.pagination import Page
from tenant_core.permissions import public, require
from tenant_core.platform import services


@public
def home():
    return render_template("platform/home.html", tenants=services.active_tenants(get_session()))


@require("platform.manage")
def tenants():
    from tenant_core.backup.schedule import backup_status

    session = get_session()
    rows = services.tenant_overview(get_db(), session)
    backups = backup_status(session, [row.tenant.id for row in rows], get_settings().backup_at)
    return render_template("platform/tenants.html", rows=rows, backups=backups)


@require("platform.manage")
def jobs():
    page = Page.from_request(request)
    state = request.args.get("state") or None
    if state is not None and state not in JobState.__members__:
        abort(400)
    rows, total = services.all_jobs(
        get_session(), page.number, page.per_page, JobState(state) if state else None
    )
    return render_template(
        "platform/jobs.html",
        jobs=rows,
        page=page.with_total(total),
        stale=stale_ids(rows, get_settings().jobs_stale_seconds),
        states=list(JobState),
        state=state,
        actions=True,
        allowed=allowed,
    )


@require("platform.manage")
def job_action(job_id: str, action: str):
    """GET: the confirmation page. POST (with ``confirm``): do it, log it, back to the list."""
    session = get_session()
    record = session.get(JobRecord, job_id)
    if record is None:
        abort(404)
    act = JobAction(action)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        reason = request.form.get("reason", "").strip()
        try:
            apply(session, record, act, g.user.operator_id, reason)
        except JobActionError as exc:
            flash(str(exc), "error")
            audit.record("change", target=f"job:{record.id}", outcome="refused", detail=f"{act}: {exc}"[:500])
            return redirect(url_for("platform.jobs"))
        audit.record("change", target=f"job:{record.id}", detail=f"{act}" + (f": {reason}" if reason else ""))
        flash(_("ジョブ %(job)s: %(state)s", job=record.id[:8], state=str(record.state)))
        return redirect(url_for("platform.jobs"))
    return render_template(
        "platform/job_confirm.html",
        job=record,
        action=act,
        stale=stale_ids([record], get_settings().jobs_stale_seconds),
        allowed=allowed(record, act),
    )
