"""The linkage API beyond its document: JSON errors on every /api path (whichever blueprint), the
persons changed since a moment read page by page, protected persons absent, and one city's session
never reading another city's changes."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents import protection
from modules.residents.models import Person
from tenant_core.api import ErrorSchema
from tenant_core.extensions import get_db
from tests import factories
from tests.conftest import sign_in
from tests.migration.conftest import family

T0 = dt.datetime(2027, 4, 1, 0, 0)  # naive UTC, as stored: 2027-04-01T09:00+09:00


def _is_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert ErrorSchema().validate(body) == {} and body["message"], body
    return body


@pytest.fixture
def register(app, migrator):
    """The family of five in 富士宮市, changed one minute apart from T0 (100001 first)."""
    migrator.run("fujinomiya", migrator.file(family()))
    with get_db(app).session("t_fujinomiya") as s:
        for i, atena in enumerate(range(100001, 100006)):
            s.execute(
                sa.update(Person)
                .where(Person.atena_no == atena)
                .values(updated_at=T0 + dt.timedelta(minutes=i), version=Person.version)
            )
        s.commit()


def _client(app, slug: str, login: str):
    client = app.test_client()
    sign_in(client, slug, login)
    return client


def test_unknown_api_paths_and_wrong_methods_answer_json(app, db_connection):
    client = _client(app, "fuji", "admin")
    for path in ("/fuji/residents/api/nothing", "/fuji/api/nothing", "/fuji/api/params/a/b/c/d", "/api/x"):
        assert _is_error(client.get(path), 404)["error"] == "not_found"
    wrong = client.delete("/fuji/residents/api/search")
    assert _is_error(wrong, 405)["error"] == "method_not_allowed" and "GET" in wrong.headers["Allow"]
    _is_error(client.put("/fuji/api/params/certificates.fee.inkan", json={}), 405)
    # A POST without its CSRF token is refused as JSON too (and still logged by the CSRF handler).
    _is_error(client.post("/fuji/api/params/certificates.fee.inkan", json={"value": 1, "reason": "x"}), 403)
    # Signed out: 401 as JSON; pages elsewhere keep their HTML error pages.
    _is_error(app.test_client().get("/fuji/api/params"), 401)
    page = client.get("/fuji/residents/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_changes_since_a_moment_page_by_page(app, register):
    client = _client(app, "fujinomiya", "clerk")
    first = client.get("/fujinomiya/residents/api/changes?since=2027-04-01T09:01:00%2B09:00&limit=2")
    assert first.status_code == 200, first.get_json()
    page = first.get_json()
    assert [c["atena_no"] for c in page["changes"]] == [100002, 100003] and page["has_more"] is True
    assert page["changes"][0]["updated_at"] == "2027-04-01T09:01:00+09:00"  # with its offset, always
    assert page["changes"][0]["person"]["household_no"] == 500001
    second = client.get(f"/fujinomiya/residents/api/changes?cursor={page['next_cursor']}&limit=2").get_json()
    assert [c["atena_no"] for c in second["changes"]] == [100004, 100005] and second["has_more"] is False
    assert second["changes"][1]["status"] != "resident" and second["changes"][1]["person"] is not None
    # Nothing new since: an empty page keeps the position for the next call.
    third = client.get(f"/fujinomiya/residents/api/changes?cursor={second['next_cursor']}").get_json()
    assert third == {"changes": [], "next_cursor": second["next_cursor"], "has_more": False}
    # The same moment in UTC gives the same page.
    utc = client.get("/fujinomiya/residents/api/changes?since=2027-04-01T00:01:00Z&limit=2").get_json()
    assert utc["changes"] == page["changes"]


def test_changes_refuse_a_time_without_zone_and_a_bad_cursor(app, register):
    client = _client(app, "fujinomiya", "clerk")
    naive = _is_error(client.get("/fujinomiya/residents/api/changes?since=2027-04-01T09:00:00"), 422)
    assert "タイムゾーン" in naive["errors"]["since"][0]
    assert "since" in _is_error(client.get("/fujinomiya/residents/api/changes"), 422)["errors"]
    assert "cursor" in _is_error(client.get("/fujinomiya/residents/api/changes?cursor=abc"), 422)["errors"]
    assert (
        "limit"
        in _is_error(client.get("/fujinomiya/residents/api/changes?since=2027-04-01T09:00Z&limit=0"), 422)[
            "errors"
        ]
    )


def test_protected_persons_never_appear_and_a_removed_person_without_details(app, register):
    with get_db(app).session("t_fujinomiya") as s:
        protection.register_hold(s, 100003, "調査中", by="test:protector")
        s.commit()
    factories.user(get_db(app), "fujinomiya", "viewer", ["residents.viewer"], display_name="閲覧 一郎")
    for login in ("clerk", "viewer"):
        client = _client(app, "fujinomiya", login)
        body = client.get(
            "/fujinomiya/residents/api/changes?since=2027-04-01T09:00:00%2B09:00&limit=3"
        ).get_json()
        # A full page all the same: the protected person is left out by the query, not after it.
        assert [c["atena_no"] for c in body["changes"]] == [100001, 100002, 100004], login
        rest = client.get(f"/fujinomiya/residents/api/changes?cursor={body['next_cursor']}").get_json()
        assert [c["atena_no"] for c in rest["changes"]] == [100005]
        removed = rest["changes"][0]
        assert (removed["person"] is None) == (login == "viewer")  # 除票 details need residents.view_removed
    factories.user(get_db(app), "fujinomiya", "guard", ["residents.protector"], display_name="保護 二郎")
    seen = (
        _client(app, "fujinomiya", "guard")
        .get("/fujinomiya/residents/api/changes?since=2027-04-01T09:00:00%2B09:00")
        .get_json()
    )
    assert 100003 in [c["atena_no"] for c in seen["changes"]]


def test_household_by_number(app, register):
    client = _client(app, "fujinomiya", "clerk")
    body = client.get("/fujinomiya/residents/api/households/500001").get_json()
    assert body["household"]["head_atena_no"] == 100001 and body["on"] is None
    assert body["household"]["members"][0]["atena_no"] == 100001
    _is_error(client.get("/fujinomiya/residents/api/households/999999"), 404)
    _is_error(client.get("/fujinomiya/residents/api/households/500001?on=2027-13-01"), 400)


def test_a_city_never_reads_another_citys_changes(app, register):
    since = "since=2000-01-01T00:00:00%2B09:00"
    fuji = _client(app, "fuji", "clerk")
    # fuji's session on 富士宮市's API: refused, as JSON, whatever the operation.
    for path in ("changes?" + since, "households/500001", "openapi.json"):
        _is_error(fuji.get(f"/fujinomiya/residents/api/{path}"), 403)
    # On its own API, fuji sees only its own register (富士宮市's persons are in another schema).
    own = fuji.get(f"/fuji/residents/api/changes?{since}").get_json()
    assert not {c["atena_no"] for c in own["changes"]} & set(range(100001, 100006))
    # A cursor taken from 富士宮市 only positions a read of fuji's own register.
    theirs = _client(app, "fujinomiya", "clerk").get(f"/fujinomiya/residents/api/changes?{since}&limit=1")
    cursor = theirs.get_json()["next_cursor"]
    again = fuji.get(f"/fuji/residents/api/changes?cursor={cursor}").get_json()
    assert not {c["atena_no"] for c in again["changes"]} & set(range(100001, 100006))


def test_a_server_error_under_api_is_json(app, db_connection, monkeypatch):
    from tenant_core.permissions import require

    @require("residents.view")
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "residents.api_changes", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    client = _client(app, "fuji", "clerk")
    assert _is_error(client.get("/fuji/residents/api/changes"), 500)["error"] == "internal_server_error"
