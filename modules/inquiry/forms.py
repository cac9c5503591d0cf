"""The inquiry form: who (宛名番号, or a カナ search) and why (a purpose from the list, free text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tenant_core.inputs import BoundedIntegerField, KyodoForm

OTHER = "other"
PURPOSES = {
    "counter": _l("窓口での本人・届出内容の確認"),
    "certificate": _l("証明書交付の確認"),
    "tax": _l("税・保険料の賦課に関する確認"),
    "welfare": _l("福祉・給付の資格確認"),
    "request": _l("他課・他機関からの照会への回答"),
    OTHER: _l("その他（理由を記入）"),
}


class InquiryForm(KyodoForm):
    atena_no = BoundedIntegerField(
        _l("宛名番号"),
        validators=[Optional()],
        low=1,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    kana = StringField(
        _l("カナ氏名で探す（前方一致）"), validators=[Length(max=60)], render_kw={"autocomplete": "off"}
    )
    purpose = SelectField(
        _l("照会の目的"),
        choices=[
            SelectChoice("", _l("選択してください")),
            *(SelectChoice(k, v) for k, v in PURPOSES.items()),
        ],
        validate_choice=False,
    )
    reason = TextAreaField(_l("照会理由（具体的に）"), validators=[Length(max=200)])
