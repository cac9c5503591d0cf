"""The render job of a print run: box after box, each box committed with the job's checkpoint.

Resumable: the 通番 and boxes were fixed when the run was made, and each finished box is recorded
in the same transaction as the checkpoint; a run killed in the middle of a box starts that box
again (its ``.part`` file is overwritten) and never numbers anything twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from tenant_core.extensions import get_settings
from tenant_core.jobs import JobContext, JobError, enqueue, job
from tenant_core.models import utcnow
from tenant_core.printing import render
from tenant_core.printing.kinds import get_kind
from tenant_core.printing.models import PrintRun, RunState
from tenant_core.printing.services import run_dir
from tenant_core.tenancy import TenantRef


@job(idempotent=True)
def render_run(ctx: JobContext, run_id: int) -> dict[str, int]:
    """Job: draw every box of the run not drawn yet, then the 発送簿.

    A module's own job may make the run and call this in the same job (its checkpoint keys are kept).
    """
    session = ctx.session
    run = session.get(PrintRun, int(run_id))
    if run is None:  # an id of another city names nothing in this city's schema
        raise JobError(f"print run {run_id} is not a run of {ctx.tenant.slug}")
    kind = get_kind(run.kind)
    if kind is None:
        raise JobError(f"print run {run_id}: document kind {run.kind} is not installed")
    folder = run_dir(get_settings().var_dir, ctx.tenant, run.id)
    done = max(int((ctx.checkpoint_state or {}).get("boxes_done", 0)), 0)
    run.state = RunState.rendering
    for box_no in range(done + 1, run.boxes + 1):
        render.render_box(session, run, kind, folder, box_no)
        run = session.get(PrintRun, int(run_id))
        assert run is not None
        run.boxes_done = box_no
        ctx.checkpoint(
            {**(ctx.checkpoint_state or {}), "boxes_done": box_no},
            percent=int(box_no * 95 / run.boxes),
            message=_("%(done)s/%(total)s箱", done=box_no, total=run.boxes),
        )
        run = session.get(PrintRun, int(run_id))
        assert run is not None
    render.write_register(session, run, kind, folder)
    run = session.get(PrintRun, int(run_id))
    assert run is not None
    run.state, run.finished_at = RunState.done, utcnow()
    run.output_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    session.flush()
    return {"documents": run.total, "boxes": run.boxes}


def start(session: sa.orm.Session, run: PrintRun, tenant: TenantRef) -> str:
    """Queue the render job of a new run (after the caller's commit); its id is kept on the run."""
    job_id = enqueue(
        render_run,
        run.id,
        tenant=tenant,
        queue="bulk",
        title=f"大量印刷 {run.kind} #{run.id}",
        timeout=4 * 3600,
        session=session,
    )
    run.job_id = job_id
    session.flush()
    return job_id
