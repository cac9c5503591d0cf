"""転出届 as the counter takes it: a future 転出予定日, confirmed or cancelled later; 特例転出; the 転出先 kept;
bad input refused with a message and nothing changed; the daily confirmation of notices whose date came."""

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents import moveouts, services
from modules.residents.errors import ResidentError
from modules.residents.models import EventKind, Status
from modules.residents.moveout_models import MoveOutNotice, NoticeState
from tenant_core.japanese import japan_today
from tests.residents.conftest import mynumber

D = dt.date
TODAY = D(2026, 12, 1)
LATER = D(2026, 12, 15)
DEST = {"planned_on": LATER, "destination": "東京都新宿区西新宿二丁目8番1号", "destination_city": "新宿区"}


def _file(residents, slug, atena, data=DEST, today=TODAY, **kw):
    with residents.session(slug) as s:
        notices = moveouts.file_move_out(
            s, services.get_person(s, atena), data, by="test:clerk", today=today, **kw
        )
        return notices[0].id


def _state(residents, slug, atena):
    with residents.session(slug) as s:
        person = services.get_person(s, atena)
        notices = moveouts.notices_of(s, person)
        kinds = [e.kind for e in services.events_of(s, person)]
        return person.status, person.left_on, [(n.state, n.moved_on) for n in notices], kinds


def test_a_future_move_out_keeps_the_resident_until_confirmed(residents):
    atena = residents.add("fuji", mynumber=mynumber(1001))
    notice_id = _file(residents, "fuji", atena, DEST | {"special": True})
    status, left_on, notices, kinds = _state(residents, "fuji", atena)
    assert status == Status.resident and left_on is None and notices == [(NoticeState.pending, None)]
    assert EventKind.move_out not in kinds
    with residents.session("fuji") as s:
        notice = s.get(MoveOutNotice, notice_id)
        assert notice.special and notice.destination_city == "新宿区" and notice.notified_on == TODAY
        # Not before its date: until then the person is a resident.
        with pytest.raises(ResidentError) as exc:
            moveouts.confirm_move_out(s, notice, by="t", today=LATER - dt.timedelta(days=1))
        assert "転出予定日（2026-12-15）より前には確定できません" in exc.value.errors[""]
    with residents.session("fuji") as s:
        moveouts.confirm_move_out(s, s.get(MoveOutNotice, notice_id), by="t", today=LATER)
    status, left_on, notices, kinds = _state(residents, "fuji", atena)
    assert status == Status.moved_out and left_on == LATER and notices == [(NoticeState.confirmed, LATER)]
    with residents.session("fuji") as s:
        event = services.events_of(s, services.get_person(s, atena))[-1]
        assert event.kind == EventKind.move_out and event.effective_on == LATER
        assert "特例転出" in event.note and "新宿区" in event.note and "西新宿" in event.note
        # A confirmed 転出 is not cancelled, and not confirmed twice; nothing changes.
        with pytest.raises(ResidentError) as exc:
            moveouts.cancel_move_out(s, s.get(MoveOutNotice, notice_id), reason="誤り", by="t")
        assert "既に確定しています" in exc.value.errors[""] and "取り消し" in exc.value.errors[""]
        with pytest.raises(ResidentError):
            moveouts.confirm_move_out(s, s.get(MoveOutNotice, notice_id), by="t", today=LATER)
    assert _state(residents, "fuji", atena)[2] == [(NoticeState.confirmed, LATER)]


def test_a_cancelled_move_out_leaves_the_resident_and_keeps_the_notice(residents):
    head = residents.add("fuji")
    child = residents.add("fuji", residents.household_no("fuji", head), given_name="次郎")
    notice_id = _file(residents, "fuji", head, whole_household=True)
    with residents.session("fuji") as s:
        with pytest.raises(ResidentError) as exc:
            moveouts.cancel_move_out(s, s.get(MoveOutNotice, notice_id), reason="  ", by="t")
        assert exc.value.errors == {"cancel_reason": "取消しの理由を入力してください。"}
    with residents.session("fuji") as s:
        group = moveouts.cancel_move_out(
            s, s.get(MoveOutNotice, notice_id), reason="転居先の契約が取り消された", by="t"
        )
        assert len(group) == 2
    for atena in (head, child):
        status, _, notices, kinds = _state(residents, "fuji", atena)
        assert status == Status.resident and notices == [(NoticeState.cancelled, None)]
        assert EventKind.move_out not in kinds
    with residents.session("fuji") as s, pytest.raises(ResidentError) as exc:
        moveouts.cancel_move_out(s, s.get(MoveOutNotice, notice_id), reason="again", by="t")
    assert "既に取り消されています" in exc.value.errors[""]
    # A new notice may be made after a cancellation.
    assert _file(residents, "fuji", head, whole_household=True)


def test_a_whole_household_is_confirmed_together_head_last(residents):
    head = residents.add("fuji")
    child = residents.add("fuji", residents.household_no("fuji", head), given_name="次郎")
    notice_id = _file(residents, "fuji", head, whole_household=True)
    with residents.session("fuji") as s:
        moveouts.confirm_move_out(
            s,
            s.get(MoveOutNotice, notice_id),
            by="t",
            today=LATER + dt.timedelta(days=3),
            moved_on=LATER + dt.timedelta(days=2),
        )
    for atena in (head, child):
        status, left_on, notices, _ = _state(residents, "fuji", atena)
        assert status == Status.moved_out and left_on == LATER + dt.timedelta(days=2)
        assert notices == [(NoticeState.confirmed, LATER + dt.timedelta(days=2))]


def test_bad_input_is_refused_with_messages_and_nothing_changes(residents):
    atena = residents.add("fuji", effective_on=D(2020, 4, 1))
    with residents.session("fuji") as s:
        services.relocate(
            s,
            services.get_person(s, atena),
            D(2026, 11, 1),
            {"town": "今泉", "banchi": "1番"},
            by="t",
            today=TODAY,
        )
    bad = [
        (
            {"planned_on": D(2026, 10, 1), "destination": "東京都"},
            "planned_on",
            "転出予定日は前回の異動日（2026-11-01）以降",
        ),
        ({"planned_on": "", "destination": "東京都"}, "planned_on", "転出予定日を入力してください"),
        ({"planned_on": "12/15", "destination": "東京都"}, "planned_on", "転出予定日: 日付として読めません"),
        ({"planned_on": LATER, "destination": " "}, "destination", "転出先の住所を入力してください"),
        (
            {"planned_on": LATER, "destination": "東京都", "special": True},
            "special",
            "個人番号が記録されていません",
        ),
    ]
    for data, field, message in bad:
        with pytest.raises(ResidentError) as exc, residents.session("fuji") as s:
            moveouts.file_move_out(s, services.get_person(s, atena), data, by="t", today=TODAY)
        assert message in exc.value.errors[field], (field, exc.value.errors)
    _file(residents, "fuji", atena)
    with pytest.raises(ResidentError) as exc, residents.session("fuji") as s:
        moveouts.file_move_out(s, services.get_person(s, atena), DEST, by="t", today=TODAY)
    assert "取り消されていない転出予定があります" in exc.value.errors["planned_on"]
    with residents.session("fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(MoveOutNotice)) == 1
    assert _state(residents, "fuji", atena)[0] == Status.resident


def test_a_past_date_records_the_move_out_at_once(residents):
    atena = residents.add("fuji")
    _file(residents, "fuji", atena, DEST | {"planned_on": D(2026, 11, 28)})
    status, left_on, notices, _ = _state(residents, "fuji", atena)
    assert status == Status.moved_out and left_on == D(2026, 11, 28)
    assert notices == [(NoticeState.confirmed, D(2026, 11, 28))]


def test_notices_whose_date_came_are_confirmed_and_a_death_cancels_one(residents):
    due = residents.add("fuji")
    later = residents.add("fuji", given_name="二郎")
    dies = residents.add("fuji", given_name="三郎")
    _file(residents, "fuji", due)
    _file(residents, "fuji", later, DEST | {"planned_on": LATER + dt.timedelta(days=10)})
    _file(residents, "fuji", dies)
    with residents.session("fuji") as s:
        services.record_death(s, services.get_person(s, dies), D(2026, 12, 1), by="t", today=TODAY)
    with residents.session("fuji") as s:
        done, refused = moveouts.confirm_due(s, today=LATER)
    assert (done, refused) == (1, [])
    assert _state(residents, "fuji", due)[0] == Status.moved_out
    assert _state(residents, "fuji", later)[2] == [(NoticeState.pending, None)]
    status, _, notices, _ = _state(residents, "fuji", dies)
    assert status == Status.deceased and notices == [(NoticeState.cancelled, None)]


def test_the_pages_take_a_notice_show_it_pending_then_cancel_it(app, staff_client, residents):
    from tests.conftest import form_fields

    atena = residents.add("fuji", family_name="転出", family_kana="テンシュツ")
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{atena}/move-out"
    fields = form_fields(client, path)
    future = (japan_today() + dt.timedelta(days=20)).isoformat()
    refused = client.post(path, data=fields | {"planned_on": future, "destination": "", "confirm": "y"})
    assert refused.status_code == 422 and "転出先の住所を入力してください" in refused.get_data(as_text=True)
    done = client.post(
        path,
        data=fields
        | {"planned_on": future, "destination": "東京都新宿区", "destination_city": "新宿区", "confirm": "y"},
    )
    assert done.status_code == 302
    page = client.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "転出予定" in page and "東京都新宿区" in page and "転出を確定する" in page and "住民" in page
    with residents.session("fuji") as s:
        notice = moveouts.pending_for(s, services.get_person(s, atena))
        notice_id, version = notice.id, services.get_person(s, atena).version
    confirm = f"/fuji/residents/{atena}/move-out/{notice_id}/confirm"
    token = fields["csrf_token"]
    early = client.post(confirm, data={"csrf_token": token, "version": str(version)})
    assert early.status_code == 422 and "より前には確定できません" in early.get_data(as_text=True)
    cancel = f"/fuji/residents/{atena}/move-out/{notice_id}/cancel"
    ok = client.post(
        cancel, data={"csrf_token": token, "version": str(version), "cancel_reason": "引越し中止"}
    )
    assert ok.status_code == 302
    page = client.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "取消し" in page and "引越し中止" in page and "転出を確定する" not in page
    # Another city's clerk cannot reach the notice; a notice id under another person is a 404.
    other = staff_client("fujinomiya", "clerk")
    assert other.post(cancel, data={"cancel_reason": "x"}).status_code in (403, 404)
    someone = residents.add("fuji", given_name="別人")
    wrong = client.post(
        f"/fuji/residents/{someone}/move-out/{notice_id}/cancel",
        data={"csrf_token": token, "version": "1", "cancel_reason": "x"},
    )
    assert wrong.status_code == 404


def test_the_command_confirms_due_notices(app, residents):
    from tenant_core.cli import main

    atena = residents.add("fuji")
    past = japan_today() - dt.timedelta(days=1)
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        notices = moveouts.file_move_out(
            s, person, DEST | {"planned_on": japan_today() + dt.timedelta(days=1)}, by="t"
        )
        notices[0].planned_on = past  # as if the notice had been made two days ago
    result = app.test_cli_runner().invoke(main, ["residents", "confirm-due-move-outs", "fuji"])
    assert result.exit_code == 0, result.output
    assert "fuji: 1 件の転出を確定" in result.output
    assert _state(residents, "fuji", atena)[0] == Status.moved_out
    bad = app.test_cli_runner().invoke(main, ["residents", "confirm-due-move-outs", "numazu"])
    assert bad.exit_code == 1 and "numazu" in bad.output


def test_a_move_out_recorded_directly_confirms_the_pending_notice(residents):
    atena = residents.add("fuji")
    _file(residents, "fuji", atena)
    with residents.session("fuji") as s:
        services.move_out(s, services.get_person(s, atena), D(2026, 12, 1), by="t", today=TODAY)
    status, left_on, notices, _ = _state(residents, "fuji", atena)
    assert status == Status.moved_out and left_on == D(2026, 12, 1)
    assert notices == [(NoticeState.confirmed, D(2026, 12, 1))]
    with residents.session("fuji") as s:
        assert moveouts.confirm_due(s, today=LATER) == (0, [])
