"""The 賦課 job: every vehicle of the register assessed for a fiscal year, batch by batch.

Each batch and the checkpoint that says how far the run got commit together, so a run killed and
resumed neither skips nor repeats a vehicle; a rerun after a correction writes 更正 rows only where
the tax changed.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.keitax import notices, services
from tenant_core.jobs import JobContext, JobError, enqueue, job
from tenant_core.tenancy import TenantRef

BATCH = 1000


@job(idempotent=True)
def assess_year(ctx: JobContext, fiscal_year: int, operator: str = "job") -> dict[str, int]:
    """Job: 賦課 of ``fiscal_year`` over every vehicle (those not owned on 4月1日 are skipped or 更正 to 0)."""
    fiscal_year = int(fiscal_year)
    if not 2000 <= fiscal_year <= 2100:
        raise JobError(f"not a fiscal year: {fiscal_year}")
    session = ctx.session
    state = ctx.checkpoint_state or {}
    after = int(state.get("after_id", 0))
    total = services.Outcome(**state.get("outcome", {}))
    rules = services.Rules.for_year(fiscal_year)
    count = max(services.count_vehicles(session), 1)
    done = int(state.get("done", 0))
    while True:
        batch = services.vehicle_batches(session, after, BATCH)
        if not batch:
            break
        total.add(services.assess_batch(session, batch, fiscal_year, rules, str(operator)))
        after, done = batch[-1].id, done + len(batch)
        session.expunge_all()
        ctx.checkpoint(
            {"after_id": after, "done": done, "outcome": total.as_dict()},
            percent=min(99, done * 100 // count),
            message=_("%(done)s/%(count)s台", done=done, count=count),
        )
    return total.as_dict()


@job(idempotent=True)
def print_notices(ctx: JobContext, fiscal_year: int, operator: str = "job") -> dict[str, int]:
    """Job: a print run of the year's 納税通知書, made and drawn in one job.

    The run is made here rather than in the clerk's request: a job reads every taxpayer's 宛名,
    including persons under 支援措置 whom a clerk's request may not see (they are still taxed, and
    the notice goes to their own address). Resumable: the run made is in the checkpoint.
    """
    from flask import g

    from tenant_core.params.services import param
    from tenant_core.printing import services as printing
    from tenant_core.printing import tasks as printing_tasks

    state = ctx.checkpoint_state or {}
    run_id = state.get("run_id")
    if run_id is None:
        run = printing.create_run(
            ctx.session,
            notices.NOTICE.code,
            notices.subjects(ctx.session, int(fiscal_year), g.tenant.name),
            title=f"{int(fiscal_year)}年度 軽自動車税（種別割）納税通知書",
            by=str(operator),
            box_sheets=param("core.print_box_sheets"),
            barcode=param("core.print_customer_barcode"),
        )
        run.job_id = ctx.job_id
        run_id = run.id
        parts = printing_tasks.workers()
        # The other parts go to other workers once the run is committed; this job draws part 0.
        printing_tasks.start(ctx.session, run, ctx.tenant, parts, first_part=1)
        ctx.checkpoint({"run_id": run_id, "parts": parts}, percent=1, message=_("通番を付けました"))
    parts = int((ctx.checkpoint_state or {}).get("parts", 1))
    return {"run_id": int(run_id), **printing_tasks.render_run(ctx, int(run_id), 0, parts)}


def start_printing(session: Session, fiscal_year: int, tenant: TenantRef, operator: str) -> str:
    return enqueue(
        print_notices,
        fiscal_year,
        operator,
        tenant=tenant,
        queue="bulk",
        title=f"納税通知書 {fiscal_year}",
        timeout=4 * 3600,
        session=session,
    )


def start(session: Session, fiscal_year: int, tenant: TenantRef, operator: str) -> str:
    return enqueue(
        assess_year,
        fiscal_year,
        operator,
        tenant=tenant,
        queue="bulk",
        title=f"軽自動車税 賦課 {fiscal_year}",
        timeout=3600,
        session=session,
    )
