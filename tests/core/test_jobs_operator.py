"""What an operator does to jobs: the `kyodo jobs` commands and the buttons of /platform/jobs/.

Every action is confirmed on the page, written to the platform's access log, refused for a city
that is suspended (retry), and out of reach of city staff; a city's job status is its own.
"""

import json

import pytest
import sqlalchemy as sa

from tenant_core.audit.models import PlatformAccessLog
from tenant_core.cli import main
from tenant_core.extensions import get_db
from tenant_core.models import JobRecord, JobState, TenantStatus
from tenant_core.provisioning import set_status
from tests import factories
from tests.conftest import csrf_token, post, sign_in
from tests.core.job_samples import job_record


def _record(db, job_id):
    with db.session() as s:
        return s.get(JobRecord, job_id)


def _platform_log(db, job_id):
    with db.session() as s:
        return list(
            s.scalars(
                sa.select(PlatformAccessLog)
                .where(PlatformAccessLog.target == f"job:{job_id}")
                .order_by(PlatformAccessLog.seq)
            )
        )


@pytest.fixture
def jobs_app(fresh_app):
    app = fresh_app()
    return app, get_db(app), app.test_cli_runner()


def test_list_filters_by_state_and_city_and_flags_stale_runs(jobs_app):
    _app, db, runner = jobs_app
    failed = job_record(db, "fuji", "failed", error="RuntimeError: boom")
    stale = job_record(db, "fuji", "started", ago=3600, attempts=1)
    other = job_record(db, "fujinomiya", "failed")

    listed = json.loads(runner.invoke(main, ["jobs", "list", "--json"]).output)
    assert {j["id"] for j in listed} == {failed, stale, other}
    assert next(j for j in listed if j["id"] == stale)["stale"] is True

    text = runner.invoke(main, ["jobs", "list", "--state", "failed", "--tenant", "fuji"]).output
    assert failed in text and "RuntimeError: boom" in text
    assert other not in text and stale not in text
    assert "(stale)" in runner.invoke(main, ["jobs", "list", "--state", "started"]).output


def test_fail_then_retry_then_cancel_from_the_command_line(jobs_app):
    _app, db, runner = jobs_app
    factories.notice(db, "fuji", "DUE", published=False)
    stuck = job_record(db, "fuji", "started", ago=30, attempts=1)

    assert runner.invoke(main, ["jobs", "retry", stuck]).exit_code == 1  # a running job is failed first
    result = runner.invoke(main, ["jobs", "fail", stuck[:8], "--reason", "worker host lost"])
    assert result.exit_code == 0, result.output
    record = _record(db, stuck)
    assert record.state == JobState.failed and "worker host lost" in record.error

    result = runner.invoke(main, ["jobs", "retry", stuck])  # inline: runs at once
    assert result.exit_code == 0, result.output
    record = _record(db, stuck)
    assert record.state == JobState.finished and record.attempts == 2 and record.result == {"published": 1}

    waiting = job_record(db, "fuji", "queued")
    assert runner.invoke(main, ["jobs", "cancel", waiting]).exit_code == 0
    assert _record(db, waiting).state == JobState.canceled
    again = runner.invoke(main, ["jobs", "cancel", waiting])
    assert again.exit_code == 1 and _record(db, waiting).state == JobState.canceled
    assert runner.invoke(main, ["jobs", "fail", "no-such-job", "--reason", "x"]).exit_code == 1

    details = [e.detail for e in _platform_log(db, stuck)]
    assert details == ["fail: worker host lost", "retry"]
    assert [e.detail for e in _platform_log(db, waiting)] == ["cancel"]


def test_retry_is_refused_for_a_suspended_city(jobs_app):
    _app, db, runner = jobs_app
    failed = job_record(db, "fuji", "failed", attempts=1)
    set_status(db, "fuji", TenantStatus.suspended)
    result = runner.invoke(main, ["jobs", "retry", failed])
    assert result.exit_code == 1 and "利用停止中" in result.output
    assert _record(db, failed).state == JobState.failed


def test_reap_and_sweep_commands_report_what_they_did(jobs_app):
    _app, db, runner = jobs_app
    dead = job_record(db, "fuji", "started", ago=3600, attempts=1)
    reaped = runner.invoke(main, ["jobs", "reap"])
    assert reaped.exit_code == 0 and f"reaped     {dead}: no heartbeat" in reaped.output
    assert _record(db, dead).state == JobState.failed
    assert "nothing to do" in runner.invoke(main, ["jobs", "sweep"]).output


def _operator(app):
    client = app.test_client()
    assert sign_in(client, None, "operator").status_code == 302
    return client


def test_platform_buttons_confirm_act_and_log(jobs_app):
    app, db, _runner = jobs_app
    factories.notice(db, "fuji", "DUE", published=False)
    failed = job_record(db, "fuji", "failed", attempts=1, error="reaper: rq reports the job failed")
    stale = job_record(db, "fujinomiya", "started", ago=3600, attempts=1)
    client = _operator(app)

    page = client.get("/platform/jobs/").get_data(as_text=True)
    assert f"/platform/jobs/{failed}/retry" in page and f"/platform/jobs/{stale}/fail" in page
    assert f"/platform/jobs/{stale}/retry" not in page  # a started job is failed first
    assert "応答なし" in page  # the stale run is flagged
    assert failed not in client.get("/platform/jobs/?state=started").get_data(as_text=True)

    confirm = client.get(f"/platform/jobs/{failed}/retry")
    assert confirm.status_code == 200 and 'name="confirm" value="yes"' in confirm.get_data(as_text=True)
    # Posting without the confirmation only shows the confirmation again.
    unconfirmed = post(client, f"/platform/jobs/{failed}/retry", "/platform/jobs/")
    assert unconfirmed.status_code == 200 and _record(db, failed).state == JobState.failed
    assert _platform_log(db, failed) == []

    done = post(
        client, f"/platform/jobs/{failed}/retry", f"/platform/jobs/{failed}/retry", {"confirm": "yes"}
    )
    assert done.status_code == 302
    assert _record(db, failed).state == JobState.finished  # inline: run after the request's commit

    marked = post(
        client,
        f"/platform/jobs/{stale}/fail",
        f"/platform/jobs/{stale}/fail",
        {"confirm": "yes", "reason": "horse lost"},
    )
    assert marked.status_code == 302 and "horse lost" in _record(db, stale).error

    (retry_entry,) = _platform_log(db, failed)
    assert retry_entry.operator == "platform:operator" and retry_entry.detail == "retry"
    assert retry_entry.function == "change"
    assert [e.detail for e in _platform_log(db, stale)] == ["fail: horse lost"]


def test_platform_retry_of_a_suspended_citys_job_is_refused_and_logged(jobs_app):
    app, db, _runner = jobs_app
    failed = job_record(db, "fuji", "failed", attempts=1)
    set_status(db, "fuji", TenantStatus.suspended)
    client = _operator(app)
    response = post(
        client, f"/platform/jobs/{failed}/retry", f"/platform/jobs/{failed}/retry", {"confirm": "yes"}
    )
    assert response.status_code == 302
    assert "利用停止中" in client.get("/platform/jobs/").get_data(as_text=True)
    assert _record(db, failed).state == JobState.failed
    (entry,) = _platform_log(db, failed)
    assert entry.outcome == "refused"


def test_city_staff_cannot_reach_the_job_buttons(app, staff_client):
    db = get_db(app)
    failed = job_record(db, "fuji", "failed", attempts=1)
    client = staff_client("fuji", "admin")
    assert client.get("/platform/jobs/").status_code == 403
    assert client.get(f"/platform/jobs/{failed}/retry").status_code == 403
    token = csrf_token(client, "/fuji/")
    response = client.post(f"/platform/jobs/{failed}/retry", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 403
    assert _record(db, failed).state == JobState.failed


def test_a_citys_job_status_is_its_own(app, staff_client):
    db = get_db(app)
    theirs = job_record(db, "fujinomiya", "started", attempts=1)
    ours = job_record(db, "fuji", "started", ago=3600, attempts=1)
    client = staff_client("fuji", "clerk")
    assert client.get(f"/fuji/jobs/{theirs}.json").status_code == 404
    status = client.get(f"/fuji/jobs/{ours}.json").get_json()
    assert status["state"] == "started" and status["stale"] is True
    page = client.get("/fuji/jobs/").get_data(as_text=True)
    assert "応答なし" in page and theirs not in page


def test_an_unknown_job_or_action_is_not_found(app, client):
    assert sign_in(client, None, "operator").status_code == 302
    assert client.get("/platform/jobs/no-such-job/retry").status_code == 404
    assert client.get("/platform/jobs/no-such-job/delete").status_code == 404
