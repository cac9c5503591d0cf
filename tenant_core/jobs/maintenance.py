"""The reaper and the sweeper: nothing stays ``started`` or ``queued`` for ever.

- **reap**: a ``started`` (or ``queued``) record whose run rq reports failed or stopped, that rq no
  longer knows, or that has shown no heartbeat for ``jobs_stale_seconds`` (or overran its timeout)
  becomes ``failed`` with the reason. An idempotent job is then queued again, up to
  ``jobs_max_attempts`` runs; any other job waits for an operator.
- **sweep**: a ``queued`` record whose dispatch failed (Redis was down), or that rq does not know
  although it has waited longer than the grace period, is dispatched again.

Both run in the worker between jobs (every ``jobs_maintenance_seconds``) and from the command line
(``kyodo jobs reap``, ``kyodo jobs sweep``). Every change is a conditional update on the state and
attempt the record had when it was read, so two workers maintaining at once do no harm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tenant_core.db import Database
from tenant_core.extensions import get_db, get_redis, get_settings
from tenant_core.jobs.core import log, try_dispatch
from tenant_core.models import JobRecord, JobState, Tenant, TenantStatus, utcnow

if TYPE_CHECKING:
    from redis import Redis

_RQ_FAILED = {"failed", "stopped", "canceled"}


@dataclass
class MaintenanceReport:
    reaped: list[tuple[str, str]] = field(default_factory=list)  # (job id, reason)
    requeued: list[str] = field(default_factory=list)  # idempotent jobs queued again automatically
    dispatched: list[str] = field(default_factory=list)
    dispatch_failed: list[str] = field(default_factory=list)


class _RqUnavailable(Exception):
    pass


def _rq_states(redis: Redis, job_ids: list[str]) -> dict[str, tuple[str | None, str]]:
    """rq's status of each job (``None`` when rq does not know it) and, if it failed, its error's last line.

    One pipelined round trip per 500 jobs for the statuses; the error is read only for failed jobs.
    """
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    states: dict[str, tuple[str | None, str]] = {}
    try:
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            pipe = redis.pipeline(transaction=False)
            for job_id in chunk:
                pipe.hget(Job.key_for(job_id), "status")
            for job_id, raw in zip(chunk, pipe.execute(), strict=True):
                status = raw.decode() if isinstance(raw, bytes) else raw
                error = ""
                if status in _RQ_FAILED:
                    try:
                        lines = (Job.fetch(job_id, connection=redis).exc_info or "").strip().splitlines()
                        error = lines[-1] if lines else ""
                    except NoSuchJobError:
                        status = None
                states[job_id] = (status, error)
    except (RedisError, OSError) as exc:
        raise _RqUnavailable(str(exc)) from exc
    return states


def _age(now: dt.datetime, since: dt.datetime | None) -> float:
    return (now - since).total_seconds() if since else float("inf")


def lost_reason(
    record: JobRecord, rq: tuple[str | None, str] | None, now: dt.datetime, stale_after: int, heartbeat: int
) -> str | None:
    """Why this record's run is over although the record does not say so; ``None`` if it is not."""
    if rq is not None:
        status, error = rq
        if status in _RQ_FAILED:
            return f"rq reports the job {status}" + (f": {error}" if error else "")
        if record.state == JobState.started:
            if status is None and _age(now, record.heartbeat_at or record.started_at) > 2 * heartbeat:
                return "lost: rq no longer knows the job and it shows no heartbeat"
            if status == "finished":
                return "rq finished the job but its outcome was never recorded"
    if record.state == JobState.started and record.stale(now, stale_after):
        last = record.heartbeat_at or record.started_at or record.created_at
        if _age(now, last) > stale_after:
            return f"no heartbeat since {last:%Y-%m-%d %H:%M:%S} UTC"
        return f"timed out: started {record.started_at:%Y-%m-%d %H:%M:%S} UTC, timeout {record.timeout}s"
    return None


def reap(
    db: Database | None = None,
    redis: Redis | None = None,
    *,
    now: dt.datetime | None = None,
    report: MaintenanceReport | None = None,
) -> MaintenanceReport:
    """Mark every run that is over, but not recorded as over, ``failed``; requeue idempotent ones."""
    db = db or get_db()
    redis = redis if redis is not None else get_redis()
    settings = get_settings()
    report = report or MaintenanceReport()
    now = now or utcnow()
    with db.session() as s:
        records = list(
            s.scalars(sa.select(JobRecord).where(JobRecord.state.in_([JobState.queued, JobState.started])))
        )
        active = set(s.scalars(sa.select(Tenant.id).where(Tenant.status == TenantStatus.active)))
    states: dict[str, tuple[str | None, str]] | None = None
    if redis is not None:
        try:
            states = _rq_states(redis, [r.id for r in records])
        except _RqUnavailable as exc:
            log.warning(
                "reaper: rq unreachable (%s); judging by heartbeats only", type(exc.__cause__).__name__
            )
    for record in records:
        rq = states.get(record.id, (None, "")) if states is not None else None
        if record.state == JobState.queued and (rq is None or rq[0] not in _RQ_FAILED):
            continue  # a queued record is the sweeper's business unless rq says its run failed
        reason = lost_reason(record, rq, now, settings.jobs_stale_seconds, settings.jobs_heartbeat_seconds)
        if reason is None:
            continue
        again = (
            record.idempotent and record.attempts < settings.jobs_max_attempts and record.tenant_id in active
        )
        values: dict[str, Any] = {"error": f"reaper: {reason}"[:4000], "ended_at": now}
        if again:
            values.update(
                state=JobState.queued, ended_at=None, message=f"再実行待ち / retrying: {reason}"[:500]
            )
        else:
            values.update(state=JobState.failed)
        with db.session() as s:
            changed = s.execute(
                sa.update(JobRecord)
                .where(
                    JobRecord.id == record.id,
                    JobRecord.state == record.state,
                    JobRecord.attempts == record.attempts,
                )
                .values(**values)
            )
            s.commit()
        if not changed.rowcount:  # type: ignore[attr-defined]
            continue  # it moved on while we looked
        log.warning("reaper: job %s (attempt %s) %s", record.id, record.attempts, reason)
        report.reaped.append((record.id, reason))
        if again:
            report.requeued.append(record.id)
            if try_dispatch(record.id, queue=record.queue, timeout=record.timeout, title=record.title):
                report.dispatched.append(record.id)
            else:
                report.dispatch_failed.append(record.id)
    return report


def sweep(
    db: Database | None = None,
    redis: Redis | None = None,
    *,
    grace_seconds: int | None = None,
    now: dt.datetime | None = None,
    report: MaintenanceReport | None = None,
) -> MaintenanceReport:
    """Dispatch again the queued records that never reached rq (or that rq has lost)."""
    db = db or get_db()
    redis = redis if redis is not None else get_redis()
    settings = get_settings()
    report = report or MaintenanceReport()
    now = now or utcnow()
    grace = settings.jobs_stale_seconds if grace_seconds is None else grace_seconds
    with db.session() as s:
        records = list(
            s.scalars(
                sa.select(JobRecord).where(JobRecord.state == JobState.queued).order_by(JobRecord.created_at)
            )
        )
    waited = [r.id for r in records if r.dispatch_error is None and _age(now, r.created_at) > grace]
    known: dict[str, tuple[str | None, str]] = {}
    if redis is not None and waited:
        try:
            known = _rq_states(redis, waited)
        except _RqUnavailable:
            waited = []  # nothing to learn now; a dispatch would fail too
    for record in records:
        lost_by_rq = record.id in known and known[record.id][0] is None
        if record.dispatch_error is None and not lost_by_rq:
            continue
        if try_dispatch(record.id, queue=record.queue, timeout=record.timeout, title=record.title):
            with db.session() as s:
                s.execute(
                    sa.update(JobRecord)
                    .where(JobRecord.id == record.id, JobRecord.state == JobState.queued)
                    .values(dispatch_error=None)
                )
                s.commit()
            log.info("sweeper: job %s dispatched again", record.id)
            report.dispatched.append(record.id)
        else:
            report.dispatch_failed.append(record.id)
    return report


def maintain(db: Database | None = None, redis: Redis | None = None) -> MaintenanceReport:
    """One round of both: reap first (it may free records to requeue), then sweep."""
    report = reap(db, redis)
    return sweep(db, redis, report=report)
