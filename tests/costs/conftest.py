"""Fixtures of the cost allocation's database tests: the demo consortium loaded through the demo loader."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from modules.costs.demo import load_demo
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant


@pytest.fixture
def costs_demo(app: Flask, db_connection: sa.Connection) -> list[str]:
    """The seeds loaded into 富士市/富士宮市's consortium inside the test's transaction; the loader's output."""
    return list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


@pytest.fixture
def consortium_id(app: Flask, db_connection: sa.Connection) -> int:
    with get_db(app).session() as session:
        return session.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
