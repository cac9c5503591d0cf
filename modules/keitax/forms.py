"""Forms of the 軽自動車税 pages (Flask-WTF for CSRF); the services check the meaning of the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from modules.keitax.classes import CLASSES
from tenant_core.inputs import BoundedIntegerField, KyodoForm, WarekiDateField


class VehicleForm(KyodoForm):
    plate_no = StringField(_l("標識番号"), validators=[Length(max=30)])
    vehicle_class = SelectField(
        _l("車種区分"),
        choices=[SelectChoice("", _l("選んでください")), *(SelectChoice(c.code, c.label) for c in CLASSES)],
        validate_choice=False,  # the service names an unknown class in its own words
    )
    first_inspection = StringField(_l("初度検査年月"), validators=[Length(max=10)], description="2015-03")
    green = BooleanField(_l("電気軽自動車等（グリーン化特例の対象）"))
    owner_atena_no = StringField(_l("所有者の宛名番号"), validators=[Length(max=12)])
    user_atena_no = StringField(_l("使用者の宛名番号"), validators=[Length(max=12)])
    retained_title = BooleanField(_l("所有権留保（使用者＝買主に課税）"))
    acquired_on = WarekiDateField(_l("取得日"))


class HoldersForm(KyodoForm):
    """所有者・使用者の変更: the version shown, the new holders, the day and a deliberate tick."""

    version = HiddenField()
    owner_atena_no = StringField(_l("所有者の宛名番号"), validators=[Length(max=12)])
    user_atena_no = StringField(_l("使用者の宛名番号"), validators=[Length(max=12)])
    retained_title = BooleanField(_l("所有権留保（使用者＝買主に課税）"))
    effective_on = WarekiDateField(_l("異動日"))
    confirm = BooleanField(_l("変更の内容を確認しました"))


class ScrapForm(KyodoForm):
    version = HiddenField()
    scrapped_on = WarekiDateField(_l("廃車日"))


class ReductionForm(KyodoForm):
    fiscal_year = BoundedIntegerField(_l("年度"), low=2000, high=2100)
    percent = BoundedIntegerField(_l("減免の割合（%）"), low=1, high=100)
    reason = StringField(_l("減免の理由"), validators=[Length(max=300)])


class DecideForm(KyodoForm):
    version = HiddenField()
    decision = HiddenField()


class YearForm(KyodoForm):
    fiscal_year = BoundedIntegerField(_l("年度"), low=2000, high=2100)


class ImportForm(KyodoForm):
    file = FileField(_l("収納データ（CSV: 納付番号, 金額, 納付日, 経路）"))
    encoding = SelectField(
        _l("文字コード"),
        choices=[SelectChoice("utf-8", "UTF-8"), SelectChoice("cp932", "Shift_JIS")],
    )
