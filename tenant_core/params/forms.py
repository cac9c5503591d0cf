"""The edit form of a parameter, generated from its type: what the fields are and how to read them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from tenant_core.params import declare
from tenant_core.params.declare import Param

BLANK_ROWS = 2  # empty rows offered under a table, for adding without JavaScript
_ROW_FIELD = re.compile(r"^row-(\d+)-([a-z_][a-z0-9_]*)$")


def widget(p: Param) -> str:
    """The template macro that draws the field."""
    t = p.type
    if isinstance(t, declare.Table):
        return "table"
    if isinstance(t, declare.MultiChoice):
        return "checkboxes"
    if isinstance(t, declare.Choice):
        return "select"
    if isinstance(t, declare.Boolean):
        return "boolean"
    if isinstance(t, declare.Date):
        return "date"
    if isinstance(t, declare.Text) and t.multiline:
        return "textarea"
    if isinstance(t, declare.Image):
        return "image"
    return "input"


def raw_from_form(p: Param, form: MultiDict, files: MultiDict | None = None) -> Any:
    """What the browser sent for the value, as the type's ``parse`` expects it."""
    t = p.type
    if isinstance(t, declare.Image):
        # A file chosen replaces the value; none chosen keeps the value the form carried.
        upload = (files or MultiDict()).get("value_file")
        if upload is not None and upload.filename:
            return upload.read(t.max_bytes + 1)
        return form.get("value", "")
    if isinstance(t, declare.Table):
        rows: dict[int, dict[str, str]] = {}
        deleted = set()
        for name, text in form.items(multi=True):
            m = _ROW_FIELD.match(name)
            if not m:
                continue
            number, column = int(m.group(1)), m.group(2)
            if column == "delete":
                deleted.add(number)
            elif column in {c.name for c in t.columns}:
                rows.setdefault(number, {})[column] = text.strip()
        return [row for number, row in sorted(rows.items()) if number not in deleted]
    if isinstance(t, declare.MultiChoice):
        return form.getlist("value")
    return form.get("value", "")


def form_value(p: Param, value: Any) -> Any:
    """A typed value as the form shows it."""
    if value is None:
        return ""
    if isinstance(p.type, declare.Table):
        return list(value)
    if isinstance(p.type, declare.MultiChoice):
        return list(value)
    if isinstance(p.type, declare.Boolean):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def initial(p: Param, value: Any, scope: str) -> dict[str, Any]:
    """The edit form before anything is sent: the value in force, at the first level allowed."""
    return {
        "value": form_value(p, value),
        "scope": scope,
        "effective_from": "",
        "reason": "",
        "legal_basis": "",
        "reset": False,
    }


def submitted(p: Param, form: MultiDict, files: MultiDict | None = None) -> dict[str, Any]:
    """What the browser sent, kept as typed so that a refused form is shown again unchanged."""
    value = raw_from_form(p, form, files)
    if isinstance(value, bytes):  # an uploaded image: shown again as the text the form carries
        import base64

        value = base64.b64encode(value).decode("ascii")
    return {
        "value": value,
        "scope": form.get("scope", declare.CITY),
        "effective_from": form.get("effective_from", ""),
        "reason": form.get("reason", ""),
        "legal_basis": form.get("legal_basis", ""),
        "reset": form.get("reset") == "1",
    }


def with_blank_rows(p: Param, fields: dict[str, Any]) -> dict[str, Any]:
    """A table's rows and ``BLANK_ROWS`` empty ones to fill in."""
    if isinstance(fields["value"], list) and widget(p) == "table":
        return {**fields, "value": list(fields["value"]) + [{} for _ in range(BLANK_ROWS)]}
    return fields


def parse_date(text: str | None) -> tuple[dt.date | None, str | None]:
    """A date field: (date, None), (None, None) when empty, or (None, the problem)."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, _("適用開始日は 2027-04-01 の形で入力してください（入力値: %(value)s）。", value=text)
