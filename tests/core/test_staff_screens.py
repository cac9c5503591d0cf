"""Screens staff read: the access log in words, role names, errors unlike confirmations, a summary of
a refused form's problems at its top, and each message under its field without the label repeated."""

from __future__ import annotations

import csv
import html
import io
import re

from modules.residents import protection
from tenant_core import exports
from tenant_core.extensions import get_db
from tenant_core.japanese import japan_today
from tests import factories
from tests.conftest import csrf_token, post
from tests.residents.conftest import Residents


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u3000", " ")


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr.*?</tr>", body, re.DOTALL)


def test_the_access_log_says_who_did_what_to_whom_in_words(app, staff_client):
    people = Residents(app)
    atena = people.add(
        "fuji", family_name="記録", given_name="読子", family_kana="キロク", given_kana="ヨミコ"
    )
    clerk = staff_client("fuji", "clerk")
    clerk.get(f"/fuji/residents/{atena}")
    clerk.get("/fuji/residents/?kana=キロク")
    admin = staff_client("fuji", "admin")
    page = _text(admin.get("/fuji/admin/audit/?operator=222101:clerk"))
    rows = _rows(page)
    view = next(r for r in rows if 'data-function="view"' in r and "atena" in r)
    assert ">照会<" in view and "窓口 太郎" in view and "記録 読子（宛名番号 " in view
    assert ">222101:clerk<" not in view  # the code only in the title, for the filter
    search = next(r for r in rows if 'data-function="search"' in r)
    assert "カナ氏名（3文字）で検索し、1件が該当しました。" in search
    assert "住民記録（residents." in search and ">正常<" in search
    # The CSV in the same words, with the codes beside them.
    body = admin.get("/fuji/admin/audit/export.csv?operator=222101:clerk").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body.removeprefix(exports.BOM).replace("\u3000", " "))))
    head = table[0]
    for column in ("操作者", "操作者ID", "操作", "対象", "対象コード", "検索条件", "結果"):
        assert column in head
    viewed = next(r for r in table[1:] if r[head.index("対象コード")] == f"atena:{atena}")
    assert viewed[head.index("操作")] == "照会" and viewed[head.index("操作者")] == "窓口 太郎"
    assert viewed[head.index("対象")].startswith("記録 読子（宛名番号")
    assert viewed[head.index("操作者ID")] == "222101:clerk" and viewed[head.index("結果")] == "正常"
    searched = next(r for r in table[1:] if r[head.index("操作")] == "検索")
    assert searched[head.index("検索条件")] == "カナ氏名（3文字）で検索し、1件が該当しました。"


def test_a_protected_person_is_named_only_to_a_reader_who_may_see_them(app, staff_client):
    people = Residents(app)
    atena = people.add("fuji", family_name="秘匿", given_name="対象")
    staff_client("fuji", "clerk").get(f"/fuji/residents/{atena}")
    with people.session("fuji") as s:
        protection.register_support(
            s,
            atena,
            {
                "requested_on": japan_today(),
                "start_on": japan_today(),
                "offender_name": "甲",
                "offender_kana": "コウ",
            },
            by="test:protector",
        )
    db = get_db(app)
    factories.user(db, "fuji", "auditor", ["city_admin"])  # reads the log; no resident roles
    factories.user(db, "fuji", "guard", ["city_admin", "residents.editor", "residents.protector"])
    for login in ("admin", "auditor"):
        page = _text(staff_client("fuji", login).get("/fuji/admin/audit/?operator=222101:clerk"))
        assert "秘匿" not in page and f"宛名番号 {atena:010d}" in page, login
        body = staff_client("fuji", login).get("/fuji/admin/audit/export.csv").get_data(as_text=True)
        assert "秘匿" not in body
    guard = _text(staff_client("fuji", "guard").get("/fuji/admin/audit/?operator=222101:clerk"))
    assert "秘匿 対象（宛名番号" in guard


def test_role_changes_read_with_japanese_role_names(app, staff_client):
    admin = staff_client("fuji", "admin")
    user_id = factories.user(get_db(app), "fuji", "newbie", ["residents.viewer"])
    path = f"/fuji/admin/users/{user_id}/roles"
    response = post(
        admin, path, f"/fuji/admin/users/{user_id}", {"roles-roles": ["residents.editor", "seals.viewer"]}
    )
    assert response.status_code == 302
    detail = _text(admin.get(f"/fuji/admin/users/{user_id}"))
    assert "住民記録（更新）" in detail and "residents.editor" not in detail.split("<fieldset")[0]
    page = _text(admin.get("/fuji/admin/audit/?function=change"))
    assert "役割の変更: 住民記録（更新）、印鑑登録（照会）" in page
    users = _text(admin.get("/fuji/admin/users/"))
    assert "住民記録（更新）" in users


def test_errors_are_shown_unlike_confirmations(app, staff_client):
    admin = staff_client("fuji", "admin")
    user_id = factories.user(get_db(app), "fuji", "someone", ["residents.viewer"])
    post(admin, f"/fuji/admin/users/{user_id}/status", f"/fuji/admin/users/{user_id}", {})
    refused = admin.get(f"/fuji/admin/users/{user_id}").get_data(as_text=True)
    assert (
        '<p class="flash flash-error" role="alert">確認欄にチェックを入れてから実行してください。</p>'
        in refused
    )
    post(
        admin, f"/fuji/admin/users/{user_id}/status", f"/fuji/admin/users/{user_id}", {"status-confirm": "y"}
    )
    done = admin.get(f"/fuji/admin/users/{user_id}").get_data(as_text=True)
    assert re.search(r'<p class="flash" role="status">アカウントを無効に', done) and "flash-error" not in done


def test_a_refused_long_form_summarises_its_problems_at_the_top(app, staff_client):
    clerk = staff_client("fuji", "clerk")
    token = csrf_token(clerk, "/fuji/residents/new")
    response = clerk.post(
        "/fuji/residents/new",
        data={
            "csrf_token": token,
            "kind": "move_in",
            "birth_date": "平成32年1月1日",
            "effective_on": "R8.4.1",
        },
    )
    page = _text(response)
    assert response.status_code == 422
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "data-error-summary" in summary
    assert "入力内容に問題があります" in summary
    # Each problem links to its field; the label is said once.
    assert '<a href="#birth_date">生年月日: 平成32年はありません' in summary
    assert page.index('class="error-summary"') < page.index(
        '<form method="post" action="/fuji/residents/new"'
    )
    # Under the field, the message alone: the label is right above it.
    under = page.split('id="birth_date-error"')[1].split("</div>")[0]
    assert "平成32年はありません" in under and "生年月日:" not in under
    box = re.search(r'<input[^>]*id="birth_date"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="birth_date-error"' in box
    # The date that was read is echoed in 和暦 beside its field.
    assert "令和8年4月1日（2026年4月1日） と読みました" in page


def test_an_unread_date_does_not_hide_the_other_problems_of_a_long_form(app, staff_client):
    clerk = staff_client("fuji", "clerk")
    token = csrf_token(clerk, "/fuji/residents/new")
    response = clerk.post(
        "/fuji/residents/new",
        data={
            "csrf_token": token,
            "kind": "move_in",
            "birth_date": "平成32年1月1日",
            "effective_on": "R8.4.1",
        },
    )
    page = _text(response)
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "平成32年はありません" in summary and "氏を入力してください" in summary.replace("「", "").replace(
        "」", ""
    )
    # The unread date's reason once under its field, though both the form and the service said it.
    under = page.split('id="birth_date-error"')[1].split("</div>")[0]
    assert under.count("平成32年はありません") == 1
    # Nothing was registered.
    assert Residents(app).db is not None
    assert "を登録しました" not in page
