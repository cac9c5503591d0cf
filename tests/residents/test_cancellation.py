"""異動の取消し: a mistaken event undone by a new event restoring the prior state, the history keeping both;
refused (with the reason, nothing changed) for an event later events build on, a cancellation, a
cancelled event."""

import datetime as dt

import pytest

from modules.residents import cancellation, foreign, services
from modules.residents.errors import ResidentError
from modules.residents.models import EventKind, Household, Status
from tests.conftest import form_fields, post

D = dt.date
TODAY = D(2026, 12, 1)


def _events(residents, slug, atena):
    with residents.session(slug) as s:
        person = services.get_person(s, atena)
        return [(e.id, e.kind, e.cancels_id, e.cancelled_by_id) for e in services.events_of(s, person)]


def _relocate(residents, slug, atena, on, town="今泉", banchi="5-5"):
    with residents.session(slug) as s:
        events = services.relocate(
            s, services.get_person(s, atena), on, {"town": town, "banchi": banchi}, by="t", today=TODAY
        )
        return events[0].id


def _cancel(residents, slug, atena, event_id, reason="入力誤り"):
    with residents.session(slug) as s:
        return [
            e.id
            for e in cancellation.cancel(s, services.get_person(s, atena), event_id, reason=reason, by="t")
        ]


def _person(residents, slug, atena):
    with residents.session(slug) as s:
        p = services.get_person(s, atena)
        s.expunge(p)
        return p


def test_a_cancelled_relocation_restores_the_old_address_of_the_household_and_keeps_the_history(residents):
    head = residents.add("fuji")
    child = residents.add("fuji", residents.household_no("fuji", head), given_name="次郎")
    moved = _relocate(residents, "fuji", head, D(2024, 5, 1))
    assert _person(residents, "fuji", child).town == "今泉"
    done = _cancel(residents, "fuji", head, moved)
    assert len(done) == 2  # the household moved together and comes back together
    for atena in (head, child):
        p = _person(residents, "fuji", atena)
        assert (p.town, p.banchi, p.address_since) == ("吉原", "１丁目２番３号", D(2001, 4, 1))
        kinds = _events(residents, "fuji", atena)
        assert [k for _, k, _, _ in kinds] == [
            EventKind.move_in,
            EventKind.relocation,
            EventKind.cancellation,
        ]
        (_, _, _, cancelled_by), (cancel_id, _, cancels, _) = kinds[1][0:4], kinds[2][0:4]
        assert cancelled_by == cancel_id and cancels == kinds[1][0]
    with residents.session("fuji") as s:
        person = services.get_person(s, head)
        # The state on any date reads as if the mistaken 転居 had never been recorded.
        assert services.person_on(s, person.id, D(2024, 6, 1)).town == "吉原"
        # A 転居 dated before the cancelled one is accepted again.
        services.relocate(s, person, D(2024, 4, 1), {"town": "本町", "banchi": "1"}, by="t", today=TODAY)
        assert person.address_since == D(2024, 4, 1)


def test_refusals_name_the_reason_and_change_nothing(residents):
    head = residents.add("fuji")
    first = _relocate(residents, "fuji", head, D(2024, 5, 1))
    second = _relocate(residents, "fuji", head, D(2024, 6, 1), town="富士町", banchi="1")
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, first)
    assert "後の異動から順に取り消してください" in caught.value.errors[""]
    assert _person(residents, "fuji", head).town == "富士町"
    cancel_id = _cancel(residents, "fuji", head, second)[0]
    assert _person(residents, "fuji", head).town == "今泉"
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, second)
    assert "既に取り消されています" in caught.value.errors[""]
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, cancel_id)
    assert "取消しそのものは取り消せません" in caught.value.errors[""]
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, first, reason="  ")
    assert "取消しの理由" in caught.value.errors["reason"]
    arrival = _events(residents, "fuji", head)[0][0]
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, arrival)
    assert "職権で消除" in caught.value.errors[""]
    # Once the later 転居 is cancelled, the first can be: the person is back at the first address.
    _cancel(residents, "fuji", head, first)
    assert _person(residents, "fuji", head).town == "吉原"


def test_a_member_joining_after_a_relocation_blocks_its_cancellation(residents):
    head = residents.add("fuji")
    moved = _relocate(residents, "fuji", head, D(2024, 5, 1))
    residents.add(
        "fuji", residents.household_no("fuji", head), given_name="三郎", effective_on=D(2024, 6, 1), town=""
    )
    with pytest.raises(ResidentError) as caught:
        _cancel(residents, "fuji", head, moved)
    assert "転入" in caught.value.errors[""]


def test_a_cancelled_death_of_a_head_restores_the_head_and_the_household(residents):
    head = residents.add("fuji")
    wife = residents.add("fuji", residents.household_no("fuji", head), given_name="花子", relationship="妻")
    with residents.session("fuji") as s:
        events = services.record_death(
            s, services.get_person(s, head), D(2024, 5, 1), by="t", new_head=services.get_person(s, wife)
        )
        death = events[0].id
    assert _person(residents, "fuji", wife).relationship == "世帯主"
    # Either event of the group cancels both: the death and the new head it made.
    _cancel(residents, "fuji", wife, _events(residents, "fuji", wife)[-1][0])
    p, w = _person(residents, "fuji", head), _person(residents, "fuji", wife)
    assert (p.status, p.left_on, p.relationship) == (Status.resident, None, "世帯主")
    assert w.relationship == "妻"
    with residents.session("fuji") as s:
        assert s.get(Household, p.household_id).head_person_id == p.id
    assert any(c == death for _, _, c, _ in _events(residents, "fuji", head))


def test_a_cancelled_residence_update_restores_the_previous_period(residents):
    from tests.residents.test_foreign_and_codes import FOREIGN

    atena = residents.add("fuji", **FOREIGN)
    with residents.session("fuji") as s:
        event = foreign.update_residence(
            s,
            services.get_person(s, atena),
            D(2025, 3, 1),
            {"residence_from": "2025-04-01", "residence_until": "2028-03-31", "residence_period": "3年"},
            by="t",
            today=TODAY,
        )
        event_id = event.id
    _cancel(residents, "fuji", atena, event_id)
    p = _person(residents, "fuji", atena)
    assert (p.residence_until, p.residence_period) == (D(2025, 3, 31), "1年")


def test_the_cancellation_page_shows_the_plan_and_asks_for_confirmation(app, staff_client, residents):
    head = residents.add("fuji")
    moved = _relocate(residents, "fuji", head, D(2024, 5, 1))
    client = staff_client("fuji", "clerk")
    page = client.get(f"/fuji/residents/{head}").get_data(as_text=True)
    path = f"/fuji/residents/{head}/history/{moved}/cancel"
    assert path in page
    shown = client.get(path).get_data(as_text=True)
    assert "今泉" in shown and "吉原" in shown and "取り消す" in shown
    unconfirmed = post(client, path, path, {"reason": "入力誤り"})
    assert unconfirmed.status_code == 422 and "確認欄にチェック" in unconfirmed.get_data(as_text=True)
    assert _person(residents, "fuji", head).town == "今泉"
    ok = post(client, path, path, {"reason": "入力誤り", "confirm": "y"})
    assert ok.status_code == 302
    page = client.get(f"/fuji/residents/{head}").get_data(as_text=True)
    assert "取消済み" in page and "異動の取消し" in page and "入力誤り" in page
    assert _person(residents, "fuji", head).town == "吉原"
    again = client.get(path).get_data(as_text=True)
    assert "既に取り消されています" in again and 'name="confirm"' not in again
    # A stale version is a conflict; another city's clerk and an unknown event get a 404.
    second = _relocate(residents, "fuji", head, D(2024, 7, 1))
    fields = form_fields(client, f"/fuji/residents/{head}/history/{second}/cancel")
    _relocate(residents, "fuji", head, D(2024, 8, 1), town="富士町")
    stale = client.post(
        f"/fuji/residents/{head}/history/{second}/cancel", data=fields | {"reason": "x", "confirm": "y"}
    )
    assert stale.status_code in (409, 422)
    assert _person(residents, "fuji", head).town == "富士町"
    other = staff_client("fujinomiya", "clerk")
    assert other.get(path).status_code == 403  # a user of another city is no user here
    assert other.get(path.replace("/fuji/", "/fujinomiya/")).status_code == 404  # nor is the event there
    someone = residents.add("fuji", given_name="別人")
    assert client.get(f"/fuji/residents/{someone}/history/{moved}/cancel").status_code == 404


def test_a_cancelled_move_out_brings_the_resident_back_and_its_notice_reads_cancelled(residents):
    from modules.residents import moveouts
    from modules.residents.moveout_models import NoticeState

    atena = residents.add("fuji")
    with residents.session("fuji") as s:
        moveouts.file_move_out(
            s,
            services.get_person(s, atena),
            {"planned_on": D(2024, 5, 1), "destination": "東京都新宿区", "destination_city": "新宿区"},
            by="t",
            today=D(2024, 5, 10),
        )
        event_id = services.events_of(s, services.get_person(s, atena))[-1].id
    assert _person(residents, "fuji", atena).status == Status.moved_out
    _cancel(residents, "fuji", atena, event_id)
    p = _person(residents, "fuji", atena)
    assert (p.status, p.left_on) == (Status.resident, None)
    with residents.session("fuji") as s:
        notice = moveouts.notices_of(s, services.get_person(s, atena))[0]
        assert notice.state == NoticeState.cancelled and "転出の取消し" in notice.cancel_reason


def test_a_death_through_the_page_ends_the_seal_and_its_cancellation_says_the_seal_stays_ended(
    app, staff_client, db_connection
):
    from modules.seals.models import SealStatus
    from tests.certificates.conftest import People

    people = People(app)
    atena = people.add("fuji", family_name="印鑑", family_kana="インカン")
    no = people.register("fuji", atena)
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{atena}/events/death"
    assert post(client, path, path, {"effective_on": "2024-05-01", "confirm": "y"}).status_code == 302
    reg = people.get("fuji", no)
    assert (reg.status, reg.abolished_on, reg.abolished_reason) == (
        SealStatus.erased,
        D(2024, 5, 1),
        "死亡による職権抹消",
    )
    death = _events(people, "fuji", atena)[-1][0]
    page = client.get(f"/fuji/residents/{atena}/history/{death}/cancel").get_data(as_text=True)
    assert "印鑑登録（職権抹消）は、この取消しでは元に戻りません" in page


def test_a_cancelled_household_split_brings_the_person_back_to_the_household(residents):
    head = residents.add("fuji")
    household = residents.household_no("fuji", head)
    child = residents.add("fuji", household, given_name="次郎")
    with residents.session("fuji") as s:
        events = services.change_household(
            s,
            services.get_person(s, child),
            D(2024, 5, 1),
            by="t",
            household_no=None,
            relationship="世帯主",
            address={"town": "今泉", "banchi": "7"},
        )
        split, new_household = events[-1].id, services.get_person(s, child).household_id
    _cancel(residents, "fuji", child, split)
    p = _person(residents, "fuji", child)
    assert (residents.household_no("fuji", child), p.relationship, p.town) == (household, "子", "吉原")
    with residents.session("fuji") as s:
        assert s.get(Household, new_household).head_person_id is None
        assert [m.atena_no for m in services.household_members(s, p.household_id)] == [head, child]
        assert services.household_members(s, new_household, on=D(2024, 6, 1)) == []
