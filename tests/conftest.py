"""Fixtures: every app test runs on the SQLite default and on PostgreSQL (+ Redis where jobs need it).

Each test gets one connection inside an outer transaction; the app's sessions join it through
savepoints and the test rolls it back, so tables are created once per run, not once per test.
Tests that need committed data (real workers, migrations, pool behaviour) take ``fresh_app``.
"""

from __future__ import annotations

import html
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tenant_core.app import create_app
from tenant_core.config import PROJECT_ROOT, Settings, load_settings
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tests import factories

pytest_plugins = ["tests.browser_fixtures"]

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_URL = os.environ.get("KYODO_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
METRICS_TOKEN = "test-metrics-token"  # /metrics answers only with it (tests.core.test_metrics)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is absent; in CI its absence is a failure."""
    if not _port_open(host, port):
        if IN_CI:
            pytest.fail(f"{name} is not answering on {host}:{port}; CI must test against it")
        pytest.skip(f"{name} is not answering on {host}:{port}")


def pg_admin_url(database: str = "postgres") -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{database}"


def create_pg_database(name: str) -> str:
    engine = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return pg_admin_url(name)


def drop_pg_database(name: str) -> None:
    engine = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def make_settings(backend: str, var_dir: Path, database: str | None = None, **extra: object) -> Settings:
    url = None
    if backend == "postgres":
        url = create_pg_database(database or f"kyodo_test_{uuid.uuid4().hex[:8]}")
    extra.setdefault("metrics_token", METRICS_TOKEN)
    return load_settings(
        env="test",
        var_dir=var_dir,
        tenants_dir=PROJECT_ROOT / "tenants",
        database_url=url,
        secret_key="test-secret",
        **extra,  # type: ignore[arg-type]
    )


def build_app(settings: Settings, demo: bool = True) -> Flask:
    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        upgrade_shared(get_db(app))
        if demo:
            factories.demo_cities(get_db(app), settings)
    return app


def dispose_app(app: Flask) -> None:
    db = get_db(app)
    db.engine.dispose()
    if db.engine.dialect.name == "postgresql":
        drop_pg_database(db.engine.url.database)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        require_service("PostgreSQL", PG_HOST, PG_PORT)
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per backend with the two demo cities, shared by the tests of a run."""
    settings = make_settings(backend, tmp_path_factory.mktemp(f"var-{backend}"), f"kyodo_test_{os.getpid()}")
    application = build_app(settings)
    yield application
    dispose_app(application)


@pytest.fixture
def db_connection(app: Flask) -> Iterator[sa.Connection]:
    """The test's connection: every session of the test joins it, and it is rolled back at the end."""
    db = get_db(app)
    app.extensions["kyodo.limiter"].reset()  # sign-in throttling starts afresh for every test
    app.extensions["kyodo.signin_throttle"].reset()
    conn = db.engine.connect()
    db.attach_for_tests(conn, ["t_fuji", "t_fujinomiya"])
    outer = conn.begin()
    db.test_connection = conn
    try:
        yield conn
    finally:
        db.test_connection = None
        outer.rollback()
        conn.close()


@pytest.fixture
def client(app: Flask, db_connection: sa.Connection):
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``, as a browser would send it back."""
    return csrf_token_in(client.get(path).get_data(as_text=True), path)


def csrf_token_in(page: str, path: str) -> str:
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_NAME = re.compile(r'name="([^"]+)"')
_VALUE = re.compile(r'value="([^"]*)"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
_ACTION = re.compile(r'action="([^"]*)"')


def form_fields(client: FlaskClient, path: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields of the form on ``path`` (CSRF token, the record's version), as a browser sends them.

    With ``action``, those of the form that posts there (a form without an action posts to ``path``),
    plus the page's CSRF token; the token alone if the page has no such form.
    """
    page = client.get(path).get_data(as_text=True)
    if action is None:
        fields = _hidden(page)
        assert "csrf_token" in fields, f"no CSRF token on {path}"
        return fields
    forms = [
        body
        for attrs, body in _FORM.findall(page)
        if html.unescape(m.group(1) if (m := _ACTION.search(attrs)) else path).split("?")[0] == action
    ]
    return {**(_hidden(forms[0]) if forms else {}), "csrf_token": csrf_token_in(page, path)}


def _hidden(page: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for tag in _HIDDEN.findall(page):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name and name.group(1) not in fields:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def sign_in(client: FlaskClient, slug: str | None, login: str, password: str = factories.PASSWORD):
    """Sign in through the real form; ``slug=None`` signs in on the platform pages."""
    path = f"/{slug}/login" if slug else "/platform/login"
    token = csrf_token(client, path)
    return client.post(path, data={"login": login, "password": password, "csrf_token": token})


def post(client: FlaskClient, path: str, form_page: str, data: dict | None = None):
    """POST a form with the CSRF token (and the record's version, if the form shows one) taken from
    ``form_page``, as the browser sends the form of that page that posts to ``path``."""
    fields = form_fields(client, form_page, action=path)
    version = {"version": fields["version"]} if "version" in fields else {}
    return client.post(path, data={**version, **(data or {}), "csrf_token": fields["csrf_token"]})


@pytest.fixture
def staff_client(app: Flask, db_connection: sa.Connection) -> Callable[[str, str], FlaskClient]:
    """A test client signed in as one of the standard staff (admin, clerk, finance) of a city."""

    def make(slug: str, login: str) -> FlaskClient:
        c = app.test_client()
        response = sign_in(c, slug, login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return make


@pytest.fixture
def fresh_app(backend: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps on a database of their own with committed data, for workers, migrations and pools."""
    made: list[Flask] = []

    def make(demo: bool = True, **extra: object) -> Flask:
        application = build_app(make_settings(backend, tmp_path / f"var{len(made)}", **extra), demo=demo)
        made.append(application)
        return application

    yield make
    for application in made:
        dispose_app(application)


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()  # database 13 is the tests' own
    return REDIS_URL
