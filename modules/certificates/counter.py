"""The certificates a clerk may issue for the person at the counter (tenant_core.visits)."""

from __future__ import annotations

from flask import g, url_for

from modules.certificates.models import KIND_LABELS
from tenant_core.visits import PersonAction


def person_actions(atena_no: int) -> list[PersonAction]:
    if not g.user.can("certificates.edit"):
        return []
    # The request form checks the person, the kind and the requester; here only the way in.
    return [
        PersonAction("certificates", str(label), url_for("certificates.new", atena=atena_no, kind=kind))
        for kind, label in KIND_LABELS.items()
    ]
