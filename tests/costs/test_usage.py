"""Usage measured from real actions (certificates issued at the counter, a print), stored per city and month,
shown to each city's finance officer (own) and the secretariat (all), corrected by dated revisions, and used
as the basis of a rule."""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from modules.costs import editing, lookups, usage
from modules.costs.computing import compute
from modules.costs.usage_models import UsageCount
from tenant_core.extensions import get_db
from tenant_core.japanese import japan_today
from tenant_core.models import Tenant
from tenant_core.modules import get_module
from tests.certificates.conftest import issue, people  # noqa: F401  (the fixture)
from tests.conftest import post


def _fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _counts(app, slug: str, year: int, month: int) -> dict[str, int]:
    with get_db(app).session() as s:
        tenant_id = s.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
        rows = s.scalars(
            sa.select(UsageCount).where(
                UsageCount.tenant_id == tenant_id, UsageCount.year == year, UsageCount.month == month
            )
        )
        return {r.counter: r.value for r in rows}


def _collect(app, today: dt.date, slugs=None) -> usage.Collected:
    db = get_db(app)
    with app.app_context(), db.session() as shared:  # the context gives the var folder of the city files
        summary = usage.collect(db, shared, today.year, today.month, slugs)
        shared.commit()
    return summary


def test_the_modules_declare_their_counters_and_the_core_names_none() -> None:
    assert get_module("certificates").usage_counters == ("modules.certificates.usage:usage_counts",)
    assert get_module("residents").usage_counters == ("modules.residents.usage:usage_counts",)


@pytest.fixture
def measured(app, staff_client, people, costs_demo):  # noqa: F811
    """Three certificates issued at 富士市's counter and one at 富士宮市's, each printed; then collected."""
    today = japan_today()
    for slug, times in (("fuji", 3), ("fujinomiya", 1)):
        client = staff_client(slug, "clerk")
        for _ in range(times):
            atena = people.add(slug)
            response = issue(client, slug, atena)
            assert response.status_code == 302, response.get_data(as_text=True)
            number = people.issuances(slug)[-1].number
            assert client.get(f"/{slug}/certificates/{number}/certificate.pdf").status_code == 200
    summary = _collect(app, today)
    assert summary.tenants >= 2
    return today


def test_usage_is_counted_from_real_actions(app, measured):
    fuji, fujinomiya = (
        _counts(app, "fuji", measured.year, measured.month),
        _counts(app, "fujinomiya", measured.year, measured.month),
    )
    assert fuji["certificates"] == 3 and fujinomiya["certificates"] == 1
    assert fuji["resident_records"] == 3 and fujinomiya["resident_records"] == 1
    assert fuji["printed"] >= 3 and fujinomiya["printed"] >= 1
    assert fuji["requests"] > fuji["printed"] and fuji["active_staff"] >= 1
    assert fuji["storage_bytes"] > 0 and "jobs" in fuji and "job_seconds" in fuji
    # Collecting again measures the same: nothing doubles.
    _collect(app, measured)
    assert _counts(app, "fuji", measured.year, measured.month)["certificates"] == 3


def test_usage_is_a_basis_of_a_rule_and_a_missing_year_names_the_member(app, measured):
    fy_year = _fiscal_year(measured)
    with get_db(app).session() as s:
        cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
        fy = lookups.fiscal_year(s, cid, fy_year) or editing.create_year(s, cid, fy_year)
        if fy.status == "approved":
            editing.reopen(s, fy, "利用実績による按分の追加")
        same = editing.add_rule(
            s, fy, name="証明書交付実績割", spec={"method": "proportional", "basis": "usage.certificates"}
        )
        editing.save_item(
            s,
            fy,
            name="証明書システム運用費",
            category="operation",
            amount=4_000_001,
            shared=True,
            rule_id=same.id,
        )
        result = compute(s, fy)
        rows = {r.member_code: r for r in result.rows if r.item_name == "証明書システム運用費"}
        assert (rows["222101"].amount, rows["222071"].amount) == (3_000_001, 1_000_000)
        assert "当年度実績（証明書交付件数）割: 3 ÷ 合計 4" in rows["222101"].explanation_ja
        # 前年度実績: nothing was measured the year before, so the rule names the member it lacks.
        previous = editing.add_rule(
            s,
            fy,
            name="前年度実績割",
            spec={"method": "proportional", "basis": "usage.certificates", "period": "previous"},
        )
        editing.save_item(
            s, fy, name="前年度実績の費目", category="operation", amount=100, shared=True, rule_id=previous.id
        )
        errors = compute(s, fy).errors
        assert any(
            "前年度実績の費目" in e and "222071" in e and 'no basis "usage.certificates@previous"' in e
            for e in errors
        )
        s.rollback()


def test_finance_sees_its_own_secretariat_all_and_corrects_with_a_reason(app, staff_client, measured):
    finance = staff_client("fujinomiya", "finance")
    html = finance.get("/fujinomiya/costs/usage/").get_data(as_text=True)
    assert 'data-tenant="fujinomiya" data-counter="certificates"' in html
    assert 'data-tenant="fuji"' not in html
    secretariat = staff_client("fuji", "admin")
    html = secretariat.get("/fuji/costs/usage/").get_data(as_text=True)
    assert 'data-tenant="fujinomiya"' in html and 'data-tenant="fuji"' in html
    with get_db(app).session() as s:
        tenant_id = s.scalar(sa.select(Tenant.id).where(Tenant.slug == "fujinomiya"))
        count = s.scalars(
            sa.select(UsageCount).where(
                UsageCount.tenant_id == tenant_id, UsageCount.counter == "certificates"
            )
        ).one()
        count_id, version = count.id, count.version
    # Another city's finance officer cannot open it, nor revise it, nor read the other city's page.
    other = staff_client("fuji", "finance")
    assert other.get(f"/fuji/costs/usage/counts/{count_id}").status_code == 404
    assert other.get("/fujinomiya/costs/usage/").status_code == 403
    assert 'data-tenant="fujinomiya"' not in other.get("/fuji/costs/usage/").get_data(as_text=True)
    page = f"/fuji/costs/usage/counts/{count_id}"
    form = {"value": "2", "effective_on": "2026-05-10", "reason": "", "version": str(version)}
    post(secretariat, f"{page}/revise", page, form)
    assert (
        _counts(app, "fujinomiya", measured.year, measured.month)["certificates"] == 1
    )  # no reason: refused
    form["reason"] = "職員の試験発行1件を除外"
    assert post(secretariat, f"{page}/revise", page, form).status_code == 302
    assert _counts(app, "fujinomiya", measured.year, measured.month)["certificates"] == 2
    stale = post(secretariat, f"{page}/revise", page, {**form, "value": "5"})
    assert stale.status_code == 409
    html = secretariat.get(page).get_data(as_text=True)
    assert "職員の試験発行1件を除外" in html and "令和8年5月10日" in html
    # The next collection refreshes the measured figure and keeps the correction.
    summary = _collect(app, measured, ["fujinomiya"])
    assert summary.kept_revised == 1
    assert _counts(app, "fujinomiya", measured.year, measured.month)["certificates"] == 2
    assert finance.get(f"/fujinomiya/costs/usage/counts/{count_id}").status_code == 200
    assert finance.post(f"/fujinomiya/costs/usage/counts/{count_id}/revise").status_code in (400, 403)


def test_the_collection_command(app, measured):
    from tenant_core.cli import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["costs", "collect-usage", "fuji", "--month", f"{measured:%Y-%m}"])
    assert result.exit_code == 0, result.output
    assert f"{measured:%Y-%m}: 1 団体, 8 件の計数" in result.output
    assert runner.invoke(main, ["costs", "collect-usage", "--month", "2026-13"]).exit_code == 2
    assert runner.invoke(main, ["costs", "collect-usage", "--month", "April"]).exit_code == 2
    assert runner.invoke(main, ["costs", "collect-usage", "nowhere", "--month", "2026-04"]).exit_code == 1


def test_files_in_the_city_folders_count_as_storage(app, costs_demo):
    from tenant_core.extensions import get_settings

    month = dt.date(2031, 5, 1)  # a month of its own: nothing else is collected for it
    _collect(app, month, ["fuji"])
    before = _counts(app, "fuji", 2031, 5)["storage_bytes"]
    folder = get_settings(app).var_dir / "cities" / "fuji" / "printing" / "run-999999"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "batch.pdf").write_bytes(b"%PDF" + b"x" * 123_456)
    other = get_settings(app).var_dir / "cities" / "fujinomiya"  # another city's file is not fuji's
    other.mkdir(parents=True, exist_ok=True)
    (other / "big.bin").write_bytes(b"y" * 500_000)
    try:
        _collect(app, month, ["fuji"])
        assert _counts(app, "fuji", 2031, 5)["storage_bytes"] - before == 123_460
        assert usage.file_storage(get_settings(app).var_dir, "fuji") >= 123_460
    finally:
        (folder / "batch.pdf").unlink()
        (other / "big.bin").unlink()


def test_the_monthly_collection_is_on_the_platforms_schedule(redis_url, monkeypatch):
    from redis import Redis
    from rq.cron import CronScheduler

    from modules.costs import usage_schedule
    from tenant_core.backup import schedule

    assert get_module("costs").scheduled == (("modules.costs.usage_schedule:monthly", "0 10 1 * *"),)
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        work = schedule.scheduled_work()
        assert ("costs", usage_schedule.monthly, "0 1 1 * *") in work  # 10:00 in Japan is 01:00 UTC, the 1st
        scheduler = CronScheduler(connection=Redis.from_url(redis_url))
        registered = schedule.register_all(scheduler, "19:30")
        monthly = next(c for c in registered if c.func is usage_schedule.monthly)
        due = monthly.next_enqueue_time.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (due.day, due.hour, due.minute) == (1, 10, 0)
        with pytest.raises(ValueError, match="another day"):  # 03:00 on the 1st in Japan is the 31st in UTC
            schedule.local_cron("0 3 1 * *")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_scheduled_jobs_store_the_counts_and_a_failure_is_recorded(fresh_app):
    from modules.costs import usage_schedule
    from tenant_core.models import JobRecord, JobState

    assert usage_schedule.previous_month(dt.date(2027, 1, 1)) == (2026, 12)
    assert usage_schedule.previous_month(dt.date(2026, 12, 1)) == (2026, 11)
    app = fresh_app()
    db = get_db(app)
    with app.app_context(), db.session() as session:
        ids = usage_schedule.enqueue_usage_collection(session, 2026, 11)
        session.commit()  # no Redis: the jobs run inline after the commit
    assert len(ids) == 2
    with db.session() as session:
        records = session.scalars(sa.select(JobRecord).where(JobRecord.id.in_(ids))).all()
        assert {r.state for r in records} == {JobState.finished}, [r.error for r in records]
        assert all(r.result["month"] == "2026-11" and r.result["counts"] >= 8 for r in records)
        assert {r.func for r in records} == {usage_schedule.COLLECT_FUNC}
    fuji = _counts(app, "fuji", 2026, 11)
    assert {"requests", "storage_bytes", "certificates", "jobs"} <= set(fuji) and fuji["storage_bytes"] > 0

    with app.app_context(), db.session() as session:  # a month that does not exist: the record says why
        bad = usage_schedule.enqueue_usage_collection(session, 2026, 13)
        with contextlib.suppress(Exception):  # the inline run may re-raise after recording the failure
            session.commit()
    with db.session() as session:
        failed = session.get(JobRecord, bad[0])
        assert failed is not None and failed.state == JobState.failed and "2026" in (failed.error or "")
