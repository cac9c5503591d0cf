"""Demo mode: the cities declared under tenants/, their staff accounts and a few portal notices."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from tenant_core.auth.models import User
from tenant_core.auth.roles import CITY_ADMIN, FINANCE, PLATFORM_OPERATOR, SECRETARIAT
from tenant_core.auth.services import create_user
from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.declarations import load_declarations
from tenant_core.japanese import japan_today
from tenant_core.models import Notice, Tenant
from tenant_core.modules import import_part, iter_modules
from tenant_core.params.demo import load_demo as load_params_demo
from tenant_core.provisioning import TenantSpec, sync_tenants

DEMO_PASSWORD = "kyodo-demo-2026"
# The demo accounts and their duties; each module adds its own role to them (manifest ``demo_roles``).
DEMO_STAFF: tuple[tuple[str, str, list[str]], ...] = (
    ("admin", "管理 花子", [CITY_ADMIN, SECRETARIAT]),
    ("clerk", "窓口 太郎", []),
    ("finance", "財政 次郎", [FINANCE]),
)


def demo_roles(login: str, duties: list[str]) -> list[str]:
    """The duties of a demo account, then the role each installed module gives it."""
    roles = list(duties)
    for info in iter_modules():
        kind = info.demo_roles.get(login)
        if kind:
            roles.append(f"{info.name}.{kind}")
    return roles


class DemoModeError(RuntimeError):
    """Demo accounts were asked for outside demo mode."""


def load_demo(db: Database, settings: Settings) -> Iterator[str]:
    """Provision the declared cities, their demo staff and first notices; safe to run again."""
    specs = [TenantSpec.from_declaration(d) for d in load_declarations(settings.tenants_dir)]
    for slug, action in sync_tenants(db, specs, tuple(settings.extra_tenant_migrations)):
        yield f"{action:<8} {slug}"
    for spec in specs:
        _first_notices(db, spec)
    yield from load_params_demo(db, settings, [s.slug for s in specs])
    for info in iter_modules():
        if info.demo:
            yield from import_part(info, info.demo)(db, settings, [s.slug for s in specs]) or ()
    if settings.demo and settings.env != "production":
        yield from create_demo_accounts(db, settings, [s.slug for s in specs])
    else:
        yield "demo accounts are created only in demo mode (KYODO_DEMO=1, not in production)"


def create_demo_accounts(db: Database, settings: Settings, slugs: list[str]) -> Iterator[str]:
    if not settings.demo or settings.env == "production":
        raise DemoModeError("demo accounts exist only in demo mode (KYODO_DEMO=1, not in production)")
    with db.session() as session:
        for slug in slugs:
            tenant = session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one()
            for login, name, duties in DEMO_STAFF:
                roles = demo_roles(login, duties)
                if not session.scalar(
                    sa.select(User.id).where(User.tenant_id == tenant.id, User.login == login)
                ):
                    create_user(session, tenant, login, name, DEMO_PASSWORD, roles)
                yield f"  /{slug}/login   {login:<8} / {DEMO_PASSWORD}   ({', '.join(roles[:2])}{', ...' if len(roles) > 2 else ''})"
        if not session.scalar(sa.select(User.id).where(User.tenant_id.is_(None), User.login == "operator")):
            create_user(session, None, "operator", "運用 担当", DEMO_PASSWORD, [PLATFORM_OPERATOR])
        yield f"  /platform/login  operator / {DEMO_PASSWORD}   (platform operator)"
        session.commit()


def _first_notices(db: Database, spec: TenantSpec) -> None:
    today = japan_today()
    with db.session(f"t_{spec.slug}") as session:
        if session.scalar(sa.select(sa.func.count()).select_from(Notice)):
            return
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
                    publish_on=today,
                ),
            ]
        )
        session.commit()
