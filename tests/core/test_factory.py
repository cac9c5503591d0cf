"""The application factory and its configuration."""

import pytest

from tenant_core.app import create_app
from tenant_core.config import ConfigError, load_settings
from tenant_core.extensions import get_db, get_settings


def test_factory_builds_an_app_from_settings(tmp_path):
    app = create_app({"var_dir": tmp_path, "secret_key": "k", "env": "test"})
    assert get_settings(app).env == "test"
    assert get_db(app).is_sqlite
    assert str(tmp_path) in get_db(app).engine.url.database
    assert {"portal.index", "platform.tenants", "health.healthz", "metrics.metrics"} <= set(
        app.view_functions
    )


def test_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("KYODO_DB_POOL_SIZE", "many")
    with pytest.raises(ConfigError, match="KYODO_DB_POOL_SIZE"):
        load_settings()


def test_bad_database_url_is_refused():
    with pytest.raises(ConfigError, match=r"KYODO_DATABASE_URL: .*sqlite"):
        load_settings(database_url="mysql://x")


def test_secret_key_is_generated_once_outside_production(tmp_path):
    settings = load_settings(var_dir=tmp_path, env="development")
    first = settings.resolved_secret_key()
    assert len(first) == 64
    assert settings.resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="KYODO_SECRET_KEY"):
        create_app({"var_dir": tmp_path, "env": "production"})


def test_postgres_url_uses_psycopg3():
    settings = load_settings(database_url="postgresql://u@h/db")
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")
