"""Forms of the 共通宛名 pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from tenant_core.inputs import KyodoForm


class AddresseeForm(KyodoForm):
    kind = SelectField(
        _l("種別"),
        choices=[SelectChoice("nonresident", _l("住登外者")), SelectChoice("corporation", _l("法人"))],
        validate_choice=False,
    )
    name = StringField(_l("氏名・名称"), validators=[Length(max=200)])
    kana = StringField(_l("フリガナ"), validators=[Length(max=200)])
    corporate_number = StringField(_l("法人番号（13桁）"), validators=[Length(max=20)])
    postcode = StringField(_l("郵便番号"), validators=[Length(max=10)], description="417-8601")
    address = StringField(_l("住所（都道府県から）"), validators=[Length(max=300)])
    address_after_town = StringField(_l("番地・方書（カスタマバーコード用）"), validators=[Length(max=200)])
