"""Small helpers every module's pages share: rendering with display helpers, dates typed in a form,
the logged 404 of a record that is not this city's, and the status of a form page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from flask import abort, render_template, request

from tenant_core import wareki
from tenant_core.audit import services as audit

T = TypeVar("T")


class Renderer(Protocol):
    def __call__(self, template: str, status: int = 200, **context: Any) -> tuple[str, int]: ...


def page_renderer(*helpers: Mapping[str, Callable[..., Any]]) -> Renderer:
    """A ``render(template, status=200, **context)`` that also passes the module's display helpers
    (later mappings override earlier ones), so templates format values the same way everywhere."""
    merged: dict[str, Callable[..., Any]] = {}
    for mapping in helpers:
        merged.update(mapping)

    def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
        return render_template(template, **merged, **context), status

    return render


def parse_date(value: str | dt.date | None) -> dt.date | None:
    """A date typed in a form or a query string, in any notation ``tenant_core.wareki`` reads
    (令和8年4月1日, R8.4.1, 2026-04-01...), or already read by a ``WarekiDateField``; None when blank or
    malformed."""
    return wareki.try_parse(value)


def is_bad_date(value: str | dt.date | None) -> bool:
    """Something was typed and it is not a date (a blank is not bad: the field is optional)."""
    return isinstance(value, str) and bool(value.strip()) and parse_date(value) is None


def found_or_404(row: T | None, *, screen: str, target: str, function: str = "view") -> T:
    """``row``, or a 404 whose miss is logged first: probing for other cities' numbers leaves a trace."""
    if row is None:
        audit.record(function, screen=screen, target=target, outcome="failed", detail="not found")
        abort(404)
    return row


def form_status() -> int:
    """422 when a posted form is shown again (it had errors), 200 for the first display."""
    return 422 if request.method == "POST" else 200
