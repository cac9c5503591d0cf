"""Forms of the sign-in and account pages (Flask-WTF: validation and CSRF tokens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = "入力してください。"


class LoginForm(FlaskForm):
    login = StringField("ログインID", validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField("パスワード", validators=[DataRequired(REQUIRED), Length(max=256)])


class TotpForm(FlaskForm):
    code = StringField(
        "確認コード（6桁）",
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{6}\s*$", message="6桁の数字を入力してください。"),
        ],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("現在のパスワード", validators=[DataRequired(REQUIRED)])
    new = PasswordField("新しいパスワード", validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField(
        "新しいパスワード（確認）",
        validators=[DataRequired(REQUIRED), EqualTo("new", message="確認用のパスワードが一致しません。")],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserCreateForm(FlaskForm):
    login = StringField(
        "ログインID",
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]{1,63}$",
                message="半角英小文字・数字・記号(._-)の2〜64文字で入力してください。",
            ),
        ],
    )
    display_name = StringField("氏名", validators=[DataRequired(REQUIRED), Length(max=100)])
    password = PasswordField("初期パスワード", validators=[DataRequired(REQUIRED), Length(max=256)])
    roles = MultiCheckboxField("役割（事務分掌）", choices=[])


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField("役割（事務分掌）", choices=[])


class UserStatusForm(FlaskForm):
    confirm = BooleanField("確認しました", validators=[DataRequired("確認欄にチェックを入れてください。")])


class PasswordResetForm(FlaskForm):
    password = PasswordField("新しいパスワード", validators=[DataRequired(REQUIRED), Length(max=256)])
