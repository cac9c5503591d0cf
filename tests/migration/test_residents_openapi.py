"""The residents API's OpenAPI document (generated from its marshmallow schemas) and schemathesis run
against it in-process: no server error, every response as documented (status, JSON, schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.conftest import sign_in
from tests.migration.conftest import family

# Every check but two: the acceptance of schema-valid data (a search needs one term at least, and terms
# have rules of their own, such as カナ only in kana, which a 400 with its message names), and the
# re-sending with made-up credentials (the session cookie is given to every call here; the refusal
# without a session is tested below).
EXCLUDED = [positive_data_acceptance, ignored_auth]


def test_document_names_the_city_and_its_security(app, db_connection):
    client = app.test_client()
    refused = client.get("/fuji/residents/api/persons/1")
    assert refused.status_code == 401 and refused.is_json
    assert client.get("/fuji/residents/api/openapi.json").status_code == 401
    sign_in(client, "fuji", "clerk")
    doc = client.get("/fuji/residents/api/openapi.json").get_json()
    assert doc["openapi"] == "3.0.3" and doc["servers"] == [{"url": "/fuji/residents/api"}]
    assert doc["components"]["securitySchemes"]["session"]["in"] == "cookie"
    assert set(doc["paths"]) == {"/search", "/persons/{atena_no}"}
    params = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert {"kana", "name", "birth_date", "address", "include_removed", "page", "per_page"} <= params
    assert "birth_date" in doc["components"]["schemas"]["Person"]["properties"]


@pytest.mark.parametrize("path", ["/search", "/persons/{atena_no}"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, migrator, path):
    migrator.run("fujinomiya", migrator.file(family()))  # people to find, 除票 and 外国人住民 among them
    client = app.test_client()
    sign_in(client, "fujinomiya", "clerk")
    cookies = {"kyodo_session": client.get_cookie("kyodo_session").value}
    schema = schemathesis.openapi.from_dict(client.get("/fujinomiya/residents/api/openapi.json").get_json())
    schema.app = app  # calls go to the application in-process (as ``from_wsgi`` sets it)
    operation = schema[path]["GET"]
    seen: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        response = case.call_and_validate(cookies=cookies, excluded_checks=EXCLUDED)
        seen.add(response.status_code)

    check()
    if path.startswith("/persons"):  # random numbers rarely hit a person: one 外国人住民 and one 除票 as well
        for atena in (100004, 100005):
            known = operation.Case(path_parameters={"atena_no": atena}, query={"mynumber": "1"})
            seen.add(known.call_and_validate(cookies=cookies, excluded_checks=EXCLUDED).status_code)
    assert 200 in seen and not any(code >= 500 for code in seen) and 401 not in seen, seen
