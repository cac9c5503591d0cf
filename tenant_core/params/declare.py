"""How a module declares a parameter: the ``Param`` dataclass and the value types.

Each type turns raw input (JSON, TOML, a form field) into a typed value, or names every problem
in the language of the request; values are stored as JSON and read back with ``from_json``.
One file on purpose: it is what a module author reads to declare a parameter, types and all.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from marshmallow import Schema, ValidationError

from tenant_core.i18n import request_lang
from tenant_core.inputs import INT_MAX, INT_MIN, has_control_characters

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

# Who may set a value (besides the platform operator, who may always set one from the command line).
CITY = "city"
CONSORTIUM = "consortium"
EVERYONE = frozenset({CITY, CONSORTIUM})


class ValueProblem(ValueError):
    """A raw value that a type refuses; the messages are translated and name no key (the caller adds it)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class Option:
    """One choice the national standard leaves to a city."""

    value: str
    label_ja: str
    label_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_ja


@dataclass(frozen=True)
class Column:
    """One column of a table parameter, as the edit grid shows it."""

    name: str
    label_ja: str
    label_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_ja


class ParamType:
    """The behaviour every type provides."""

    name: ClassVar[str]

    def parse(self, raw: Any) -> Any:
        """From JSON, TOML or a form's text to the typed value; raise ValueProblem."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, data: Any) -> Any:
        return data

    def display(self, value: Any, lang: str = "ja") -> str:
        return "" if value is None else str(value)

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError


def _range_problem(value: Any, low: Any, high: Any, unit: str = "") -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise ValueProblem(
            _(
                "%(low)s%(unit)s以上%(high)s%(unit)s以下で入力してください（入力値: %(value)s%(unit)s）。",
                low=low,
                high=high,
                value=value,
                unit=unit,
            )
        )
    if low is not None and value < low:
        raise ValueProblem(
            _(
                "%(low)s%(unit)s以上で入力してください（入力値: %(value)s%(unit)s）。",
                low=low,
                value=value,
                unit=unit,
            )
        )
    if high is not None and value > high:
        raise ValueProblem(
            _(
                "%(high)s%(unit)s以下で入力してください（入力値: %(value)s%(unit)s）。",
                high=high,
                value=value,
                unit=unit,
            )
        )


def _control_message() -> str:
    return _("使えない文字（制御文字）が含まれています。")


def _storable(value: int) -> None:
    """A whole number beyond what an Integer column holds is refused whatever the declared range."""
    if not INT_MIN <= value <= INT_MAX:
        raise ValueProblem(
            _("%(low)s以上%(high)s以下の整数で入力してください。", low=f"{INT_MIN:,}", high=f"{INT_MAX:,}")
        )


def _bad_cell(value: Any) -> bool:
    """A table cell with a control character or a whole number no column could hold."""
    if isinstance(value, str):
        return has_control_characters(value)
    return isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX


def _as_text(raw: Any) -> str | None:
    return raw.strip().replace(",", "") if isinstance(raw, str) else None


@dataclass(frozen=True)
class Integer(ParamType):
    min: int | None = None
    max: int | None = None
    name: ClassVar[str] = "integer"

    def parse(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueProblem(_("整数で入力してください。"))
        if isinstance(raw, int):
            value = raw
        else:
            text = _as_text(raw)
            if text is None or not re.fullmatch(r"[+-]?\d+", text):
                raise ValueProblem(_("整数で入力してください（入力値: %(value)s）。", value=raw))
            value = int(text)
        _range_problem(value, self.min, self.max)
        _storable(value)
        return value

    def json_schema(self) -> dict[str, Any]:
        return _bounded({"type": "integer"}, self.min, self.max)


def _bounded(schema: dict[str, Any], low: Any, high: Any) -> dict[str, Any]:
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


@dataclass(frozen=True)
class Money(Integer):
    """A whole number of yen."""

    min: int | None = 0
    name: ClassVar[str] = "money"

    def parse(self, raw: Any) -> int:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueProblem(_("金額は円単位の整数で入力してください（入力値: %(value)s）。", value=raw))
        if isinstance(raw, str):
            text = raw.strip().replace(",", "").removesuffix("円")
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueProblem(
                    _("金額は円単位の整数で入力してください（入力値: %(value)s）。", value=raw)
                )
            raw = int(text)
        _range_problem(raw, self.min, self.max, _("円"))
        _storable(raw)
        return raw

    def display(self, value: Any, lang: str = "ja") -> str:
        if value is None:
            return ""
        return f"{value:,} yen" if lang == "en" else f"{value:,}円"


@dataclass(frozen=True)
class Decimal(ParamType):
    min: decimal.Decimal | None = None
    max: decimal.Decimal | None = None
    places: int | None = None
    name: ClassVar[str] = "decimal"

    def parse(self, raw: Any) -> decimal.Decimal:
        if isinstance(raw, bool) or raw is None:
            raise ValueProblem(_("数値で入力してください。"))
        try:
            text = _as_text(raw)  # a str has its spaces and thousands separators removed
            value = decimal.Decimal(text if text is not None else str(raw))
        except decimal.InvalidOperation:
            raise ValueProblem(_("数値で入力してください（入力値: %(value)s）。", value=raw)) from None
        if not value.is_finite():
            raise ValueProblem(_("数値で入力してください（入力値: %(value)s）。", value=raw))
        if self.places is not None and -value.as_tuple().exponent > self.places:  # type: ignore[operator]
            raise ValueProblem(
                _(
                    "小数点以下%(places)s桁までで入力してください（入力値: %(value)s）。",
                    places=self.places,
                    value=raw,
                )
            )
        _range_problem(value, self.min, self.max)
        return value

    def to_json(self, value: Any) -> str:
        return str(value)

    def from_json(self, data: Any) -> decimal.Decimal:
        return decimal.Decimal(str(data))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "decimal"}


_TRUE = {"true", "1", "yes", "on", "はい"}
_FALSE = {"false", "0", "no", "off", "いいえ", ""}


@dataclass(frozen=True)
class Boolean(ParamType):
    name: ClassVar[str] = "boolean"

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueProblem(_("「はい」か「いいえ」で指定してください（入力値: %(value)s）。", value=raw))

    def display(self, value: Any, lang: str = "ja") -> str:
        if lang == "en":
            return "yes" if value else "no"
        return "はい" if value else "いいえ"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Text(ParamType):
    max_length: int = 200
    min_length: int = 0
    multiline: bool = False
    name: ClassVar[str] = "text"

    def parse(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueProblem(_("文字列で入力してください。"))
        value = raw.replace("\r\n", "\n").strip()
        if not self.multiline and "\n" in value:
            raise ValueProblem(_("改行を含めないでください。"))
        if has_control_characters(value, multiline=self.multiline):
            raise ValueProblem(_control_message())
        if len(value) < self.min_length:
            raise ValueProblem(
                _("入力してください。")
                if self.min_length == 1
                else _("%(count)s文字以上で入力してください。", count=self.min_length)
            )
        if len(value) > self.max_length:
            raise ValueProblem(
                _(
                    "%(max)s文字以内で入力してください（%(count)s文字）。",
                    max=self.max_length,
                    count=len(value),
                )
            )
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": self.min_length, "maxLength": self.max_length}


@dataclass(frozen=True)
class _Options(ParamType):
    """What Choice and MultiChoice share: the listed options, and the check that a value is one.

    Siblings rather than parent and child: one parses to a str, the other to a list of them.
    """

    options: tuple[Option, ...] = ()

    def _check(self, value: Any) -> str:
        allowed = [o.value for o in self.options]
        if value not in allowed:
            raise ValueProblem(
                _(
                    "選択肢にない値です（%(value)s）。選べる値: %(allowed)s。",
                    value=value,
                    allowed=", ".join(allowed),
                )
            )
        return value

    def _label(self, value: Any, lang: str) -> str:
        for o in self.options:
            if o.value == value:
                return o.label(lang)
        return str(value)


@dataclass(frozen=True)
class Choice(_Options):
    name: ClassVar[str] = "choice"

    def parse(self, raw: Any) -> str:
        return self._check(raw.strip() if isinstance(raw, str) else raw)

    def display(self, value: Any, lang: str = "ja") -> str:
        return self._label(value, lang)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [o.value for o in self.options]}


@dataclass(frozen=True)
class MultiChoice(_Options):
    """Several of the listed options (e.g. the modules a city has enabled)."""

    name: ClassVar[str] = "multichoice"

    def parse(self, raw: Any) -> list[str]:
        if isinstance(raw, str):
            raw = [p for p in (s.strip() for s in raw.split(",")) if p]
        if not isinstance(raw, list | tuple):
            raise ValueProblem(_("選択肢の一覧で指定してください。"))
        chosen = [self._check(v) for v in raw]
        # Keep the declared order, once each: two spellings of one set are one value.
        return [o.value for o in self.options if o.value in chosen]

    def display(self, value: Any, lang: str = "ja") -> str:
        return "、".join(self._label(v, lang) for v in value or ())

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": [o.value for o in self.options]}}


@dataclass(frozen=True)
class Date(ParamType):
    min: dt.date | None = None
    max: dt.date | None = None
    name: ClassVar[str] = "date"

    def parse(self, raw: Any) -> dt.date:
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, dt.date):
            value = raw
        else:
            try:
                value = dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                raise ValueProblem(
                    _("日付は 2026-04-01 の形で入力してください（入力値: %(value)s）。", value=raw)
                ) from None
        _range_problem(value, self.min, self.max)
        return value

    def to_json(self, value: Any) -> str:
        return value.isoformat()

    def from_json(self, data: Any) -> dt.date:
        return dt.date.fromisoformat(data)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@dataclass(frozen=True)
class Image(ParamType):
    """An image a city uploads (a 公印, a 地紋): PNG or JPEG, stored as base64 text; "" when not set.

    Checked as an image (Pillow opens and verifies it), its size and pixel dimensions bounded, so
    what is printed later cannot fail or exhaust memory.
    """

    max_bytes: int = 512 * 1024
    max_pixels: int = 4000
    name: ClassVar[str] = "image"

    def parse(self, raw: Any) -> str:
        import base64
        import binascii
        import io

        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return ""
        if isinstance(raw, bytes):
            data = raw
        elif isinstance(raw, str):
            text = raw.strip()
            if text.startswith("data:") and "," in text:
                text = text.split(",", 1)[1]
            if len(text) > self.max_bytes * 4 // 3 + 8:
                raise ValueProblem(_("画像は%(kb)sKB以下にしてください。", kb=self.max_bytes // 1024))
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ValueProblem(_("画像ファイル（PNGまたはJPEG）を選んでください。")) from None
        else:
            raise ValueProblem(_("画像ファイル（PNGまたはJPEG）を選んでください。"))
        if len(data) > self.max_bytes:
            raise ValueProblem(_("画像は%(kb)sKB以下にしてください。", kb=self.max_bytes // 1024))
        if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            raise ValueProblem(_("画像ファイル（PNGまたはJPEG）を選んでください。"))
        from PIL import Image as PILImage

        try:
            with PILImage.open(io.BytesIO(data)) as image:
                width, height = image.size
                if max(width, height) > self.max_pixels:
                    raise ValueProblem(
                        _("画像の縦横は%(max)sピクセル以下にしてください。", max=self.max_pixels)
                    )
                image.verify()
        except ValueProblem:
            raise
        except Exception:  # Pillow raises many kinds for a broken file
            raise ValueProblem(_("画像ファイルとして読めません（PNGまたはJPEG）。")) from None
        return base64.b64encode(data).decode("ascii")

    def display(self, value: Any, lang: str = "ja") -> str:
        if not value:
            return "(not set)" if lang == "en" else "（未設定）"
        size = len(value) * 3 // 4 // 1024
        return f"image ({size} KB)" if lang == "en" else f"画像（{size}KB）"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"}


def image_bytes(value: str | None) -> bytes | None:
    """The bytes of an ``Image`` parameter's value (None when not set)."""
    import base64

    return base64.b64decode(value) if value else None


def _marshmallow_message(message: str) -> str:
    """marshmallow's own messages, for the row schemas that do not give their own."""
    known = {
        "Missing data for required field.": _("必須です。"),
        "Field may not be null.": _("必須です。"),
        "Not a valid string.": _("文字列で入力してください。"),
        "Not a valid integer.": _("整数で入力してください。"),
        "Unknown field.": _("不明な列です。"),
    }
    return known.get(message, message)


@dataclass(frozen=True)
class Table(ParamType):
    """Rows validated by a marshmallow schema (a rate table, a list of offices)."""

    schema: type[Schema] = Schema
    columns: tuple[Column, ...] = ()
    min_rows: int = 0
    max_rows: int = 200
    name: ClassVar[str] = "table"

    def parse(self, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list | tuple):
            raise ValueProblem(_("表（行の一覧）で指定してください。"))
        rows = [r for r in raw if not (isinstance(r, Mapping) and not any(_filled(v) for v in r.values()))]
        problems: list[str] = []
        if len(rows) < self.min_rows:
            problems.append(_("%(count)s行以上入力してください。", count=self.min_rows))
        if len(rows) > self.max_rows:
            problems.append(
                _("%(max)s行以内にしてください（%(count)s行）。", max=self.max_rows, count=len(rows))
            )
        loaded = []
        labels = {c.name: c.label(request_lang()) for c in self.columns}
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                problems.append(_("%(number)s行目: 行の形式が正しくありません。", number=number))
                continue
            bad = [str(labels.get(k, k)) for k, v in row.items() if _bad_cell(v)]
            if bad:
                for column in bad:
                    problems.append(
                        _(
                            "%(number)s行目の「%(column)s」: %(message)s",
                            number=number,
                            column=column,
                            message=_("使えない文字が含まれているか、数値が大きすぎます。"),
                        )
                    )
                continue
            try:
                loaded.append(self.schema().load(dict(row)))
            except ValidationError as exc:
                for column, messages in sorted(_flatten(exc.messages)):
                    for message in messages:
                        problems.append(
                            _(
                                "%(number)s行目の「%(column)s」: %(message)s",
                                number=number,
                                column=labels.get(column, column),
                                message=_marshmallow_message(message),
                            )
                        )
        if problems:
            raise ValueProblem(*problems)
        return [self.schema().dump(row) for row in loaded]

    def display(self, value: Any, lang: str = "ja") -> str:
        # The first column names each row (an office's name, a bracket's lower bound).
        first = self.columns[0].name if self.columns else None
        names = [str(row.get(first, "")) for row in value or []] if first else []
        count = f"{len(names)}行" if lang != "en" else f"{len(names)} rows"
        return f"{count}: {'、'.join(names)}" if names else count

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "object", "properties": {c.name: {"type": "string"} for c in self.columns}},
        }


def _filled(value: Any) -> bool:
    return value not in (None, "")


def _flatten(messages: Any) -> list[tuple[str, list[str]]]:
    if isinstance(messages, dict):
        return [(str(k), v if isinstance(v, list) else [str(v)]) for k, v in messages.items()]
    return [("", list(messages))]


@dataclass(frozen=True)
class Param:
    """One declared parameter of a module (or of the core, under ``core.``)."""

    key: str
    type: ParamType
    default: Any
    label_ja: str
    label_en: str
    help_ja: str = ""
    help_en: str = ""
    # The unit shown after a value, translatable (``lazy_gettext``): 分, 回, 歳 ...
    unit: str | LazyString | None = None
    # Who may set a value: the city's administrator, the consortium's secretariat (the operator always may).
    editable_by: frozenset[str] = field(default=EVERYONE)
    # A change may be scheduled to take effect on a later date (a fee decided in February, from 1 April).
    effective_dated: bool = True

    @property
    def module(self) -> str:
        return self.key.split(".", 1)[0]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_ja

    def parse(self, raw: Any) -> Any:
        """The typed value of ``raw``; raises ValueProblem naming every problem."""
        return self.type.parse(raw)

    def to_json(self, value: Any) -> Any:
        return self.type.to_json(value)

    def from_json(self, data: Any) -> Any:
        return self.type.from_json(data)

    def display(self, value: Any, lang: str = "ja") -> str:
        text = self.type.display(value, lang)
        if self.unit and not isinstance(self.type, Money) and text:
            # Japanese writes the unit against the number (30分); English puts a space (30 min).
            return f"{text} {self.unit}" if lang == "en" else f"{text}{self.unit}"
        return text


def check_declaration(param: Param) -> list[str]:
    """What is wrong with a declaration (checked at start-up)."""
    problems = []
    if not KEY_PATTERN.fullmatch(param.key):
        problems.append(f"{param.key}: a key is dotted lower-case words, e.g. certificates.fee.juminhyo")
    if not param.editable_by <= EVERYONE:
        problems.append(f"{param.key}: editable_by must be among {sorted(EVERYONE)}")
    try:
        parsed = param.parse(param.default)
        if param.to_json(parsed) != param.to_json(param.type.from_json(param.to_json(parsed))):
            problems.append(f"{param.key}: the default does not survive a JSON round trip")
    except ValueProblem as exc:
        problems.append(f"{param.key}: the default is not a valid value: {exc}")
    return problems


def options(*pairs: Sequence[str]) -> tuple[Option, ...]:
    """``options(("value", "ラベル", "label"), ...)``."""
    return tuple(Option(*p) for p in pairs)
