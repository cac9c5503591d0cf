"""Forms of the secretariat's pages (Flask-WTF for CSRF); the services check the meaning of the values.

A blank field is a missing one; amounts may carry thousands separators (1,234 or 1，234) and 円. Each
problem reads 「金額」: 数値を入力してください。 — the field's label, then what is wrong (``problems``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextArea

from modules.costs.errors import CostError
from modules.costs.models import Category
from tenant_core.inputs import INT_MAX, INT_MIN, YEN_MAX, KyodoForm

_REQUIRED = _l("入力してください。")
_NUMBER = _l("数値を入力してください。")
_CHOOSE = _l("一覧から選んでください。")
_CHECK = _l("確認欄にチェックを入れてください。")
_CATEGORIES = tuple(c.value for c in Category)

Validator = Callable[[FlaskForm, Field], None]


class TextField(StringField):
    """Text with the surrounding spaces removed; blank or absent is None."""

    # The parsed value: text here, a number or a date in the fields below.
    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = text or None


class IntField(TextField):
    """A whole number; ``grouped`` ones (amounts, counts) may be written 1,234 / 1，234 / 1,234円."""

    def __init__(
        self,
        label: Any,
        validators: Sequence[Validator] = (),
        *,
        grouped: bool = False,
        high: int = INT_MAX,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.grouped = grouped
        self.int_range = (INT_MIN, high)  # checked by KyodoForm

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and self.grouped:
            self.data = self.data.replace(",", "").replace("，", "").replace("円", "") or None
        if self.data is not None:
            try:
                self.data = int(self.data)
            except ValueError:
                self.data = None
                raise ValueError(_NUMBER) from None


class DecimalField(TextField):
    """A number rounded to two decimal places; separators and 円 as in ``IntField(grouped=True)``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            text = self.data.replace(",", "").replace("，", "").replace("円", "")
            if not text:
                self.data = None
                return
            try:
                value = Decimal(text)
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():
                self.data = None
                raise ValueError(_NUMBER)
            self.data = value.quantize(Decimal("0.01"))


class DateField(TextField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.data):
                    raise ValueError(self.data)
                self.data = dt.date.fromisoformat(self.data)
            except ValueError:
                self.data = None
                raise ValueError(_l("日付（例 2025-09-30）を入力してください。")) from None


def required(form: FlaskForm, field: Field) -> None:
    """Stops at a value that could not be read (its problem is already noted) or at a missing one."""
    if field.process_errors:
        raise StopValidation()
    if field.data is None:
        raise StopValidation(_REQUIRED)


def optional(form: FlaskForm, field: Field) -> None:
    if field.process_errors or field.data is None:
        raise StopValidation()


def in_range(low: int | None = None, high: int | None = None, message: Any = None) -> Validator:
    def check(form: FlaskForm, field: Field) -> None:
        if (low is not None and field.data < low) or (high is not None and field.data > high):
            raise ValidationError(message)

    return check


def longest(high: int) -> Validator:
    def check(form: FlaskForm, field: Field) -> None:
        if len(field.data) > high:
            raise ValidationError(_("%(max)s文字以内で入力してください。", max=high))

    return check


def one_of(values: Sequence[str]) -> Validator:
    def check(form: FlaskForm, field: Field) -> None:
        if field.data not in values:
            raise ValidationError(_CHOOSE)

    return check


_YEAR = in_range(1989, 2100, _l("1989〜2100の年度（4月が属する西暦年）を入力してください。"))
_NOT_NEGATIVE = in_range(0, None, _l("0以上の数値を入力してください。"))


def problems(form: FlaskForm) -> list[str]:
    """One line per problem, in the order of the fields: 「金額」: 数値を入力してください。"""
    return [
        _("「%(label)s」: %(message)s", label=field.label.text, message=message)
        for field in form
        for message in field.errors
    ]


def six_digits(form: FlaskForm, field: Field) -> None:
    if not re.match(r"^\d{6}$", field.data):
        raise ValidationError(_("6桁の数字で入力してください。"))


class MemberForm(KyodoForm):
    code = TextField(_l("団体コード"), [required, six_digits])
    name = TextField(_l("名称"), [required, longest(100)])
    joined_year = IntField(_l("加入年度"), [required, _YEAR])
    left_year = IntField(_l("脱退年度"), [optional, _YEAR])


class YearForm(KyodoForm):
    year = IntField(_l("年度"), [required, _YEAR])
    copy_from = IntField(_l("複写元の年度"), [optional, _YEAR])


def _currency(form: FlaskForm, field: Field) -> None:
    if field.data and not re.fullmatch(r"[A-Z]{3}", field.data):
        raise StopValidation(_l("通貨は3文字の通貨コード（例 USD）で入力してください。"))


def _amount_unless_foreign(form: FlaskForm, field: Field) -> None:
    """The yen amount is required, except for an item in a foreign currency (converted from it)."""
    if form.currency.data and form.currency.data != "JPY":
        raise StopValidation()
    required(form, field)


class ItemForm(KyodoForm):
    name = TextField(_l("名称"), [required, longest(200)])
    category = TextField(_l("区分"), [required, one_of(_CATEGORIES)])
    amount = IntField(_l("金額"), [_amount_unless_foreign, _NOT_NEGATIVE], grouped=True, high=YEN_MAX)
    kind = TextField(_l("按分対象/個別"), [optional, one_of(("shared", "own"))])
    owner_id = IntField(_l("負担団体"), [optional])
    rule_id = IntField(_l("按分ルール"), [optional])
    currency = TextField(_l("通貨（外貨建ての場合）"), [optional, _currency])
    foreign_amount = DecimalField(_l("外貨額"), [optional, _NOT_NEGATIVE])
    paid_rate = DecimalField(_l("支払時の為替レート（円）"), [optional])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.currency.data and self.currency.data != "JPY" and self.foreign_amount.data is None:
            self.foreign_amount.errors.append(_("外貨建ての費目には外貨額を入力してください。"))
            return False
        if self.kind.data == "own" and not self.owner_id.data:
            self.owner_id.errors.append(_("個別の費目は負担団体を選んでください。"))
            return False
        return True

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``editing.save_item``."""
        return {
            "name": self.name.data,
            "category": self.category.data,
            "amount": self.amount.data or 0,
            "shared": self.kind.data != "own",
            "owner_id": self.owner_id.data,
            "rule_id": self.rule_id.data,
            "currency": self.currency.data or None,
            "foreign_amount": self.foreign_amount.data,
            "paid_rate": self.paid_rate.data,
        }


class RatesForm(KyodoForm):
    """The year's planning rate and the rates to compare, for one currency."""

    currency = TextField(_l("通貨"), [required, _currency])
    rate = DecimalField(_l("想定レート（円）"), [required])
    scenarios = TextField(_l("比較するレート（円、カンマ区切り）"), [optional, longest(200)])

    def scenario_rates(self) -> list[Decimal]:
        found = []
        for part in re.split(r"[,、，\s]+", self.scenarios.data or ""):
            if part:
                try:
                    found.append(Decimal(part))
                except InvalidOperation:
                    raise CostError(_("比較するレートが数値ではありません: %(value)s", value=part)) from None
        return found


class BasisForm(KyodoForm):
    """One member's bases; the page posts one per member, its fields prefixed ``m<member id>_``."""

    class Meta:
        csrf = False  # the page's one token is checked for the whole post

    population = IntField(_l("人口"), [optional, _NOT_NEGATIVE], grouped=True)
    households = IntField(_l("世帯数"), [optional, _NOT_NEGATIVE], grouped=True)
    as_of = DateField(_l("基準日"), [optional])
    usage = DecimalField(_l("利用実績"), [optional, _NOT_NEGATIVE])
    standalone = IntField(_l("単独費用"), [optional, _NOT_NEGATIVE], grouped=True, high=YEN_MAX)

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``editing.save_basis``."""
        return {
            name: self[name].data for name in ("population", "households", "as_of", "usage", "standalone")
        }


class RuleForm(KyodoForm):
    name = TextField(_l("名称"), [required, longest(200)])
    category = TextField(_l("区分"), [optional, one_of(_CATEGORIES)])
    preset = TextField(_l("按分方法"), [optional])
    spec = TextField(_l("ルール定義（JSON）"), [optional], widget=TextArea())  # may span lines
    unit = IntField(
        _l("端数処理の単位"), [optional, in_range(1, None, _l("1以上で入力してください。"))], grouped=True
    )
    ratio_precision = IntField(
        _l("按分率の桁数"), [optional, in_range(0, 12, _l("0〜12で入力してください。"))]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.preset.data and not self.spec.data:
            self.preset.errors.append(_("按分方法を選ぶか、ルール定義（JSON）を入力してください。"))
            return False
        if self.spec.data:
            try:
                parsed = json.loads(self.spec.data)
            except json.JSONDecodeError as err:
                self.spec.errors.append(
                    _("JSONとして読めません（%(line)s行%(column)s列）。", line=err.lineno, column=err.colno)
                )
                return False
            if not isinstance(parsed, dict):
                self.spec.errors.append(_("JSONのオブジェクト（{...}）で入力してください。"))
                return False
        return True

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``editing.add_rule_from_form``."""
        return {
            name: self[name].data
            for name in ("name", "category", "preset", "spec", "unit", "ratio_precision")
        }


class ReopenForm(KyodoForm):
    reason = TextField(_l("改定理由"), [required, longest(500)])


def _ticked(form: FlaskForm, field: Field) -> None:
    if field.data != "y":
        raise StopValidation(_CHECK)


class ApproveForm(KyodoForm):
    confirm = TextField(_l("確認"), [_ticked])


class DeleteForm(KyodoForm):
    """Deleting an item or a rule asks for a deliberate tick."""

    confirm = TextField(_l("削除を確認"))

    def confirmed(self) -> bool:
        return self.validate_on_submit() and self.confirm.data == "y"


class UsageRevisionForm(KyodoForm):
    """A correction of a measured count: the new value, the date it holds from and why."""

    value = IntField(_l("訂正後の件数"), [required, _NOT_NEGATIVE], grouped=True, high=YEN_MAX)
    effective_on = DateField(_l("訂正日"), [required])
    reason = TextField(_l("訂正理由"), [required, longest(500)])
