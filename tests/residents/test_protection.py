"""支援措置 and 抑止: the measures themselves, and a protected person's absence for staff without the
permission on every way in (search page and API, person page and API, household, certificates,
inquiry), their presence with it (banner, flagged log), the 加害者's request refused, the expiry list."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents import protection
from modules.residents.errors import ResidentError
from modules.residents.models import SupportMeasure, SupportMeasureChange
from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db, get_settings
from tenant_core.japanese import japan_today
from tenant_core.params.demo import load_demo
from tests import factories
from tests.certificates.conftest import People, issue
from tests.conftest import csrf_token

TODAY = japan_today()
ROLES = ["residents.editor", "certificates.editor", "inquiry.viewer", "seals.editor"]


def _log(app, slug: str) -> list[AccessLog]:
    with get_db(app).session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.id)).all())


def _flagged(app, slug: str, atena: int) -> list[AccessLog]:
    return [e for e in _log(app, slug) if e.target == f"atena:{atena}" and e.detail.startswith("protected:")]


def _support(people, slug: str, atena: int, **data):
    values = {
        "requested_on": TODAY,
        "start_on": TODAY,
        "offender_name": "加害 太郎",
        "offender_kana": "カガイ タロウ",
        **data,
    }
    with people.session(slug) as s:
        return protection.register_support(s, atena, values, by="test:protector").id


@pytest.fixture
def people(app, db_connection) -> People:
    return People(app)


@pytest.fixture
def demo_params(app, db_connection) -> None:
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


@pytest.fixture
def family(people):
    """A household of 富士市: the head (protected with their child) and a spouse (not protected)."""
    head = people.add(
        "fuji", family_name="保護", given_name="花子", family_kana="ホゴ", given_kana="ハナコ", sex="female"
    )
    hh = people.household_no("fuji", head)
    child = people.add(
        "fuji",
        hh,
        family_name="保護",
        given_name="一",
        family_kana="ホゴ",
        given_kana="ハジメ",
        birth_date=dt.date(2015, 1, 1),
        effective_on=dt.date(2016, 1, 1),
    )
    other = people.add(
        "fuji",
        hh,
        family_name="保護",
        given_name="次郎",
        family_kana="ホゴ",
        given_kana="ジロウ",
        relationship="夫",
        sex="male",
    )
    _support(people, "fuji", head, companions=[child])
    return {"head": head, "child": child, "other": other, "hh": hh}


@pytest.fixture
def clients(app, staff_client, db_connection):
    db = get_db(app)
    factories.user(db, "fuji", "plain", ROLES)
    factories.user(db, "fuji", "guard", [*ROLES, "residents.protector"])
    factories.user(db, "fuji", "releaser", ["residents.releaser"])
    return {
        "plain": staff_client("fuji", "plain"),
        "guard": staff_client("fuji", "guard"),
        "releaser": staff_client("fuji", "releaser"),
    }


# --- the measures ---------------------------------------------------------------------------------


def test_a_support_measure_lasts_a_year_and_is_extended_and_ended_with_history(people):
    atena = people.add("fuji")
    measure_id = _support(
        people,
        "fuji",
        atena,
        start_on=dt.date(2026, 4, 1),
        requested_on=dt.date(2026, 3, 30),
        offender_city_code="222101",
        offender_atena_no="4567",
    )
    with people.session("fuji") as s:
        m = s.get(SupportMeasure, measure_id)
        assert (m.start_on, m.end_on) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
        assert (m.offender_city_code, m.offender_atena_no) == ("222101", 4567)
        protection.extend(s, m, by="test:protector")
        assert m.end_on == dt.date(2028, 3, 31)
        protection.end_support(s, m, "申出者から終了の申出", by="test:protector", on=dt.date(2027, 6, 1))
        actions = [(c.action, c.old_end_on, c.new_end_on) for c in protection.changes_of(s, m)]
    assert actions == [
        ("registered", None, dt.date(2027, 3, 31)),
        ("extended", dt.date(2027, 3, 31), dt.date(2028, 3, 31)),
        ("ended", dt.date(2028, 3, 31), None),
    ]


def test_bad_input_names_the_field_and_changes_nothing(people):
    atena = people.add("fuji")
    other_city = people.add("fujinomiya")
    stranger = people.add("fuji", family_name="別世帯")
    with people.session("fuji") as s:
        cases = [
            (
                {"start_on": dt.date(2026, 4, 1), "end_on": dt.date(2026, 3, 1)},
                "end_on",
                "終了予定日は開始日以降",
            ),
            ({"offender_name": "", "offender_kana": ""}, "offender_name", "加害者の氏名"),
            ({"offender_city_code": "222100", "offender_atena_no": "1"}, "offender_city_code", "検査数字"),
            ({"companions": [stranger]}, "companions", "同じ世帯"),
            ({"start_on": "2026-13-01"}, "start_on", "開始日: 2026年13月1日という日はありません"),
        ]
        for data, field, text in cases:
            values = {
                "requested_on": dt.date(2026, 1, 1),
                "start_on": dt.date(2026, 4, 1),
                "offender_name": "甲",
                **data,
            }
            with pytest.raises(ResidentError) as caught:
                protection.register_support(s, atena, values, by="test")
            assert field in caught.value.errors and text in caught.value.errors[field], (
                field,
                caught.value.errors,
            )
        # Another city's person: refused as unknown.
        with pytest.raises(ResidentError) as caught:
            protection.register_support(s, other_city + 10_000, {"offender_name": "甲"}, by="test")
        assert caught.value.refused and "この市の住民記録にありません" in caught.value.errors["atena_no"]
        assert s.scalar(sa.select(sa.func.count()).select_from(SupportMeasure)) == 0
    _support(people, "fuji", atena, start_on=dt.date(2026, 4, 1), requested_on=dt.date(2026, 4, 1))
    with people.session("fuji") as s, pytest.raises(ResidentError) as caught:
        protection.register_support(
            s,
            atena,
            {"requested_on": dt.date(2026, 9, 1), "start_on": dt.date(2026, 9, 1), "offender_name": "甲"},
            by="test",
        )
    assert "期間の重なる支援措置" in caught.value.errors["start_on"]
    with people.session("fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SupportMeasure)) == 1


def test_a_measure_on_another_citys_person_is_refused_by_the_page(app, people, clients):
    theirs = people.add("fujinomiya")
    guard = clients["guard"]
    path = f"/fuji/residents/{theirs}/protection/support"
    if guard.get(path).status_code != 404:  # the same number may exist in 富士市: use one that does not
        theirs += 5000
        path = f"/fuji/residents/{theirs}/protection/support"
    assert guard.get(path).status_code == 404
    posted = guard.post(
        path,
        data={
            "csrf_token": csrf_token(guard, "/fuji/certificates/verify"),
            "requested_on": TODAY.isoformat(),
            "start_on": TODAY.isoformat(),
            "offender_name": "甲",
        },
    )
    assert posted.status_code == 404
    with get_db(app).session("t_fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SupportMeasure)) == 0
    with get_db(app).session("t_fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SupportMeasure)) == 0


def test_the_support_form_registers_and_a_hold_is_released_by_another_duty(app, people, clients):
    atena = people.add("fuji", family_name="抑止", family_kana="ヨクシ")
    guard, plain, releaser = clients["guard"], clients["plain"], clients["releaser"]
    form = f"/fuji/residents/{atena}/protection/support"
    bad = guard.post(
        form,
        data={
            "csrf_token": csrf_token(guard, form),
            "requested_on": "2026-04-01",
            "start_on": "2026-04-01",
            "end_on": "2026-03-01",
            "offender_name": "甲",
        },
    )
    assert bad.status_code == 422 and "終了予定日は開始日以降" in bad.get_data(as_text=True)
    assert plain.get(form).status_code == 403
    hold = f"/fuji/residents/{atena}/protection/hold"
    assert (
        guard.post(
            hold, data={"csrf_token": csrf_token(guard, hold), "reason": "記載誤りの調査中"}
        ).status_code
        == 302
    )
    assert plain.get(f"/fuji/residents/{atena}").status_code == 404
    with get_db(app).session("t_fuji") as s:
        measure_id = s.scalar(sa.select(SupportMeasure.id))
    release = f"/fuji/residents/protection/{measure_id}/release"
    assert guard.get(release).status_code == 403  # the setter's duty cannot release
    done = releaser.post(release, data={"csrf_token": csrf_token(releaser, release), "reason": "調査終了"})
    assert done.status_code == 302
    assert plain.get(f"/fuji/residents/{atena}").status_code == 200
    with get_db(app).session("t_fuji") as s:
        assert [c.action for c in s.scalars(sa.select(SupportMeasureChange))] == ["registered", "released"]


# --- invisible without the permission, visible and flagged with it -------------------------------


def test_search_page_and_api(app, family, clients):
    plain, guard = clients["plain"], clients["guard"]
    page = plain.get("/fuji/residents/?kana=ホゴ").get_data(as_text=True)
    assert "次郎" in page and "花子" not in page and "ハジメ" not in page and "1件が該当" in page
    api = plain.get("/fuji/residents/api/search?kana=ホゴ").get_json()
    assert api["total"] == 1 and [r["atena_no"] for r in api["results"]] == [family["other"]]
    assert not _flagged(app, "fuji", family["head"])
    seen = guard.get("/fuji/residents/?kana=ホゴ").get_data(as_text=True)
    assert "花子" in seen and "3件が該当" in seen and "支援措置の対象です" in seen
    assert guard.get("/fuji/residents/api/search?kana=ホゴ").get_json()["total"] == 3
    flags = _flagged(app, "fuji", family["head"])
    assert {e.screen for e in flags} == {"residents.index", "residents.api_search"}
    assert all(e.detail == "protected:support" for e in flags)


def test_person_page_household_page_and_person_api(app, family, clients):
    plain, guard = clients["plain"], clients["guard"]
    for atena in (family["head"], family["child"]):  # the companion is protected too
        assert plain.get(f"/fuji/residents/{atena}").status_code == 404
        assert plain.get(f"/fuji/residents/api/persons/{atena}").status_code == 404
    unknown = plain.get("/fuji/residents/api/persons/99999").get_json()
    assert plain.get(f"/fuji/residents/api/persons/{family['head']}").get_json() == unknown
    household = plain.get(f"/fuji/residents/households/{family['hh']}").get_data(as_text=True)
    assert "次郎" in household and "花子" not in household and "一" not in household.split("次郎")[0][-50:]
    spouse = plain.get(f"/fuji/residents/{family['other']}").get_data(as_text=True)
    assert "花子" not in spouse and "ハジメ" not in spouse and "支援措置" not in spouse

    page = guard.get(f"/fuji/residents/{family['head']}").get_data(as_text=True)
    assert "花子" in page and "支援措置の対象です" in page and 'role="alert"' in page
    assert guard.get(f"/fuji/residents/api/persons/{family['head']}").status_code == 200
    assert "花子" in guard.get(f"/fuji/residents/households/{family['hh']}").get_data(as_text=True)
    screens = {e.screen for e in _flagged(app, "fuji", family["head"])}
    assert {"residents.person", "residents.api_person", "residents.household"} <= screens


def test_certificate_issue_and_the_inquiry(app, people, family, clients, demo_params):
    plain, guard = clients["plain"], clients["guard"]
    head = family["head"]
    assert plain.get(f"/fuji/certificates/new?atena={head}").status_code == 404
    assert issue(plain, "fuji", head, requester_name="保護　花子").status_code == 404
    assert not people.issuances("fuji")
    inquiry = plain.post(
        "/fuji/inquiry/",
        data={"csrf_token": csrf_token(plain, "/fuji/inquiry/"), "atena_no": str(head), "purpose": "counter"},
    )
    assert "花子" not in inquiry.get_data(as_text=True)
    found = plain.post(
        "/fuji/inquiry/",
        data={"csrf_token": csrf_token(plain, "/fuji/inquiry/"), "kana": "ほご", "purpose": "counter"},
    ).get_data(as_text=True)
    assert "次郎" in found and "花子" not in found

    seen = guard.get(f"/fuji/certificates/new?atena={head}").get_data(as_text=True)
    assert "花子" in seen and "支援措置の対象です" in seen
    ok = issue(guard, "fuji", head, requester_name="保護　花子", requester_relation="本人")
    assert ok.status_code == 302 and len(people.issuances("fuji")) == 1
    asked = guard.post(
        "/fuji/inquiry/",
        data={"csrf_token": csrf_token(guard, "/fuji/inquiry/"), "atena_no": str(head), "purpose": "counter"},
    )
    assert "花子" in asked.get_data(as_text=True) and "支援措置の対象です" in asked.get_data(as_text=True)
    screens = {e.screen for e in _flagged(app, "fuji", head)}
    assert {"certificates.new", "inquiry.index"} <= screens


def test_the_offenders_request_is_refused_and_logged(app, people, family, clients, demo_params):
    guard = clients["guard"]
    head = family["head"]
    for name in ("加害　太郎", "カガイタロウ", "加害太郎"):
        refused = issue(
            guard, "fuji", head, requester_name=name, requester_relation="第三者", purpose="債権回収"
        )
        assert refused.status_code == 422 and "加害者として申出のあった方" in refused.get_data(as_text=True)
    proxy = issue(guard, "fuji", head, requester_name="代理　人", requester_relation="代理人", purpose="  ")
    assert proxy.status_code == 422 and "請求事由" in proxy.get_data(as_text=True)
    assert not people.issuances("fuji")
    refusals = [e for e in _log(app, "fuji") if e.outcome == "refused" and e.target == f"atena:{head}"]
    assert sum("offender request" in e.detail for e in refusals) == 3
    third = issue(
        guard, "fuji", head, requester_name="弁護士　甲", requester_relation="第三者", purpose="訴訟手続"
    )
    assert third.status_code == 302


# --- the expiry list and its daily job ------------------------------------------------------------


def test_the_expiry_list_shows_measures_ending_within_a_month(app, people, clients):
    soon = people.add("fuji")
    later = people.add("fuji")
    _support(
        people,
        "fuji",
        soon,
        start_on=TODAY - dt.timedelta(days=340),
        requested_on=TODAY - dt.timedelta(days=340),
    )
    _support(
        people,
        "fuji",
        later,
        start_on=TODAY - dt.timedelta(days=10),
        requested_on=TODAY - dt.timedelta(days=10),
    )
    page = clients["guard"].get("/fuji/residents/protection/expiring").get_data(as_text=True)
    assert f"/fuji/residents/{soon}/protection" in page and f"/fuji/residents/{later}/protection" not in page
    assert clients["plain"].get("/fuji/residents/protection/expiring").status_code == 403


def test_the_daily_job_posts_one_notice_with_the_count_only(app, people):
    from modules.residents.protection_jobs import raise_expiring
    from tenant_core.jobs import JobContext
    from tenant_core.models import Notice
    from tenant_core.tenancy import find_tenant

    soon = people.add("fuji", family_name="満了", given_name="近子")
    start = TODAY - dt.timedelta(days=350)
    _support(people, "fuji", soon, start_on=start, requested_on=start)
    with app.app_context():
        tenant, theirs = find_tenant("fuji"), find_tenant("fujinomiya")
    for _ in range(2):  # a second run the same day adds nothing
        with people.session("fuji") as s:
            result = raise_expiring(JobContext(job_id="test", tenant=tenant, session=s))
    assert result == {"expiring": 1, "notice": 0}
    with people.session("fuji") as s:
        notices = s.scalars(sa.select(Notice).where(Notice.title.like("終了が近い支援措置%"))).all()
    assert len(notices) == 1 and notices[0].published and "1件" in notices[0].body
    assert "近子" not in notices[0].body and "宛名番号" not in notices[0].body
    with people.session("fujinomiya") as s:  # the other city has none
        assert raise_expiring(JobContext(job_id="t2", tenant=theirs, session=s)) == {
            "expiring": 0,
            "notice": 0,
        }
    from tenant_core.cli import main

    refused = app.test_cli_runner().invoke(main, ["protection", "remind"])
    assert refused.exit_code == 2 and "--all" in refused.output


def test_the_seal_pages_of_a_protected_person(app, family, clients):
    plain, guard = clients["plain"], clients["guard"]
    assert plain.get(f"/fuji/seals/persons/{family['head']}").status_code == 404
    assert plain.get(f"/fuji/seals/persons/{family['other']}").status_code == 200
    seen = guard.get(f"/fuji/seals/persons/{family['head']}").get_data(as_text=True)
    assert "花子" in seen and "支援措置の対象です" in seen
    assert "seals.person" in {e.screen for e in _flagged(app, "fuji", family["head"])}


def test_the_measures_page_extends_and_ends_a_support_measure(app, family, clients):
    guard, plain = clients["guard"], clients["plain"]
    page = guard.get(f"/fuji/residents/{family['head']}/protection").get_data(as_text=True)
    assert "加害 太郎" in page and "併せて支援を求める者" in page and "実施中" in page
    assert plain.get(f"/fuji/residents/{family['head']}/protection").status_code == 403
    with get_db(app).session("t_fuji") as s:
        measure = s.scalars(sa.select(SupportMeasure)).one()
        measure_id, old_end = measure.id, measure.end_on
    extend = f"/fuji/residents/protection/{measure_id}/extend"
    bad = guard.post(extend, data={"csrf_token": csrf_token(guard, extend), "new_end": old_end.isoformat()})
    assert bad.status_code == 422 and "現在の終了予定日より後" in bad.get_data(as_text=True)
    assert (
        guard.post(extend, data={"csrf_token": csrf_token(guard, extend), "reason": "延長の申出"}).status_code
        == 302
    )
    end = f"/fuji/residents/protection/{measure_id}/end"
    assert guard.post(end, data={"csrf_token": csrf_token(guard, end), "reason": "  "}).status_code == 422
    assert (
        guard.post(end, data={"csrf_token": csrf_token(guard, end), "reason": "転出のため"}).status_code
        == 302
    )
    assert clients["releaser"].get(extend).status_code == 403  # the release duty does not extend
    with get_db(app).session("t_fuji") as s:
        measure = s.get(SupportMeasure, measure_id)
        assert measure.ended_on == TODAY and measure.end_reason == "転出のため"
        assert measure.end_on == protection.one_year_from(old_end + dt.timedelta(days=1))
    # Ended: the person is back for everyone, with no banner.
    back = plain.get(f"/fuji/residents/{family['head']}")
    assert back.status_code == 200 and "支援措置の対象です" not in back.get_data(as_text=True)
