"""The certificates a clerk may issue for the person at the counter (tenant_core.visits)."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _

from modules.certificates.models import KIND_LABELS, Kind
from modules.residents import public as residents
from tenant_core.boundary import get_session
from tenant_core.visits import PersonAction


def person_actions(atena_no: int) -> list[PersonAction]:
    if not g.user.can("certificates.edit"):
        return []
    # The request form checks the person, the kind and the requester; here only the way in.
    actions = [
        PersonAction("certificates", str(label), url_for("certificates.new", atena=atena_no, kind=kind))
        for kind, label in KIND_LABELS.items()
    ]
    # Right after a 転出届 (the same visit), its 転出証明書 comes first; a 特例転出 has none (法24条の2).
    session = get_session()
    person = residents.get_person(session, atena_no)
    notice = residents.pending_move_out(session, person) if person is not None else None
    if notice is not None and not notice.special:
        url = url_for("certificates.new", atena=atena_no, kind=Kind.tenshutsu.value)
        actions.insert(0, PersonAction("certificates", _("転出証明書を交付"), url))
    return actions
