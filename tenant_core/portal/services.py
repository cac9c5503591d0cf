"""Portal operations: the modules a city has enabled, its notices, its jobs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.auth.current import CurrentUser
from tenant_core.japanese import japan_today
from tenant_core.jobs import JobContext, job
from tenant_core.models import JobRecord, Notice
from tenant_core.modules import ModuleInfo, get_module
from tenant_core.tenancy import TenantRef


def enabled_modules(tenant: TenantRef) -> list[ModuleInfo]:
    """The installed modules this city has enabled (parameter ``core.modules_enabled``), in its order."""
    from tenant_core.boundary import get_session
    from tenant_core.params.services import param_set_for

    names = param_set_for(get_session(), tenant.id, tenant.consortium_id).value("core.modules_enabled")
    return [m for m in (get_module(n) for n in names) if m is not None]


def modules_for(tenant: TenantRef, user: CurrentUser) -> list[ModuleInfo]:
    """The enabled modules this person's roles open."""
    return [m for m in enabled_modules(tenant) if user.can(f"{m.name}.view")]


def published_notices(session: Session, limit: int = 10) -> list[Notice]:
    query = sa.select(Notice).where(Notice.published).order_by(Notice.publish_on.desc(), Notice.id.desc())
    return list(session.scalars(query.limit(limit)))


def pending_notice_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Notice).where(~Notice.published)) or 0


def tenant_jobs(
    session: Session, tenant: TenantRef, page: int, per_page: int = 20
) -> tuple[list[JobRecord], int]:
    base = sa.select(JobRecord).where(JobRecord.tenant_id == tenant.id)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(JobRecord.created_at.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def tenant_job(session: Session, tenant: TenantRef, job_id: str) -> JobRecord | None:
    """A job of this tenant only; another city's job id finds nothing."""
    return session.scalar(
        sa.select(JobRecord).where(JobRecord.id == job_id, JobRecord.tenant_id == tenant.id)
    )


@job(idempotent=True)
def publish_due_notices(ctx: JobContext) -> dict[str, int]:
    """Job: publish the notices whose date has come, in the job's own tenant schema.

    Idempotent: a second run finds nothing left to publish, so the reaper may retry it on its own.
    """
    due = list(
        ctx.session.scalars(sa.select(Notice).where(~Notice.published, Notice.publish_on <= japan_today()))
    )
    for i, notice in enumerate(due, start=1):
        notice.published = True
        ctx.progress(int(100 * i / len(due)), f"{i}/{len(due)}")
    ctx.session.flush()
    return {"published": len(due)}
