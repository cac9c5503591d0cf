"""Fixtures of the seal tests: residents and seals made through the services, small images made here."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from modules.seals import services
from modules.seals.services import SealRules
from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db, get_settings
from tenant_core.params.demo import load_demo
from tests.residents.conftest import Residents


def png(width: int = 64, height: int = 64, colour: str = "red") -> bytes:
    """A small PNG of a red circle, as a scanned 印影 would look."""
    img = Image.new("RGB", (width, height), "white")
    from PIL import ImageDraw

    ImageDraw.Draw(img).ellipse((2, 2, width - 3, height - 3), outline=colour, width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "JPEG")
    return out.getvalue()


class Seals(Residents):
    """Residents and their seals, committed through the services as a clerk's form would."""

    def register(self, slug: str, atena_no: int, image: bytes | None = None, **rules: Any) -> str:
        with self.session(slug) as session:
            reg = services.register(
                session, atena_no, image or png(), by="test:clerk", rules=SealRules(**rules)
            )
            return reg.registration_no

    def get(self, slug: str, registration_no: str):
        with self.session(slug) as session:
            reg = services.get_registration(session, registration_no)
            session.expunge(reg)
            return reg


@pytest.fixture
def seals(app: Flask, db_connection: Any) -> Seals:
    return Seals(app)


@pytest.fixture
def demo_params(app: Flask, db_connection: sa.Connection) -> None:
    """Both cities' params.toml applied (rolled back with the test): 富士市 F…, 富士宮市 M… numbers."""
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


def log(app: Flask, slug: str) -> list[AccessLog]:
    with get_db(app).session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.seq)).all())


ADULT = {"birth_date": dt.date(1970, 5, 3)}
