"""Usage measured by the platform (利用実績): per city and calendar month, stored in the shared schema.

Counters:
- from the modules, through their manifests' ``usage_counters`` (this file names no module): e.g.
  ``certificates`` (certificates issued) and ``resident_records`` (records held at the month's end);
- from the platform itself: ``printed`` (documents printed, the access log's "print" entries), ``requests``
  (entries of the access log: every page, search, change and export), ``active_staff`` (distinct staff in
  the access log), ``jobs`` and ``job_seconds`` (jobs started in the month, their run time), and
  ``storage_bytes`` (the city's schema: PostgreSQL's relation sizes, or its SQLite file; plus the city's
  files under the var folder: ``var/cities/<slug>/`` (print runs...) and ``var/tenants/<slug>/`` (its
  signing key)).

A month runs in Japan time. ``collect`` stores what it measured; a count a revision corrected keeps the
corrected value (``measured`` is refreshed beside it). A fiscal year's total of a counter is a basis a rule
can read: ``usage.<counter>`` for the year itself, ``usage.<counter>@previous`` for the year before
(``"period": "previous"`` in the rule: 前年度実績).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.costs.errors import CostError
from modules.costs.usage_models import UsageCount, UsageRevision
from tenant_core.audit.models import AccessLog
from tenant_core.db import Database, sqlite_tenant_file, translate_map
from tenant_core.extensions import get_settings
from tenant_core.models import JobRecord, Tenant, TenantStatus, utcnow
from tenant_core.modules import iter_modules, load_usage_counters

CORE_COUNTERS = ("printed", "requests", "active_staff", "jobs", "job_seconds", "storage_bytes")
JST_OFFSET = dt.timedelta(hours=9)
# Operators of the access log that are no member of staff: anonymous visitors and the platform itself.
_NOT_STAFF = ("-", "")


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise CostError(_("年月が正しくありません: %(year)s年%(month)s月", year=year, month=month))
    start = dt.date(year, month, 1)
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return start, end


def _utc(day: dt.date) -> dt.datetime:
    """Midnight of a Japanese day as the naive UTC the tables store."""
    return dt.datetime.combine(day, dt.time()) - JST_OFFSET


def fiscal_months(fiscal_year: int) -> list[tuple[int, int]]:
    """(year, month) of April of `fiscal_year` to March of the next."""
    return [(fiscal_year, m) for m in range(4, 13)] + [(fiscal_year + 1, m) for m in range(1, 4)]


def _counters_for(tenant: Tenant) -> list[Callable[[Session, dt.date, dt.date], dict[str, int]]]:
    enabled = set(tenant.modules or ())
    return [f for info in iter_modules() if info.name in enabled for f in load_usage_counters(info)]


def _access_counts(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    window = (AccessLog.at >= _utc(start), AccessLog.at < _utc(end))
    requests, printed = session.execute(
        sa.select(
            sa.func.count(AccessLog.id),
            sa.func.count(sa.case((AccessLog.function == "print", AccessLog.id))),
        ).where(*window)
    ).one()
    staff = session.scalar(
        sa.select(sa.func.count(sa.distinct(AccessLog.operator))).where(
            *window, AccessLog.operator.not_in(_NOT_STAFF), ~AccessLog.operator.startswith("platform:")
        )
    )
    return {"requests": int(requests or 0), "printed": int(printed or 0), "active_staff": int(staff or 0)}


def _job_counts(shared: Session, start: dt.date, end: dt.date) -> dict[int, dict[str, int]]:
    """Jobs started in the month per tenant, and their run time in whole seconds (one query for all)."""
    rows = shared.execute(
        sa.select(JobRecord.tenant_id, JobRecord.started_at, JobRecord.ended_at).where(
            JobRecord.tenant_id.is_not(None),
            JobRecord.started_at >= _utc(start),
            JobRecord.started_at < _utc(end),
        )
    )
    result: dict[int, dict[str, int]] = {}
    for tenant_id, started, ended in rows:
        if tenant_id is None:  # excluded by the query; the column may hold it for platform jobs
            continue
        counts = result.setdefault(tenant_id, {"jobs": 0, "job_seconds": 0})
        counts["jobs"] += 1
        if ended is not None and started is not None:
            counts["job_seconds"] += max(int((ended - started).total_seconds()), 0)
    return result


# The per-city folders under the var folder whose files a city's storage counts (printing runs, signing
# keys). Backups are the platform's copies (their own retention) and are not the city's use.
CITY_FOLDERS = ("cities", "tenants")


def _folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under ``folder`` (links are not followed: a file is counted once)."""
    total = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # a file removed while we walk (a run cleaned up) is simply not counted
            continue
    return total


def file_storage(var_dir: Path, slug: str) -> int:
    """Bytes of the city's own files under the var folder."""
    return sum(_folder_bytes(var_dir / name / slug) for name in CITY_FOLDERS)


def _storage(db: Database, shared: Session, schemas: list[str]) -> dict[str, int]:
    """Bytes used by each city's schema: the relation sizes on PostgreSQL (one catalogue query for all),
    the attached file on SQLite."""
    if db.is_sqlite:
        result = {}
        for schema in schemas:
            path = sqlite_tenant_file(db.engine, schema)
            result[schema] = path.stat().st_size if path.exists() else 0
        return result
    rows = shared.execute(
        sa.text(
            "SELECT n.nspname, COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'm') GROUP BY n.nspname"
        ),
        {"schemas": schemas},
    )
    return {name: int(size) for name, size in rows}


@dataclass
class Collected:
    tenants: int = 0
    counts: int = 0
    kept_revised: int = 0


def collect(
    db: Database,
    shared: Session,
    year: int,
    month: int,
    slugs: Iterable[str] | None = None,
    *,
    var_dir: Path | None = None,
) -> Collected:
    """Measure one month for the active cities (or those named) and store the counts; flushes.

    ``var_dir`` holds the cities' files (the settings' one in an app context; none counted without)."""
    start, end = month_bounds(year, month)
    if var_dir is None and has_app_context():
        var_dir = get_settings().var_dir
    query = sa.select(Tenant).where(Tenant.status == TenantStatus.active).order_by(Tenant.slug)
    if slugs is not None:
        query = query.where(Tenant.slug.in_(list(slugs)))
    tenants = list(shared.scalars(query))
    jobs = _job_counts(shared, start, end)
    storage = _storage(db, shared, [f"t_{t.slug}" for t in tenants])
    existing = {
        (c.tenant_id, c.counter): c
        for c in shared.scalars(
            sa.select(UsageCount).where(
                UsageCount.year == year,
                UsageCount.month == month,
                UsageCount.tenant_id.in_([t.id for t in tenants]),
            )
        )
    }
    summary = Collected()
    now = utcnow()
    new_rows: list[dict[str, object]] = []
    with _tenant_sessions(db) as session_for:
        for tenant in tenants:
            session = session_for(f"t_{tenant.slug}")
            counts = _access_counts(session, start, end)
            for counter in _counters_for(tenant):
                counts.update(counter(session, start, end))
            session.close()
            counts.update(jobs.get(tenant.id, {"jobs": 0, "job_seconds": 0}))
            counts["storage_bytes"] = storage.get(f"t_{tenant.slug}", 0)
            if var_dir is not None:
                counts["storage_bytes"] += file_storage(var_dir, tenant.slug)
            for name, value in sorted(counts.items()):
                row = existing.get((tenant.id, name))
                if row is None:
                    new_rows.append(
                        {
                            "tenant_id": tenant.id,
                            "year": year,
                            "month": month,
                            "counter": name,
                            "measured": value,
                            "value": value,
                            "revised": False,
                            "collected_at": now,
                            "version": 1,
                        }
                    )
                else:
                    row.measured, row.collected_at = value, now
                    if row.revised:
                        summary.kept_revised += 1
                    else:
                        row.value = value
                summary.counts += 1
            summary.tenants += 1
    if new_rows:
        # One multi-row insert for a month's new counts (8 per city), not an ORM object each.
        shared.execute(sa.insert(UsageCount), new_rows)
    shared.flush()
    return summary


@contextmanager
def _tenant_sessions(db: Database) -> Iterator[Callable[[str], Session]]:
    """Sessions bound to one tenant schema after another over ONE connection (its schema map set per
    session): a thousand cities are a thousand sessions but one checkout of the pool, not a thousand. The
    connection is only read through; tests keep their own (savepoint) connection."""
    if db.test_connection is not None:
        yield db.session
        return
    with db.engine.connect() as conn:

        def session_for(schema: str) -> Session:
            bound = conn.execution_options(schema_translate_map=translate_map(db.engine, schema))
            return Session(bind=bound, expire_on_commit=False)

        yield session_for
        conn.rollback()


def revise(
    shared: Session,
    count: UsageCount,
    *,
    new_value: int,
    reason: str,
    effective_on: dt.date,
    revised_by: str,
) -> UsageRevision:
    """Correct a count: a dated, reasoned revision; the count is then held at it (collection keeps it)."""
    if new_value < 0:
        raise CostError(_("件数は0以上の整数で入力してください。"))
    if not reason.strip():
        raise CostError(_("訂正の理由を入力してください。"))
    revision = UsageRevision(
        count=count,
        old_value=count.value,
        new_value=new_value,
        effective_on=effective_on,
        reason=reason.strip(),
        revised_by=revised_by,
    )
    shared.add(revision)
    count.value, count.revised = new_value, True
    count.version += 1
    shared.flush()
    return revision


def fiscal_totals(shared: Session, tenant_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """Per tenant, each counter's total over the fiscal year's months (as in force); a tenant with no count
    for the year is absent, so that a rule on it names the member."""
    months = fiscal_months(fiscal_year)
    rows = shared.execute(
        sa.select(UsageCount.tenant_id, UsageCount.counter, sa.func.sum(UsageCount.value))
        .where(
            UsageCount.tenant_id.in_(tenant_ids),
            sa.or_(*(sa.and_(UsageCount.year == y, UsageCount.month == m) for y, m in months)),
        )
        .group_by(UsageCount.tenant_id, UsageCount.counter)
    )
    result: dict[int, dict[str, int]] = {}
    for tenant_id, counter, total in rows:
        result.setdefault(tenant_id, {})[counter] = int(total)
    return result


def usage_bases(shared: Session, tenant_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """The bases a rule can read, per tenant: ``usage.<counter>`` (the year) and ``usage.<counter>@previous``."""
    same = fiscal_totals(shared, tenant_ids, fiscal_year)
    previous = fiscal_totals(shared, tenant_ids, fiscal_year - 1)
    result: dict[int, dict[str, int]] = {}
    for tenant_id, counts in same.items():
        for name, value in counts.items():
            result.setdefault(tenant_id, {})[f"usage.{name}"] = value
    for tenant_id, counts in previous.items():
        for name, value in counts.items():
            result.setdefault(tenant_id, {})[f"usage.{name}@previous"] = value
    return result


def counts_for(shared: Session, tenant_ids: list[int], fiscal_year: int) -> list[UsageCount]:
    """The stored counts of a fiscal year for the given tenants, for the usage page."""
    months = fiscal_months(fiscal_year)
    return list(
        shared.scalars(
            sa.select(UsageCount)
            .where(
                UsageCount.tenant_id.in_(tenant_ids),
                sa.or_(*(sa.and_(UsageCount.year == y, UsageCount.month == m) for y, m in months)),
            )
            .order_by(UsageCount.tenant_id, UsageCount.year, UsageCount.month, UsageCount.counter)
        )
    )
