"""The secretariat's forms, parsed with marshmallow; errors come back in Japanese naming the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from modules.costs.models import Category

LABELS = {
    "code": "団体コード",
    "name": "名称",
    "joined_year": "加入年度",
    "left_year": "脱退年度",
    "year": "年度",
    "copy_from": "複写元の年度",
    "category": "区分",
    "amount": "金額",
    "kind": "按分対象/個別",
    "owner_id": "負担団体",
    "rule_id": "按分ルール",
    "population": "人口",
    "households": "世帯数",
    "as_of": "基準日",
    "usage": "利用実績",
    "standalone": "単独費用",
    "preset": "按分方法",
    "spec": "ルール定義（JSON）",
    "unit": "端数処理の単位",
    "ratio_precision": "按分率の桁数",
    "reason": "改定理由",
    "confirm": "確認",
    "_schema": "入力",
}
_NUMBER = {"required": "入力してください。", "invalid": "数値を入力してください。"}
_TEXT = {"required": "入力してください。"}
_YEAR = validate.Range(min=1989, max=2100, error="1989〜2100の年度（4月が属する西暦年）を入力してください。")
_NOT_NEGATIVE = validate.Range(min=0, error="0以上の数値を入力してください。")
_NUMERIC_FIELDS = ("amount", "population", "households", "usage", "standalone", "unit")


class FormSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _clean(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Blank fields are absent; digits may carry thousands separators (1,234) or full-width commas."""
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if key in _NUMERIC_FIELDS:
                    value = value.replace(",", "").replace("，", "").replace("円", "")
                if value == "":
                    continue
            cleaned[key] = value
        return cleaned


class MemberForm(FormSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{6}$", error="6桁の数字で入力してください。"),
        error_messages=_TEXT,
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), error_messages=_TEXT)
    joined_year = fields.Integer(required=True, validate=_YEAR, error_messages=_NUMBER)
    left_year = fields.Integer(load_default=None, validate=_YEAR, error_messages=_NUMBER)


class YearForm(FormSchema):
    year = fields.Integer(required=True, validate=_YEAR, error_messages=_NUMBER)
    copy_from = fields.Integer(load_default=None, validate=_YEAR, error_messages=_NUMBER)


class ItemForm(FormSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), error_messages=_TEXT)
    category = fields.String(
        required=True, validate=validate.OneOf([c.value for c in Category], error="一覧から選んでください。")
    )
    amount = fields.Integer(required=True, validate=_NOT_NEGATIVE, error_messages=_NUMBER)
    kind = fields.String(load_default="shared", validate=validate.OneOf(["shared", "own"]))
    owner_id = fields.Integer(load_default=None, error_messages=_NUMBER)
    rule_id = fields.Integer(load_default=None, error_messages=_NUMBER)

    @validates_schema
    def _owner(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("kind") == "own" and not data.get("owner_id"):
            raise ValidationError("個別の費目は負担団体を選んでください。", "owner_id")


class BasisForm(FormSchema):
    population = fields.Integer(load_default=None, validate=_NOT_NEGATIVE, error_messages=_NUMBER)
    households = fields.Integer(load_default=None, validate=_NOT_NEGATIVE, error_messages=_NUMBER)
    as_of = fields.Date(
        load_default=None, error_messages={"invalid": "日付（例 2025-09-30）を入力してください。"}
    )
    usage = fields.Decimal(load_default=None, validate=_NOT_NEGATIVE, places=2, error_messages=_NUMBER)
    standalone = fields.Integer(load_default=None, validate=_NOT_NEGATIVE, error_messages=_NUMBER)


class RuleForm(FormSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), error_messages=_TEXT)
    category = fields.String(
        load_default=None,
        validate=validate.OneOf([c.value for c in Category], error="一覧から選んでください。"),
    )
    preset = fields.String(load_default=None)
    spec = fields.String(load_default=None)
    unit = fields.Integer(
        load_default=None, validate=validate.Range(min=1, error="1以上で入力してください。")
    )
    ratio_precision = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=12, error="0〜12で入力してください。")
    )

    @validates_schema
    def _spec(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("preset") and not data.get("spec"):
            raise ValidationError("按分方法を選ぶか、ルール定義（JSON）を入力してください。", "preset")
        if data.get("spec"):
            try:
                parsed = json.loads(data["spec"])
            except json.JSONDecodeError as err:
                raise ValidationError(
                    f"JSONとして読めません（{err.lineno}行{err.colno}列）。", "spec"
                ) from None
            if not isinstance(parsed, dict):
                raise ValidationError("JSONのオブジェクト（{...}）で入力してください。", "spec")


class ReopenForm(FormSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), error_messages=_TEXT)


class ApproveForm(FormSchema):
    confirm = fields.String(
        required=True,
        validate=validate.Equal("y", error="確認欄にチェックを入れてください。"),
        error_messages={"required": "確認欄にチェックを入れてください。"},
    )


def parse(schema: Schema, form: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """(data, []) or (None, ['「金額」: 数値を入力してください。', ...])."""
    try:
        return schema.load(dict(form)), []
    except ValidationError as err:
        problems = []
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        for name, texts in messages.items():
            for text in texts if isinstance(texts, list) else [texts]:
                problems.append(f"「{LABELS.get(name, name)}」: {text}")
        return None, problems
