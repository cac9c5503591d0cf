"""Enqueue, dispatch and run jobs, with the record in ``shared.job_records`` as the source of truth.

Jobs take ids, never ORM objects. ``enqueue()`` writes the record in the caller's transaction and
hands the job to rq only after that transaction commits, so a worker never looks for a row that is
not there yet. If rq cannot be reached the record stays ``queued`` with the dispatch error noted and
the request goes on: the sweeper dispatches it later. Without Redis jobs run inline after the commit.

A run first *claims* the record (``queued`` -> ``started``, ``attempts`` + 1, in one conditional
update), so a job dispatched twice runs once. Every later write of the run (heartbeat, progress,
checkpoint, outcome) names the attempt it belongs to: once the reaper or an operator has taken the
record away from a run, that run's writes find nothing and it stops without committing.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tenant_core.boundary import get_session
from tenant_core.db import Database
from tenant_core.extensions import get_db, get_redis, get_settings
from tenant_core.models import JobRecord, JobState, Tenant, TenantStatus, utcnow
from tenant_core.tenancy import TenantRef

QUEUES = ("high", "default", "bulk")
DEFAULT_TIMEOUT = 600
_PENDING = "kyodo.pending_jobs"

# The operations log: job ids, queues and error types only, never a resident's data.
log = logging.getLogger("kyodo.jobs")

F = TypeVar("F", bound=Callable[..., Any])


class JobError(RuntimeError):
    """A job that must not run: no tenant, an inactive tenant, a bad argument."""


class JobSuperseded(JobError):
    """The record no longer belongs to this run (reaped, canceled, marked failed or retried)."""


def job(*, idempotent: bool = False) -> Callable[[F], F]:
    """Declare how a job function may be run again.

    ``idempotent=True``: running it twice does no harm, so the reaper retries it automatically after
    a lost run. Other jobs stay ``failed`` until an operator decides (``kyodo jobs retry``).
    """

    def mark(func: F) -> F:
        func.kyodo_idempotent = idempotent  # type: ignore[attr-defined]
        return func

    return mark


def is_idempotent(func: Callable[..., Any]) -> bool:
    return bool(getattr(func, "kyodo_idempotent", False))


def _fenced(job_id: str, attempt: int) -> sa.ColumnElement[bool]:
    """The record still belongs to this run: same attempt, still started."""
    return sa.and_(JobRecord.id == job_id, JobRecord.attempts == attempt, JobRecord.state == JobState.started)


@dataclass
class JobContext:
    """What a job function receives first: its tenant, a session bound to it, progress and checkpoints.

    ``checkpoint_state`` is what the previous run of this record saved with ``checkpoint()`` (``None``
    on a first run): a job that writes in batches resumes from there.
    """

    job_id: str
    tenant: TenantRef
    session: Session
    attempt: int = 1
    checkpoint_state: dict[str, Any] | None = None
    db: Database | None = field(default=None, repr=False)

    def _db(self) -> Database:
        return self.db or get_db()

    def progress(self, percent: int, message: str = "") -> None:
        """Record progress in its own short transaction so the jobs pages see it at once."""
        with self._db().session() as s:
            s.execute(
                sa.update(JobRecord)
                .where(_fenced(self.job_id, self.attempt))
                .values(progress=max(0, min(100, int(percent))), message=message[:500], heartbeat_at=utcnow())
            )
            s.commit()

    def checkpoint(self, state: dict[str, Any], percent: int | None = None, message: str = "") -> None:
        """Commit the job's work so far together with how far it got.

        The batch and the checkpoint are written in the job's own transaction (one database on
        PostgreSQL; the attached files of one connection on SQLite), so a crash keeps both or neither,
        and a retry that starts from ``checkpoint_state`` neither skips nor repeats a batch. Raises
        ``JobSuperseded`` (after rolling the batch back) when the record was taken from this run.
        """
        values: dict[str, Any] = {"progress_state": state, "heartbeat_at": utcnow()}
        if percent is not None:
            values["progress"] = max(0, min(100, int(percent)))
            values["message"] = message[:500]
        claimed = self.session.execute(
            sa.update(JobRecord).where(_fenced(self.job_id, self.attempt)).values(**values)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            self.session.rollback()
            raise JobSuperseded(f"job {self.job_id}: attempt {self.attempt} no longer owns the record")
        self.session.commit()
        self.checkpoint_state = state


def _func_path(func: Callable[..., Any]) -> str:
    path = f"{func.__module__}:{func.__qualname__}"
    if "<" in path:
        raise JobError(f"job functions must be module-level functions, not {path}")
    return path


def _import(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue(
    func: Callable[..., Any],
    *ids: int | str,
    tenant: TenantRef | Tenant | None,
    queue: str = "default",
    title: str = "",
    timeout: int = DEFAULT_TIMEOUT,
    idempotent: bool | None = None,
    session: Session | None = None,
) -> str:
    """Record a job for ``tenant`` and dispatch it once ``session`` commits; return the job id.

    ``idempotent`` defaults to what the function declares with ``@job(idempotent=...)``.
    """
    if tenant is None:
        raise JobError("a job needs a tenant; none was given")
    if queue not in QUEUES:
        raise JobError(f"unknown queue {queue!r}; use one of {', '.join(QUEUES)}")
    for arg in ids:
        if not isinstance(arg, int | str):
            raise JobError(f"jobs take ids, not {type(arg).__name__} objects")
    session = session or get_session()
    record = JobRecord(
        tenant_id=tenant.id,
        func=_func_path(func),
        args=list(ids),
        queue=queue,
        title=title or func.__name__,
        timeout=timeout,
        idempotent=is_idempotent(func) if idempotent is None else idempotent,
    )
    session.add(record)
    session.flush()
    dispatch_after_commit(session, record)
    return record.id


def dispatch_after_commit(session: Session, record: JobRecord) -> None:
    """Hand ``record`` to rq once ``session`` commits (nothing happens if it rolls back)."""
    session.info.setdefault(_PENDING, []).append((record.id, record.queue, record.timeout, record.title))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for job_id, queue, timeout, title in pending:
        try_dispatch(job_id, queue=queue, timeout=timeout, title=title)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def try_dispatch(job_id: str, *, queue: str, timeout: int, title: str = "") -> bool:
    """Dispatch, and if rq cannot be reached note it on the record instead of raising."""
    try:
        dispatch(job_id, queue=queue, timeout=timeout, title=title)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        log.warning(
            "job %s: dispatch to queue %s failed (%s); kept queued for the sweeper", job_id, queue, reason
        )
        _update(job_id, dispatch_error=f"{utcnow():%Y-%m-%d %H:%M:%S} UTC {reason}")
        return False
    return True


def dispatch(job_id: str, *, queue: str = "default", timeout: int = DEFAULT_TIMEOUT, title: str = "") -> None:
    """Hand a recorded job to rq, or run it now when no Redis is configured.

    An inline run's failure is on its record (and in the operations log); it is not raised to the
    request that enqueued the job. A Redis failure is raised: ``try_dispatch`` notes it.
    """
    redis = get_redis()
    if redis is None:
        try:
            run_job(job_id, heartbeat=False)
        except Exception:
            log.warning("job %s: inline run failed", job_id, exc_info=True)
        return
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    with contextlib.suppress(NoSuchJobError):  # a job dispatched again replaces an earlier run's remains
        Job.fetch(job_id, connection=redis).delete()
    Queue(queue, connection=redis).enqueue(
        run_job, job_id, job_id=job_id, job_timeout=timeout, description=title or job_id
    )


def _update(
    job_id: str, *conditions: sa.ColumnElement[bool], db: Database | None = None, **values: Any
) -> bool:
    with (db or get_db()).session() as s:
        done = s.execute(sa.update(JobRecord).where(JobRecord.id == job_id, *conditions).values(**values))
        s.commit()
        return bool(done.rowcount)  # type: ignore[attr-defined]


def _job_app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    from tenant_core.app import create_app

    return create_app()


class _Heartbeat(threading.Thread):
    """Refreshes ``heartbeat_at`` while a run is alive, so the reaper can tell a dead run from a slow one."""

    def __init__(self, db: Database, job_id: str, attempt: int, every: int) -> None:
        super().__init__(name=f"kyodo-heartbeat-{job_id[:8]}", daemon=True)
        self.db, self.job_id, self.attempt, self.every = db, job_id, attempt, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                _update(self.job_id, _fenced(self.job_id, self.attempt), db=self.db, heartbeat_at=utcnow())
            except Exception as exc:
                log.warning("job %s: heartbeat not written (%s)", self.job_id, type(exc).__name__)

    def stop(self) -> None:
        self.stopped.set()


def _claim(db: Database, job_id: str) -> tuple[TenantRef, str, list[Any], int, dict[str, Any] | None] | None:
    """Take a queued record for this run; ``None`` when it is not queued (already run, canceled...)."""
    with db.session() as s:
        record = s.get(JobRecord, job_id)
        if record is None:
            raise JobError(f"job {job_id} is not recorded")
        if record.state != JobState.queued:
            log.info("job %s is %s, not queued: not run again", job_id, record.state)
            return None
        tenant = s.get(Tenant, record.tenant_id) if record.tenant_id is not None else None
        if tenant is None or tenant.status != TenantStatus.active:
            reason = "no tenant" if tenant is None else f"tenant {tenant.slug} is {tenant.status}"
            record.state, record.error, record.ended_at = JobState.failed, f"refused: {reason}", utcnow()
            s.commit()
            raise JobError(f"job {job_id} refused: {reason}")
        attempt = record.attempts + 1
        now = utcnow()
        claimed = s.execute(
            sa.update(JobRecord)
            .where(
                JobRecord.id == job_id,
                JobRecord.state == JobState.queued,
                JobRecord.attempts == record.attempts,
            )
            .values(
                state=JobState.started,
                attempts=attempt,
                started_at=now,
                heartbeat_at=now,
                ended_at=None,
                dispatch_error=None,
                runner=f"{socket.gethostname()[:80]}:{os.getpid()}",
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            s.rollback()
            return None
        result = TenantRef.from_row(tenant), record.func, list(record.args), attempt, record.progress_state
        s.commit()
        return result


def run_job(job_id: str, heartbeat: bool = True) -> dict[str, Any] | None:
    """Run one recorded job in a fresh session bound to its tenant; refuse it without one.

    Returns ``None`` without running when the record is not ``queued`` (a second dispatch of the
    same job, a canceled job) or when the record is taken from this run while it works.
    """
    app = _job_app()
    with app.app_context():
        db = get_db()
        claim = _claim(db, job_id)
        if claim is None:
            return None
        ref, func_path, args, attempt, checkpoint = claim

        beat = None
        if heartbeat and db.test_connection is None:
            beat = _Heartbeat(db, job_id, attempt, get_settings().jobs_heartbeat_seconds)
            beat.start()
        g.tenant = ref
        session = db.session(ref.schema)
        g.db_session = session
        try:
            ctx = JobContext(job_id, ref, session, attempt=attempt, checkpoint_state=checkpoint, db=db)
            result = _import(func_path)(ctx, *args)
            summary = result if isinstance(result, dict) else {"result": result}
            # The outcome is written in the job's own transaction: its work and "finished" commit together.
            done = session.execute(
                sa.update(JobRecord)
                .where(_fenced(job_id, attempt))
                .values(state=JobState.finished, progress=100, result=summary, ended_at=utcnow(), error=None)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise JobSuperseded(f"job {job_id}: attempt {attempt} no longer owns the record")
            session.commit()
        except JobSuperseded as exc:
            session.rollback()
            log.warning("%s; its last batch was rolled back", exc)
            return None
        except Exception as exc:
            session.rollback()
            _update(
                job_id,
                _fenced(job_id, attempt),
                db=db,
                state=JobState.failed,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000],
                ended_at=utcnow(),
            )
            raise
        finally:
            if beat is not None:
                beat.stop()
            g.pop("db_session", None)
            g.pop("tenant", None)
            session.close()
        return summary
