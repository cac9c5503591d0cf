"""The operator's command line: create, list, show, suspend, sync, drop; bad input changes nothing."""

import json
import shutil

import pytest
import sqlalchemy as sa

from tenant_core.cli import main
from tenant_core.config import replaced
from tenant_core.db import sqlite_tenant_file
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant, TenantStatus


def _schema_exists(db, schema):
    if db.is_sqlite:
        return sqlite_tenant_file(db.engine, schema).exists()
    with db.engine.connect() as conn:
        return schema in sa.inspect(conn).get_schema_names()


def _count(db):
    with db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Tenant))


@pytest.fixture
def cli_app(fresh_app):
    app = fresh_app()
    return app, get_db(app), app.test_cli_runner()


def test_create_list_show(cli_app):
    _app, db, runner = cli_app
    result = runner.invoke(
        main,
        [
            "tenants",
            "create",
            "numazu",
            "--name",
            "沼津市",
            "--code",
            "222038",
            "--consortium",
            "fuji_area",
            "--population",
            "189386",
            "--households",
            "88000",
            "--module",
            "residents",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(main, ["tenants", "list", "--json"]).output)
    assert [t["slug"] for t in listed] == ["fuji", "fujinomiya", "numazu"]
    shown = json.loads(runner.invoke(main, ["tenants", "show", "numazu"]).output)
    assert shown["code"] == "222038" and shown["schema"] == "t_numazu" and shown["schema_revision"]
    assert _schema_exists(db, "t_numazu")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (['x"; DROP SCHEMA shared', "--code", "222038"], "invalid slug"),
        (["numazu", "--code", "222039"], "check digit"),
        (["numazu", "--code", "222101"], "already used by fuji"),
        (["fuji", "--code", "222038"], "already exists"),
        (["numazu", "--code", "222038", "--module", "casino"], "unknown modules"),
    ],
)
def test_bad_input_creates_nothing(cli_app, args, message):
    _app, db, runner = cli_app
    before = _count(db)
    result = runner.invoke(
        main, ["tenants", "create", *args, "--name", "沼津市", "--consortium", "fuji_area"]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert _count(db) == before
    assert not _schema_exists(db, "t_numazu")


def test_unknown_consortium_without_a_name_is_refused(cli_app):
    _app, db, runner = cli_app
    result = runner.invoke(
        main, ["tenants", "create", "numazu", "--name", "沼津市", "--code", "222038", "--consortium", "izu"]
    )
    assert result.exit_code != 0 and "consortium 'izu' does not exist" in result.output
    assert not _schema_exists(db, "t_numazu")


def test_suspend_and_resume(cli_app):
    app, _db, runner = cli_app
    assert runner.invoke(main, ["tenants", "suspend", "fujinomiya"]).exit_code == 0
    assert app.test_client().get("/fujinomiya/").status_code == 403
    assert runner.invoke(main, ["tenants", "resume", "fujinomiya"]).exit_code == 0
    assert app.test_client().get("/fujinomiya/login").status_code == 200
    assert runner.invoke(main, ["tenants", "suspend", "nowhere"]).exit_code != 0


def test_sync_updates_from_the_declarations(cli_app, tmp_path):
    app, db, _runner = cli_app
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(get_settings(app).tenants_dir, tenants_dir)
    toml = tenants_dir / "fuji" / "tenant.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("254203", "250000"), encoding="utf-8")
    from tenant_core.app import create_app

    # The same database, pointed at the edited declarations.
    other = create_app(replaced(get_settings(app), tenants_dir=tenants_dir))
    result = other.test_cli_runner().invoke(main, ["tenants", "sync"])
    assert result.exit_code == 0, result.output
    assert "updated  fuji" in result.output
    with db.session() as s:
        assert s.scalar(sa.select(Tenant.population).where(Tenant.slug == "fuji")) == 250000


def test_sync_with_a_bad_declaration_changes_nothing(cli_app, tmp_path):
    app, db, _runner = cli_app
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(get_settings(app).tenants_dir, tenants_dir)
    (tenants_dir / "numazu").mkdir()
    (tenants_dir / "numazu" / "tenant.toml").write_text(
        'slug = "numazu"\nname = "沼津市"\ncode = "222039"\n[consortium]\nslug = "fuji_area"\nname = "x"\n',
        encoding="utf-8",
    )
    from tenant_core.app import create_app

    other = create_app(replaced(get_settings(app), tenants_dir=tenants_dir))
    result = other.test_cli_runner().invoke(main, ["tenants", "sync"])
    assert result.exit_code != 0
    assert "numazu/tenant.toml" in result.output and "check digit" in result.output
    assert _count(db) == 2


def test_sync_refuses_a_file_in_another_encoding(cli_app, tmp_path):
    app, _db, _runner = cli_app
    tenants_dir = tmp_path / "tenants"
    (tenants_dir / "numazu").mkdir(parents=True)
    (tenants_dir / "numazu" / "tenant.toml").write_bytes('name = "沼津市"\n'.encode("shift_jis"))
    from tenant_core.app import create_app

    other = create_app(replaced(get_settings(app), tenants_dir=tenants_dir))
    result = other.test_cli_runner().invoke(main, ["tenants", "sync"])
    assert result.exit_code != 0 and "utf-8" in result.output.lower()


def test_drop_asks_first_and_dumps(fresh_app):
    from tenant_core.backup.archive import open_archive
    from tenant_core.backup.crypto import generate_key, parse_key

    key = generate_key()
    app = fresh_app(backup_key=key)
    db, runner = get_db(app), app.test_cli_runner()
    result = runner.invoke(main, ["tenants", "drop", "fujinomiya"], input="n\n")
    assert result.exit_code != 0 and _schema_exists(db, "t_fujinomiya")
    result = runner.invoke(main, ["tenants", "drop", "fujinomiya", "--yes"])
    assert result.exit_code == 0, result.output
    assert not _schema_exists(db, "t_fujinomiya")
    dumps = list((get_settings(app).var_dir / "dumps").iterdir())
    assert len(dumps) == 1 and dumps[0].stat().st_size > 0
    # The complete archive (tests/backup restores it): the schema's tables and the city's shared rows.
    opened = open_archive(dumps[0], parse_key(key), get_settings(app).var_dir / "opened")
    assert "tenant/notices.jsonl.gz" in opened.manifest["members"]
    assert opened.manifest["members"]["shared/users.jsonl.gz"]["rows"] == 3
    with db.session() as s:
        assert s.scalar(sa.select(Tenant.status).where(Tenant.slug == "fuji")) == TenantStatus.active
    assert _count(db) == 1
