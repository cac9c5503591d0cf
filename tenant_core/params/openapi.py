"""The OpenAPI description of the parameter API, generated from its marshmallow schemas.

A small generator rather than a dependency: the API uses a handful of field kinds.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from tenant_core.params import schemas

_SIMPLE = {
    fields.Integer: {"type": "integer"},
    fields.Boolean: {"type": "boolean"},
    fields.Date: {"type": "string", "format": "date"},
    fields.DateTime: {"type": "string", "format": "date-time"},
    fields.String: {"type": "string"},
    fields.Method: {"type": "string"},
    fields.Raw: {},
}


def field_schema(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        out: dict[str, Any] = {"$ref": f"#/components/schemas/{_name(nested)}"}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.Dict):
        out = {
            "type": "object",
            "additionalProperties": field_schema(field.value_field) if field.value_field else {},
        }
    else:
        out = next((dict(v) for k, v in _SIMPLE.items() if isinstance(field, k)), {})
    if field.allow_none and "$ref" not in out:
        out["nullable"] = True
    if "description" in field.metadata:
        out["description"] = field.metadata["description"]
    choices = getattr(field.validate, "choices", None) if field.validate else None
    if choices:
        out["enum"] = list(choices)
    return out


def _name(schema: type[Schema]) -> str:
    return schema.__name__.removesuffix("Schema")


def schema_object(schema: type[Schema]) -> dict[str, Any]:
    declared = schema._declared_fields
    return {
        "type": "object",
        "properties": {name: field_schema(f) for name, f in declared.items()},
        "required": [name for name, f in declared.items() if f.required],
    }


def _ref(schema: type[Schema]) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{_name(schema)}"}


def _json(schema: type[Schema], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_TENANT = {
    "name": "tenant",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "団体のスラッグ（例: fuji）",
}
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "パラメータのキー（例: certificates.fee.juminhyo）",
}
_ON = {
    "name": "on",
    "in": "query",
    "schema": {"type": "string", "format": "date"},
    "description": "この日付で解決する（省略時は今日）",
}
_MODULE = {
    "name": "module",
    "in": "query",
    "schema": {"type": "string"},
    "description": "業務（core, certificates ...）で絞り込む",
}
_ERRORS = {
    "401": _json(schemas.ErrorSchema, "サインインしていない"),
    "403": _json(schemas.ErrorSchema, "権限がない、または他団体のセッション"),
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of the parameter API."""
    components = [
        schemas.ChangeRequestSchema,
        schemas.CancelRequestSchema,
        schemas.PendingSchema,
        schemas.ResolvedParamSchema,
        schemas.ResolvedListSchema,
        schemas.VersionSchema,
        schemas.HistorySchema,
        schemas.ErrorSchema,
    ]
    csrf = {
        "name": "X-CSRFToken",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "セッションの CSRF トークン（画面の csrf_token と同じもの）",
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Kyodo parameter API",
            "version": "1",
            "description": "団体ごとのパラメータ（手数料・設定値など）の参照と変更。セッション Cookie で認証します。",
        },
        "paths": {
            "/{tenant}/api/params": {
                "get": {
                    "summary": "解決済みの全パラメータ（団体・協議会・既定値のどれから来たか付き）",
                    "parameters": [_TENANT, _ON, _MODULE],
                    "responses": {"200": _json(schemas.ResolvedListSchema, "パラメータの一覧"), **_ERRORS},
                }
            },
            "/{tenant}/api/params/{key}": {
                "get": {
                    "summary": "1つのパラメータの値",
                    "parameters": [_TENANT, _KEY, _ON],
                    "responses": {
                        "200": _json(schemas.ResolvedParamSchema, "値"),
                        "404": _json(schemas.ErrorSchema, "未定義のキー"),
                        **_ERRORS,
                    },
                },
                "post": {
                    "summary": "値を変更する（理由は必須、適用開始日を指定すると予定として登録）",
                    "parameters": [_TENANT, _KEY, csrf],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(schemas.ChangeRequestSchema)}},
                    },
                    "responses": {
                        "201": _json(schemas.VersionSchema, "登録された版"),
                        "404": _json(schemas.ErrorSchema, "未定義のキー"),
                        "409": _json(
                            schemas.ErrorSchema,
                            "読み取った版（version または If-Match）の後に他の職員が変更した（何も変更されない）",
                        ),
                        "422": _json(schemas.ErrorSchema, "値・理由・日付の誤り（何も変更されない）"),
                        **_ERRORS,
                    },
                },
            },
            "/{tenant}/api/params/{key}/history": {
                "get": {
                    "summary": "変更履歴（取り消された予定を含む、新しい順）",
                    "parameters": [_TENANT, _KEY],
                    "responses": {"200": _json(schemas.HistorySchema, "履歴"), **_ERRORS},
                }
            },
            "/{tenant}/api/params/versions/{id}/cancel": {
                "post": {
                    "summary": "適用開始前の変更予定を取り消す",
                    "parameters": [
                        _TENANT,
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        csrf,
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(schemas.CancelRequestSchema)}},
                    },
                    "responses": {
                        "200": _json(schemas.VersionSchema, "取り消された版"),
                        "404": _json(schemas.ErrorSchema, "この団体の版ではない"),
                        "422": _json(schemas.ErrorSchema, "取り消せない（適用済みなど）"),
                        **_ERRORS,
                    },
                }
            },
        },
        "components": {"schemas": {_name(s): schema_object(s) for s in components}},
    }
