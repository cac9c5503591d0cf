"""The migration pages: the upload that queues an import job (with its progress), the 外字 table with its
CSV import, who may use them, and cross-tenant attempts on every route and through the job."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from modules.migration.models import GaijiEntry, MigrationRun
from modules.residents.models import Person
from tenant_core.extensions import get_db
from tenant_core.jobs import run_job
from tenant_core.models import JobRecord
from tenant_core.params.changes import Actor
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.migration.conftest import csv_bytes, family
from tests.params.conftest import set_param


@pytest.fixture
def migrating(app, db_connection):
    """Both cities have the module; each has a migration administrator."""
    db = get_db(app)
    for slug in ("fuji", "fujinomiya"):
        set_param(
            app, slug, "core.modules_enabled", ["residents", "seals", "migration"], actor=Actor.platform()
        )
        factories.user(db, slug, "mig", ["migration.editor"])
    return app


def _client(app, slug: str, login: str = "mig"):
    client = app.test_client()
    sign_in(client, slug, login)
    return client


def _upload(client, slug: str, data: bytes, **fields: str):
    token = csrf_token(client, f"/{slug}/migration/")
    return client.post(
        f"/{slug}/migration/upload",
        data={"persons": (io.BytesIO(data), "residents.csv"), "csrf_token": token, **fields},
        content_type="multipart/form-data",
    )


def _last_job(app) -> str:
    with get_db(app).session() as s:
        return s.scalars(sa.select(JobRecord.id).order_by(JobRecord.created_at.desc())).first()


def test_upload_queues_a_job_that_imports_with_progress(migrating):
    app = migrating
    client = _client(app, "fujinomiya")
    page = client.get("/fujinomiya/migration/")
    assert page.status_code == 200 and "移行テストの記録がありません" in page.get_data(as_text=True)
    response = _upload(
        client, "fujinomiya", csv_bytes(family(), "cp932"), encoding="", control_persons="7", dry_run="y"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/fujinomiya/jobs/")
    job_id = _last_job(app)
    with app.app_context():
        result = run_job(job_id, heartbeat=False)
    assert result is None or result.get("applied") is not False
    with get_db(app).session() as s:
        record = s.get_one(JobRecord, job_id)
        assert record.progress == 100 and record.result["errors"] == 0
    with get_db(app).session("t_fujinomiya") as s:
        run = s.scalars(sa.select(MigrationRun).order_by(MigrationRun.id.desc())).first()
        assert run.mode == "dry_run" and run.rows_valid == 7 and run.control == {"persons": 7}
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100001)) is None  # dry run by default
    page = client.get("/fujinomiya/migration/").get_data(as_text=True)
    assert "residents.csv" in page


def test_upload_without_a_file_is_refused_in_japanese(migrating):
    client = _client(migrating, "fuji")
    token = csrf_token(client, "/fuji/migration/")
    response = client.post(
        "/fuji/migration/upload", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "住民ファイルを選択してください" in response.get_data(as_text=True)


def test_only_signed_in_staff_who_may_upload_get_the_larger_limit(migrating):
    """Beyond the platform's request limit (8 MB) only this city's staff with the right to upload may send
    a register: a made-up session cookie, or staff without the right, get 413 before the body is read."""
    big = b"x" * (9 * 1024 * 1024)

    def raw(client):  # no page to take a token from: the limit is met before the CSRF check
        data = {"persons": (io.BytesIO(big), "residents.csv"), "csrf_token": "x"}
        return client.post("/fuji/migration/upload", data=data, content_type="multipart/form-data")

    forged = migrating.test_client()
    forged.set_cookie("kyodo_session", "made-up")
    assert raw(forged).status_code == 413
    factories.user(get_db(migrating), "fuji", "plain", ["residents.viewer"])
    assert raw(_client(migrating, "fuji", "plain")).status_code == 413
    # The uploader's request is read (and refused as a file with no valid row, not as too large).
    assert _upload(_client(migrating, "fuji"), "fuji", big).status_code != 413


def test_gaiji_page_and_csv(migrating):
    client = _client(migrating, "fuji")
    token = csrf_token(client, "/fuji/migration/gaiji")
    response = client.post(
        "/fuji/migration/gaiji",
        data={"code": "U+E010", "text": "髙", "note": "はしごだか", "csrf_token": token},
    )
    assert response.status_code == 302
    bad = client.post("/fuji/migration/gaiji", data={"code": "U+0041", "text": "A", "csrf_token": token})
    assert bad.status_code == 422 and "私用領域" in bad.get_data(as_text=True)
    response = client.post(
        "/fuji/migration/gaiji/import",
        data={"file": (io.BytesIO("U+E011,﨑,\n".encode()), "g.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    csv_text = client.get("/fuji/migration/gaiji.csv").get_data(as_text=True)
    assert "U+E010,髙,はしごだか" in csv_text and "U+E011,﨑" in csv_text
    with get_db(migrating).session("t_fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(GaijiEntry)) == 0


def test_a_clerk_without_the_role_is_refused(migrating):
    clerk = _client(migrating, "fuji", "clerk")
    assert clerk.get("/fuji/migration/").status_code == 403
    assert clerk.get("/fuji/migration/gaiji").status_code == 403


def test_cross_tenant_every_route(migrating):
    fuji = _client(migrating, "fuji")
    for path in (
        "/fujinomiya/migration/",
        "/fujinomiya/migration/gaiji",
        "/fujinomiya/migration/gaiji.csv",
    ):
        assert fuji.get(path).status_code == 403, path
    token = csrf_token(fuji, "/fuji/migration/")
    for path in ("/fujinomiya/migration/upload", "/fujinomiya/migration/gaiji/import"):
        assert fuji.post(path, data={"csrf_token": token}).status_code == 403, path


def test_job_token_of_another_city_finds_nothing(migrating, tmp_path):
    """The job reads the upload from its own city's directory: another city's token is not there."""
    app = migrating
    client = _client(app, "fuji")
    assert _upload(client, "fuji", csv_bytes(family()), dry_run="y").status_code == 302
    job_id = _last_job(app)
    with get_db(app).session() as s:
        token = s.get_one(JobRecord, job_id).args[0]
    from modules.migration.jobs import upload_dir

    with app.app_context():
        assert upload_dir("fuji", token).exists()
        assert not upload_dir("fujinomiya", token).exists()
        with pytest.raises(ValueError):
            upload_dir("fujinomiya", "../fuji/uploads/" + token)


def test_an_upload_larger_than_the_platform_limit_is_taken(migrating):
    client = _client(migrating, "fuji")
    big = csv_bytes(family()) + b"," * (9 * 1024 * 1024)  # past the 8 MB limit of other requests
    assert _upload(client, "fuji", big, dry_run="y").status_code == 302
    anonymous = migrating.test_client()
    refused = anonymous.post("/fuji/migration/upload", data={"persons": (io.BytesIO(big), "r.csv")})
    assert refused.status_code == 413
