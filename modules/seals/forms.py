"""Forms of the seal pages (Flask-WTF for CSRF); the services check the meaning of the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from modules.residents.public import SearchForm
from modules.seals.display import STATUS_LABELS
from tenant_core.inputs import BoundedIntegerField, KyodoForm, WarekiDateField

__all__ = ["ChangeForm", "ListForm", "RegisterForm", "SearchForm"]


class ListForm(KyodoForm):
    """Filters of the register list and the look-up by 登録番号 (GET, no CSRF)."""

    class Meta:
        csrf = False

    no = StringField(_l("登録番号"), validators=[Length(max=20)])
    status = SelectField(
        _l("状態"),
        choices=[
            SelectChoice("", _l("すべて")),
            *(SelectChoice(str(code), label) for code, label in STATUS_LABELS.items()),
        ],
        validate_choice=False,
    )


class RegisterForm(KyodoForm):
    """印鑑登録の申請."""

    atena_no = BoundedIntegerField(
        _l("宛名番号"),
        validators=[Optional()],
        low=1,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    image = FileField(_l("印影画像（PNG または JPEG）"), render_kw={"accept": "image/png,image/jpeg"})


class ChangeForm(KyodoForm):
    """亡失届・廃止届: a reason and a deliberate tick."""

    effective_on = WarekiDateField(_l("届出日（空欄なら本日）"))
    reason = TextAreaField(_l("理由"), validators=[Length(max=300)])
    confirm = BooleanField(_l("内容を確認しました（取り消せません）"))
    # The registration's version when the form was shown: a change made meanwhile is a 409.
    version = HiddenField()
