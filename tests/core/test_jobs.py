"""Jobs carry their tenant: inline on SQLite defaults, and through a real rq worker on Redis.

The record is the source of truth: a run claims it once, checkpoints with its batches, and the
reaper and sweeper see to runs that died and records that never reached rq.
"""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.jobs import JobContext, JobError, JobSuperseded, enqueue, run_job
from tenant_core.jobs.actions import find_job, retry
from tenant_core.jobs.maintenance import reap, sweep
from tenant_core.models import JobRecord, JobState, Notice
from tenant_core.portal.services import publish_due_notices
from tenant_core.tenancy import find_tenant
from tests import factories
from tests.core import job_samples


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
        "KYODO_SECRET_KEY": app.config["SECRET_KEY"],  # the key that sealed the logs it will extend
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


# --- The outbox: claims, checkpoints, the reaper and the sweeper -------------------------------------------


def _record(db, job_id):
    with db.session() as s:
        return s.get(JobRecord, job_id)


def _written(db, slug="fuji"):
    with db.session(f"t_{slug}") as s:
        return job_samples.written(s)


def _enqueue_batches(app, slug, total, batch, stop_after, how):
    with app.test_request_context(f"/{slug}/"):
        from tenant_core.boundary import get_session

        session = get_session()
        job_id = enqueue(
            job_samples.write_notices,
            total,
            batch,
            stop_after,
            how,
            tenant=find_tenant(slug),
            session=session,
        )
        session.commit()
        return job_id


def test_a_job_that_already_ran_is_not_run_again(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "DUE", published=False)
    job_id = _enqueue_for(app, "fuji")
    with app.app_context():
        assert run_job(job_id) is None  # a second dispatch of the same record finds it finished
    record = _record(db, job_id)
    assert record.state == JobState.finished and record.attempts == 1 and record.idempotent


def test_a_batch_job_resumes_from_its_checkpoint_on_retry_without_duplicates(fresh_app):
    app = fresh_app()
    db = get_db(app)
    job_id = _enqueue_batches(app, "fuji", 30, 10, 20, "raise")  # inline: fails after two batches
    record = _record(db, job_id)
    assert record.state == JobState.failed and "interrupted on purpose" in record.error
    assert record.progress_state == {"done": 20} and not record.idempotent
    assert len(_written(db)) == 20  # the committed batches stay

    with app.app_context(), db.session() as s:
        retry(s, find_job(s, job_id[:8]), "test")
        s.commit()  # dispatched (inline) after the commit

    record = _record(db, job_id)
    assert record.state == JobState.finished and record.attempts == 2 and record.result == {"written": 30}
    titles = _written(db)
    assert len(titles) == 30 and len(set(titles)) == 30
    assert _written(db, "fujinomiya") == []


def test_a_run_that_lost_its_record_writes_nothing_more(fresh_app):
    app = fresh_app()
    db = get_db(app)
    # The reaper gave the record up and a second attempt claimed it: attempt 1 is a zombie.
    job_id = job_samples.job_record(db, "fuji", "started", attempts=2)
    with app.app_context():
        session = db.session("t_fuji")
        ctx = JobContext(job_id, find_tenant("fuji"), session, attempt=1, db=db)
        session.add(job_samples.Notice(title="batch-zombie", publish_on=job_samples.dt.date(2026, 4, 1)))
        with pytest.raises(JobSuperseded):
            ctx.checkpoint({"done": 1})
        session.close()
    assert _written(db) == []
    assert _record(db, job_id).progress_state is None


def test_the_reaper_fails_runs_without_heartbeat_and_retries_only_idempotent_ones(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "DUE", published=False)
    batch_func = "tests.core.job_samples:write_notices"
    dead = job_samples.job_record(
        db, "fuji", "started", ago=3600, attempts=1, func=batch_func, args=[1, 1, 1, "none"]
    )
    idem = job_samples.job_record(db, "fuji", "started", ago=3600, attempts=1, idempotent=True)
    spent = job_samples.job_record(db, "fuji", "started", ago=3600, attempts=3, idempotent=True)
    alive = job_samples.job_record(db, "fuji", "started", ago=1, attempts=1, idempotent=True)
    overran = job_samples.job_record(db, "fuji", "started", ago=2000, attempts=1, timeout=60)
    with db.session() as s:  # its heartbeat is fresh, but it started long ago with a one-minute timeout
        s.get(JobRecord, overran).heartbeat_at = factories.dt.datetime.now(factories.dt.UTC).replace(
            tzinfo=None
        )
        s.commit()

    with app.app_context():
        report = reap()  # no Redis: judged by heartbeat and timeout

    reaped = dict(report.reaped)
    assert set(reaped) == {dead, idem, spent, overran}
    assert "no heartbeat" in reaped[dead] and "timed out" in reaped[overran]
    assert report.requeued == [idem]
    assert _record(db, dead).state == JobState.failed and "reaper: no heartbeat" in _record(db, dead).error
    assert _record(db, spent).state == JobState.failed  # out of attempts
    requeued = _record(db, idem)
    assert requeued.state == JobState.finished and requeued.attempts == 2  # run again inline
    assert "DUE" in _published(db, "fuji")
    assert _record(db, alive).state == JobState.started


def test_the_sweeper_runs_records_whose_dispatch_failed(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "DUE", published=False)
    stuck = job_samples.job_record(db, "fuji", "queued", dispatch_error="ConnectionError", idempotent=True)
    waiting = job_samples.job_record(db, "fuji", "queued")  # never dispatched, no error: not the sweeper's
    with app.app_context():
        report = sweep()
    assert report.dispatched == [stuck]
    assert _record(db, stuck).state == JobState.finished and _record(db, stuck).dispatch_error is None
    assert _record(db, waiting).state == JobState.queued


def _worker_env(app, redis_url, **extra):
    from tenant_core.config import PROJECT_ROOT

    db_url = get_db(app).engine.url.render_as_string(hide_password=False)
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),  # the worker imports the test jobs too
        "KYODO_DATABASE_URL": db_url,
        "KYODO_REDIS_URL": redis_url,
        "KYODO_SECRET_KEY": app.config["SECRET_KEY"],  # the key that sealed the logs it will extend
        "KYODO_ENV": "test",
        **extra,
    }


def test_with_redis_down_the_request_succeeds_and_the_sweeper_dispatches_later(fresh_app, redis_url):
    from redis import Redis

    from tenant_core.cli import main
    from tests.conftest import post, sign_in

    app = fresh_app(redis_url="redis://127.0.0.1:6390/0")  # nothing listens there
    db = get_db(app)
    factories.notice(db, "fuji", "DUE-FUJI", published=False)
    # The sign-in throttle keeps its counts on Redis too; its own fallback is tested with it. Here: jobs.
    app.extensions["kyodo.limiter"].enabled = False
    client = app.test_client()
    assert sign_in(client, "fuji", "admin").status_code == 302
    response = post(client, "/fuji/notices/publish", "/fuji/")
    assert response.status_code == 302  # the request succeeds although rq is unreachable

    with db.session() as s:
        (record,) = s.scalars(sa.select(JobRecord)).all()
    assert record.state == JobState.queued and "ConnectionError" in record.dispatch_error
    assert _published(db, "fuji") == []

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["down"] == ["redis"] and health.get_json()["checks"]["database"] == "ok"

    jobs_page = client.get("/fuji/jobs/").get_data(as_text=True)
    assert "キュー未登録" in jobs_page

    # Redis is back: the app points at it again, the sweeper dispatches, a worker runs the job once.
    app.extensions["kyodo.redis"] = Redis.from_url(redis_url)
    assert client.get("/healthz").status_code == 200
    swept = app.test_cli_runner().invoke(main, ["jobs", "sweep"])
    assert swept.exit_code == 0 and f"dispatched {record.id}" in swept.output
    worker = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "kyodo"), "worker", "--burst"],
        env=_worker_env(app, redis_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr
    done = _record(db, record.id)
    assert done.state == JobState.finished and done.attempts == 1 and done.result == {"published": 1}
    assert done.dispatch_error is None
    assert _published(db, "fuji") == ["DUE-FUJI"]


def _wait_for(condition, what, seconds=90):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def test_a_killed_work_horse_is_reaped_and_retry_finishes_without_duplicates(fresh_app, redis_url):
    import signal

    from tenant_core.cli import main

    app = fresh_app(redis_url=redis_url)
    db = get_db(app)
    job_id = _enqueue_batches(app, "fuji", 30, 10, 10, "sleep")
    kyodo = os.path.join(os.path.dirname(sys.executable), "kyodo")
    env = _worker_env(app, redis_url, KYODO_JOBS_MAINTENANCE_SECONDS="1", KYODO_JOBS_HEARTBEAT_SECONDS="1")
    worker = subprocess.Popen(
        [kyodo, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        running = _wait_for(
            lambda: (
                (r := _record(db, job_id)).progress_state == {"done": 10}
                and r.state == JobState.started
                and r
            ),
            "the first batch",
        )
        horse_pid = int(running.runner.rsplit(":", 1)[1])
        assert horse_pid != worker.pid
        os.kill(horse_pid, signal.SIGKILL)

        failed = _wait_for(lambda: (r := _record(db, job_id)).state == JobState.failed and r, "the reaper")
        assert failed.error.startswith("reaper: rq reports the job failed")
        assert failed.attempts == 1  # not idempotent: it waits for an operator
        assert len(_written(db)) == 10

        result = app.test_cli_runner().invoke(main, ["jobs", "retry", job_id])
        assert result.exit_code == 0, result.output

        done = _wait_for(lambda: (r := _record(db, job_id)).state == JobState.finished and r, "the retry")
        assert done.attempts == 2 and done.result == {"written": 30}
        titles = _written(db)
        assert len(titles) == 30 and len(set(titles)) == 30
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_with_redis_the_sweeper_dispatches_what_rq_lost_and_the_reaper_fails_lost_runs(fresh_app, redis_url):
    from redis import Redis
    from rq.job import Job

    app = fresh_app(redis_url=redis_url)
    db = get_db(app)
    forgotten = job_samples.job_record(db, "fuji", "queued", ago=3600)  # rq lost it (Redis restarted empty)
    fresh = job_samples.job_record(db, "fuji", "queued")  # its dispatch may still be on its way
    lost = job_samples.job_record(db, "fuji", "started", ago=600, attempts=1)
    with app.app_context():
        reaped = reap()
        swept = sweep()
    assert [job_id for job_id, _ in reaped.reaped] == [lost]
    assert reaped.reaped[0][1].startswith("lost: rq no longer knows the job")
    assert _record(db, lost).state == JobState.failed
    assert swept.dispatched == [forgotten]
    connection = Redis.from_url(redis_url)
    assert Job.exists(forgotten, connection=connection) and not Job.exists(fresh, connection=connection)
