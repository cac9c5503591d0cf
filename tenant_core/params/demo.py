"""Demo data: each demo city's own parameter values from tenants/<slug>/params.toml."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.models import Tenant
from tenant_core.params import files, tomlfile
from tenant_core.params.changes import Actor


def load_demo(db: Database, settings: Settings, slugs: list[str]) -> Iterator[str]:
    """Import each city's params.toml (validated whole; safe to run again: unchanged values are skipped)."""
    for slug in slugs:
        path = settings.tenants_dir / slug / "params.toml"
        if not path.exists():
            continue
        with db.session() as session:
            tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                continue
            plan = files.plan_import(session, tenant.id, tenant.consortium_id, tomlfile.read(path))
            files.apply_import(
                session, tenant.id, tenant.consortium_id, plan, Actor.platform("demo"), "params.toml"
            )
            session.commit()
        yield f"params   {slug}: {len(plan)} change(s) from {path.name}"
