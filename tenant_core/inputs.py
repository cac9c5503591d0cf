"""Bounds on what the application accepts, in one place: numbers the database can hold, no control characters.

- **URLs**: the app's ``int`` converter (``<int:...>`` in every route) accepts only what an ``Integer``
  column holds (0 to 2**31-1); a longer number is a 404, never an ``OverflowError``.
- **Forms**: every form derives from ``KyodoForm``. Its ``validate`` adds one check to every field: text may
  not contain control characters (tab and line breaks are allowed in a multi-line field only, NUL never), a
  whole number must lie within the field's range (``INT_MIN``..``INT_MAX`` unless the field declares
  ``int_range``, e.g. ``BoundedIntegerField(high=YEN_MAX)`` for amounts kept in ``BigInteger``), a decimal
  below ``DECIMAL_MAX``. The message names the field by its label.
- **Query strings and URL parts**: a search term or filter with a control character is refused before the
  view runs, with a page that says so (400), or JSON naming the parameter (422) on an API; a URL part with
  one (a certificate's number, say) is a 404.
- **JSON APIs**: ``no_control_characters`` is a marshmallow validator for string fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError as SchemaValidationError
from werkzeug.routing import IntegerConverter
from wtforms import Field, IntegerField, StringField
from wtforms.validators import StopValidation
from wtforms.widgets import TextArea

from tenant_core import wareki

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1  # an Integer column (PostgreSQL integer)
YEN_MAX = 999_999_999_999_999  # amounts in BigInteger columns, leaving room for their sums
DECIMAL_MAX = Decimal(10) ** 15  # Numeric(18, 2)

# C0 controls and DEL; a multi-line field may keep tab, LF and CR. NUL is refused everywhere.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_MULTILINE if multiline else _CONTROL_LINE).search(text))


def printable(text: object, limit: int = 40) -> str:
    """Text fit for a log line: control characters written as ``\\xNN``, cut at ``limit`` characters."""
    return _CONTROL_LINE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))[:limit]


def control_message(label: object) -> str:
    return _("「%(label)s」に使えない文字（制御文字）が含まれています。", label=label)


def int_message(label: object, low: int, high: int) -> str:
    return _(
        "「%(label)s」は%(low)s〜%(high)sの範囲の整数で入力してください。", label=label, low=low, high=high
    )


def int_problem(value: object, label: object, low: int = INT_MIN, high: int = INT_MAX) -> str | None:
    """The message for a whole number outside ``low..high`` (None when it fits or is no number)."""
    if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
        return int_message(label, low, high)
    return None


def bounded_int(text: object, low: int = INT_MIN, high: int = INT_MAX) -> int | None:
    """A whole number read from text, or None when it is none or lies outside ``low..high``."""
    try:
        value = int(str(text or "").strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


# --- forms ---------------------------------------------------------------------------------------------


def _check_field(form: Any, field: Field) -> None:
    label = field.label.text if field.label is not None else field.name
    multiline = isinstance(field.widget, TextArea)
    for raw in field.raw_data or ():
        if isinstance(raw, str) and has_control_characters(raw, multiline=multiline):
            raise StopValidation(control_message(label))
    data = field.data
    if isinstance(data, int) and not isinstance(data, bool):
        low, high = getattr(field, "int_range", (INT_MIN, INT_MAX))
        problem = int_problem(data, label, low, high)
        if problem:
            raise StopValidation(problem)
    if isinstance(data, Decimal) and data.is_finite() and abs(data) >= DECIMAL_MAX:
        raise StopValidation(_("「%(label)s」の数値が大きすぎます。", label=label))


class KyodoForm(FlaskForm):
    """The base of every form: each field is also checked for control characters and numeric bounds."""

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        extra = dict(extra_validators or {})
        for name in self._fields:
            extra[name] = [*extra.get(name, ()), _check_field]
        return super().validate(extra)


class BoundedIntegerField(IntegerField):
    """A whole number within ``low..high`` (by default what an Integer column holds)."""

    def __init__(self, *args: Any, low: int = INT_MIN, high: int = INT_MAX, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.int_range = (low, high)


class WarekiDateField(StringField):
    """A date typed as staff write it (令和8年4月1日, R8.4.1, 2026/4/1...), read by ``tenant_core.wareki``.

    ``data`` is the date, or None for a blank (a required date says so in its own validator or service)
    and for text that names no date: then the reader's reason is the field's error. The box is a text
    box, not the browser's date picker, which would accept and send only the Western ISO form. The
    form macro shows ``understood`` beside it, the date in 和暦 as it was read, so that a slip (H for R)
    is seen before the record is saved.
    """

    data: Any

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "inputmode": "text",
            "autocomplete": "off",
            "placeholder": _l("R8.4.1 / 令和8年4月1日 / 2026-04-01"),
            **(kwargs.pop("render_kw", None) or {}),
        }
        render_kw.pop("type", None)
        render_kw["data-date-field"] = "1"
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value: Any) -> None:
        # An initial value from a view or an object: a date, or ISO text.
        self.data = wareki.try_parse(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]) if valuelist else ""
        self.data = None
        if wareki.normalise(text):
            try:
                self.data = wareki.parse_date(text)
            except wareki.WarekiError as exc:
                raise ValueError(exc.message) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, dt.date):
            return self.data.isoformat()
        return str(self.data or "")

    @property
    def date(self) -> dt.date | None:
        """The date read (also when a view set ``data`` to ISO text)."""
        return wareki.try_parse(self.data)

    @property
    def understood(self) -> str:
        """'令和8年4月1日（2026年4月1日）と読みました' once a typed date was read; '' otherwise."""
        if self.process_errors:
            return ""
        from tenant_core.formatting import wareki_understood

        return wareki_understood(self.date)


def only_unread_dates(form: Any) -> bool:
    """Whether a posted form was refused only because date fields named no date (its token and every
    other field are fine). A long form's view then still asks its service, with the typed text of those
    dates, for its other problems: the service refuses the unread date (it checks all input before it
    changes anything), and the clerk sees every problem at once."""
    if not form.is_submitted() or not form.errors:
        return False
    return all(
        isinstance(form[name], WarekiDateField) and form[name].errors == form[name].process_errors
        for name in form.errors
    )


def typed_value(field: Field) -> Any:
    """A field's value for a service: an unread date as the text typed (so the service names it too)."""
    if isinstance(field, WarekiDateField) and field.process_errors and field.raw_data:
        return str(field.raw_data[0])
    return field.data


# --- marshmallow (JSON APIs) ---------------------------------------------------------------------------


def no_control_characters(value: object) -> None:
    """A marshmallow validator: single-line text without control characters."""
    if isinstance(value, str) and has_control_characters(value):
        raise SchemaValidationError(_("使えない文字（制御文字）が含まれています。"))


def no_multiline_control_characters(value: object) -> None:
    """A marshmallow validator: text that may span lines (tab, LF, CR allowed), without other controls."""
    if isinstance(value, str) and has_control_characters(value, multiline=True):
        raise SchemaValidationError(_("使えない文字（制御文字）が含まれています。"))


# --- URLs and query strings ----------------------------------------------------------------------------


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to what an Integer column holds: a longer number does not match (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def _bad_query_args(items: Iterable[tuple[str, str]]) -> list[str]:
    return [key for key, value in items if has_control_characters(key) or has_control_characters(value)]


def _refuse_control_characters_in_query() -> Any:
    if any(isinstance(v, str) and has_control_characters(v) for v in (request.view_args or {}).values()):
        abort(404)  # a certificate or registration number with a control character names nothing
    bad = _bad_query_args(request.args.items(multi=True))
    if not bad:
        return None
    message = _("検索条件に使えない文字（制御文字）が含まれています。")
    if "/api/" in request.path:
        names = [repr(k)[1:-1] for k in bad]
        return jsonify(error="invalid", message=message, errors={n: [message] for n in names}), 422
    return render_template("core/error.html", code=400, message=message), 400


def init_app(app: Flask) -> None:
    """Register the bounded ``int`` converter (before any route) and the query-string check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_control_characters_in_query)
