"""Parameters of 共通宛名: what a printed address needs beyond the resident register."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tenant_core.params.declare import Column, Param, Table, Text


class PostcodeRow(Schema):
    town = fields.String(required=True, validate=validate.Length(min=1, max=100))
    postcode = fields.String(required=True, validate=validate.Regexp(r"^\d{3}-?\d{4}$"))


PARAMETERS = [
    Param(
        "atena.address_prefix",
        Text(min_length=0, max_length=40),
        "",
        "住所の都道府県・市区町村名",
        "Prefecture and city of addresses",
        help_ja="住民の住所を郵送物に印字するとき、町名の前に付けます（例: 静岡県富士市）。",
        help_en="Put before the town of a resident's address on mail (e.g. 静岡県富士市).",
    ),
    Param(
        "atena.postcodes",
        Table(
            schema=PostcodeRow,
            columns=(Column("town", "町名", "Town"), Column("postcode", "郵便番号", "Postal code")),
            max_rows=2000,
        ),
        [],
        "町名ごとの郵便番号",
        "Postal code of each town",
        help_ja="住民の住所の郵便番号です。大量印刷の並べ替え（郵便番号順）とカスタマバーコードに使います。"
        "町名が一致しない住所は郵便番号なしで最後に並びます。",
        help_en="Used to sort mass printing by postal code and for the customer barcode; a town not listed "
        "prints without a postal code, last.",
    ),
]
