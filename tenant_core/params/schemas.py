"""marshmallow schemas of the parameter API (requests and answers); the OpenAPI text is built from them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tenant_core import api
from tenant_core.inputs import no_control_characters, no_multiline_control_characters

# Lazy: the schemas are built at import, the messages are read in the request's language.
_REQ = {"required": _l("必須です。"), "null": _l("必須です。")}


class ChangeRequestSchema(Schema):
    """A change of one parameter: its value (or a reset), the reason and, for later, the date."""

    value = fields.Raw(
        allow_none=True, load_default=None, metadata={"description": "新しい値（型は宣言による）"}
    )
    reset = fields.Boolean(
        load_default=False,
        metadata={"description": "true: この階層の値を取り消し、協議会の値または既定値に戻す"},
    )
    reason = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=500, error=_l("1文字以上500文字以内で入力してください。")),
            no_multiline_control_characters,
        ],
        error_messages=_REQ,
        metadata={"description": "変更理由（必須）"},
    )
    legal_basis = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=300, error=_l("300文字以内で入力してください。")),
            no_control_characters,
        ],
        metadata={"description": "根拠（条例・規則など）"},
    )
    version = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, error=_l("0以上の整数を指定してください。")),
        metadata={
            "description": "読み取った時点の版（GET の ETag）。その後に変更があれば 409。省略時は確認しない"
            "（If-Match ヘッダーでも指定可）"
        },
    )
    effective_from = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": _l("日付は 2027-04-01 の形で指定してください。")},
        metadata={"description": "適用開始日（省略時は今日）"},
    )
    scope = fields.String(
        load_default="city",
        validate=validate.OneOf(["city", "consortium"], error=_l("city か consortium を指定してください。")),
        metadata={"description": "city: この団体の値, consortium: 協議会共通の値"},
    )


class CancelRequestSchema(Schema):
    reason = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=500, error=_l("1文字以上500文字以内で入力してください。")),
            no_multiline_control_characters,
        ],
        error_messages=_REQ,
    )


class PendingSchema(Schema):
    id = fields.Integer()
    level = fields.String(metadata={"description": "city または consortium"})
    value = fields.Raw(allow_none=True)
    reset = fields.Boolean()
    effective_from = fields.Date()


class ResolvedParamSchema(Schema):
    key = fields.String()
    module = fields.String()
    type = fields.String()
    label_ja = fields.String()
    label_en = fields.String()
    unit = fields.String(allow_none=True)
    value = fields.Raw(
        allow_none=True, metadata={"description": "JSON での値（金額は整数の円、日付は ISO 形式）"}
    )
    display = fields.String()
    source = fields.String(metadata={"description": "default, consortium, city のどれから来た値か"})
    effective_from = fields.Date(allow_none=True)
    default = fields.Raw(allow_none=True)
    differs_from_default = fields.Boolean()
    pending = fields.List(fields.Nested(PendingSchema))


class ResolvedListSchema(Schema):
    tenant = fields.String()
    on = fields.Date()
    params = fields.List(fields.Nested(ResolvedParamSchema))


class VersionSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    level = fields.Method("_level", metadata={"description": "city または consortium"})
    value = fields.Raw(allow_none=True)
    reset = fields.Boolean()
    effective_from = fields.Date()
    created_at = api.Timestamp()
    created_by = fields.String()
    reason = fields.String()
    legal_basis = fields.String(allow_none=True)
    cancelled = fields.Boolean()
    cancelled_at = api.Timestamp(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)

    def _level(self, version) -> str:
        return "city" if str(version.scope) == "tenant" else "consortium"


class HistorySchema(Schema):
    key = fields.String()
    versions = fields.List(fields.Nested(VersionSchema))


ErrorSchema = api.ErrorSchema  # the one error answer of every API
