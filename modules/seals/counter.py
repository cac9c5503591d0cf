"""The seal register's actions for the person at the counter (tenant_core.visits)."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _

from modules.residents import public as residents
from modules.seals import services
from modules.seals.models import SealStatus
from tenant_core.boundary import get_session
from tenant_core.visits import PersonAction


def person_actions(atena_no: int) -> list[PersonAction]:
    session = get_session()
    person = residents.get_person(session, atena_no)
    if person is None:  # absent, another city's, or hidden from this user
        return []
    actions = [PersonAction("seals", _("印鑑登録の状況"), url_for("seals.person", atena_no=atena_no))]
    active = [r for r in services.registrations_of(session, atena_no) if r.status == SealStatus.registered]
    if g.user.can("seals.edit") and not active and residents.is_resident(person):
        actions.append(
            PersonAction("seals", _("印鑑登録をする"), url_for("seals.register", atena_no=atena_no))
        )
    for reg in active:
        actions.append(
            PersonAction(
                "seals",
                _("登録番号 %(no)s（亡失・廃止）", no=reg.registration_no),
                url_for("seals.registration", registration_no=reg.registration_no),
            )
        )
    return actions
