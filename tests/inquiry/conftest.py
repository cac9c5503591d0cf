"""Fixtures of the inquiry tests: residents and seals made through the services."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.seals.conftest import Seals


@pytest.fixture
def people(app: Flask, db_connection: Any) -> Seals:
    return Seals(app)
