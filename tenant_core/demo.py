"""Demo mode: the cities declared under tenants/ and a few notices on each portal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.declarations import load_declarations
from tenant_core.models import Notice
from tenant_core.provisioning import TenantSpec, sync_tenants


def load_demo(db: Database, settings: Settings) -> Iterator[str]:
    """Provision the declared cities and give each portal a first notice; safe to run again."""
    specs = [TenantSpec.from_declaration(d) for d in load_declarations(settings.tenants_dir)]
    for slug, action in sync_tenants(db, specs, tuple(settings.extra_tenant_migrations)):
        yield f"{action:<8} {slug}"
    today = dt.date.today()
    for spec in specs:
        with db.session(f"t_{spec.slug}") as session:
            if session.scalar(sa.select(sa.func.count()).select_from(Notice)):
                continue
            session.add_all(
                [
                    Notice(
                        title=f"{spec.name}の業務ポータルへようこそ",
                        body="共同利用システムの各業務はこのポータルから開きます。",
                        publish_on=today,
                        published=True,
                    ),
                    Notice(
                        title="年度末の証明書交付に関するお知らせ",
                        body="3月は窓口が混雑します。",
                        publish_on=today + dt.timedelta(days=7),
                    ),
                ]
            )
            session.commit()
