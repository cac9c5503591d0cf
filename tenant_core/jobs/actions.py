"""What an operator does to a job: list, retry, cancel, mark failed (the CLI and the platform page).

Each action flushes; the caller commits (a retry is dispatched after that commit). Refusals raise
``JobActionError`` with a message for the operator.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from tenant_core.extensions import get_redis
from tenant_core.jobs.core import JobError, dispatch_after_commit, log
from tenant_core.models import JobRecord, JobState, Tenant, TenantStatus, utcnow


class JobAction(enum.StrEnum):
    retry = "retry"
    cancel = "cancel"
    fail = "fail"


class JobActionError(JobError):
    """An action the job's state or tenant does not allow."""


# Which states each action applies to. A ``started`` run that is really alive should be canceled
# or marked failed, not retried: mark it failed first, then retry.
ALLOWED: dict[JobAction, tuple[JobState, ...]] = {
    JobAction.retry: (JobState.failed, JobState.canceled),
    JobAction.cancel: (JobState.queued, JobState.started),
    JobAction.fail: (JobState.queued, JobState.started),
}


def allowed(record: JobRecord, action: JobAction) -> bool:
    return record.state in ALLOWED[action]


def list_jobs(
    session: Session, *, state: JobState | None = None, tenant_slug: str | None = None, limit: int = 100
) -> list[JobRecord]:
    query = sa.select(JobRecord).options(selectinload(JobRecord.tenant))
    if state is not None:
        query = query.where(JobRecord.state == state)
    if tenant_slug is not None:
        query = query.join(Tenant, Tenant.id == JobRecord.tenant_id).where(Tenant.slug == tenant_slug)
    return list(session.scalars(query.order_by(JobRecord.created_at.desc()).limit(limit)))


def find_job(session: Session, job_id: str) -> JobRecord:
    """A job by its id, or by a unique prefix of at least 8 characters (as the pages show it)."""
    job_id = job_id.strip().lower()
    record = session.get(JobRecord, job_id)
    if record is None and len(job_id) >= 8:
        matches = list(session.scalars(sa.select(JobRecord).where(JobRecord.id.startswith(job_id)).limit(2)))
        if len(matches) == 1:
            record = matches[0]
    if record is None:
        raise JobActionError(_("ジョブ %(job)s は見つかりません。", job=job_id))
    return record


def _stop_in_rq(record: JobRecord) -> None:
    """Best effort: take the job out of rq's queue, or stop its running horse."""
    redis = get_redis()
    if redis is None:
        return
    try:
        from rq.command import send_stop_job_command
        from rq.job import Job

        if record.state == JobState.started:
            send_stop_job_command(redis, record.id)
        else:
            Job.fetch(record.id, connection=redis).cancel()
    except Exception as exc:  # the record is what counts; rq may not know the job any more
        log.info("job %s: rq not told (%s)", record.id, type(exc).__name__)


def _check(record: JobRecord, action: JobAction) -> None:
    if not allowed(record, action):
        raise JobActionError(
            _(
                "ジョブ %(job)s は「%(state)s」のため、この操作はできません。",
                job=record.id[:8],
                state=str(record.state),
            )
        )


def retry(session: Session, record: JobRecord, operator: str) -> JobRecord:
    """Queue a failed or canceled job again; it resumes from its checkpoint. Refused for a suspended city."""
    _check(record, JobAction.retry)
    tenant = session.get(Tenant, record.tenant_id) if record.tenant_id is not None else None
    if tenant is None or tenant.status != TenantStatus.active:
        raise JobActionError(
            _(
                "%(tenant)s は利用停止中のため、ジョブを再実行できません。",
                tenant=tenant.name if tenant else _("（団体なし）"),
            )
        )
    record.state = JobState.queued
    record.ended_at = None
    record.dispatch_error = None
    record.message = f"再実行 / retried by {operator}"[:500]
    session.flush()
    dispatch_after_commit(session, record)
    return record


def cancel(session: Session, record: JobRecord, operator: str) -> JobRecord:
    """Cancel a queued or running job: a run that is still alive stops at its next checkpoint."""
    _check(record, JobAction.cancel)
    _stop_in_rq(record)
    record.state = JobState.canceled
    record.ended_at = utcnow()
    record.message = f"取消 / canceled by {operator}"[:500]
    session.flush()
    return record


def mark_failed(session: Session, record: JobRecord, operator: str, reason: str) -> JobRecord:
    """Record that a queued or stuck job failed, with the operator's reason; it can then be retried."""
    _check(record, JobAction.fail)
    if not reason.strip():
        raise JobActionError(_("理由を入力してください。"))
    _stop_in_rq(record)
    record.state = JobState.failed
    record.ended_at = utcnow()
    record.error = f"marked failed by {operator}: {reason.strip()}"[:4000]
    session.flush()
    return record


def apply(
    session: Session, record: JobRecord, action: JobAction, operator: str, reason: str = ""
) -> JobRecord:
    if action == JobAction.retry:
        return retry(session, record, operator)
    if action == JobAction.cancel:
        return cancel(session, record, operator)
    return mark_failed(session, record, operator, reason)


def stale_ids(records: list[JobRecord], stale_after: int, now: dt.datetime | None = None) -> set[str]:
    """The started records among ``records`` that show no sign of life: the pages flag them."""
    now = now or utcnow()
    return {r.id for r in records if r.stale(now, stale_after)}
