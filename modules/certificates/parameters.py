"""Parameters of 証明書交付: fees, the mayor's title, the wording, the issuing offices, 本籍 printing.

The certificate module reads them with ``param("certificates....")``; each city sets its own values.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tenant_core.params.declare import Choice, Column, Image, Money, Param, Table, Text, options

# Typed as marshmallow declares ``error_messages`` (a dict, invariant in its value type).
_REQUIRED: dict[str, str | list[Any] | dict[Any, Any]] = {"required": "必須です。", "null": "必須です。"}


class OfficeSchema(Schema):
    """One issuing office (本庁舎, 支所, 出張所)."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error="1文字以上60文字以内で入力してください。"),
        error_messages=_REQUIRED,
    )
    address = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="1文字以上200文字以内で入力してください。"),
        error_messages=_REQUIRED,
    )
    phone = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^0\d{1,4}-\d{1,4}-\d{3,4}$", error="電話番号は 0545-51-0123 の形で入力してください。"
        ),
        error_messages=_REQUIRED,
    )


PARAMETERS = [
    Param(
        "certificates.fee.juminhyo",
        Money(min=0, max=10_000),
        300,
        "住民票の写しの交付手数料",
        "Fee for a copy of the resident record",
        help_ja="1通あたりの手数料です（手数料条例で定める額）。",
        help_en="Per copy, as set by the city's fee ordinance.",
        unit=_l("円"),
    ),
    Param(
        "certificates.fee.inkan",
        Money(min=0, max=10_000),
        300,
        "印鑑登録証明書の交付手数料",
        "Fee for a seal registration certificate",
        help_ja="1通あたりの手数料です（手数料条例で定める額）。",
        help_en="Per copy, as set by the city's fee ordinance.",
        unit=_l("円"),
    ),
    Param(
        "certificates.fee.joshu",
        Money(min=0, max=10_000),
        300,
        "除票の写しの交付手数料",
        "Fee for a copy of a removed resident record",
        help_ja="1通あたりの手数料です（手数料条例で定める額）。",
        help_en="Per copy, as set by the city's fee ordinance.",
        unit=_l("円"),
    ),
    Param(
        "certificates.fee.tenshutsu",
        Money(min=0, max=10_000),
        0,
        "転出証明書の交付手数料",
        "Fee for a moving-out certificate",
        help_ja="多くの市では無料です（手数料条例で定める額）。",
        help_en="Free in most cities (as set by the fee ordinance).",
        unit=_l("円"),
    ),
    Param(
        "certificates.juminhyo_form",
        Choice(
            options=options(
                ("renki", "世帯連記式（世帯の方を1枚に連記）", "Household form (several persons a sheet)"),
                ("kojin", "個人票（1人1枚）", "Individual form (one person a sheet)"),
            )
        ),
        "renki",
        "住民票の写しの様式（既定）",
        "Form of the copy of the resident record (default)",
        help_ja="住民記録システム標準仕様書の帳票のうち、請求者が指定しない場合に用いる様式です。",
        help_en="The standard's form used when the applicant does not choose one.",
    ),
    Param(
        "certificates.seal_image",
        Image(),
        "",
        "公印（画像）",
        "Official seal (image)",
        help_ja="証明書の市長名に重ねて印字する公印の画像です（PNGまたはJPEG、背景は透過または白）。",
        help_en="The city's official seal printed over the mayor's title (PNG or JPEG).",
    ),
    Param(
        "certificates.background",
        Image(max_bytes=1024 * 1024),
        "",
        "地紋（画像）",
        "Security background (image)",
        help_ja="証明書の用紙全面に印字する地紋の画像です（A4縦に拡大して印字します。淡い色で作成してください）。",
        help_en="Printed over the whole A4 page, under the text; use pale colours.",
    ),
    Param(
        "certificates.mayor_title",
        Text(min_length=1, max_length=40),
        "市長",
        "証明者の肩書",
        "Title of the certifying mayor",
        help_ja="証明書の末尾に印字する肩書です（例: 富士市長）。",
        help_en="Printed at the foot of each certificate (e.g. 富士市長).",
    ),
    Param(
        "certificates.wording",
        Text(min_length=1, max_length=200, multiline=True),
        "この写しは、住民票の原本と相違ないことを証明する。",
        "認証文",
        "Certification wording",
        help_ja="住民票の写しに印字する認証文です。",
        help_en="The sentence certifying the copy.",
    ),
    Param(
        "certificates.wording_inkan",
        Text(min_length=1, max_length=200, multiline=True),
        "この写しは、登録されている印影と相違ないことを証明する。",
        "認証文（印鑑登録証明書）",
        "Certification wording (seal certificate)",
        help_ja="印鑑登録証明書に印字する認証文です。",
        help_en="The sentence certifying the seal impression.",
    ),
    Param(
        "certificates.wording_joshu",
        Text(min_length=1, max_length=200, multiline=True),
        "この写しは、除票の原本と相違ないことを証明する。",
        "認証文（除票の写し）",
        "Certification wording (removed record)",
        help_ja="除票の写しに印字する認証文です。",
        help_en="The sentence certifying a copy of a removed record.",
    ),
    Param(
        "certificates.wording_tenshutsu",
        Text(min_length=1, max_length=200, multiline=True),
        "上記の者は、本市から転出することを証明する。",
        "認証文（転出証明書）",
        "Certification wording (moving-out certificate)",
        help_ja="転出証明書に印字する認証文です。",
        help_en="The sentence of a moving-out certificate.",
    ),
    Param(
        "certificates.offices",
        Table(
            schema=OfficeSchema,
            columns=(
                Column("name", "名称", "Name"),
                Column("address", "所在地", "Address"),
                Column("phone", "電話番号", "Phone"),
            ),
            min_rows=1,
            max_rows=50,
        ),
        [{"name": "本庁舎 市民課", "address": "（所在地を設定してください）", "phone": "000-000-0000"}],
        "交付窓口",
        "Issuing offices",
        help_ja="証明書を交付する窓口の一覧です。",
        help_en="The offices that issue certificates.",
    ),
    Param(
        "certificates.honseki_default",
        Choice(
            options=options(
                ("omit", "省略する（請求があれば記載）", "Omitted unless asked for"),
                ("print", "記載する", "Printed"),
            )
        ),
        "omit",
        "本籍・筆頭者の記載（既定）",
        "Registered domicile (honseki) on the copy by default",
        help_ja="請求者が特に求めない場合の扱いです。",
        help_en="What a copy shows when the applicant does not say.",
    ),
]
