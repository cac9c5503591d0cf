"""The application factory and its configuration."""

import datetime as dt

import pytest

from tenant_core.app import create_app
from tenant_core.config import ConfigError, load_settings, replaced
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


def test_the_environment_is_read_typed_and_overrides_win(monkeypatch, tmp_path):
    monkeypatch.setenv("KYODO_DB_POOL_SIZE", "12")
    monkeypatch.setenv("kyodo_db_pre_ping", "yes")  # either case, as before
    monkeypatch.setenv("KYODO_AUDIT_CHECKPOINT_MINUTES", "2.5")
    monkeypatch.setenv("KYODO_EMERGENCY_AS_OF", "2026-11-30")
    monkeypatch.setenv("KYODO_EXTRA_TENANT_MIGRATIONS", f'["{tmp_path}"]')
    monkeypatch.setenv("KYODO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KYODO_REDIS_URL", "")
    monkeypatch.setenv("KYODO_NOT_A_SETTING", "ignored")
    settings = load_settings(db_pool_size=7)
    assert settings.db_pool_size == 7 and settings.db_pre_ping is True
    assert settings.audit_checkpoint_minutes == 2.5
    assert settings.emergency_as_of == dt.date(2026, 11, 30)
    assert settings.extra_tenant_migrations == [tmp_path] and settings.var_dir == tmp_path
    assert settings.redis_url is None


def test_every_problem_is_named_at_once(monkeypatch):
    monkeypatch.setenv("KYODO_ENV", "staging")
    monkeypatch.setenv("KYODO_TRUSTED_PROXIES", "9")
    monkeypatch.setenv("KYODO_BACKUP_AT", "25:00")
    monkeypatch.setenv("KYODO_AUDIT_SEAL_GRACE_MINUTES", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    for name in ("KYODO_ENV", "KYODO_TRUSTED_PROXIES", "KYODO_BACKUP_AT", "KYODO_AUDIT_SEAL_GRACE_MINUTES"):
        assert name in message
    assert "'staging'" in message


def test_a_copy_with_changes_is_checked_too(tmp_path):
    settings = load_settings(var_dir=tmp_path, secret_key="k")
    changed = replaced(settings, public_url="https://kyodo.example.jp/", db_pool_size=3)
    assert changed.public_url == "https://kyodo.example.jp" and changed.db_pool_size == 3
    assert changed.var_dir == tmp_path and settings.db_pool_size == 5
    with pytest.raises(ConfigError, match="KYODO_DB_POOL_SIZE"):
        replaced(settings, db_pool_size=0)
    with pytest.raises(TypeError, match="not a setting: db_pool"):
        replaced(settings, db_pool=3)
