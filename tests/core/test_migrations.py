"""Migrations: models and histories agree; failures leave a schema as it was; resumable runs."""

from pathlib import Path

import sqlalchemy as sa

from tenant_core.app import create_app
from tenant_core.cli import main
from tenant_core.config import replaced
from tenant_core.db import SharedBase
from tenant_core.extensions import get_db, get_settings
from tenant_core.migrate import (
    _run,
    alembic_config,
    create_tenant_storage,
    head_revision,
    migrate_tenants,
)
from tenant_core.models import Tenant
from tests import factories
from tests.core.schema_shape import describe

EXTRA = Path(__file__).parent / "extra_migrations"
REAL_HEAD = head_revision("tenant")


def test_tenant_schema_from_models_equals_the_migrated_one(fresh_app):
    app = fresh_app()
    db = get_db(app)
    create_tenant_storage(db, "t_viamigrations") if db.is_sqlite else None
    with db.connect("t_viamigrations") as conn, conn.begin():
        if not db.is_sqlite:
            create_tenant_storage(db, "t_viamigrations", conn)
        _run(alembic_config("tenant"), conn, "t_viamigrations", "upgrade", "head")
    with db.connect("t_fuji") as conn:
        from_models = describe(conn, "t_fuji")
        version_a = conn.exec_driver_sql('SELECT version_num FROM "t_fuji".alembic_version').scalar()
    with db.connect("t_viamigrations") as conn:
        from_history = describe(conn, "t_viamigrations")
        version_b = conn.exec_driver_sql('SELECT version_num FROM "t_viamigrations".alembic_version').scalar()
    assert from_models == from_history
    assert "notices" in from_models
    assert version_a == version_b == head_revision("tenant")


def test_shared_schema_from_models_equals_the_migrated_one(fresh_app, tmp_path):
    app = fresh_app(demo=False)
    db = get_db(app)
    if db.is_sqlite:
        other = sa.create_engine(f"sqlite:///{tmp_path / 'models.db'}")
        with other.begin() as conn:
            SharedBase.metadata.create_all(conn.execution_options(schema_translate_map={"shared": None}))
        with other.connect() as conn:
            from_models = describe(conn, None)
        with db.connect() as conn:
            from_history = describe(conn, None, skip=("alembic_version",))
        other.dispose()
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA shared_models")
            SharedBase.metadata.create_all(
                conn.execution_options(schema_translate_map={"shared": "shared_models"})
            )
        with db.engine.connect() as conn:
            from_models = describe(conn, "shared_models")
            from_history = describe(conn, "shared", skip=("alembic_version",))
    assert from_models == from_history
    assert {"tenants", "consortia", "job_records"} <= set(from_models)


def _three_cities_with_a_bad_one(fresh_app):
    app = fresh_app(demo=False)
    db = get_db(app)
    for slug in ("city_a", "city_b", "city_c"):
        factories.tenant(db, slug)
        factories.notice(db, slug, f"welcome {slug}")
    factories.notice(db, "city_b", "welcome city_b")  # a duplicate title: the unique index will fail
    extras = create_app(replaced(get_settings(app), extra_tenant_migrations=[EXTRA]))
    return app, db, extras


def _revisions(db):
    with db.session() as s:
        return dict(s.execute(sa.select(Tenant.slug, Tenant.schema_revision)).all())


def _columns(db, slug):
    with db.connect(f"t_{slug}") as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns("notices", schema=f"t_{slug}")}


def test_a_failure_on_one_city_leaves_it_as_it_was_and_a_rerun_resumes(fresh_app):
    _app, db, extras = _three_cities_with_a_bad_one(fresh_app)
    runner = extras.test_cli_runner()

    result = runner.invoke(main, ["tenants", "migrate", "--all", "--jobs", "2"])
    assert result.exit_code == 1
    assert "failed    city_b" in result.output and "2 migrated, 1 failed" in result.output
    revisions = _revisions(db)
    assert revisions == {
        "city_a": "t9001_test_unique_titles",
        "city_b": REAL_HEAD,
        "city_c": "t9001_test_unique_titles",
    }
    # The failed schema kept no half of the migration: the added column rolled back with the index.
    assert "priority" not in _columns(db, "city_b") and "priority" in _columns(db, "city_a")
    with db.connect("t_city_b") as conn:
        assert (
            conn.exec_driver_sql('SELECT version_num FROM "t_city_b".alembic_version').scalar() == REAL_HEAD
        )

    # Fix the cause (the duplicate title), run again: only city_b is left to do.
    with db.connect("t_city_b") as conn, conn.begin():
        conn.exec_driver_sql("UPDATE \"t_city_b\".notices SET title = title || ' ' || id")
    result = runner.invoke(main, ["tenants", "migrate", "--all"])
    assert result.exit_code == 0, result.output
    assert "1 migrated, 0 failed" in result.output
    assert set(_revisions(db).values()) == {"t9001_test_unique_titles"}


def test_stop_policy_skips_the_cities_not_yet_started(fresh_app):
    _app, db, extras = _three_cities_with_a_bad_one(fresh_app)
    result = extras.test_cli_runner().invoke(main, ["tenants", "migrate", "--all", "--on-error", "stop"])
    assert result.exit_code == 1
    assert "1 migrated, 1 failed, 1 skipped" in result.output
    assert _revisions(db) == {
        "city_a": "t9001_test_unique_titles",
        "city_b": REAL_HEAD,
        "city_c": REAL_HEAD,
    }


def test_nothing_to_do_costs_one_query(fresh_app):
    app = fresh_app()
    db = get_db(app)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = migrate_tenants(db, None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert report.outcomes == []
    queries = [s for s in statements if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(queries) == 1, queries


def test_migrate_refuses_without_all_or_a_slug(fresh_app):
    app = fresh_app()
    result = app.test_cli_runner().invoke(main, ["tenants", "migrate"])
    assert result.exit_code != 0
    assert "--all" in result.output
