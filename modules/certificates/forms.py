"""Forms of the certificate pages (Flask-WTF for CSRF); the services check the meaning of the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from modules.certificates.models import FORM_LABELS, KIND_LABELS
from modules.certificates.services import RELATION_LABELS, SCOPES
from tenant_core.inputs import KyodoForm

DATE = {"type": "date"}
_KINDS = [SelectChoice(str(k), v) for k, v in KIND_LABELS.items()]


class IssueForm(KyodoForm):
    """The request (交付請求) for one certificate."""

    atena_no = HiddenField()
    kind = SelectField(_l("証明書の種類"), choices=_KINDS)
    scope = SelectField(
        _l("記載の範囲（住民票の写し）"), choices=[SelectChoice(k, v) for k, v in SCOPES.items()]
    )
    form = SelectField(
        _l("様式（住民票の写し・除票の写し）"),
        choices=[SelectChoice(k, v) for k, v in FORM_LABELS.items()],
        validate_choice=False,
    )
    relationship = BooleanField(_l("世帯主・続柄を記載する"), default=True)
    honseki = BooleanField(_l("本籍・筆頭者を記載する"))
    juminhyo_code = BooleanField(_l("住民票コードを記載する（請求があった場合）"))
    kyuuji = BooleanField(_l("旧氏を記載する（記録がある場合）"))
    mynumber = BooleanField(_l("個人番号を記載する（本人または同一世帯の方の請求に限る）"))
    mynumber_condition = StringField(
        _l("個人番号記載の条件（本人確認の方法など、記録されます）"), validators=[Length(max=300)]
    )
    requester_name = StringField(_l("請求者の氏名"), validators=[Length(max=100)])
    requester_relation = SelectField(
        _l("請求者と対象者の関係"),
        choices=[
            SelectChoice("", _l("選択してください")),
            *(SelectChoice(r, v) for r, v in RELATION_LABELS.items()),
        ],
        validate_choice=False,
    )
    purpose = TextAreaField(_l("請求事由（使用目的・提出先）"), validators=[Length(max=300)])
    card_no = StringField(_l("提示された印鑑登録証の番号（印鑑登録証明書）"), validators=[Length(max=40)])


class CancelForm(KyodoForm):
    """交付取消 of one certificate, with its reason."""

    version = HiddenField()
    reason = TextAreaField(_l("取消の理由"), validators=[Length(max=300)])


class ReissueForm(KyodoForm):
    """再交付 of a cancelled certificate."""

    version = HiddenField()


class RegisterFilterForm(KyodoForm):
    """Filters of the register, in the query string (GET)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("種類"), choices=[SelectChoice("", _l("すべて")), *_KINDS], validate_choice=False)
    date_from = StringField(_l("交付日（から）"), render_kw=DATE)
    date_to = StringField(_l("交付日（まで）"), render_kw=DATE)


class VerifyForm(KyodoForm):
    """The public check of a paper certificate."""

    number = StringField(_l("交付番号（例: 2026-000123）"), validators=[Length(max=30)])
    code = StringField(_l("照合番号（例: ABCD-EFGH-JKMN-PQRS）"), validators=[Length(max=40)])


class VerifyPdfForm(KyodoForm):
    """The public check of a certificate received as a PDF: the file itself."""

    pdf = FileField(_l("証明書のPDFファイル"))
