"""Nightly backups: business days only, one job record per city with its result, retention, and a
failed or missed backup visible on the platform page and in /metrics."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tenant_core.backup import schedule
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import JobRecord, JobState
from tests.backup.conftest import KEY, run
from tests.conftest import METRICS_TOKEN, sign_in


def test_business_days_follow_the_japanese_calendar():
    assert schedule.is_business_day(dt.date(2026, 12, 1))  # a Tuesday
    assert not schedule.is_business_day(dt.date(2026, 12, 5))  # Saturday
    assert not schedule.is_business_day(dt.date(2026, 11, 23))  # 勤労感謝の日
    assert not schedule.is_business_day(dt.date(2026, 12, 29))  # 年末年始 (地方自治法第4条の2)
    assert schedule.is_business_day(dt.date(2027, 1, 4))  # offices open again on the 4th


def test_retention_keeps_daily_weekly_and_monthly_archives():
    start = dt.datetime(2025, 1, 1, 10, 30)
    stamps = [start + dt.timedelta(days=n) for n in range(400)]
    stamps += [s + dt.timedelta(minutes=5) for s in stamps[-3:]]  # a second run on the last days
    kept = schedule.to_keep(stamps, daily=7, weekly=4, monthly=12)
    newest = max(stamps)
    assert newest in kept
    days = {s.date() for s in kept}
    assert len([d for d in days if d > newest.date() - dt.timedelta(days=7)]) == 7
    months = {(s.year, s.month) for s in kept}
    assert len(months) == 12
    assert len(kept) <= 7 + 4 + 12
    for a in kept:  # one archive per day at most, and the newest of its day
        assert not [b for b in stamps if b.date() == a.date() and b > a]


def test_a_citys_archives_newest_first_in_both_folders_and_no_other_citys(tmp_path):
    nightly = tmp_path / "fuji"
    nightly.mkdir()
    names = {
        tmp_path: [
            "fuji-20261201T103000Z.kyodo-backup",  # kyodo tenants backup fuji (no --out)
            "fuji-20261201T103000Z-2.kyodo-backup",  # a second one within the same second
            "fujinomiya-20261205T000000Z.kyodo-backup",  # another city, newer
            "fuji_2-20261205T000000Z.kyodo-backup",  # another city whose slug starts alike
            "fuji-20261206T000000Z.kyodo-backup.partial",  # being written
            "fuji-notatime.kyodo-backup",
        ],
        nightly: [
            "fuji-20261130T103000Z.kyodo-backup",
            "fuji-20261202T103000Z.kyodo-backup",
            "fuji.kyodo-bcp",
        ],
    }
    for folder, files in names.items():
        for name in files:
            (folder / name).write_bytes(b"")
    found = schedule.city_archives(tmp_path, "fuji")
    assert [(p.parent == nightly, p.name) for p in found] == [
        (True, "fuji-20261202T103000Z.kyodo-backup"),
        (False, "fuji-20261201T103000Z-2.kyodo-backup"),
        (False, "fuji-20261201T103000Z.kyodo-backup"),
        (True, "fuji-20261130T103000Z.kyodo-backup"),
    ]
    assert schedule.city_archives(tmp_path, "kofu") == []
    assert schedule.city_archives(tmp_path / "missing", "fuji") == []


def test_the_cron_line_is_japan_time_in_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        assert schedule.cron_expression("19:30") == "30 10 * * *"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_rq_cron_scheduler_takes_the_nightly_run(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    cron_job = scheduler.register(schedule.nightly, queue_name="high", cron=schedule.cron_expression("19:30"))
    due = cron_job.next_enqueue_time.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (due.hour, due.minute) == (19, 30)


def test_nightly_jobs_record_results_and_the_platform_page_shows_failures(fresh_app, tmp_path):
    app = fresh_app(backup_key=KEY, backup_keep_daily=1, backup_keep_weekly=0, backup_keep_monthly=0)
    db = get_db(app)
    with app.app_context(), db.session() as session:
        assert schedule.enqueue_backups(session, today=dt.date(2026, 12, 5)) == []  # Saturday
        ids = schedule.enqueue_backups(session, today=dt.date(2026, 12, 1))
        session.commit()  # no Redis: the jobs run inline after the commit
    assert len(ids) == 2
    with db.session() as session:
        records = session.scalars(sa.select(JobRecord).where(JobRecord.id.in_(ids))).all()
        assert {r.state for r in records} == {JobState.finished}
        assert all(r.result["bytes"] > 0 and len(r.result["sha256"]) == 64 for r in records)
    folder = get_settings(app).resolved_backup_dir / "fuji"
    assert len(list(folder.glob("*.kyodo-backup"))) == 1
    assert (folder / "fuji.kyodo-bcp").stat().st_size > 0  # the emergency package follows the archive
    with app.app_context(), db.session() as session:  # the retention keeps one daily archive
        schedule.enqueue_backups(session, force=True)
        session.commit()
    assert len(list(folder.glob("*.kyodo-backup"))) == 1

    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = response.get_data(as_text=True)
    assert 'kyodo_backup_state{state="ok",tenant="fuji"} 1.0' in text
    assert 'kyodo_backup_last_size_bytes{tenant="fuji"}' in text

    # A backup without its key fails: the record says why, the page and the metrics show it.
    broken = fresh_app(backup_key=None)
    with broken.app_context(), get_db(broken).session() as session:
        schedule.enqueue_backups(session, force=True)
        session.commit()
    client = broken.test_client()
    assert sign_in(client, None, "operator").status_code == 302
    page = client.get("/platform/").get_data(as_text=True)
    assert "失敗" in page and "KYODO_BACKUP_KEY" in page
    text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(as_text=True)
    assert 'kyodo_backup_state{state="failed",tenant="fuji"} 1.0' in text


def test_a_missed_backup_shows_after_the_business_evening(fresh_app):
    app = fresh_app()
    db = get_db(app)
    with db.session() as session:
        ids = [1, 2]
        tuesday_night = dt.datetime(2026, 12, 1, 20, 0)  # UTC: 05:00 on Wednesday in Japan
        found = schedule.backup_status(session, ids, "19:30", now=tuesday_night)
        assert {s.state for s in found.values()} == {"missed"}
        monday_morning = dt.datetime(2026, 11, 30, 0, 0)  # 09:00 Monday; Friday's run was due
        found = schedule.backup_status(session, ids, "19:30", now=monday_morning)
        assert {s.state for s in found.values()} == {"missed"}
    client = app.test_client()
    assert sign_in(client, None, "operator").status_code == 302
    assert "未実施" in client.get("/platform/").get_data(as_text=True)
    status = run(app, "backup", "status", ok=False)  # a monitoring check: exit 1 while one is missed
    assert status.exit_code == 1 and "missed" in status.output


def test_a_manual_backup_counts_as_the_citys_last_backup(fresh_app, tmp_path):
    app = fresh_app(backup_key=KEY)
    db = get_db(app)
    status = run(app, "backup", "status", ok=False)
    assert status.exit_code == 1 and "missed" in status.output  # no backup since the last business evening
    run(app, "tenants", "backup", "fuji", "--out", str(tmp_path / "fuji.kyodo-backup"))
    status = run(app, "backup", "status", ok=False)
    lines = {line.split()[0]: line for line in status.output.splitlines() if line.strip()}
    assert " ok " in lines["fuji"] and "missed" in lines["fujinomiya"]
    with db.session() as session:
        record = session.scalars(sa.select(JobRecord).where(JobRecord.func == schedule.BACKUP_FUNC)).one()
        assert record.state == JobState.finished and record.result["bytes"] > 0
        assert record.title.startswith("手動バックアップ")
    run(app, "tenants", "backup", "fujinomiya", "--out", str(tmp_path / "fujinomiya.kyodo-backup"))
    assert "ok" in run(app, "backup", "status").output  # exit 0: nothing missed
    client = app.test_client()
    assert sign_in(client, None, "operator").status_code == 302
    assert "未実施" not in client.get("/platform/").get_data(as_text=True)

    # A manual backup that fails is recorded too: the status shows it failed.
    broken = tmp_path / "not-a-dir" / "x"
    broken.parent.write_text("a file where a folder should be")
    failed = run(app, "tenants", "backup", "fuji", "--out", str(broken / "fuji.kyodo-backup"), ok=False)
    assert failed.exit_code != 0
    status = run(app, "backup", "status", ok=False)
    assert "failed" in status.output
