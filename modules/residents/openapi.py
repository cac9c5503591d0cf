"""The OpenAPI document of the residents API, generated from its marshmallow schemas (apispec).

Served at ``/<slug>/residents/api/openapi.json`` for the city of the URL: its server URL carries the
city, so a client of one city reads a document that names only that city's API. Authentication is the
staff session (the ``kyodo_session`` cookie of a signed-in user with ``residents.view``); every error
is JSON (``Error``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields

from modules.residents.schemas import (
    ChangesArgsSchema,
    ChangesResultSchema,
    HouseholdResultSchema,
    PersonSchema,
    SearchArgsSchema,
    SearchRowSchema,
)
from tenant_core import api
from tenant_core.inputs import INT_MAX
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant


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


_NUMBER = {"type": "integer", "minimum": 0, "maximum": INT_MAX}
_ON = {"in": "query", "name": "on", "schema": {"type": "string", "format": "date"}}


def document(slug: str) -> dict[str, Any]:
    spec = api.new_spec(
        title="Kyodo 住民記録 API",
        description="Search and read the resident register of one city (住民記録・共通宛名), and follow its changes.",
        server=f"/{slug}/residents/api",
    )
    spec.components.schema("SearchRow", schema=SearchRowSchema)
    spec.components.schema("SearchResult", schema=SearchResultSchema)
    spec.components.schema("Person", schema=PersonSchema)
    spec.components.schema("PersonWithNumber", schema=PersonWithNumberSchema)
    spec.components.schema("PersonResult", schema=PersonResultSchema)
    spec.components.schema("HouseholdResult", schema=HouseholdResultSchema)
    spec.components.schema("ChangesResult", schema=ChangesResultSchema)
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
                    **api.errors(400, 401, 403, 422),
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
                        "schema": _NUMBER,
                    },
                    _ON,
                    {"in": "query", "name": "mynumber", "schema": {"type": "string", "enum": ["1"]}},
                ],
                "responses": {
                    "200": {
                        "description": "the person",
                        "content": {"application/json": {"schema": "PersonResult"}},
                    },
                    **api.errors(400, 401, 403, 404, 422),
                },
            }
        },
    )
    spec.path(
        path="/households/{household_no}",
        operations={
            "get": {
                "summary": "A household by 世帯番号 (members head first), now or on a date",
                "parameters": [
                    {"in": "path", "name": "household_no", "required": True, "schema": _NUMBER},
                    _ON,
                ],
                "responses": {
                    "200": api.json_response(HouseholdResultSchema, "the household"),
                    **api.errors(400, 401, 403, 404, 422),
                },
            }
        },
    )
    spec.path(
        path="/changes",
        operations={
            "get": {
                "summary": "Persons changed since a moment, oldest first, page by page (for synchronising)",
                "description": "Give since (with its time zone) for the first page, then next_cursor as cursor; "
                "keep the last next_cursor to ask again later. Persons under 支援措置 or 抑止 never appear "
                "for a caller without the permission to see them.",
                "parameters": [{"in": "query", "schema": ChangesArgsSchema}],
                "responses": {
                    "200": api.json_response(ChangesResultSchema, "a page of changes"),
                    **api.errors(401, 403, 422),
                },
            }
        },
    )
    return spec.to_dict()


@require("residents.view")
def openapi_json():
    return jsonify(document(current_tenant.slug))
