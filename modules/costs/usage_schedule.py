"""The monthly usage collection on the platform's schedule (the manifest's ``scheduled``).

On the 1st of each month rq's cron scheduler runs ``monthly``, which records one ``collect_city_usage``
job per active city for the month before (Japan time). Each job record is the result: the counts it
stored, or the error that stopped it, shown with every job on the platform's jobs page as the backups
are. ``kyodo costs collect-usage`` stays for a month measured again by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.jobs import JobContext, job

COLLECT_FUNC = "modules.costs.usage_schedule:collect_city_usage"


def previous_month(today: dt.date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


@job(idempotent=True)
def collect_city_usage(ctx: JobContext, year: int, month: int) -> dict[str, Any]:
    """Job: measure one month of the job's city and store the counts with the job's own outcome."""
    from modules.costs.usage import collect
    from tenant_core.extensions import get_db

    summary = collect(ctx.db or get_db(), ctx.session, int(year), int(month), [ctx.tenant.slug])
    return {
        "month": f"{int(year)}-{int(month):02d}",
        "counts": summary.counts,
        "kept_revised": summary.kept_revised,
    }


def enqueue_usage_collection(session: Session, year: int, month: int) -> list[str]:
    """Record one collection job per active city for the month; the caller commits."""
    from tenant_core.jobs import enqueue
    from tenant_core.models import Tenant, TenantStatus

    return [
        enqueue(
            collect_city_usage,
            year,
            month,
            tenant=tenant,
            queue="bulk",
            title=f"利用実績の集計 {year}-{month:02d}",
            timeout=3600,
            session=session,
        )
        for tenant in session.scalars(
            sa.select(Tenant).where(Tenant.status == TenantStatus.active).order_by(Tenant.slug)
        )
    ]


def monthly() -> dict[str, Any]:
    """What rq's cron scheduler runs on the 1st: one collection job per city for the month before."""
    from tenant_core.app import create_app
    from tenant_core.extensions import get_db
    from tenant_core.japanese import japan_today

    app = create_app()
    with app.app_context(), get_db().session() as session:
        year, month = previous_month(japan_today())
        ids = enqueue_usage_collection(session, year, month)
        session.commit()
    return {"month": f"{year}-{month:02d}", "enqueued": len(ids)}
