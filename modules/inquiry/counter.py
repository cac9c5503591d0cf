"""個人状況照会 for the person at the counter (tenant_core.visits): the form, with the person filled in."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from tenant_core.visits import PersonAction


def person_actions(atena_no: int) -> list[PersonAction]:
    return [PersonAction("inquiry", _("個人状況照会"), url_for("inquiry.index", atena_no=atena_no))]
