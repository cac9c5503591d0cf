"""Jobs carry their tenant: inline on SQLite defaults, and through a real rq worker on Redis."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.jobs import JobError, enqueue
from tenant_core.models import JobRecord, JobState, Notice
from tenant_core.portal.services import publish_due_notices
from tenant_core.tenancy import find_tenant
from tests import factories


def _published(db, slug):
    with db.session(f"t_{slug}") as s:
        return sorted(s.scalars(sa.select(Notice.title).where(Notice.published)).all())


def _enqueue_for(app, slug):
    with app.test_request_context(f"/{slug}/"):
        from tenant_core.boundary import get_session

        session = get_session()
        job_id = enqueue(publish_due_notices, tenant=find_tenant(slug), session=session, title="t")
        session.commit()
        return job_id


def test_inline_job_writes_only_in_its_own_schema(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "DUE-FUJI", published=False)
    factories.notice(db, "fujinomiya", "DUE-FUJINOMIYA", published=False)
    job_id = _enqueue_for(app, "fuji")
    assert "DUE-FUJI" in _published(db, "fuji")
    assert "DUE-FUJINOMIYA" not in _published(db, "fujinomiya")
    with db.session() as s:
        job = s.get(JobRecord, job_id)
        assert job.state == JobState.finished and job.result == {"published": 1} and job.progress == 100


def test_a_job_without_a_tenant_is_refused_at_enqueue(app, db_connection):
    with app.test_request_context("/"), pytest.raises(JobError, match="tenant"):
        enqueue(publish_due_notices, tenant=None)
    with get_db(app).session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


def test_jobs_take_ids_not_objects(app, db_connection):
    with app.test_request_context("/fuji/"), pytest.raises(JobError, match="ids"):
        enqueue(publish_due_notices, {"a": 1}, tenant=find_tenant("fuji"))


def test_nothing_is_dispatched_when_the_transaction_rolls_back(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "DUE", published=False)
    with app.test_request_context("/fuji/"):
        from tenant_core.boundary import get_session

        session = get_session()
        enqueue(publish_due_notices, tenant=find_tenant("fuji"), session=session)
        session.rollback()
    assert "DUE" not in _published(db, "fuji")
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


def _run_worker(app, redis_url):
    db_url = get_db(app).engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "KYODO_DATABASE_URL": db_url,
        "KYODO_REDIS_URL": redis_url,
        "KYODO_SECRET_KEY": "test",
        "KYODO_ENV": "test",
    }
    kyodo = os.path.join(os.path.dirname(sys.executable), "kyodo")
    return subprocess.run(
        [kyodo, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_real_rq_worker_runs_each_city_job_in_its_own_schema(fresh_app, redis_url):
    app = fresh_app(redis_url=redis_url)
    db = get_db(app)
    factories.notice(db, "fuji", "DUE-FUJI", published=False)
    factories.notice(db, "fujinomiya", "DUE-FUJINOMIYA", published=False)
    fuji_job = _enqueue_for(app, "fuji")
    assert _published(db, "fuji") == []  # queued on Redis, not run inline

    # A record with no tenant, pushed to the queue by hand: the worker must refuse it.
    with db.session() as s:
        orphan = JobRecord(tenant_id=None, func="tenant_core.portal.services:publish_due_notices", args=[])
        s.add(orphan)
        s.commit()
        orphan_id = orphan.id
    from redis import Redis
    from rq import Queue

    from tenant_core.jobs import run_job

    Queue("default", connection=Redis.from_url(redis_url)).enqueue(run_job, orphan_id, job_id=orphan_id)
    fujinomiya_job = _enqueue_for(app, "fujinomiya")

    result = _run_worker(app, redis_url)
    assert result.returncode == 0, result.stderr

    assert _published(db, "fuji") == ["DUE-FUJI"]
    assert _published(db, "fujinomiya") == ["DUE-FUJINOMIYA"]
    with db.session() as s:
        states = {j: s.get(JobRecord, j).state for j in (fuji_job, fujinomiya_job, orphan_id)}
        orphan_error = s.get(JobRecord, orphan_id).error
    assert states == {
        fuji_job: JobState.finished,
        fujinomiya_job: JobState.finished,
        orphan_id: JobState.failed,
    }
    assert "no tenant" in orphan_error


def test_a_suspended_city_job_is_refused_and_writes_nothing(fresh_app, redis_url):
    from tenant_core.models import TenantStatus
    from tenant_core.provisioning import set_status

    app = fresh_app(redis_url=redis_url)
    db = get_db(app)
    factories.notice(db, "fuji", "DUE-FUJI", published=False)
    job_id = _enqueue_for(app, "fuji")
    set_status(db, "fuji", TenantStatus.suspended)
    assert _run_worker(app, redis_url).returncode == 0
    assert _published(db, "fuji") == []
    with db.session() as s:
        assert s.get(JobRecord, job_id).state == JobState.failed
