"""Fixtures of the 軽自動車税 and printing tests: residents, 宛名, vehicles made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from sqlalchemy.orm import Session

from modules.keitax import services
from tenant_core.boundary import get_session
from tenant_core.extensions import get_db, get_settings
from tenant_core.japanese import fiscal_year_of, japan_today
from tenant_core.jobs import enqueue
from tenant_core.models import JobRecord
from tenant_core.params.demo import load_demo
from tenant_core.tenancy import find_tenant
from tests import factories
from tests.residents.conftest import Residents

# A fiscal year whose 賦課期日 is after today: the demo cities' params.toml (in force from today) apply.
NEXT_YEAR = fiscal_year_of(japan_today()) + 1
TAX_ROLES = ["keitax.editor", "atena.editor", "residents.viewer"]


class Tax(Residents):
    """People, addressees and vehicles of the demo cities, committed through the services."""

    @contextmanager
    def city(self, slug: str) -> Iterator[Session]:
        """A request of the city (its parameters resolve), its session committed at the end."""
        with self.app.test_request_context(f"/{slug}/"):
            g.tenant = find_tenant(slug)
            session = get_session()
            try:
                yield session
                session.commit()
            finally:
                g.pop("db_session", None)
                session.close()

    def vehicle(self, slug: str, owner: int, vehicle_class: str = "light_4_pass_private", **kw: Any) -> int:
        data: dict[str, Any] = {
            "plate_no": kw.pop("plate_no", f"富士 あ {owner % 10000:04d}"),
            "vehicle_class": vehicle_class,
            "owner_atena_no": owner,
            "acquired_on": kw.pop("acquired_on", dt.date(2020, 5, 1)),
            "first_inspection": kw.pop("first_inspection", dt.date(2020, 5, 1)),
            **kw,
        }
        with self.city(slug) as s:
            return services.register_vehicle(s, by="test:tax", **data).id

    def run_job(self, slug: str, func: Any, *args: Any) -> JobRecord:
        """Enqueue and commit: without Redis the job runs inline after the commit."""
        with self.city(slug) as s:
            job_id = enqueue(func, *args, tenant=g.tenant, session=s, title="test")
        with self.db.session() as s:
            record = s.get(JobRecord, job_id)
            s.expunge(record)
            return record


@pytest.fixture
def tax(app: Flask, db_connection: Any) -> Tax:
    return Tax(app)


@pytest.fixture
def demo_params(app: Flask, db_connection: sa.Connection) -> None:
    """Both cities' params.toml applied (rolled back with the test)."""
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


@pytest.fixture
def tax_clients(app: Flask, db_connection: Any, staff_client: Any) -> dict[str, Any]:
    """A tax clerk and a second one (for approvals) in each city; the plain clerk has no tax role."""
    db = get_db(app)
    clients = {}
    for slug in ("fuji", "fujinomiya"):
        factories.user(db, slug, "tax1", TAX_ROLES, display_name="税務 一郎")
        factories.user(db, slug, "tax2", TAX_ROLES, display_name="税務 二郎")
        clients[f"{slug}:tax1"] = staff_client(slug, "tax1")
        clients[f"{slug}:tax2"] = staff_client(slug, "tax2")
    return clients
