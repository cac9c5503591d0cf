"""Translation of the messages account services give (``from tenant_core.auth.messages import _``).

Services also run without a request (``kyodo users create``, demo data, jobs): there the app's
locale selector, which reads the request, cannot run, so the Japanese msgid is returned as is.
In a request this is Flask-Babel's ``gettext``, ``%(name)s`` placeholders and all.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(message: str, **values: object) -> str:
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message
