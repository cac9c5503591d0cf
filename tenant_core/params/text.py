"""Translating the parameter layer's messages, which are also made outside a request.

The value types, the change services and the params.toml reader run in a request (the message is
shown in the person's language) but also from the command line, in jobs and in tests, in an
application context without a request. There flask-babel asks the app's locale selector, which
reads the request and fails; so outside a request the message stays the Japanese msgid, as the
operator's command-line output is. Catalog extraction finds these ``_()`` calls like any other.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_babel import gettext


def _(message: str, /, **variables: Any) -> str:
    """``gettext`` in a request; the msgid itself (with its placeholders filled) outside one."""
    if has_request_context():
        return gettext(message, **variables)
    return message % variables if variables else message


def request_lang() -> str:
    """The request's language for a declared bilingual label (a column's, a parameter's); else Japanese."""
    return g.get("lang", "ja") if has_request_context() else "ja"
