"""The OpenAPI document of the parameter API, generated from its marshmallow schemas (apispec).

Served beside the API, at ``/<slug>/api/params/openapi.json``, for the city of the URL: its server URL
carries the city, as the residents API's does (the same generator, ``tenant_core.api.new_spec``).
"""

from __future__ import annotations

from typing import Any

from tenant_core import api
from tenant_core.inputs import INT_MAX
from tenant_core.params import schemas

_REFUSED = "権限がない、他団体のセッション、または CSRF トークンの誤り"
# Every API refuses a query string with control characters, naming the argument (tenant_core.inputs).
_CONTROL = "制御文字を含む引数"
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 200},
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
_CSRF = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "セッションの CSRF トークン（画面の csrf_token と同じもの）",
}


def _body(schema: type) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def document(slug: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the parameter API of the city ``slug``."""
    spec = api.new_spec(
        title="Kyodo parameter API",
        description="団体ごとのパラメータ（手数料・設定値など）の参照と変更。セッション Cookie で認証します。",
        server=f"/{slug}/api",
    )
    for schema in (
        schemas.ChangeRequestSchema,
        schemas.CancelRequestSchema,
        schemas.PendingSchema,
        schemas.ResolvedParamSchema,
        schemas.ResolvedListSchema,
        schemas.VersionSchema,
        schemas.HistorySchema,
    ):
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    spec.path(
        path="/params",
        operations={
            "get": {
                "summary": "解決済みの全パラメータ（団体・協議会・既定値のどれから来たか付き）",
                "parameters": [_ON, _MODULE],
                "responses": {
                    "200": api.json_response(schemas.ResolvedListSchema, "パラメータの一覧"),
                    **api.errors(
                        400,
                        401,
                        403,
                        404,
                        422,
                        _400="日付（on）の誤り",
                        _404="未知の業務（module）",
                        _422=_CONTROL,
                    ),
                },
            }
        },
    )
    spec.path(
        path="/params/{key}",
        operations={
            "get": {
                "summary": "1つのパラメータの値（ETag はその版）",
                "parameters": [_KEY, _ON],
                "responses": {
                    "200": api.json_response(schemas.ResolvedParamSchema, "値"),
                    **api.errors(
                        400, 401, 403, 404, 422, _400="日付（on）の誤り", _404="未定義のキー", _422=_CONTROL
                    ),
                },
            },
            "post": {
                "summary": "値を変更する（理由は必須、適用開始日を指定すると予定として登録）",
                "parameters": [_KEY, _CSRF],
                "requestBody": _body(schemas.ChangeRequestSchema),
                "responses": {
                    "201": api.json_response(schemas.VersionSchema, "登録された版"),
                    **api.errors(
                        401,
                        403,
                        404,
                        409,
                        422,
                        _403=_REFUSED,
                        _404="未定義のキー",
                        _409="読み取った版（version または If-Match）の後に他の職員が変更した（何も変更されない）",
                        _422="値・理由・日付の誤り（何も変更されない）",
                    ),
                },
            },
        },
    )
    spec.path(
        path="/params/{key}/history",
        operations={
            "get": {
                "summary": "変更履歴（取り消された予定を含む、新しい順）",
                "parameters": [_KEY],
                "responses": {
                    "200": api.json_response(schemas.HistorySchema, "履歴"),
                    **api.errors(401, 403, 404),
                },
            }
        },
    )
    spec.path(
        path="/params/versions/{id}/cancel",
        operations={
            "post": {
                "summary": "適用開始前の変更予定を取り消す",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
                    },
                    _CSRF,
                ],
                "requestBody": _body(schemas.CancelRequestSchema),
                "responses": {
                    "200": api.json_response(schemas.VersionSchema, "取り消された版"),
                    **api.errors(
                        401,
                        403,
                        404,
                        422,
                        _403=_REFUSED,
                        _404="この団体の版ではない",
                        _422="取り消せない（適用済みなど）",
                    ),
                },
            }
        },
    )
    return spec.to_dict()
