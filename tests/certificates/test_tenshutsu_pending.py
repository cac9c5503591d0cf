"""転出証明書 at the visit of the 転出届: issued from a pending notice (転出予定日 still to come), refused
for a 特例転出 and without a notice, never for another city's person; the register shows the notice
it came from, and a notice cancelled later asks for the certificate's 交付取消."""

from __future__ import annotations

import datetime as dt

from modules.residents import moveouts
from modules.residents import services as resident_services
from tenant_core.japanese import japan_today
from tests.certificates.conftest import issue, pdf_text
from tests.conftest import csrf_token
from tests.residents.conftest import mynumber

DESTINATION = {"destination": "西新宿二丁目8番1号", "destination_city": "東京都新宿区"}


def _planned() -> dt.date:
    return japan_today() + dt.timedelta(days=14)


def _file(people, slug: str, atena: int, **data) -> int:
    with people.session(slug) as s:
        notices = moveouts.file_move_out(
            s,
            resident_services.get_person(s, atena),
            {"planned_on": _planned(), **DESTINATION, **data},
            by="test:clerk",
            whole_household=bool(data.pop("whole_household", False)),
        )
        return notices[0].id


def _wareki(day: dt.date) -> str:
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


def test_a_pending_notice_gives_a_certificate_with_the_planned_date(staff_client, people, demo_params):
    head = people.add("fuji")
    child = people.add("fuji", household_no=people.household_no("fuji", head), given_name="次郎")
    notice_id = _file(people, "fuji", head, whole_household=True)
    client = staff_client("fuji", "clerk")

    # The person's page, right after the 転出届, offers the certificate with the kind preset.
    page = client.get(f"/fuji/residents/{head}").get_data(as_text=True)
    assert f"/fuji/certificates/new?atena={head}&amp;kind=tenshutsu" in page and "転出証明書を交付" in page
    form = client.get(f"/fuji/certificates/new?atena={head}&kind=tenshutsu").get_data(as_text=True)
    assert 'selected value="tenshutsu"' in form or 'value="tenshutsu" selected' in form

    response = issue(client, "fuji", head, kind="tenshutsu", purpose="")
    assert response.status_code == 302, response.get_data(as_text=True)
    row = people.issuances("fuji")[-1]
    assert row.kind == "tenshutsu" and row.items["move_out_notice"] == notice_id
    assert sorted(row.persons) == sorted([head, child])  # the household's notice moves them together
    text = pdf_text(client.get(f"/fuji/certificates/{row.number}/certificate.pdf").data)
    text = text.replace("\u3000", " ")
    for item in (
        "転出証明書",
        "転出予定年月日",
        _wareki(_planned()),
        "東京都新宿区西新宿二丁目8番1号",
        "届出日",
    ):
        assert item in text, item
    assert "次郎" in text and "住民票コード" in text
    # The person stays a resident until the 転出予定日: the register is unchanged.
    with people.session("fuji") as s:
        assert resident_services.get_person(s, head).status == "resident"

    shown = client.get(f"/fuji/certificates/{row.number}").get_data(as_text=True)
    assert f"受付番号 {notice_id}" in shown and "転出予定" in shown
    assert "転出届は取り消されています" not in shown


def test_a_cancelled_notice_shows_on_the_issuance_and_the_certificate_is_cancelled(
    staff_client, people, demo_params
):
    atena = people.add("fujinomiya")
    notice_id = _file(people, "fujinomiya", atena)
    client = staff_client("fujinomiya", "clerk")
    assert issue(client, "fujinomiya", atena, kind="tenshutsu", purpose="").status_code == 302
    row = people.issuances("fujinomiya")[-1]
    with people.session("fujinomiya") as s:
        notice = s.get(moveouts.MoveOutNotice, notice_id)
        assert notice is not None
        moveouts.cancel_move_out(s, notice, reason="転居先の都合で取りやめ", by="test:clerk")

    shown = client.get(f"/fujinomiya/certificates/{row.number}").get_data(as_text=True)
    assert "転出届は取り消されています" in shown and "転居先の都合で取りやめ" in shown
    token = csrf_token(client, f"/fujinomiya/certificates/{row.number}")
    client.post(
        f"/fujinomiya/certificates/{row.number}/cancel",
        data={"csrf_token": token, "version": str(row.version), "reason": "転出届の取消し"},
    )
    assert people.issuances("fujinomiya")[-1].cancelled_at is not None
    # No pending notice any more: a new 転出証明書 is refused.
    again = issue(client, "fujinomiya", atena, kind="tenshutsu", purpose="")
    assert again.status_code == 422 and "転出届（転出予定）がありません" in again.get_data(as_text=True)


def test_a_special_move_out_gets_no_certificate(staff_client, people, demo_params):
    atena = people.add("fuji", mynumber=mynumber(4242))
    _file(people, "fuji", atena, special=True)
    client = staff_client("fuji", "clerk")
    response = issue(client, "fuji", atena, kind="tenshutsu", purpose="")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "特例転出" in body and "第24条の2" in body
    assert people.issuances("fuji") == []
    # Nor does the person's page offer it.
    assert "転出証明書を交付" not in client.get(f"/fuji/residents/{atena}").get_data(as_text=True)


def test_no_notice_no_certificate(staff_client, people, demo_params):
    atena = people.add("fuji")
    client = staff_client("fuji", "clerk")
    response = issue(client, "fuji", atena, kind="tenshutsu", purpose="")
    assert response.status_code == 422 and "転出届（転出予定）がありません" in response.get_data(as_text=True)
    assert people.issuances("fuji") == []
    assert "転出証明書を交付" not in client.get(f"/fuji/residents/{atena}").get_data(as_text=True)


def test_another_citys_person_cannot_be_given_one(staff_client, people, demo_params):
    atena = people.add("fuji")
    _file(people, "fuji", atena)
    response = issue(staff_client("fujinomiya", "clerk"), "fujinomiya", atena, kind="tenshutsu", purpose="")
    assert response.status_code == 404
    assert people.issuances("fujinomiya") == [] and people.issuances("fuji") == []
