"""Background jobs: one ``enqueue()`` that carries the tenant, and the runner that enforces it.

Jobs take ids, never ORM objects, and are handed to rq only after the enqueuing transaction
commits, so a worker never looks for a row that is not there yet. Without Redis they run inline
right after that commit.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tenant_core.boundary import get_session
from tenant_core.extensions import get_db, get_redis
from tenant_core.models import JobRecord, JobState, Tenant, utcnow
from tenant_core.tenancy import TenantRef

QUEUES = ("high", "default", "bulk")
DEFAULT_TIMEOUT = 600
_PENDING = "kyodo.pending_jobs"


class JobError(RuntimeError):
    """A job that must not run: no tenant, an inactive tenant, a bad argument."""


@dataclass
class JobContext:
    """What a job function receives first: its tenant, a session bound to it, and progress reporting."""

    job_id: str
    tenant: TenantRef
    session: Session

    def progress(self, percent: int, message: str = "") -> None:
        """Record progress in its own short transaction so the jobs page sees it at once."""
        with get_db().session() as s:
            record = s.get(JobRecord, self.job_id)
            if record is not None:
                record.progress = max(0, min(100, int(percent)))
                record.message = message[:500]
                s.commit()


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
    session: Session | None = None,
) -> str:
    """Record a job for ``tenant`` and dispatch it once ``session`` commits; return the job id."""
    if tenant is None:
        raise JobError("a job needs a tenant; none was given")
    if queue not in QUEUES:
        raise JobError(f"unknown queue {queue!r}; use one of {', '.join(QUEUES)}")
    for arg in ids:
        if not isinstance(arg, int | str):
            raise JobError(f"jobs take ids, not {type(arg).__name__} objects")
    session = session or get_session()
    record = JobRecord(
        tenant_id=tenant.id, func=_func_path(func), args=list(ids), queue=queue, title=title or func.__name__
    )
    session.add(record)
    session.flush()
    session.info.setdefault(_PENDING, []).append((record.id, queue, timeout, record.title))
    return record.id


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for job_id, queue, timeout, title in pending:
        dispatch(job_id, queue=queue, timeout=timeout, title=title)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def dispatch(job_id: str, *, queue: str = "default", timeout: int = DEFAULT_TIMEOUT, title: str = "") -> None:
    """Hand a recorded job to rq, or run it now when no Redis is configured."""
    redis = get_redis()
    if redis is None:
        run_job(job_id)
        return
    from rq import Queue

    Queue(queue, connection=redis).enqueue(
        run_job, job_id, job_id=job_id, job_timeout=timeout, description=title or job_id
    )


def _mark(job_id: str, **values: Any) -> None:
    with get_db().session() as s:
        record = s.get(JobRecord, job_id)
        if record is not None:
            for key, value in values.items():
                setattr(record, key, value)
            s.commit()


def _job_app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    from tenant_core.app import create_app

    return create_app()


def run_job(job_id: str) -> dict[str, Any] | None:
    """Run one recorded job in a fresh session bound to its tenant; refuse it without one."""
    app = _job_app()
    with app.app_context():
        db = get_db()
        with db.session() as s:
            record = s.get(JobRecord, job_id)
            if record is None:
                raise JobError(f"job {job_id} is not recorded")
            tenant = s.get(Tenant, record.tenant_id) if record.tenant_id is not None else None
            if tenant is None or not tenant.is_active:
                reason = "no tenant" if tenant is None else f"tenant {tenant.slug} is {tenant.status}"
                record.state, record.error, record.ended_at = JobState.failed, f"refused: {reason}", utcnow()
                s.commit()
                raise JobError(f"job {job_id} refused: {reason}")
            ref = TenantRef.from_row(tenant)
            func_path, args = record.func, list(record.args)
            record.state, record.started_at = JobState.started, utcnow()
            s.commit()

        g.tenant = ref
        session = db.session(ref.schema)
        g.db_session = session
        try:
            result = _import(func_path)(JobContext(job_id, ref, session), *args)
            session.commit()
        except Exception as exc:
            session.rollback()
            _mark(
                job_id,
                state=JobState.failed,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000],
                ended_at=utcnow(),
            )
            raise
        finally:
            g.pop("db_session", None)
            g.pop("tenant", None)
            session.close()
        summary = result if isinstance(result, dict) else {"result": result}
        _mark(job_id, state=JobState.finished, progress=100, result=summary, ended_at=utcnow())
        return summary


def run_worker(app: Flask, queues: list[str], burst: bool = False) -> bool:
    """Run an rq worker on the named queues; each job forks, and the fork drops inherited connections."""
    from rq import Worker

    redis = get_redis(app)
    if redis is None:
        raise JobError("KYODO_REDIS_URL is not set: jobs run inline and need no worker")
    worker = Worker(queues, connection=redis)
    return worker.work(burst=burst)
