"""The JSON API: resolved values, history, changes with a reason where the role allows; OpenAPI."""

import datetime as dt

from tenant_core.params import resolution
from tests.conftest import csrf_token


def _post(client, path, body):
    token = csrf_token(client, "/fuji/admin/params/")
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def test_read_the_resolved_values(staff_client, demo_params):
    data = staff_client("fuji", "admin").get("/fuji/api/params?module=certificates").get_json()
    fee = next(p for p in data["params"] if p["key"] == "certificates.fee.juminhyo")
    assert data["tenant"] == "fuji" and fee["value"] == 300 and fee["source"] == "city"
    assert fee["type"] == "money" and fee["display"] == "300円" and fee["differs_from_default"] is False
    one = staff_client("fuji", "admin").get("/fuji/api/params/core.session_idle_minutes").get_json()
    assert one["value"] == 30 and one["source"] == "city"


def test_change_with_a_reason_then_read_the_history(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    later = (resolution.today() + dt.timedelta(days=20)).isoformat()
    response = _post(
        client,
        "/fuji/api/params/certificates.fee.inkan",
        {"value": 400, "reason": "条例改正", "effective_from": later, "legal_basis": "手数料条例"},
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["level"] == "city" and created["effective_from"] == later
    history = client.get("/fuji/api/params/certificates.fee.inkan/history").get_json()["versions"]
    assert history[0]["reason"] == "条例改正" and history[0]["created_by"] == "222101:admin"
    pending = client.get("/fuji/api/params/certificates.fee.inkan").get_json()["pending"]
    assert [p["effective_from"] for p in pending] == [later]
    cancelled = _post(client, f"/fuji/api/params/versions/{created['id']}/cancel", {"reason": "撤回"})
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled"] is True


def test_bad_input_is_422_naming_the_key_and_changes_nothing(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    before = client.get("/fuji/api/params/certificates.honseki_default/history").get_json()["versions"]
    response = _post(
        client, "/fuji/api/params/certificates.honseki_default", {"value": "always", "reason": "x"}
    )
    assert response.status_code == 422
    assert "選択肢にない値" in response.get_json()["errors"]["certificates.honseki_default"][0]
    response = _post(client, "/fuji/api/params/certificates.fee.inkan", {"value": 400})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert _post(client, "/fuji/api/params/nothing.here", {"value": 1, "reason": "x"}).status_code == 404
    after = client.get("/fuji/api/params/certificates.honseki_default/history").get_json()["versions"]
    assert after == before


def test_the_role_decides_who_may_change(app, staff_client, secretariat, demo_params):
    from tests.conftest import sign_in

    client = app.test_client()
    assert sign_in(client, "fuji", "jimukyoku").status_code == 302
    # The secretariat may set a consortium-wide value, not the city's own one.
    assert (
        _post(client, "/fuji/api/params/certificates.wording", {"value": "x", "reason": "y"}).status_code
        == 403
    )
    response = _post(
        client,
        "/fuji/api/params/certificates.wording",
        {"value": "この写しは、住民票の原本と相違ありません。", "reason": "文言統一", "scope": "consortium"},
    )
    assert response.status_code == 201 and response.get_json()["level"] == "consortium"
    nomiya = staff_client("fujinomiya", "admin").get("/fujinomiya/api/params/certificates.wording").get_json()
    assert nomiya["source"] == "consortium" and nomiya["value"].endswith("相違ありません。")
    clerk = staff_client("fuji", "clerk")
    assert clerk.get("/fuji/api/params").status_code == 403


def test_a_fuji_session_cannot_change_fujinomiya(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    token = csrf_token(client, "/fuji/admin/params/")
    response = client.post(
        "/fujinomiya/api/params/certificates.fee.inkan",
        json={"value": 1, "reason": "x"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 403
    assert client.get("/fujinomiya/api/params/certificates.fee.inkan/history").status_code == 403


def test_the_openapi_description_is_beside_the_api_and_documents_the_endpoints(staff_client):
    doc = staff_client("fuji", "admin").get("/fuji/api/params/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/fuji/api"}]
    assert {"/params", "/params/{key}", "/params/{key}/history"} <= set(doc["paths"])
    change = doc["components"]["schemas"]["ChangeRequest"]
    assert "reason" in change["required"] and change["properties"]["scope"]["enum"] == ["city", "consortium"]
