"""Test data made through the service layer, as the application itself would make it."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import sqlalchemy as sa

from tenant_core.auth.services import create_user
from tenant_core.codes import code_check_digit
from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.declarations import load_declarations
from tenant_core.japanese import japan_today
from tenant_core.models import Notice, Tenant
from tenant_core.provisioning import TenantSpec, create_tenant, sync_tenants

_serial = itertools.count(1)


def valid_code(prefix: str | None = None) -> str:
    """A well-formed 団体コード (random first five digits, right check digit)."""
    first_five = prefix or f"{random.randint(10, 47):02d}{random.randint(0, 999):03d}"
    return first_five + str(code_check_digit(first_five))


PASSWORD = "correct-horse-battery"
STAFF = {
    "admin": ("管理 花子", ["city_admin", "secretariat", "residents.editor", "costs.editor"]),
    "clerk": ("窓口 太郎", ["residents.editor", "seals.editor", "certificates.editor", "inquiry.viewer"]),
    "finance": ("財政 次郎", ["finance", "costs.viewer"]),
}


def demo_cities(db: Database, settings: Settings) -> None:
    """The two declared cities, each with an administrator, a clerk and a finance officer."""
    specs = [TenantSpec.from_declaration(d) for d in load_declarations(settings.tenants_dir)]
    sync_tenants(db, specs)
    for spec in specs:
        for login, (name, roles) in STAFF.items():
            user(db, spec.slug, login, roles, display_name=name)
    user(db, None, "operator", ["platform_operator"], display_name="運用 担当")


def user(
    db: Database,
    slug: str | None,
    login: str,
    roles: list[str],
    *,
    display_name: str = "試験 職員",
    password: str = PASSWORD,
) -> int:
    """A staff account made through the account service (the same rules as the admin page)."""
    with db.session() as session:
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) if slug else None
        created = create_user(session, tenant, login, display_name, password, roles)
        session.commit()
        return created.id


def tenant(db: Database, slug: str | None = None, **overrides: object):
    n = next(_serial)
    spec = TenantSpec(
        slug=slug or f"city{n}",
        name=overrides.pop("name", f"テスト市{n}"),  # type: ignore[arg-type]
        code=overrides.pop("code", None) or valid_code(),  # type: ignore[arg-type]
        consortium_slug="fuji_area",
        consortium_name="富士地区電子自治体推進協議会",
        modules=overrides.pop("modules", ("residents",)),  # type: ignore[arg-type]
        **overrides,  # type: ignore[arg-type]
    )
    return create_tenant(db, spec)


def notice(db: Database, slug: str, title: str, *, published: bool = True, days_from_today: int = 0) -> None:
    with db.session(f"t_{slug}") as session:
        session.add(
            Notice(
                title=title,
                body="",
                publish_on=japan_today() + dt.timedelta(days=days_from_today),
                published=published,
            )
        )
        session.commit()
