"""Bad input never reaches a 500: numbers beyond what the database holds, control characters, in URLs,
every module's forms, search terms and the JSON APIs. A refused input names the field and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.exceptions import NotFound

from modules.costs.demo import load_demo as load_costs_demo
from tenant_core.db import SharedBase, TenantBase
from tenant_core.extensions import get_db, get_settings
from tenant_core.inputs import INT_MAX, has_control_characters
from tenant_core.params.demo import load_demo as load_params_demo
from tests.conftest import csrf_token, form_fields, post
from tests.residents.conftest import Residents

HUGE = "9" * 25
NUL = "ab\x00cd"
# What the log and the sign-in machinery write on every request: not business data.
_NOT_COUNTED = {"access_log", "access_log_head", "platform_access_log", "platform_access_log_head"}
_NOT_COUNTED |= {"user_sessions", "job_records"}


# --- URLs ---------------------------------------------------------------------------------------------


def test_the_int_converter_stops_at_what_an_integer_column_holds(app: Flask):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/fuji/residents/{INT_MAX}")[1] == {"tenant": "fuji", "atena_no": INT_MAX}
    with pytest.raises(NotFound):
        adapter.match(f"/fuji/residents/{INT_MAX + 1}")
    with pytest.raises(NotFound):
        adapter.match(f"/fuji/residents/api/persons/{HUGE}")


def _int_get_routes(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not any(
            type(c).__name__ == "BoundedIntConverter" for c in rule._converters.values()
        ):
            continue
        path = re.sub(r"<int:[a-z_]+>", HUGE, rule.rule)
        path = re.sub(r"<(?:[a-z_]+:)?tenant>", "fuji", path)
        paths.append(re.sub(r"<[^>]+>", "x", path))
    return paths


def test_every_get_route_with_a_number_answers_404_for_a_25_digit_one(app: Flask, staff_client):
    paths = _int_get_routes(app)
    assert len(paths) >= 10 and any("/residents/" in p for p in paths) and any("/costs/" in p for p in paths)
    admin, clerk = staff_client("fuji", "admin"), staff_client("fuji", "clerk")
    for path in paths:
        for client in (admin, clerk):
            response = client.get(path)
            assert response.status_code in (404, 400), (path, response.status_code)


# --- forms --------------------------------------------------------------------------------------------


def _counts(app: Flask) -> dict[str, int]:
    """Rows of every business table of 富士市 and of the shared schema."""
    counts = {}
    with get_db(app).session("t_fuji") as session:
        for metadata in (SharedBase.metadata, TenantBase.metadata):
            for table in metadata.sorted_tables:
                if table.name not in _NOT_COUNTED:
                    counts[table.fullname] = (
                        session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                    )
    return counts


@pytest.fixture
def world(app: Flask, db_connection: sa.Connection) -> dict[str, Any]:
    """The demo parameters and costs, and one resident of 富士市."""
    list(load_params_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    list(load_costs_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    atena = Residents(app).add("fuji")
    with get_db(app).session("t_fuji") as session:
        from modules.costs.models import CostItem, CostMember, FiscalYear

        fy = session.scalar(sa.select(FiscalYear).where(FiscalYear.year == 2026))
        item = session.scalar(sa.select(CostItem).where(CostItem.fiscal_year_id == fy.id))
        members = list(
            session.scalars(sa.select(CostMember).where(CostMember.consortium_id == fy.consortium_id))
        )
        return {"atena": atena, "item": item.id, "members": [m.id for m in members]}


# (who, the page with the form, where it posts, the fields sent as they are, the fields to try)
FormCase = tuple[str, str, str, dict[str, str], tuple[str, ...]]


def _form_cases(w: dict[str, Any]) -> list[FormCase]:
    a = w["atena"]
    manage = "/fuji/costs/manage/2026/"
    item = {"name": "回線費", "category": "network", "amount": "1000", "kind": "shared"}
    arrival = {
        "kind": "move_in",
        "family_name": "山田",
        "given_name": "花子",
        "family_kana": "ヤマダ",
        "given_kana": "ハナコ",
        "birth_date": "1990-01-02",
        "sex": "female",
        "relationship": "世帯主",
        "town": "吉原",
        "banchi": "1-2-3",
        "effective_on": "2024-04-01",
    }
    basis = {
        f"m{m}_{k}": "" for m in w["members"] for k in ("population", "households", "usage", "standalone")
    }
    text_params = {"reason": "条例改正", "scope": "city"}
    return [
        ("clerk", "/fuji/residents/new", "/fuji/residents/new", arrival,
         ("#household_no", "family_name", "given_kana", "banchi", "katagaki", "honseki", "mynumber", "note")),
        ("clerk", f"/fuji/residents/{a}/events/relocation", f"/fuji/residents/{a}/events/relocation",
         {"effective_on": "2025-01-01", "town": "吉原", "banchi": "2-3"}, ("town", "banchi", "note")),
        ("clerk", f"/fuji/residents/{a}/events/household_change", f"/fuji/residents/{a}/events/household_change",
         {"effective_on": "2025-01-01"}, ("#household_no", "#new_head")),
        ("clerk", "/fuji/seals/register", "/fuji/seals/register", {}, ("#atena_no",)),
        ("clerk", f"/fuji/certificates/new?atena={a}", "/fuji/certificates/new",
         {"atena_no": str(a), "kind": "1", "scope": "all", "requester_relation": "self"},
         ("requester_name", "purpose", "mynumber_condition")),
        ("clerk", "/fuji/inquiry/", "/fuji/inquiry/", {"purpose": "counter", "reason": "確認"},
         ("#atena_no", "kana", "reason")),
        ("admin", manage, f"{manage}items", item, ("name", "#amount", "#owner_id", "#rule_id")),
        ("admin", manage, f"{manage}items/{w['item']}", item, ("name", "#amount")),
        ("admin", manage, f"{manage}bases", basis, tuple("#" + k for k in basis if k.endswith(("population", "standalone", "usage")))),
        ("admin", manage, f"{manage}rules", {"name": "均等", "preset": "equal"}, ("name", "#unit", "#ratio_precision")),
        ("admin", "/fuji/costs/manage/", "/fuji/costs/manage/members",
         {"code": "222101", "name": "市", "joined_year": "2020"}, ("name", "#joined_year", "#left_year")),
        ("admin", "/fuji/costs/manage/", "/fuji/costs/manage/years", {"year": "2030"}, ("#year", "#copy_from")),
        ("admin", "/fuji/admin/params/certificates.mayor_title/edit", "/fuji/admin/params/certificates.mayor_title/edit",
         {"value": "富士市長", **text_params}, ("value", "reason", "legal_basis")),
        ("admin", "/fuji/admin/params/certificates.fee.inkan/edit", "/fuji/admin/params/certificates.fee.inkan/edit",
         {"value": "300", **text_params}, ("#value", "legal_basis")),
        ("clerk", "/fuji/certificates/verify", "/fuji/certificates/verify", {}, ("number", "code")),
        ("admin", "/fuji/admin/users/new", "/fuji/admin/users/new",
         {"login": "newclerk", "display_name": "新人", "password": "a-long-password-2026"},
         ("login", "display_name", "password")),
    ]  # fmt: skip


_MESSAGE = re.compile(r"制御文字|範囲|大きすぎ|以下|整数|数値|正しく|見つかりません|ありません|入力|選んで")


@pytest.mark.parametrize("bad", [HUGE, NUL], ids=["25-digits", "NUL"])
def test_every_form_field_refuses_a_huge_number_and_a_nul_with_a_message(
    app: Flask, staff_client: Callable, world: dict[str, Any], bad: str
):
    clients = {"clerk": staff_client("fuji", "clerk"), "admin": staff_client("fuji", "admin")}
    before = _counts(app)
    tried = 0
    for who, page, target, base, fields in _form_cases(world):
        for field in fields:
            name = field.lstrip("#")
            if bad == HUGE and not field.startswith("#"):
                continue  # 25 digits are good text: tried on the fields that hold numbers
            # The form's hidden fields as a browser sends them: the CSRF token and the record's version.
            hidden = form_fields(clients[who], page, target)
            response = clients[who].post(target, data={**hidden, **base, name: bad}, follow_redirects=True)
            text = response.get_data(as_text=True)
            where = (target, name, response.status_code)
            assert response.status_code in (200, 400, 422), where
            assert _MESSAGE.search(text), where
            if bad == NUL and not field.startswith("#"):  # a number field may say 数値を入力 first
                assert "制御文字" in text, where
            tried += 1
    assert tried >= (20 if bad == HUGE else 30)
    assert _counts(app) == before


def test_a_huge_number_names_the_field_in_japanese(app: Flask, staff_client, world):
    clerk = staff_client("fuji", "clerk")
    response = post(clerk, "/fuji/seals/register", "/fuji/seals/register", {"atena_no": HUGE})
    assert "「宛名番号」は1〜2147483647の範囲の整数で入力してください。" in response.get_data(as_text=True)
    admin = staff_client("fuji", "admin")
    manage = "/fuji/costs/manage/2026/"
    token = csrf_token(admin, manage)
    response = admin.post(
        f"{manage}items",
        data={"name": "x", "category": "network", "amount": HUGE, "csrf_token": token},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "「金額」" in text and "999999999999999" in text
    response = post(
        clerk, "/fuji/residents/new", "/fuji/residents/new", {"kind": "move_in", "note": "a\x01b"}
    )
    assert "「備考」に使えない文字（制御文字）が含まれています。" in response.get_data(
        as_text=True
    )
    # The request's hidden 宛名番号 is answered as one of another city: not found, nothing issued.
    page = f"/fuji/certificates/new?atena={world['atena']}"
    for bad in (HUGE, NUL):
        response = post(clerk, "/fuji/certificates/new", page, {"atena_no": bad, "kind": "1"})
        assert response.status_code == 404, response.status_code


def test_the_sign_in_form_refuses_a_nul_with_a_message(app: Flask, client, db_connection):
    before = _counts(app)
    response = post(client, "/fuji/login", "/fuji/login", {"login": "admin\x00", "password": "x\x00y"})
    assert response.status_code == 200 and "「ログインID」に使えない文字（制御文字）" in response.get_data(
        as_text=True
    )
    response = post(
        client, "/fuji/certificates/verify", "/fuji/certificates/verify", {"number": "2026-" + HUGE}
    )
    assert response.status_code in (200, 400, 404, 422)
    assert _counts(app) == before


def test_a_multiline_field_keeps_its_line_breaks_and_tabs(app: Flask, staff_client, world):
    assert not has_control_characters("一行目\r\n\t二行目", multiline=True)
    assert has_control_characters("一行目\n二行目") and has_control_characters("a\x00b", multiline=True)
    clerk = staff_client("fuji", "clerk")
    page = "/fuji/inquiry/"
    response = post(clerk, page, page, {"purpose": "counter", "reason": "窓口\r\n\t確認", "kana": "ア\tイ"})
    text = response.get_data(as_text=True)
    assert "「照会理由（具体的に）」に使えない文字" not in text
    assert "「カナ氏名で探す（前方一致）」に使えない文字（制御文字）" in text
    admin, manage = staff_client("fuji", "admin"), "/fuji/costs/manage/2026/"
    spec = '{\r\n\t"method": "equal"\r\n}'
    token = csrf_token(admin, manage)
    response = admin.post(
        f"{manage}rules", data={"name": "複数行", "spec": spec, "csrf_token": token}, follow_redirects=True
    )
    assert "制御文字" not in response.get_data(as_text=True) and "複数行" in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", [HUGE, NUL], ids=["25-digits", "NUL"])
def test_every_search_term_refuses_a_huge_number_and_a_nul(app: Flask, staff_client, world, bad: str):
    admin, clerk = staff_client("fuji", "admin"), staff_client("fuji", "clerk")
    finance = staff_client("fuji", "finance")
    searches = [
        (clerk, "/fuji/residents/", ("kana", "name", "address", "birth_date", "page")),
        (clerk, "/fuji/seals/", ("kana", "no", "status", "page")),
        (clerk, "/fuji/certificates/", ("kana", "kind", "date_from", "date_to")),
        (admin, "/fuji/admin/audit/", ("target", "operator", "function", "date_from", "page")),
        (admin, "/fuji/admin/params/", ("module", "on")),
        (admin, "/fuji/admin/params/compare", ("module",)),
        (finance, "/fuji/costs/2026/", ("scope", "compare")),
        (finance, "/fuji/costs/2026/export.csv", ("revision",)),
        (finance, "/fuji/costs/2026/export.xlsx", ("revision", "scope")),
        (admin, "/fuji/admin/users/", ("page",)),
    ]
    before = _counts(app)
    for client, path, names in searches:
        for name in names:
            response = client.get(path, query_string={name: bad})
            where = (path, name, response.status_code)
            assert response.status_code in (200, 400, 404, 422), where
            if bad == NUL:
                assert response.status_code == 400 and "制御文字" in response.get_data(as_text=True), where
    for client, path in (
        (clerk, "/fuji/seals/r/ab%00cd"),
        (clerk, "/fuji/certificates/2026-%01"),
        (admin, "/fuji/admin/params/a%00b"),
    ):
        assert client.get(path).status_code == 404, path
    assert _counts(app) == before


# --- JSON APIs ------------------------------------------------------------------------------------------


def test_the_residents_api_answers_422_naming_the_term(staff_client, world):
    client = staff_client("fuji", "clerk")
    response = client.get("/fuji/residents/api/search", query_string={"kana": NUL})
    assert response.status_code == 422 and "kana" in response.get_json()["errors"]
    response = client.get("/fuji/residents/api/search", query_string={"kana": "ヤマ", "page": HUGE})
    assert response.status_code == 422 and "page" in response.get_json()["errors"]
    assert client.get(f"/fuji/residents/api/persons/{HUGE}").status_code == 404


def test_the_params_api_answers_422_naming_the_field(app: Flask, staff_client, world):
    client = staff_client("fuji", "admin")
    token = csrf_token(client, "/fuji/admin/params/")

    def change(key: str, body: dict) -> Any:
        return client.post(f"/fuji/api/params/{key}", json=body, headers={"X-CSRFToken": token})

    before = _counts(app)
    response = change("certificates.mayor_title", {"value": "市長", "reason": "条例\x00改正"})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = change("certificates.mayor_title", {"value": "市長", "reason": "x", "legal_basis": "a\x07b"})
    assert response.status_code == 422 and "legal_basis" in response.get_json()["errors"]
    response = change("certificates.mayor_title", {"value": "=市\x00長", "reason": "x"})
    assert response.status_code == 422
    assert "制御文字" in response.get_json()["errors"]["certificates.mayor_title"][0]
    response = change("seals.image_max_kb", {"value": int(HUGE), "reason": "x"})
    assert response.status_code in (404, 422)
    response = change("certificates.fee.inkan", {"value": int(HUGE), "reason": "x"})
    assert response.status_code == 422 and "certificates.fee.inkan" in response.get_json()["errors"]
    response = client.post(
        f"/fuji/api/params/versions/{HUGE}/cancel", json={"reason": "x"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 404
    assert _counts(app) == before


def test_a_parameter_beyond_an_integer_column_is_refused_even_without_a_declared_maximum():
    from tenant_core.params.declare import Integer, Money, Text, ValueProblem

    with pytest.raises(ValueProblem):
        Integer().parse(HUGE)
    with pytest.raises(ValueProblem):
        Money().parse(int(HUGE))
    assert Integer().parse(str(INT_MAX)) == INT_MAX
    with pytest.raises(ValueProblem):
        Text().parse("a\x00b")
    assert Text(multiline=True).parse("a\n\tb") == "a\n\tb"
