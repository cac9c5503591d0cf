"""The OpenAPI documents of the residents API and of the parameter API (both generated from their
marshmallow schemas by apispec), and schemathesis run against each operation in-process: no server
error, every response as documented (status, JSON, schema)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tenant_core.extensions import get_db, get_settings
from tenant_core.params import resolution
from tenant_core.params.demo import load_demo
from tests.conftest import csrf_token, sign_in
from tests.migration.conftest import family

# Every check but two:
# - positive_data_acceptance (schema-valid data must get a 2xx): the documents describe the shape of
#   the arguments, not every rule a city's data adds (a search needs one term at least and カナ only
#   in kana; a parameter key or a 宛名番号 must exist; a change needs a value of the key's type), which
#   the documented 400/404/422 with their messages name;
# - ignored_auth (re-sends with made-up credentials): the session cookie is given to every call here;
#   the refusal without a session is tested below and in test_api_linkage.py.
EXCLUDED = [positive_data_acceptance, ignored_auth]

RESIDENTS = "/fujinomiya/residents/api/openapi.json"
PARAMS = "/fujinomiya/api/params/openapi.json"
LATER = (resolution.today() + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def demo_params(app, db_connection) -> None:
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))


def test_residents_document_names_the_city_and_its_security(app, db_connection):
    client = app.test_client()
    refused = client.get("/fuji/residents/api/persons/1")
    assert refused.status_code == 401 and refused.is_json
    assert client.get("/fuji/residents/api/openapi.json").status_code == 401
    sign_in(client, "fuji", "clerk")
    doc = client.get("/fuji/residents/api/openapi.json").get_json()
    assert doc["openapi"] == "3.0.3" and doc["servers"] == [{"url": "/fuji/residents/api"}]
    assert doc["components"]["securitySchemes"]["session"]["in"] == "cookie"
    assert set(doc["paths"]) == {"/search", "/persons/{atena_no}", "/households/{household_no}", "/changes"}
    params = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert {"kana", "name", "birth_date", "address", "include_removed", "page", "per_page"} <= params
    assert {p["name"] for p in doc["paths"]["/changes"]["get"]["parameters"]} == {"since", "cursor", "limit"}
    schemas = doc["components"]["schemas"]
    assert "birth_date" in schemas["Person"]["properties"]
    assert schemas["Change"]["properties"]["updated_at"]["format"] == "date-time"
    assert set(schemas["Error"]["required"]) == {"error", "message"}


def test_parameter_document_beside_its_api(app, staff_client):
    assert app.test_client().get("/fuji/api/params/openapi.json").status_code == 401
    assert app.test_client().get("/api/openapi.json").status_code == 404  # moved beside the API
    doc = staff_client("fuji", "admin").get("/fuji/api/params/openapi.json").get_json()
    assert doc["servers"] == [{"url": "/fuji/api"}]
    assert doc["components"]["securitySchemes"]["session"]["in"] == "cookie"
    assert {"/params", "/params/{key}", "/params/{key}/history", "/params/versions/{id}/cancel"} == set(
        doc["paths"]
    )
    change = doc["components"]["schemas"]["ChangeRequest"]
    assert "reason" in change["required"] and change["properties"]["scope"]["enum"] == ["city", "consortium"]
    assert doc["components"]["schemas"]["Version"]["properties"]["created_at"]["format"] == "date-time"
    assert "409" in doc["paths"]["/params/{key}"]["post"]["responses"]


def _known(client) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Calls that reach real records (random values rarely do): each operation must answer one 2xx."""
    version = client.post(
        "/fujinomiya/api/params/certificates.fee.inkan",
        json={"value": 500, "reason": "取り消す予定", "effective_from": LATER},
        headers={"X-CSRFToken": csrf_token(client, "/fujinomiya/admin/params/")},
    ).get_json()["id"]
    key = {"key": "certificates.fee.inkan"}
    return {
        ("/search", "GET"): [{"query": {"kana": "フジ"}}],
        # a 外国人住民 and a 除票, with the 個人番号 asked for
        ("/persons/{atena_no}", "GET"): [
            {"path_parameters": {"atena_no": n}, "query": {"mynumber": "1"}} for n in (100004, 100005)
        ],
        ("/households/{household_no}", "GET"): [{"path_parameters": {"household_no": 500001}}],
        ("/changes", "GET"): [{"query": {"since": "2000-01-01T00:00:00+09:00", "limit": 2}}],
        ("/params", "GET"): [{"query": {"module": "certificates"}}],
        ("/params/{key}", "GET"): [{"path_parameters": key}],
        ("/params/{key}", "POST"): [{"path_parameters": key, "body": {"value": 450, "reason": "条例改正"}}],
        ("/params/{key}/history", "GET"): [{"path_parameters": key}],
        ("/params/versions/{id}/cancel", "POST"): [
            {"path_parameters": {"id": version}, "body": {"reason": "撤回"}}
        ],
    }


OPERATIONS = [
    (RESIDENTS, "/search", "GET"),
    (RESIDENTS, "/persons/{atena_no}", "GET"),
    (RESIDENTS, "/households/{household_no}", "GET"),
    (RESIDENTS, "/changes", "GET"),
    (PARAMS, "/params", "GET"),
    (PARAMS, "/params/{key}", "GET"),
    (PARAMS, "/params/{key}", "POST"),
    (PARAMS, "/params/{key}/history", "GET"),
    (PARAMS, "/params/versions/{id}/cancel", "POST"),
]


@pytest.mark.parametrize(("document", "path", "method"), OPERATIONS)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    app, migrator, demo_params, document, path, method
):
    migrator.run("fujinomiya", migrator.file(family()))  # people to find, 除票 and 外国人住民 among them
    client = app.test_client()
    sign_in(client, "fujinomiya", "admin")  # residents.editor and the city administrator's params.edit
    # POSTs carry the session's CSRF token, as the document says (a wrong one is a documented 403).
    headers = {"X-CSRFToken": csrf_token(client, "/fujinomiya/admin/params/")}
    known = _known(client)[(path, method)]
    # After the token: the signed cookie now carries the CSRF secret the token is checked against.
    cookies = {"kyodo_session": client.get_cookie("kyodo_session").value}
    schema = schemathesis.openapi.from_dict(client.get(document).get_json())
    schema.app = app  # calls go to the application in-process (as ``from_wsgi`` sets it)
    operation = schema[path][method]
    seen: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        response = case.call_and_validate(cookies=cookies, headers=headers, excluded_checks=EXCLUDED)
        seen.add(response.status_code)

    check()
    for values in known:
        case = operation.Case(**values)
        seen.add(
            case.call_and_validate(cookies=cookies, headers=headers, excluded_checks=EXCLUDED).status_code
        )
    assert any(200 <= code < 300 for code in seen) and not any(code >= 500 for code in seen), seen
    assert 401 not in seen, seen
