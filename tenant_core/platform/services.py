"""What the operator sees: tenants with their schema revision and size, and all jobs."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tenant_core.db import Database, sqlite_tenant_file
from tenant_core.migrate import head_revision
from tenant_core.models import JobRecord, JobState, Tenant, TenantStatus


@dataclass
class TenantRow:
    tenant: Tenant
    size_bytes: int | None
    at_head: bool


def schema_sizes(db: Database, session: Session, schemas: list[str]) -> dict[str, int]:
    """Bytes used per tenant schema, in one catalog query (PostgreSQL) or from the files (SQLite)."""
    if db.is_sqlite:
        sizes = {}
        for schema in schemas:
            path = sqlite_tenant_file(db.engine, schema)
            sizes[schema] = path.stat().st_size if path.exists() else 0
        return sizes
    if not schemas:
        return {}
    ns = sa.table("pg_namespace", sa.column("oid"), sa.column("nspname"))
    cls = sa.table("pg_class", sa.column("oid"), sa.column("relnamespace"))
    query = (
        sa.select(ns.c.nspname, sa.func.sum(sa.func.pg_total_relation_size(cls.c.oid)))
        .join(cls, cls.c.relnamespace == ns.c.oid)
        .where(ns.c.nspname.in_(schemas))
        .group_by(ns.c.nspname)
    )
    return {name: int(size or 0) for name, size in session.execute(query)}


def tenant_overview(db: Database, session: Session) -> list[TenantRow]:
    tenants = list(
        session.scalars(sa.select(Tenant).options(selectinload(Tenant.consortium)).order_by(Tenant.code))
    )
    sizes = schema_sizes(db, session, [t.schema for t in tenants if t.status != TenantStatus.archived])
    head = head_revision("tenant")
    return [TenantRow(t, sizes.get(t.schema), t.schema_revision == head) for t in tenants]


def active_tenants(session: Session) -> list[Tenant]:
    return list(
        session.scalars(sa.select(Tenant).where(Tenant.status == TenantStatus.active).order_by(Tenant.code))
    )


def all_jobs(
    session: Session, page: int, per_page: int, state: JobState | None = None
) -> tuple[list[JobRecord], int]:
    base = sa.select(JobRecord)
    if state is not None:
        base = base.where(JobRecord.state == state)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.options(selectinload(JobRecord.tenant))
        .order_by(JobRecord.created_at.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total
