"""API schemas (marshmallow): the search terms read from a query string, and a person as JSON."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from tenant_core.api import Timestamp
from tenant_core.inputs import no_control_characters

# Lazy: the schemas are built at import, the messages read in the requester's language.
_DATE_ERROR = {"invalid": _l("日付は「2001-04-01」の形で指定してください。")}
_INT_ERROR = {"invalid": _l("整数で指定してください。")}


class SearchArgsSchema(Schema):
    """?kana=&name=&birth_date=&address=&tsusho=&alpha=&include_removed=&page=&per_page= (unknown keys ignored).

    Built per request: the lazy messages become text in the requester's language here, because
    marshmallow wraps only real strings in a list of messages.
    """

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages = {k: str(v) for k, v in field.error_messages.items()}

    kana = fields.String(load_default="", validate=[validate.Length(max=60), no_control_characters])
    name = fields.String(load_default="", validate=[validate.Length(max=60), no_control_characters])
    birth_date = fields.Date(load_default=None, allow_none=True, error_messages=_DATE_ERROR)
    address = fields.String(load_default="", validate=[validate.Length(max=100), no_control_characters])
    tsusho = fields.String(load_default="", validate=[validate.Length(max=60), no_control_characters])
    alpha = fields.String(load_default="", validate=[validate.Length(max=100), no_control_characters])
    include_removed = fields.Boolean(load_default=False)
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100_000), error_messages=_INT_ERROR
    )
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100), error_messages=_INT_ERROR
    )


def clean_args(args: Any) -> dict[str, Any]:
    """Query-string values with empty strings dropped, so that ``birth_date=`` means no date."""
    return {k: v for k, v in args.items() if v != ""}


class PersonSchema(Schema):
    """A person (current state or state on a date) for other systems; the 個人番号 is added apart."""

    atena_no = fields.Integer()
    household_no = fields.Integer()
    family_name = fields.String()
    given_name = fields.String()
    family_kana = fields.String()
    given_kana = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    relationship = fields.String()
    town = fields.String()
    banchi = fields.String()
    katagaki = fields.String()
    address = fields.String()
    resident_since = fields.Date()
    status = fields.String()
    left_on = fields.Date(allow_none=True)
    honseki = fields.String(allow_none=True)  # 本籍 (None: not recorded, e.g. a 外国人住民)
    hitto_sha = fields.String(allow_none=True)  # 筆頭者
    # 住基法7条7号・8号
    address_since = fields.Date(allow_none=True)
    notified_on = fields.Date(allow_none=True)
    previous_address = fields.String(allow_none=True)
    # 日本人住民 / 外国人住民 and the 外国人住民's items (住基法30条の45); None for a 日本人住民.
    citizenship = fields.String()
    nationality = fields.String(allow_none=True)
    foreign_category = fields.String(allow_none=True)
    residence_status = fields.String(allow_none=True)
    residence_period = fields.String(allow_none=True)
    residence_from = fields.Date(allow_none=True)
    residence_until = fields.Date(allow_none=True)
    card_number = fields.String(allow_none=True)
    alpha_name = fields.String(allow_none=True)
    tsusho = fields.String(allow_none=True)  # 通称
    tsusho_kana = fields.String(allow_none=True)
    kyuuji = fields.String(allow_none=True)  # 旧氏 (日本人住民)
    kyuuji_kana = fields.String(allow_none=True)
    # The 住民票コード is not part of this answer: like the 個人番号 it is given out only where the
    # law requires it (住基法30条の37-38 forbid asking for it), so the API leaves it out entirely.


class SearchRowSchema(Schema):
    atena_no = fields.Integer()
    family_name = fields.String()
    given_name = fields.String()
    family_kana = fields.String()
    given_kana = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    address = fields.String()
    katagaki = fields.String()
    status = fields.String()


class ChangesArgsSchema(Schema):
    """?since=<ISO 8601 with offset>&cursor=&limit= (unknown keys ignored); ``since`` or ``cursor``."""

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages = {k: str(v) for k, v in field.error_messages.items()}

    since = Timestamp(
        load_default=None,
        error_messages={"invalid": _l("日時は「2027-04-01T09:00:00+09:00」の形で指定してください。")},
        metadata={"description": "changed at or after this moment (ISO 8601 with its offset)"},
    )
    cursor = fields.String(
        load_default=None,
        validate=[validate.Length(max=200), no_control_characters],
        metadata={"description": "next_cursor of the previous page (takes the place of since)"},
    )
    limit = fields.Integer(
        load_default=100, validate=validate.Range(min=1, max=500), error_messages=_INT_ERROR
    )


class HouseholdSchema(Schema):
    household_no = fields.Integer(required=True)
    head_atena_no = fields.Integer(
        allow_none=True, required=True, metadata={"description": "世帯主 (null: none shown)"}
    )
    members = fields.List(fields.Nested(PersonSchema), required=True)


class HouseholdResultSchema(Schema):
    household = fields.Nested(HouseholdSchema, required=True)
    on = fields.Date(allow_none=True, required=True)


class ChangeSchema(Schema):
    atena_no = fields.Integer(required=True)
    updated_at = Timestamp(required=True)
    status = fields.String(required=True)
    person = fields.Nested(
        PersonSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "null for a 除票 when the caller may not read 除票 (residents.view_removed)"
        },
    )


class ChangesResultSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    next_cursor = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "give it as cursor to read on (now or later); null: nothing read yet"},
    )
    has_more = fields.Boolean(required=True)
