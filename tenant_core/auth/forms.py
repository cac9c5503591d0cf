"""Forms of the sign-in and account pages (Flask-WTF: validation and CSRF tokens)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from tenant_core.inputs import KyodoForm

REQUIRED = _l("入力してください。")


class LoginForm(KyodoForm):
    login = StringField(_l("ログインID"), validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(REQUIRED), Length(max=256)])


class TotpForm(KyodoForm):
    code = StringField(
        _l("確認コード（6桁）"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{6}\s*$", message=_l("6桁の数字を入力してください。")),
        ],
    )


class PasswordChangeForm(KyodoForm):
    current = PasswordField(_l("現在のパスワード"), validators=[DataRequired(REQUIRED)])
    new = PasswordField(_l("新しいパスワード"), validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField(
        _l("新しいパスワード（確認）"),
        validators=[DataRequired(REQUIRED), EqualTo("new", message=_l("確認用のパスワードが一致しません。"))],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserCreateForm(KyodoForm):
    login = StringField(
        _l("ログインID"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]{1,63}$",
                message=_l("半角英小文字・数字・記号(._-)の2〜64文字で入力してください。"),
            ),
        ],
    )
    display_name = StringField(_l("氏名"), validators=[DataRequired(REQUIRED), Length(max=100)])
    password = PasswordField(_l("初期パスワード"), validators=[DataRequired(REQUIRED), Length(max=256)])
    roles = MultiCheckboxField(_l("役割（事務分掌）"), choices=[])


class UserRolesForm(KyodoForm):
    roles = MultiCheckboxField(_l("役割（事務分掌）"), choices=[])


class UserStatusForm(KyodoForm):
    confirm = BooleanField(
        _l("確認しました"), validators=[DataRequired(_l("確認欄にチェックを入れてください。"))]
    )


class PasswordResetForm(KyodoForm):
    password = PasswordField(_l("新しいパスワード"), validators=[DataRequired(REQUIRED), Length(max=256)])
