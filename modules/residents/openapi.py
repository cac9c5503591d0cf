"""The OpenAPI document of the residents API, generated from its marshmallow schemas (apispec).

Served at ``/<slug>/residents/api/openapi.json`` for the city of the URL: its server URL carries the
city, so a client of one city reads a document that names only that city's API. Authentication is the
staff session (the ``kyodo_session`` cookie of a signed-in user with ``residents.view``); every error
is JSON (``Error``).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify
from marshmallow import Schema, fields

from modules.residents.schemas import PersonSchema, SearchArgsSchema, SearchRowSchema
from tenant_core.inputs import INT_MAX
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant

SESSION_COOKIE = "kyodo_session"


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "bad_request, forbidden, not_found..."})
    message = fields.String(
        required=True, metadata={"description": "for a person, in the requester's language"}
    )
    errors = fields.Dict(metadata={"description": "messages by field"})


class SearchResultSchema(Schema):
    total = fields.Integer(required=True)
    total_is_lower_bound = fields.Boolean(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    results = fields.List(fields.Nested(SearchRowSchema), required=True)


class PersonWithNumberSchema(PersonSchema):
    mynumber = fields.String(
        metadata={"description": "個人番号, only when asked and the role permits (else masked)"}
    )


class PersonResultSchema(Schema):
    person = fields.Nested(PersonWithNumberSchema, required=True)
    on = fields.Date(allow_none=True, required=True)


def _errors(*codes: int) -> dict[str, Any]:
    described = {
        400: "bad request",
        401: "not signed in",
        403: "refused",
        404: "not found",
        422: "bad arguments",
    }
    return {
        str(code): {"description": described[code], "content": {"application/json": {"schema": "Error"}}}
        for code in codes
    }


def document(slug: str) -> dict[str, Any]:
    spec = APISpec(
        title="Kyodo 住民記録 API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Search and read the resident register of one city (住民記録・共通宛名)."},
        servers=[{"url": f"/{slug}/residents/api"}],
        security=[{"session": []}],
    )
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE, "description": "staff sign-in"}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("SearchRow", schema=SearchRowSchema)
    spec.components.schema("SearchResult", schema=SearchResultSchema)
    spec.components.schema("Person", schema=PersonWithNumberSchema)
    spec.components.schema("PersonResult", schema=PersonResultSchema)
    spec.path(
        path="/search",
        operations={
            "get": {
                "summary": "Search residents (kana prefix, name, birth date, address)",
                "parameters": [{"in": "query", "schema": SearchArgsSchema}],
                "responses": {
                    "200": {
                        "description": "a page of results",
                        "content": {"application/json": {"schema": "SearchResult"}},
                    },
                    **_errors(400, 401, 403, 422),
                },
            }
        },
    )
    spec.path(
        path="/persons/{atena_no}",
        operations={
            "get": {
                "summary": "A person by 宛名番号, now or on a date",
                "parameters": [
                    {
                        "in": "path",
                        "name": "atena_no",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
                    },
                    {"in": "query", "name": "on", "schema": {"type": "string", "format": "date"}},
                    {"in": "query", "name": "mynumber", "schema": {"type": "string", "enum": ["1"]}},
                ],
                "responses": {
                    "200": {
                        "description": "the person",
                        "content": {"application/json": {"schema": "PersonResult"}},
                    },
                    **_errors(400, 401, 403, 404),
                },
            }
        },
    )
    return spec.to_dict()


@require("residents.view")
def openapi_json():
    return jsonify(document(current_tenant.slug))
