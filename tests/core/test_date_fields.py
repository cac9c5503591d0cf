"""Every date notation staff write, typed into a date field of each module's forms: read (and echoed in
和暦) or refused with the reason, the same way everywhere because every field uses the one reader."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import quote

import pytest

from tenant_core.wareki import format_wareki
from tests.conftest import post
from tests.params.conftest import demo_params  # noqa: F401  (a fixture)
from tests.seals.conftest import Seals

READ = [
    ("令和8年4月1日", dt.date(2026, 4, 1)),
    ("R8.4.1", dt.date(2026, 4, 1)),
    ("R8/4/1", dt.date(2026, 4, 1)),
    ("H2.4.1", dt.date(1990, 4, 1)),
    ("平成2年4月1日", dt.date(1990, 4, 1)),
    ("S64.1.7", dt.date(1989, 1, 7)),
    ("2026/4/1", dt.date(2026, 4, 1)),
    ("2026-04-01", dt.date(2026, 4, 1)),
    ("２０２６／４／１", dt.date(2026, 4, 1)),
    ("Ｒ８．４．１", dt.date(2026, 4, 1)),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
]
REFUSED = [
    ("2026-02-30", "2026年2月30日という日はありません"),
    ("平成32年4月1日", "平成32年はありません"),
    ("令和元年4月1日", "令和の始まり（令和元年5月1日）より前です"),
    ("S64.1.8", "昭和の終わり（昭和64年1月7日）より後です"),
    ("あした", "日付として読めません"),
]
MODULE_FORMS = [
    "residents.search",
    "residents.arrival",
    "seals.lost",
    "certificates.register",
    "costs.bases",
    "params.effective_from",
]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _submit(form: str, staff_client, app, typed: str):
    """Type ``typed`` into the date field of ``form``; the page that answers (followed if redirected)."""
    if form == "residents.search":
        return staff_client("fuji", "clerk").get(f"/fuji/residents/?birth_date={quote(typed)}")
    if form == "residents.arrival":
        c = staff_client("fuji", "clerk")
        # No name: the form is shown again, so the date as it was read is seen beside its field.
        return post(c, "/fuji/residents/new", "/fuji/residents/new", {"kind": "move_in", "birth_date": typed})
    if form == "seals.lost":
        seals = Seals(app)
        no = seals.register("fuji", seals.add("fuji"))
        c = staff_client("fuji", "clerk")
        # No tick and no reason: nothing is recorded and the form is shown again with the date read.
        return post(c, f"/fuji/seals/r/{no}/lost", f"/fuji/seals/r/{no}/lost", {"effective_on": typed})
    if form == "certificates.register":
        return staff_client("fuji", "clerk").get(f"/fuji/certificates/?date_from={quote(typed)}")
    if form == "costs.bases":
        from modules.costs.demo import load_demo
        from tenant_core.extensions import get_db, get_settings

        list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
        c = staff_client("fuji", "admin")
        page = "/fuji/costs/manage/2026/"
        member = re.search(r'name="(m\d+)_as_of"', _text(c.get(page))).group(1)
        post(c, "/fuji/costs/manage/2026/bases", page, {f"{member}_as_of": typed})
        return c.get(page)
    if form == "params.effective_from":
        c = staff_client("fuji", "admin")
        path = "/fuji/admin/params/certificates.fee.juminhyo/edit"
        data = {
            "value": "400",
            "scope": "city",
            "effective_from": typed,
            "reason": "条例改正",
            "legal_basis": "条例",
        }
        return post(c, path, path, data)
    raise AssertionError(form)


@pytest.mark.parametrize("form", MODULE_FORMS)
@pytest.mark.parametrize(("typed", "day"), READ)
@pytest.mark.usefixtures("demo_params")
def test_each_notation_is_read_in_each_modules_form(app, staff_client, form, typed, day):
    page = _text(_submit(form, staff_client, app, typed))
    assert "日付として読めません" not in page and "という日はありません" not in page
    if form == "costs.bases":  # saved: the page shows the basis date it stored
        assert f'value="{day.isoformat()}"' in page
    else:
        assert f"{format_wareki(day)}（{day.year}年{day.month}月{day.day}日） と読みました" in page


@pytest.mark.parametrize("form", MODULE_FORMS)
@pytest.mark.parametrize(("typed", "reason"), REFUSED)
@pytest.mark.usefixtures("demo_params")
def test_each_impossible_date_is_refused_naming_why_in_each_modules_form(
    app, staff_client, form, typed, reason
):
    response = _submit(form, staff_client, app, typed)
    page = _text(response)
    assert reason in page
    assert "と読みました" not in page
    if form != "costs.bases":  # costs reports through the page it redirects to
        assert response.status_code == 422
    # Shown in the error style, never as a confirmation.
    assert any(mark in page for mark in ('class="error-summary', "flash flash-error", 'class="error-text"'))


def test_the_reader_answers_a_field_while_the_clerk_types(staff_client):
    clerk = staff_client("fuji", "clerk")
    read = clerk.get("/fuji/dates/read?text=" + quote("Ｒ８．４．１")).get_json()
    assert read == {"ok": True, "date": "2026-04-01", "read": "令和8年4月1日（2026年4月1日） と読みました"}
    refused = clerk.get("/fuji/dates/read?text=" + quote("S64.1.8")).get_json()
    assert refused["ok"] is False and "昭和の終わり" in refused["message"]
    assert clerk.get("/fuji/dates/read?text=").get_json() == {"ok": True, "date": None, "read": ""}
    # Only for a city's own signed-in staff.
    assert clerk.get("/fujinomiya/dates/read?text=R8.4.1").status_code in (302, 401, 403)
