"""Backup → drop → restore of a city with residents, seals, certificates, staff, parameters and cost
membership: every row comes back, staff sign in, and the access log verifies. Bad archives change nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import sqlalchemy as sa

from tenant_core.backup import crypto
from tenant_core.backup.archive import MANIFEST, open_archive
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant
from tests.backup.conftest import KEY, OTHER_KEY, archives, city_rows, run
from tests.conftest import create_pg_database, drop_pg_database, sign_in


def _tenants(app):
    with get_db(app).session() as s:
        return sorted(s.scalars(sa.select(Tenant.slug)))


def test_backup_drop_restore_gives_back_every_row(backup_app, rich, tmp_path):
    app, db = backup_app, get_db(backup_app)
    before = city_rows(db, "fuji")
    assert len(before["tenant.persons"]) > 300 and len(before["tenant.seal_registrations"]) == 2
    assert len(before["tenant.certificate_issuances"]) == 1
    assert before["shared.users"] and before["shared.param_versions"] and before["shared.cost_members"]
    assert any(r for r in before["tenant.access_log"])
    out = tmp_path / "fuji.kyodo-backup"
    result = run(app, "tenants", "backup", "fuji", "--out", str(out))
    assert "fuji:" in result.output and out.stat().st_size > 0
    assert b"fuji" not in out.read_bytes()[crypto.HEADER_LEN :][:4096]  # encrypted, not merely packed

    run(app, "tenants", "drop", "fuji", "--yes")
    assert _tenants(app) == ["fujinomiya"]
    dropped = archives(get_settings(app).var_dir / "dumps")
    assert len(dropped) == 1

    result = run(app, "tenants", "restore", str(dropped[0]))
    assert "restored fuji" in result.output
    after = city_rows(db, "fuji")
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name
    assert sign_in(app.test_client(), "fuji", "clerk").status_code == 302
    assert "chain intact" in run(app, "audit", "verify", "fuji").output
    assert "chain intact" in run(app, "audit", "verify", "--platform").output

    # The archive written before the drop restores too, over the city now there, once confirmed.
    refused = run(app, "tenants", "restore", str(out), ok=False)
    assert refused.exit_code != 0 and "--yes" in refused.output
    run(app, "tenants", "restore", str(out), "--yes")
    assert city_rows(db, "fuji") == before
    assert len(archives(get_settings(app).var_dir / "dumps")) == 2  # what it replaced was backed up first
    assert "chain intact" in run(app, "audit", "verify", "fuji").output


def test_restore_into_a_fresh_database(backup_app, rich, tmp_path, backend, fresh_app):
    app, db = backup_app, get_db(backup_app)
    before = city_rows(db, "fuji")
    out = tmp_path / "fuji.kyodo-backup"
    run(app, "tenants", "backup", "fuji", "--out", str(out))
    target = fresh_app(demo=False, backup_key=KEY)
    url = get_db(target).engine.url.render_as_string(hide_password=False)
    run(app, "tenants", "restore", str(out), "--to-database", url)
    assert _tenants(target) == ["fuji"]
    assert city_rows(get_db(target), "fuji") == before
    assert sign_in(target.test_client(), "fuji", "clerk").status_code == 302
    assert "chain intact" in run(target, "audit", "verify", "fuji").output


def test_tampered_truncated_or_wrong_key_archives_are_refused(backup_app, tmp_path):
    app = backup_app
    out = tmp_path / "fuji.kyodo-backup"
    run(app, "tenants", "backup", "fuji", "--out", str(out))
    data = out.read_bytes()
    tampered = tmp_path / "tampered.kyodo-backup"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(flipped))
    truncated = tmp_path / "truncated.kyodo-backup"
    truncated.write_bytes(data[: len(data) - 100])
    wrong_key = tmp_path / "other.key"
    wrong_key.write_text(OTHER_KEY)
    run(app, "tenants", "drop", "fuji", "--yes")
    for path, args, words in (
        (tampered, [], "altered"),
        (truncated, [], "truncated"),
        (out, ["--key-file", str(wrong_key)], "wrong key"),
    ):
        result = run(app, "tenants", "restore", str(path), *args, ok=False)
        assert result.exit_code != 0 and words in result.output and "nothing changed" in result.output
        assert _tenants(app) == ["fujinomiya"]
    app_secret = tmp_path / "secret.key"
    app_secret.write_text(app.config["SECRET_KEY"])
    result = run(app, "tenants", "backup", "fujinomiya", "--key-file", str(app_secret), ok=False)
    assert result.exit_code != 0


def _repack(path: Path, target: Path, change) -> None:
    """Decrypt an archive, let ``change`` edit its manifest, and encrypt it again with the same key."""
    key = crypto.parse_key(KEY)
    plain = io.BytesIO()
    with path.open("rb") as source:
        crypto.decrypt_file(source, plain, key)
    plain.seek(0)
    out = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="r") as old, tarfile.open(fileobj=out, mode="w") as new:
        for member in old.getmembers():
            content = old.extractfile(member).read()
            if member.name == MANIFEST:
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
                member.size = len(content)
            new.addfile(member, io.BytesIO(content))
    out.seek(0)
    with target.open("wb") as handle:
        crypto.encrypt_file(out, handle, key)


def _tables_at(revision: str, folder: Path) -> set[str]:
    """The tenant tables as the migrations left them at ``revision`` (built in a scratch SQLite file)."""
    from tenant_core.backup.archive import reflect_tenant
    from tenant_core.db import Database, make_engine
    from tenant_core.migrate import _run, alembic_config, create_tenant_storage

    scratch = Database(make_engine(f"sqlite:///{folder / 'main.db'}", pool_size=1))
    try:
        create_tenant_storage(scratch, "t_scratch")
        with scratch.connect("t_scratch") as conn, conn.begin():
            _run(alembic_config("tenant"), conn, "t_scratch", "upgrade", revision)
            return {t.name for t in reflect_tenant(conn, "t_scratch")}
    finally:
        scratch.engine.dispose()


def test_newer_revision_refused_and_older_one_migrated_forward(backup_app, tmp_path):
    app, db = backup_app, get_db(backup_app)
    out = tmp_path / "fuji.kyodo-backup"
    run(app, "tenants", "backup", "fuji", "--out", str(out))
    newer = tmp_path / "newer.kyodo-backup"
    _repack(out, newer, lambda m: m.update(tenant_revision="t9999_from_the_future"))
    result = run(app, "tenants", "restore", str(newer), "--yes", ok=False)
    assert result.exit_code != 0 and "newer" in result.output

    # An archive of the revision before the newest: its rows fit that schema, then it moves forward.
    from alembic.script import ScriptDirectory

    from tenant_core.migrate import alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config("tenant"))
    head = head_revision("tenant")
    previous = script.get_revision(head).down_revision
    existing_then = _tables_at(previous, tmp_path / "older-schema")

    def older(manifest):
        manifest["tenant_revision"] = previous
        manifest["tenant_tables"] = [t for t in manifest["tenant_tables"] if t in existing_then]

    old = tmp_path / "older.kyodo-backup"
    _repack(out, old, older)
    run(app, "tenants", "drop", "fuji", "--yes")
    result = run(app, "tenants", "restore", str(old))
    assert "migrated forward" in result.output
    with db.session() as s:
        assert s.scalar(sa.select(Tenant.schema_revision).where(Tenant.slug == "fuji")) == head
    assert "chain intact" in run(app, "audit", "verify", "fuji").output


def test_as_an_existing_slug_needs_confirmation(backup_app, tmp_path):
    app, db = backup_app, get_db(backup_app)
    out = tmp_path / "fujinomiya.kyodo-backup"
    run(app, "tenants", "backup", "fujinomiya", "--out", str(out))
    before = city_rows(db, "fuji")
    result = run(app, "tenants", "restore", str(out), "--as", "fuji", ok=False)
    assert result.exit_code != 0 and "--yes" in result.output and "nothing changed" in result.output
    assert city_rows(db, "fuji") == before
    # Confirmed, it still refuses while another city holds the archive's 団体コード.
    result = run(app, "tenants", "restore", str(out), "--as", "fuji", "--yes", ok=False)
    assert result.exit_code != 0 and "団体コード" in result.output
    assert city_rows(db, "fuji") == before


def test_restore_under_another_slug_re_anchors_the_log(backup_app, tmp_path):
    app = backup_app
    out = tmp_path / "fujinomiya.kyodo-backup"
    client = app.test_client()
    assert sign_in(client, "fujinomiya", "clerk").status_code == 302
    run(app, "audit", "seal", "fujinomiya")
    run(app, "tenants", "backup", "fujinomiya", "--out", str(out))
    run(app, "tenants", "drop", "fujinomiya", "--yes")
    result = run(app, "tenants", "restore", str(out), "--as", "fujinomiya2")
    assert "re-anchored" in result.output
    assert _tenants(app) == ["fuji", "fujinomiya2"]
    assert sign_in(app.test_client(), "fujinomiya2", "clerk").status_code == 302
    assert "chain intact" in run(app, "audit", "verify", "fujinomiya2").output


def test_backup_all_writes_one_archive_per_city(backup_app, tmp_path):
    run(backup_app, "tenants", "backup", "--all", "--out", str(tmp_path))
    found = archives(tmp_path)
    assert [p.name.split("-")[0] for p in found] == ["fuji", "fujinomiya"]
    opened = open_archive(found[0], crypto.parse_key(KEY), tmp_path / "open")
    assert opened.manifest["slug"] == "fuji" and opened.manifest["tenant_revision"]
    assert "shared/users.jsonl.gz" in opened.manifest["members"]


def test_drop_without_a_backup_key_drops_nothing(fresh_app):
    app = fresh_app()
    result = run(app, "tenants", "drop", "fuji", "--yes", ok=False)
    assert result.exit_code != 0 and "KYODO_BACKUP_KEY" in result.output
    assert _tenants(app) == ["fuji", "fujinomiya"]


def test_an_archive_holds_one_city_and_its_restore_leaves_the_other_alone(backup_app, rich, tmp_path):
    app, db = backup_app, get_db(backup_app)
    out = tmp_path / "fuji.kyodo-backup"
    run(app, "tenants", "backup", "fuji", "--out", str(out))
    opened = open_archive(out, crypto.parse_key(KEY), tmp_path / "open")
    with db.session() as s:
        fuji_id = s.scalar(sa.select(Tenant.id).where(Tenant.slug == "fuji"))
    for name in ("users", "param_versions", "job_records", "cost_members"):
        columns, rows = opened.rows(f"shared/{name}.jsonl.gz")
        owners = {dict(zip(columns, r, strict=True))["tenant_id"] for r in rows}
        assert owners <= {fuji_id}, name
    columns, rows = opened.rows("shared/platform_access_log.jsonl.gz")
    assert {dict(zip(columns, r, strict=True))["target"] for r in rows} <= {"tenant:fuji"}
    other = city_rows(db, "fujinomiya")
    run(app, "tenants", "restore", str(out), "--yes")
    assert city_rows(db, "fujinomiya") == other
    assert "chain intact" in run(app, "audit", "verify", "fujinomiya").output


def test_a_sqlite_archive_restores_onto_postgresql(backend, backup_app, rich, tmp_path):
    import uuid

    import pytest

    from tests.conftest import PG_HOST, PG_PORT, require_service

    if backend != "sqlite":
        pytest.skip("the other way round is the PostgreSQL run's fresh-database test")
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    out = tmp_path / "fuji.kyodo-backup"
    run(backup_app, "tenants", "backup", "fuji", "--out", str(out))
    name = f"kyodo_test_cross_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        run(backup_app, "tenants", "restore", str(out), "--to-database", url)
        from tenant_core.db import Database, make_engine

        target = Database(make_engine(url, pool_size=1))
        try:
            assert city_rows(target, "fuji") == city_rows(get_db(backup_app), "fuji")
        finally:
            target.engine.dispose()
    finally:
        drop_pg_database(name)


def test_under_another_slug_the_mynumber_and_the_stored_pdfs_follow(backup_app, tmp_path):
    """The 個人番号 key is derived from the slug: the modules re-encrypt under the new one (rekey)."""
    from modules.certificates.models import Issuance
    from modules.residents.models import Person
    from modules.residents.mynumber import vault_for
    from tenant_core.params.demo import load_demo as load_params_demo
    from tests.certificates.conftest import issue, pdf_text
    from tests.residents.conftest import mynumber
    from tests.seals.conftest import Seals

    app, db = backup_app, get_db(backup_app)
    with app.app_context():
        list(load_params_demo(db, get_settings(app), ["fuji", "fujinomiya"]))
        atena = Seals(app).add("fuji", mynumber=mynumber(4242))
    client = app.test_client()
    assert sign_in(client, "fuji", "clerk").status_code == 302
    condition = "本人確認: 個人番号カード（住民基本台帳法第12条第5項）"
    response = issue(client, "fuji", atena, mynumber="y", mynumber_condition=condition)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with db.session("t_fuji") as s:
        number = s.scalar(sa.select(Issuance.number).where(Issuance.atena_no == atena))
        assert s.scalar(sa.select(Issuance.pdf_encrypted).where(Issuance.number == number))
    out = tmp_path / "fuji.kyodo-backup"
    run(app, "tenants", "backup", "fuji", "--out", str(out))
    run(app, "tenants", "drop", "fuji", "--yes")  # the 団体コード is free for the city's new slug

    result = run(app, "tenants", "restore", str(out), "--as", "fuji2")
    assert "residents: re-encrypted" in result.output and "certificates: re-encrypted" in result.output
    with app.app_context(), db.session("t_fuji2") as s:
        person = s.scalars(sa.select(Person).where(Person.atena_no == atena)).one()
        vault = vault_for("fuji2")
        assert vault.decrypt(person.mynumber_token) == mynumber(4242)
        assert person.mynumber_digest == vault.digest(mynumber(4242))  # a duplicate is still refused
        assert vault_for("fuji").decrypt(person.mynumber_token) is None
    client = app.test_client()
    assert sign_in(client, "fuji2", "clerk").status_code == 302
    page = client.get(f"/fuji2/residents/{atena}").get_data(as_text=True)
    assert mynumber(4242)[8:] in page.replace(" ", "")
    pdf = client.get(f"/fuji2/certificates/{number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert mynumber(4242)[8:] in pdf_text(pdf.data).replace(" ", "")
    assert "chain intact" in run(app, "audit", "verify", "fuji2").output
    assert "chain intact" in run(app, "audit", "verify", "--platform").output


def test_a_restore_whose_numbers_do_not_open_under_this_secret_is_undone(backup_app, tmp_path, monkeypatch):
    """The access log's seal catches another secret once the log is sealed; the modules' key checks catch
    it always (here the residents' check is made to fail as it would for a never-sealed log)."""
    from modules.residents import rekey

    app = backup_app
    out = tmp_path / "fujinomiya.kyodo-backup"
    run(app, "tenants", "backup", "fujinomiya", "--out", str(out))
    run(app, "tenants", "drop", "fujinomiya", "--yes")
    monkeypatch.setattr(rekey, "check_key", lambda session, slug: "numbers sealed under another secret")
    result = run(app, "tenants", "restore", str(out), ok=False)
    assert result.exit_code != 0 and "residents: numbers sealed under another secret" in result.output
    assert _tenants(app) == ["fuji"]  # nothing of the city was left behind
    monkeypatch.undo()
    run(app, "tenants", "restore", str(out))  # with the check passing, the same archive restores
    assert _tenants(app) == ["fuji", "fujinomiya"]
