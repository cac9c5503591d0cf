"""Fixtures of the certificate tests: residents and seals made through the services, the demo params."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from modules.certificates.models import Issuance
from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db, get_settings
from tenant_core.params.demo import load_demo
from tests.conftest import csrf_token
from tests.seals.conftest import Seals


class People(Seals):
    """People (and seals) of the demo cities, and what the certificate module recorded for them."""

    def issuances(self, slug: str) -> list[Issuance]:
        with self.db.session(f"t_{slug}") as s:
            rows = list(s.scalars(sa.select(Issuance).order_by(Issuance.id)).all())
            s.expunge_all()
            return rows

    def card(self, slug: str, registration_no: str) -> str:
        """The number of the 印鑑登録証 of a registration (what the resident presents)."""
        return str(self.get(slug, registration_no).card_no)

    def log(self, slug: str) -> list[AccessLog]:
        with self.db.session(f"t_{slug}") as s:
            return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.seq)).all())


@pytest.fixture
def people(app: Flask, db_connection: Any) -> People:
    return People(app)


@pytest.fixture
def demo_params(app: Flask, db_connection: sa.Connection) -> None:
    """Both cities' params.toml applied (rolled back with the test): 富士市 300円, 富士宮市 350円."""
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


REQUEST = {"requester_name": "高橋　一郎", "requester_relation": "本人", "purpose": "勤務先に提出"}


def issue(client, slug: str, atena_no: int, **fields: Any):
    """POST the issue form as a clerk would (the token taken from the person's form)."""
    data = {"atena_no": str(atena_no), "kind": "juminhyo", "scope": "person", "relationship": "y", **REQUEST}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    token = csrf_token(client, f"/{slug}/certificates/verify")
    return client.post(f"/{slug}/certificates/new", data={**data, "csrf_token": token})
