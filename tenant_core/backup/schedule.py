"""Nightly backups: one job per city on business days after the counters close, kept by a retention rule.

rq's own cron scheduler (``kyodo backup scheduler``, one process beside the workers) enqueues
``nightly`` every evening; ``nightly`` does nothing on a day the city offices are closed, and
otherwise records one ``backup_city`` job per city (the job record is the result: state, size,
checksum, duration), which the workers run on the ``bulk`` queue. A missed or failed backup is read
from those records: on the platform's tenant page and in ``/metrics``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.japanese import is_business_day
from tenant_core.jobs import JobContext, job

JST = ZoneInfo("Asia/Tokyo")
BACKUP_FUNC = "tenant_core.backup.schedule:backup_city"
# Hours after the scheduled time within which tonight's backup must have finished before it counts as missed.
GRACE_HOURS = 6


def scheduled_time(at: str) -> dt.time:
    hour, minute = at.split(":")
    return dt.time(int(hour), int(minute))


def cron_expression(at: str) -> str:
    """A daily cron line for ``at`` (Japan time) in the scheduler's local time zone.

    rq's cron scheduler reads the line in the process's local time; Japan keeps no daylight saving,
    so converting today's instant gives the same minute every day (unless the server's own zone
    changes its clock: run it in UTC or Asia/Tokyo). The business-day check is ``nightly``'s.
    """
    when = dt.datetime.combine(dt.datetime.now(JST).date(), scheduled_time(at), tzinfo=JST).astimezone()
    return f"{when.minute} {when.hour} * * *"


def last_expected_run(now_utc: dt.datetime, at: str) -> dt.datetime | None:
    """When the newest nightly backup that should be over by now was due (naive UTC), if any."""
    local_now = now_utc.replace(tzinfo=dt.UTC).astimezone(JST)
    day = local_now.date()
    for _ in range(15):
        due = dt.datetime.combine(day, scheduled_time(at), tzinfo=JST)
        if is_business_day(day) and due + dt.timedelta(hours=GRACE_HOURS) <= local_now:
            return due.astimezone(dt.UTC).replace(tzinfo=None)
        day -= dt.timedelta(days=1)
    return None


# -- retention ---------------------------------------------------------------------------------------


def to_keep(stamps: Iterable[dt.datetime], daily: int, weekly: int, monthly: int) -> set[dt.datetime]:
    """The archives a retention of ``daily`` days, ``weekly`` weeks and ``monthly`` months keeps.

    The newest archive of each of the newest ``daily`` days, ISO weeks and months that have one.
    """
    ordered = sorted(set(stamps), reverse=True)
    keep: set[dt.datetime] = set()
    for count, bucket in (
        (daily, lambda s: s.date()),
        (weekly, lambda s: s.isocalendar()[:2]),
        (monthly, lambda s: (s.year, s.month)),
    ):
        seen: list[Any] = []
        for stamp in ordered:
            key = bucket(stamp)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(stamp)
    return keep


def _stamp(path: Path, slug: str) -> tuple[dt.datetime, int] | None:
    """The UTC time in an archive's name, and its number within that second (``-2`` and on)."""
    rest = path.name[len(slug) + 1 :].removesuffix(".kyodo-backup").split("-")
    try:
        when = dt.datetime.strptime(rest[0], "%Y%m%dT%H%M%SZ")
        number = int(rest[1]) if len(rest) == 2 else 1
    except ValueError:
        return None
    return (when, number) if len(rest) <= 2 else None


def _archives(folder: Path, slug: str) -> dict[Path, tuple[dt.datetime, int]]:
    # A slug holds no '-', so ``fuji-*`` never picks an archive of ``fujinomiya`` or ``fuji_2``.
    found = {}
    for path in folder.glob(f"{slug}-*.kyodo-backup"):
        stamp = _stamp(path, slug)
        if stamp is not None:
            found[path] = stamp
    return found


def city_archives(backup_dir: Path, slug: str) -> list[Path]:
    """The archives of ``slug`` in the backup folder, newest first (by the time in their name).

    The nightly jobs write into ``<backup_dir>/<slug>/``, ``kyodo tenants backup`` without ``--out``
    into ``<backup_dir>`` itself: both are looked at.
    """
    found = {**_archives(backup_dir, slug), **_archives(backup_dir / slug, slug)}
    return sorted(found, key=lambda path: (found[path], path.name), reverse=True)


def prune(folder: Path, slug: str, daily: int, weekly: int, monthly: int) -> list[Path]:
    """Delete the archives of ``slug`` in ``folder`` that the retention no longer keeps."""
    found = {path: stamp[0] for path, stamp in _archives(folder, slug).items()}
    keep = to_keep(found.values(), daily, weekly, monthly)
    removed = []
    for path, stamp in sorted(found.items()):
        if stamp not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# -- the jobs ----------------------------------------------------------------------------------------


@job(idempotent=True)
def backup_city(ctx: JobContext) -> dict[str, Any]:
    """Job: write the city's archive into the backup folder and apply the retention."""
    from flask import current_app

    from tenant_core.audit.services import seal_chain
    from tenant_core.backup.archive import new_archive_path, write_backup
    from tenant_core.backup.crypto import load_key
    from tenant_core.extensions import get_db, get_settings

    settings = get_settings()
    key = load_key(None, settings.backup_key, current_app.config.get("SECRET_KEY"))
    folder = settings.resolved_backup_dir / ctx.tenant.slug
    seal_chain(ctx.tenant)
    result = write_backup(get_db(), ctx.tenant.slug, new_archive_path(folder, ctx.tenant.slug), key)
    if settings.backup_bcp_snapshots:
        from tenant_core.bcp.package import build_snapshot

        # The emergency counter's package follows the nightly archive (built from it, not the live data).
        build_snapshot(get_db(), ctx.tenant.slug, folder / f"{ctx.tenant.slug}.kyodo-bcp", key, result.path)
    removed = prune(
        folder,
        ctx.tenant.slug,
        settings.backup_keep_daily,
        settings.backup_keep_weekly,
        settings.backup_keep_monthly,
    )
    return {**backup_facts(result), "pruned": len(removed)}


def backup_facts(result: Any) -> dict[str, Any]:
    """What a backup's job record keeps of it (``result`` is archive.BackupResult)."""
    return {
        "archive": str(result.path),
        "bytes": result.size,
        "sha256": result.sha256,
        "rows": sum(result.rows.values()),
        "seconds": round(result.seconds, 2),
    }


def record_manual_backup(
    session: Session,
    tenant_id: int,
    started_at: dt.datetime,
    result: Any | None = None,
    error: str | None = None,
    by: str = "",
) -> str:
    """Record a backup the operator ran by hand (``kyodo tenants backup``) as the nightly job records one.

    The same function name, the same result: the status (page, ``kyodo backup status``, /metrics)
    reads them alike, so a manual backup clears a missed night, and a failed one shows. The caller commits.
    """
    from tenant_core.models import JobRecord, JobState, utcnow

    record = JobRecord(
        tenant_id=tenant_id,
        func=BACKUP_FUNC,
        queue="bulk",
        title=f"手動バックアップ {by}".strip()[:200],
        state=JobState.finished if error is None else JobState.failed,
        progress=100 if error is None else 0,
        result=backup_facts(result) if result is not None else None,
        error=error,
        created_at=started_at,
        started_at=started_at,
        ended_at=utcnow(),
        attempts=1,
        runner="manual",
    )
    session.add(record)
    session.flush()
    return record.id


def enqueue_backups(session: Session, *, force: bool = False, today: dt.date | None = None) -> list[str]:
    """Record one backup job per city (none on a closed day unless forced); the caller commits."""
    from tenant_core.jobs import enqueue
    from tenant_core.models import Tenant, TenantStatus

    day = today or dt.datetime.now(JST).date()
    if not force and not is_business_day(day):
        return []
    ids = []
    for tenant in session.scalars(
        sa.select(Tenant).where(Tenant.status != TenantStatus.archived).order_by(Tenant.slug)
    ):
        ids.append(
            enqueue(
                backup_city,
                tenant=tenant,
                queue="bulk",
                title=f"夜間バックアップ {day.isoformat()}",
                timeout=4 * 3600,
                session=session,
            )
        )
    return ids


def nightly() -> dict[str, Any]:
    """What rq's cron scheduler runs each evening: the business-day check, then one job per city."""
    from tenant_core.app import create_app
    from tenant_core.extensions import get_db

    app = create_app()
    with app.app_context(), get_db().session() as session:
        ids = enqueue_backups(session)
        session.commit()
    return {"enqueued": len(ids)}


def local_cron(japan_cron: str) -> str:
    """A module's cron line (Japan time) in the scheduler's local time zone.

    A fixed minute and hour are moved by the zones' offset (Japan keeps no daylight saving, as in
    ``cron_expression``); a line whose moved time falls on another calendar day while it names days
    (e.g. 03:00 on the 1st, read in UTC) cannot be moved without changing its days: it is refused, so
    that the module chooses a time on the same day in both zones or the scheduler runs in Japan time.
    """
    fields = japan_cron.split()
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()):
        return japan_cron  # "every N minutes" and the like read the same in any zone
    today = dt.datetime.now(JST).date()
    japan = dt.datetime.combine(today, dt.time(int(fields[1]), int(fields[0])), tzinfo=JST)
    local = japan.astimezone()
    if local.date() != today and fields[2:] != ["*", "*", "*"]:
        raise ValueError(
            f"the cron line {japan_cron!r} (Japan time) falls on another day in the scheduler's zone; "
            "run the scheduler with TZ=Asia/Tokyo or choose a time on the same day"
        )
    return " ".join([str(local.minute), str(local.hour), *fields[2:]])


def scheduled_work() -> list[tuple[str, Any, str]]:
    """What the modules put on the platform's schedule: (module, function, local cron line); the core
    names no module, it reads their manifests."""
    from tenant_core.modules import iter_modules, load_scheduled

    return [
        (info.name, func, local_cron(cron)) for info in iter_modules() for func, cron in load_scheduled(info)
    ]


def register_all(scheduler: Any, at: str) -> list[Any]:
    """Register the nightly backups and every module's scheduled work with an rq cron scheduler."""
    registered = [scheduler.register(nightly, queue_name="high", cron=cron_expression(at), job_timeout=600)]
    for _module, func, cron in scheduled_work():
        registered.append(scheduler.register(func, queue_name="high", cron=cron, job_timeout=600))
    return registered


def run_scheduler(redis_url: str, at: str) -> None:
    """rq's cron scheduler with the nightly run and the modules' scheduled work registered (it loops and
    sleeps; rq owns the timing)."""
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name=f"kyodo-backup:{os.getpid()}")
    register_all(scheduler, at)
    scheduler.start()


# -- what the operator sees ---------------------------------------------------------------------------


@dataclass
class BackupStatus:
    state: str  # ok, failed, missed, running, none
    last_ok_at: dt.datetime | None
    last_bytes: int | None
    error: str | None = None


def backup_status(
    session: Session, tenant_ids: list[int], at: str, now: dt.datetime | None = None
) -> dict[int, BackupStatus]:
    """Each city's backup state from its job records: two queries, whatever the number of cities."""
    from tenant_core.models import JobRecord, JobState, utcnow

    now = now or utcnow()
    expected = last_expected_run(now, at)
    last_ok = dict(
        session.execute(
            sa.select(JobRecord.tenant_id, sa.func.max(JobRecord.ended_at))
            .where(
                JobRecord.func == BACKUP_FUNC,
                JobRecord.state == JobState.finished,
                JobRecord.tenant_id.in_(tenant_ids),
            )
            .group_by(JobRecord.tenant_id)
        ).all()
    )
    newest = (
        sa.select(JobRecord.tenant_id, sa.func.max(JobRecord.created_at).label("created"))
        .where(JobRecord.func == BACKUP_FUNC, JobRecord.tenant_id.in_(tenant_ids))
        .group_by(JobRecord.tenant_id)
        .subquery()
    )
    latest = {
        r.tenant_id: r
        for r in session.scalars(
            sa.select(JobRecord).join(
                newest,
                sa.and_(JobRecord.tenant_id == newest.c.tenant_id, JobRecord.created_at == newest.c.created),
            )
        )
    }
    out: dict[int, BackupStatus] = {}
    for tenant_id in tenant_ids:
        ok_at = last_ok.get(tenant_id)
        record = latest.get(tenant_id)
        size = None
        if record is not None and record.state == JobState.finished and record.result:
            size = record.result.get("bytes")
        if record is not None and record.state == JobState.failed:
            state, error = "failed", (record.error or "").splitlines()[0][:200] if record.error else None
            out[tenant_id] = BackupStatus(state, ok_at, size, error)
            continue
        if record is not None and record.state in (JobState.queued, JobState.started):
            state = "running"
        elif expected is not None and (ok_at is None or ok_at < expected):
            state = "missed"
        elif ok_at is None:
            state = "none"
        else:
            state = "ok"
        out[tenant_id] = BackupStatus(state, ok_at, size)
    return out
