"""A module the city has not enabled does not exist for it, whatever the person's roles."""

import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.models import Tenant
from tenant_core.params import services as params


def _set_modules(app, slug, modules):
    with get_db(app).session() as s:
        tenant = s.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        params.change(
            s,
            "core.modules_enabled",
            modules,
            tenant_id=tenant.id,
            consortium_id=tenant.consortium_id,
            actor=params.Actor.platform(),
            reason="業務の利用範囲の変更",
        )
        s.commit()


def test_a_disabled_module_is_not_found_and_leaves_the_portal(app, staff_client):
    clerk = staff_client("fuji", "clerk")
    assert clerk.get("/fuji/residents/").status_code == 200
    _set_modules(app, "fuji", ["seals", "certificates", "inquiry", "costs"])
    assert clerk.get("/fuji/residents/").status_code == 404
    assert 'data-module="residents"' not in clerk.get("/fuji/").get_data(as_text=True)
    # The other city keeps it.
    assert staff_client("fujinomiya", "clerk").get("/fujinomiya/residents/").status_code == 200
