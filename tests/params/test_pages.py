"""The administrator's pages, the same page differing by city, and the FIT&GAP comparison."""

import datetime as dt
import io

from openpyxl import load_workbook

from tenant_core.params import resolution
from tests.conftest import post
from tests.params.conftest import set_param


def test_the_portal_shows_each_citys_own_fees(staff_client, demo_params):
    fuji = staff_client("fuji", "clerk").get("/fuji/").get_data(as_text=True)
    nomiya = staff_client("fujinomiya", "clerk").get("/fujinomiya/").get_data(as_text=True)
    assert '<dd data-fee="juminhyo">300円</dd>' in fuji and "<dd data-mayor>富士市長</dd>" in fuji
    assert '<dd data-fee="juminhyo">350円</dd>' in nomiya and "<dd data-mayor>富士宮市長</dd>" in nomiya


def test_the_list_shows_value_source_and_difference_from_default(staff_client, demo_params):
    page = staff_client("fujinomiya", "admin").get("/fujinomiya/admin/params/?module=certificates")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    row = text.split('data-key="certificates.fee.juminhyo"')[1].split("</tr>")[0]
    assert "350円" in row and "source-city" in row and "変更あり" in row and "300円" in row
    row = text.split('data-key="certificates.wording"')[1].split("</tr>")[0]
    assert "source-default" in row and "既定値のまま" in row
    assert 'data-key="core.session_idle_minutes"' not in text  # filtered by module


def test_the_edit_form_follows_the_type(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    choice = client.get("/fuji/admin/params/certificates.honseki_default/edit").get_data(as_text=True)
    assert '<select id="value" name="value">' in choice and 'value="print"' in choice
    grid = client.get("/fuji/admin/params/certificates.offices/edit").get_data(as_text=True)
    assert "data-grid" in grid and 'name="row-1-address"' in grid and "吉原まちなか交流センター" in grid


def test_an_edit_with_problems_names_each_one_and_changes_nothing(app, staff_client, demo_params):
    client = staff_client("fuji", "admin")
    path = "/fuji/admin/params/certificates.offices/edit"
    data = {
        "row-0-name": "本庁舎 市民課",
        "row-0-address": "富士市永田町1-100",
        "row-0-phone": "0545510123",
        "row-1-name": "",
        "row-1-address": "富士市吉原2-10",
        "row-1-phone": "0545-51-0124",
        "reason": "",
        "scope": "city",
    }
    response = post(client, path, path, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "1行目の「電話番号」" in text and "2行目の「名称」: 1文字以上60文字以内" in text
    assert "変更理由を入力してください" in text and "何も変更していません" in text
    assert "本庁舎 市民課" in client.get("/fuji/admin/params/certificates.offices").get_data(as_text=True)
    history = client.get("/fuji/api/params/certificates.offices/history").get_json()["versions"]
    assert len(history) == 1  # only the import of params.toml


def test_an_edit_with_a_date_becomes_a_pending_change_that_can_be_cancelled(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    april = (resolution.today() + dt.timedelta(days=30)).isoformat()
    path = "/fuji/admin/params/certificates.fee.juminhyo/edit"
    data = {
        "value": "400",
        "scope": "city",
        "effective_from": april,
        "reason": "手数料条例改正",
        "legal_basis": "富士市手数料条例",
    }
    response = post(client, path, path, data)
    assert response.status_code == 302
    detail = client.get("/fuji/admin/params/certificates.fee.juminhyo").get_data(as_text=True)
    assert "300円" in detail and april in detail and "手数料条例改正" in detail and "予定" in detail
    version_id = client.get("/fuji/api/params/certificates.fee.juminhyo").get_json()["pending"][0]["id"]
    cancel = f"/fuji/admin/params/versions/{version_id}/cancel"
    response = post(
        client, cancel, "/fuji/admin/params/certificates.fee.juminhyo", {"reason": "撤回", "confirm": "1"}
    )
    assert response.status_code == 302
    assert client.get("/fuji/api/params/certificates.fee.juminhyo").get_json()["pending"] == []
    # A past date is refused with a message, and nothing is recorded.
    data["effective_from"] = "2020-04-01"
    response = post(client, path, path, data)
    assert response.status_code == 422 and "過去の日付" in response.get_data(as_text=True)


def test_who_may_see_and_change(app, staff_client, demo_params):
    clerk = staff_client("fuji", "clerk")
    assert clerk.get("/fuji/admin/params/").status_code == 403
    admin = staff_client("fuji", "admin")
    # Only the operator sets the modules a city uses: no edit form for the administrator.
    assert admin.get("/fuji/admin/params/core.modules_enabled/edit").status_code == 403
    assert staff_client("fuji", "finance").get("/fuji/admin/params/compare").status_code == 403


def test_another_citys_version_id_through_a_fuji_url_is_404(app, staff_client, demo_params):
    future = resolution.today() + dt.timedelta(days=10)
    nomiya_version = set_param(app, "fujinomiya", "certificates.fee.inkan", 360, effective_from=future)
    client = staff_client("fuji", "admin")
    cancel = f"/fuji/admin/params/versions/{nomiya_version}/cancel"
    assert post(client, cancel, "/fuji/admin/params/", {"reason": "x"}).status_code == 404
    assert staff_client("fujinomiya", "admin").get("/fuji/admin/params/compare").status_code == 403


def test_the_comparison_highlights_where_cities_differ_and_exports_to_excel(staff_client, demo_params):
    client = staff_client("fuji", "admin")  # the demo administrator is also in the secretariat
    page = client.get("/fuji/admin/params/compare?module=certificates").get_data(as_text=True)
    assert "富士市" in page and "富士宮市" in page
    fee = page.split('data-key="certificates.fee.juminhyo"')[1].split("</tr>")[0]
    assert "団体差" in fee
    assert "300円" in fee and "350円" in fee
    only = client.get("/fuji/admin/params/compare?diff=1").get_data(as_text=True)
    assert 'data-key="certificates.wording"' not in only and 'data-key="certificates.mayor_title"' in only
    response = client.get("/fuji/admin/params/compare.xlsx?module=certificates")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    header = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    fuji, nomiya = header.index("富士市"), header.index("富士宮市")  # cities in 団体コード order
    fee = rows["certificates.fee.juminhyo"]
    assert (fee[fuji], fee[nomiya], fee[-1]) == ("300円", "350円", "あり")
    assert rows["certificates.wording"][-1] in (None, "")
