"""Fixtures of the backup tests: a demo city with residents, seals, certificates, staff, parameters and
cost membership, committed for real (backups read what other connections see)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tenant_core.backup.archive import SKIP_TENANT_TABLES, reflect_tenant
from tenant_core.backup.crypto import generate_key
from tenant_core.backup.plan import CONSORTIA, shared_plan
from tenant_core.backup.schedule import BACKUP_FUNC
from tenant_core.cli import main
from tenant_core.db import Database, SharedBase
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant
from tenant_core.modules import import_part, iter_modules
from tenant_core.params.demo import load_demo as load_params_demo
from tests.certificates.conftest import issue
from tests.conftest import sign_in
from tests.seals.conftest import Seals

KEY = generate_key()
OTHER_KEY = generate_key()

# Columns that a restore rightly changes: ids the database gives anew, and the bookkeeping of the restore.
VOLATILE = {
    "tenants": {"id", "updated_at", "schema_revision"},
    "users": {"id", "tenant_id"},
    "user_roles": {"user_id"},
    "param_versions": {"id", "tenant_id", "consortium_id"},
    "cost_members": {"tenant_id", "consortium_id"},
    "job_records": {"tenant_id"},
    "access_log_head": {"checkpoint_seq", "checkpoint_at"},
}


def build_rich_city(app: Flask, slug: str = "fuji") -> dict[str, Any]:
    """Parameters, the modules' demo data, two seals and a certificate issued through the pages."""
    db, settings = get_db(app), get_settings(app)
    slugs = ["fuji", "fujinomiya"]
    with app.app_context():
        list(load_params_demo(db, settings, slugs))
        for info in iter_modules():
            if info.demo:
                list(import_part(info, info.demo)(db, settings, slugs) or ())
        people = Seals(app)
        first = people.add(slug)
        second = people.add(slug, family_name="佐藤", family_kana="サトウ")
        people.register(slug, first)
        people.register(slug, second)
    client = app.test_client()
    assert sign_in(client, slug, "clerk").status_code == 302
    response = issue(client, slug, first)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    client.get(f"/{slug}/residents/")
    with app.app_context():
        run(app, "audit", "seal", slug)
    return {"atena": first, "second": second}


def run(app: Flask, *args: str, input: str | None = None, ok: bool = True) -> Any:
    result = app.test_cli_runner().invoke(main, list(args), input=input)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def city_rows(db: Database, slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a city: its schema's tables and its shared rows, without what a restore renews."""
    from tenant_core.backup.archive import _shared_query

    found: dict[str, list[tuple[Any, ...]]] = {}
    schema = f"t_{slug}"
    with db.connect(schema) as conn, conn.begin():
        for table in reflect_tenant(conn, schema):
            if table.name in SKIP_TENANT_TABLES:
                continue
            skip = VOLATILE.get(table.name, set())
            cols = [c for c in table.columns if c.name not in skip]
            found[f"tenant.{table.name}"] = sorted(
                (tuple(r) for r in conn.execute(sa.select(*cols))), key=repr
            )
        tenant_id = conn.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
        picked: dict[str, Any] = {}
        for entry in shared_plan(SharedBase.metadata):
            query = _shared_query(entry, tenant_id, picked)
            picked[entry.name] = query
            skip = VOLATILE.get(entry.name, set())
            names = [c.name for c in entry.table.columns if c.name not in skip]
            rows = conn.execute(query).mappings().all()
            if entry.name == "job_records":
                # A backup's own record is written after its archive, so it is never in it: which of
                # them a restored city has depends on the archive, not on the restore.
                rows = [r for r in rows if r["func"] != BACKUP_FUNC]
            found[f"shared.{entry.name}"] = sorted((tuple(r[n] for n in names) for r in rows), key=repr)
        consortia = SharedBase.metadata.tables[f"shared.{CONSORTIA}"]
        found["shared.consortium"] = [
            tuple(
                conn.execute(
                    sa.select(consortia.c.slug, consortia.c.name)
                    .select_from(consortia.join(Tenant.__table__))
                    .where(Tenant.slug == slug)
                ).one()
            )
        ]
    return found


@pytest.fixture
def backup_app(fresh_app: Any) -> Flask:
    return fresh_app(backup_key=KEY)


@pytest.fixture
def rich(backup_app: Flask) -> dict[str, Any]:
    return build_rich_city(backup_app)


def archives(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.kyodo-backup")) if folder.exists() else []
