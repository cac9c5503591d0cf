"""Test data made through the service layer, as the application itself would make it."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from tenant_core.codes import code_check_digit
from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.declarations import load_declarations
from tenant_core.models import Notice
from tenant_core.provisioning import TenantSpec, create_tenant, sync_tenants

_serial = itertools.count(1)


def valid_code(prefix: str | None = None) -> str:
    """A well-formed 団体コード (random first five digits, right check digit)."""
    first_five = prefix or f"{random.randint(10, 47):02d}{random.randint(0, 999):03d}"
    return first_five + str(code_check_digit(first_five))


def demo_cities(db: Database, settings: Settings) -> None:
    specs = [TenantSpec.from_declaration(d) for d in load_declarations(settings.tenants_dir)]
    sync_tenants(db, specs)


def tenant(db: Database, slug: str | None = None, **overrides: object):
    n = next(_serial)
    spec = TenantSpec(
        slug=slug or f"city{n}",
        name=overrides.pop("name", f"テスト市{n}"),  # type: ignore[arg-type]
        code=overrides.pop("code", None) or valid_code(),  # type: ignore[arg-type]
        consortium_slug="fuji_area",
        consortium_name="富士地区電子自治体推進協議会",
        modules=("residents",),
        **overrides,  # type: ignore[arg-type]
    )
    return create_tenant(db, spec)


def notice(db: Database, slug: str, title: str, *, published: bool = True, days_from_today: int = 0) -> None:
    with db.session(f"t_{slug}") as session:
        session.add(
            Notice(
                title=title,
                body="",
                publish_on=dt.date.today() + dt.timedelta(days=days_from_today),
                published=published,
            )
        )
        session.commit()
