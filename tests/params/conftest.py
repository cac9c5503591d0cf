"""Fixtures of the parameter tests: the demo cities' params.toml loaded inside the test's transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant
from tenant_core.params import changes
from tenant_core.params.demo import load_demo
from tests import factories


@pytest.fixture
def demo_params(app: Flask, db_connection: sa.Connection) -> None:
    """Both cities' params.toml applied (rolled back with the test)."""
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


@pytest.fixture
def secretariat(app: Flask, db_connection: sa.Connection) -> None:
    """A secretariat member (協議会事務局) in 富士市, without the city administrator's role."""
    factories.user(get_db(app), "fuji", "jimukyoku", ["secretariat"], display_name="事務局 三郎")


def city(app: Flask, slug: str) -> Tenant:
    with get_db(app).session() as s:
        tenant = s.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        s.expunge(tenant)
        return tenant


def set_param(app: Flask, slug: str, key: str, value, **kw):
    """A change through the service, as the administrator of ``slug``."""
    tenant = city(app, slug)
    with get_db(app).session() as s:
        version = changes.change(
            s,
            key,
            value,
            tenant_id=tenant.id,
            consortium_id=tenant.consortium_id,
            actor=kw.pop("actor", changes.Actor(f"{slug}:admin")),
            reason=kw.pop("reason", "テスト"),
            **kw,
        )
        s.commit()
        return version.id
