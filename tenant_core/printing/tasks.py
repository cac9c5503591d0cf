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
def render_run(ctx: JobContext, run_id: int, part: int = 0, parts: int = 1) -> dict[str, int]:
    """Job: draw the boxes of this part of the run not drawn yet; the part that ends the run writes
    the 発送簿.

    A run is drawn by ``parts`` jobs at once (box ``b`` by part ``(b - 1) % parts``), so that every
    worker process helps. Each box is committed with the job's checkpoint (the boxes it has drawn)
    and the run's count; the job that finds every box drawn claims the 発送簿 in the same way, so it
    is written once, and again only by that job if it is killed while writing it. A module's own
    job may make the run and call this in the same job (its checkpoint keys are kept).
    """
    session = ctx.session
    part, parts = int(part), max(1, int(parts))
    run = session.get(PrintRun, int(run_id))
    if run is None:  # an id of another city names nothing in this city's schema
        raise JobError(f"print run {run_id} is not a run of {ctx.tenant.slug}")
    kind = get_kind(run.kind)
    if kind is None:
        raise JobError(f"print run {run_id}: document kind {run.kind} is not installed")
    folder = run_dir(get_settings().var_dir, ctx.tenant, run.id)
    total_boxes = run.boxes
    mine = [b for b in range(1, total_boxes + 1) if (b - 1) % parts == part]
    done = set((ctx.checkpoint_state or {}).get("done", []))
    for box_no in mine:
        if box_no in done:
            continue
        render.render_box(session, run, kind, folder, box_no)
        session.execute(
            sa.update(PrintRun)
            .where(PrintRun.id == run.id)
            .values(boxes_done=PrintRun.boxes_done + 1, state=RunState.rendering)
        )
        done.add(box_no)
        ctx.checkpoint(
            {**(ctx.checkpoint_state or {}), "done": sorted(done)},
            percent=int(len(done) * 95 / max(len(mine), 1)),
            message=_("%(done)s/%(total)s箱", done=len(done), total=len(mine)),
        )
        run = session.get(PrintRun, int(run_id))
        assert run is not None
    if not (ctx.checkpoint_state or {}).get("register"):
        claimed = session.execute(
            sa.update(PrintRun)
            .where(
                PrintRun.id == run.id,
                PrintRun.boxes_done >= PrintRun.boxes,
                PrintRun.state.not_in((RunState.registering, RunState.done)),
            )
            .values(state=RunState.registering)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return {"documents": run.total, "boxes": len(done)}  # another part ends the run
        ctx.checkpoint({**(ctx.checkpoint_state or {}), "register": True}, percent=96, message=_("発送簿"))
    run = session.get(PrintRun, int(run_id))
    assert run is not None
    render.write_register(session, run, kind, folder)
    run = session.get(PrintRun, int(run_id))
    assert run is not None
    run.state, run.finished_at = RunState.done, utcnow()
    run.output_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    session.flush()
    return {"documents": run.total, "boxes": len(done)}


def workers() -> int:
    from tenant_core.params.services import param

    return int(param("core.print_workers"))


def start(
    session: sa.orm.Session,
    run: PrintRun,
    tenant: TenantRef,
    parts: int | None = None,
    *,
    first_part: int = 0,
) -> list[str]:
    """Queue the render jobs of a new run (dispatched after the caller's commit), one per part;
    the first job's id is kept on the run. ``first_part=1`` when the caller draws part 0 itself."""
    parts = parts or workers()
    ids = [
        enqueue(
            render_run,
            run.id,
            part,
            parts,
            tenant=tenant,
            queue="bulk",
            title=f"大量印刷 {run.kind} #{run.id} ({part + 1}/{parts})",
            timeout=4 * 3600,
            session=session,
        )
        for part in range(first_part, parts)
    ]
    if ids and run.job_id is None:
        run.job_id = ids[0]
    session.flush()
    return ids
