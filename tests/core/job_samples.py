"""A job that writes in batches and checkpoints after each, for the tests of crashes and retries.

It lives under ``tests/``: the worker processes the tests start have the project root on their path.
"""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa

from tenant_core.jobs import JobContext, job
from tenant_core.models import Notice

PREFIX = "batch-"


@job(idempotent=False)
def write_notices(ctx: JobContext, total: int, batch: int, stop_after: int, how: str) -> dict[str, int]:
    """Write ``total`` numbered notices, ``batch`` at a time, resuming from the checkpoint.

    On its first attempt, once ``stop_after`` are written, it stops the way ``how`` says: ``sleep``
    (to be killed from outside), ``raise`` (a failure), or ``none``.
    """
    done = int((ctx.checkpoint_state or {}).get("done", 0))
    while done < total:
        size = min(batch, total - done)
        ctx.session.add_all(
            Notice(title=f"{PREFIX}{i:05d}", publish_on=dt.date(2026, 4, 1)) for i in range(done, done + size)
        )
        done += size
        ctx.checkpoint({"done": done}, percent=100 * done // total, message=f"{done}/{total}")
        if ctx.attempt == 1 and done >= stop_after:
            if how == "sleep":
                time.sleep(300)  # the test kills the work horse here
            elif how == "raise":
                raise RuntimeError("interrupted on purpose")
    return {"written": done}


def written(session: sa.orm.Session) -> list[str]:
    return list(session.scalars(sa.select(Notice.title).where(Notice.title.startswith(PREFIX))))


def job_record(db, slug: str | None, state: str = "queued", *, ago: int = 0, **values: object) -> str:
    """A job record made directly, as a crash would have left it; ``ago`` dates its start and heartbeat."""
    from tenant_core.models import JobRecord, Tenant, utcnow

    when = utcnow() - dt.timedelta(seconds=ago)
    with db.session() as s:
        tenant_id = s.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) if slug else None
        record = JobRecord(
            tenant_id=tenant_id,
            func=str(values.pop("func", "tenant_core.portal.services:publish_due_notices")),
            args=list(values.pop("args", [])),  # type: ignore[call-overload]
            title=str(values.pop("title", "test job")),
            state=state,
            created_at=when,
            started_at=when if state != "queued" else None,
            heartbeat_at=when if state != "queued" else None,
            **values,
        )
        s.add(record)
        s.commit()
        return record.id
