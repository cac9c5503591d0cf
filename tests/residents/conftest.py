"""Fixtures of the resident tests: people made through the services, as a clerk's form would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from modules.residents import services
from modules.residents.models import EventKind, Household
from modules.residents.mynumber import Vault, with_check_digit
from tenant_core.extensions import get_db

TAKAHASHI = {
    "family_name": "高橋",
    "given_name": "一郎",
    "family_kana": "タカハシ",
    "given_kana": "イチロウ",
    "birth_date": dt.date(1970, 5, 3),
    "sex": "male",
    "relationship": "世帯主",
    "town": "吉原",
    "banchi": "1丁目2番3号",
    "katagaki": "",
    "effective_on": dt.date(2001, 4, 1),
}


def mynumber(n: int) -> str:
    """A well-formed (synthetic) 個人番号."""
    return with_check_digit(f"{n:011d}")


class Residents:
    """People of the demo cities, registered through the service layer and committed."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.db = get_db(app)

    def vault(self, slug: str) -> Vault:
        return Vault.for_city(self.app.config["SECRET_KEY"], slug)

    @contextmanager
    def session(self, slug: str) -> Iterator[Session]:
        with self.db.session(f"t_{slug}") as session:
            yield session
            session.commit()

    def add(
        self,
        slug: str,
        household_no: int | None = None,
        kind: EventKind = EventKind.move_in,
        **overrides: Any,
    ) -> int:
        """Register one person; return their 宛名番号."""
        data = {**TAKAHASHI, **overrides}
        if household_no is not None and "relationship" not in overrides:
            data["relationship"] = "子"
        # The fixture's people share one birth date: a 子 as old as the head asks for the clerk's
        # confirmation (consistency.py), given here unless a test asks otherwise.
        data.setdefault("age_confirmed", household_no is not None)
        with self.session(slug) as session:
            person = services.register_arrival(
                session, self.vault(slug), data, by="test:clerk", kind=kind, household_no=household_no
            )
            return person.atena_no

    def household_no(self, slug: str, atena_no: int) -> int:
        with self.session(slug) as session:
            person = services.get_person(session, atena_no)
            return session.get(Household, person.household_id).household_no


@pytest.fixture
def residents(app: Flask, db_connection: Any) -> Residents:
    return Residents(app)
