"""The personal status inquiry: a reason is required and logged; one screen across modules; tenancy."""

import datetime as dt

import pytest

from modules.inquiry import services
from tests.conftest import csrf_token
from tests.seals.conftest import log

PATH = "/fuji/inquiry/"


def _ask(client, path=PATH, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_no_reason_is_refused_and_nothing_is_shown(app, staff_client, people):
    atena = people.add("fuji", family_name="照会", family_kana="ショウカイ")
    client = staff_client("fuji", "clerk")
    assert client.get(PATH).status_code == 200
    refused = _ask(client, atena_no=str(atena))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "照会の目的を選択してください" in body and "照会\u3000" not in body
    other = _ask(client, atena_no=str(atena), purpose="other", reason="  ")
    assert other.status_code == 422 and "照会理由を入力してください" in other.get_data(as_text=True)
    last = log(app, "fuji")[-1]
    assert (last.function, last.outcome, last.target) == ("view", "refused", f"atena:{atena}")


def test_inquiry_shows_record_household_seals_and_logs_the_reason(app, staff_client, people):
    head = people.add("fuji", family_name="照会", given_name="一郎", family_kana="ショウカイ")
    people.add("fuji", people.household_no("fuji", head), family_name="照会", given_name="花子")
    no = people.register("fuji", head)
    client = staff_client("fuji", "clerk")
    response = _ask(client, atena_no=str(head), purpose="certificate", reason="印鑑登録証明書の請求")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "照会\u3000一郎" in body and "照会\u3000花子" in body and no in body and "登録中" in body
    assert "転入" in body  # the history summary
    last = log(app, "fuji")[-1]
    assert (last.function, last.target, last.outcome) == ("view", f"atena:{head}", "ok")
    assert last.detail == "照会理由: 証明書交付の確認: 印鑑登録証明書の請求"


def test_search_by_kana_lists_candidates_and_keeps_the_reason(app, staff_client, people):
    atena = people.add("fuji", family_name="候補", family_kana="コウホ")
    client = staff_client("fuji", "clerk")
    body = _ask(client, kana="こうほ", purpose="counter").get_data(as_text=True)
    assert "1件が該当" in body and f'name="atena_no" value="{atena}"' in body and 'value="counter"' in body
    entry = log(app, "fuji")[-1]
    assert entry.function == "search" and entry.search_shape == {
        "include_removed": "str:1",
        "kana": "str:3",
        "results": 1,
    }


def test_certificates_section_follows_the_module(monkeypatch, staff_client, people):
    atena = people.add("fuji")
    client = staff_client("fuji", "clerk")

    class Issued:
        issued_on, kind_label, number = dt.date(2026, 11, 23), "印鑑登録証明書", "2026-000123"

    class FakeCertificates:
        @staticmethod
        def issuances_of(session, atena_no):
            return [Issued()] if atena_no == atena else []

    real = services._installed_reader
    monkeypatch.setattr(
        services,
        "_installed_reader",
        lambda module, fn: FakeCertificates.issuances_of if module == "certificates" else real(module, fn),
    )
    body = _ask(client, atena_no=str(atena), purpose="counter").get_data(as_text=True)
    assert "2026-000123" in body and "印鑑登録証明書" in body and "令和8年11月23日" in body
    monkeypatch.setattr(
        services,
        "_installed_reader",
        lambda module, fn: None if module == "certificates" else real(module, fn),
    )
    body = _ask(client, atena_no=str(atena), purpose="counter").get_data(as_text=True)
    assert "証明書交付の記録はこのシステムにありません" in body


def test_viewers_without_the_permission_are_refused(app, staff_client):
    from tenant_core.extensions import get_db
    from tests import factories

    factories.user(get_db(app), "fuji", "resview", ["residents.viewer"])
    assert staff_client("fuji", "resview").get(PATH).status_code == 403


@pytest.mark.parametrize("how", ["session", "id", "search"])
def test_cross_tenant_inquiry_fails(app, staff_client, people, how):
    for _ in range(3):
        theirs = people.add("fujinomiya", family_name="宮市", family_kana="ミヤイチ")
    fuji = staff_client("fuji", "clerk")
    if how == "session":  # a 富士市 session on 富士宮市's inquiry page
        assert fuji.get("/fujinomiya/inquiry/").status_code == 403
        token = csrf_token(fuji, PATH)
        response = fuji.post(
            "/fujinomiya/inquiry/", data={"csrf_token": token, "atena_no": theirs, "purpose": "counter"}
        )
        assert response.status_code == 403
    elif how == "id":  # 富士宮市's 宛名番号 through 富士市's page
        response = _ask(fuji, atena_no=str(theirs), purpose="counter")
        assert response.status_code == 404 and "宮市" not in response.get_data(as_text=True)
        assert log(app, "fuji")[-1].outcome == "failed"
    else:  # a search in 富士市 does not find 富士宮市's residents
        body = _ask(fuji, kana="ミヤイチ", purpose="counter").get_data(as_text=True)
        assert "該当する住民はいません" in body
