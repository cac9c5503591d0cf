"""Forms of the migration pages (Flask-WTF for CSRF); the importer checks the files themselves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tenant_core.inputs import BoundedIntegerField, KyodoForm


class UploadForm(KyodoForm):
    persons = FileField(_l("住民ファイル（CSV）"))
    seals = FileField(_l("印鑑登録ファイル（CSV、任意）"))
    images = FileField(_l("印影画像（zip、任意）"))
    encoding = SelectField(
        _l("文字コード"),
        choices=[
            SelectChoice("", _l("自動判定")),
            SelectChoice("cp932", "cp932 (Shift_JIS)"),
            SelectChoice("utf-8", "UTF-8"),
        ],
        default="",
    )
    dry_run = BooleanField(_l("検査のみ（ドライラン）"), default=True)
    accept_partial = BooleanField(_l("問題のない行だけ反映する"))
    control_persons = BoundedIntegerField(_l("管理件数：住民"), validators=[Optional()], low=0)
    control_households = BoundedIntegerField(_l("管理件数：世帯"), validators=[Optional()], low=0)
    control_seals = BoundedIntegerField(_l("管理件数：印鑑登録"), validators=[Optional()], low=0)
    cutover = BooleanField(_l("本番移行"))
    override_reason = TextAreaField(_l("完了基準を満たさずに本番移行する理由"), validators=[Length(max=500)])


class GaijiForm(KyodoForm):
    code = StringField(_l("私用領域コード（例 U+E000）"), validators=[Length(max=10)])
    text = StringField(_l("対応する文字（異体字セレクタ付きも可）"), validators=[Length(max=20)])
    note = StringField(_l("備考"), validators=[Length(max=300)])
    glyph = FileField(_l("字形画像（PNG、任意）"))


class GaijiImportForm(KyodoForm):
    file = FileField(_l("外字表（CSV: 私用領域コード, 文字, 備考）"))
