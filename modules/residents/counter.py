"""The register's part in the counter (窓口, tenant_core.visits): who a 宛名番号 is, and the register's
actions for them. Both answer only what the signed-in user may see: ``get_persons`` leaves out a
person under 支援措置 or 抑止 for a user without the permission to see them."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, url_for
from flask_babel import gettext as _

from modules.residents.forms import EVENT_TITLES
from modules.residents.lookups import get_persons, is_resident
from tenant_core.boundary import get_session
from tenant_core.visits import PersonAction, PersonRef


def person_directory(atena_nos: Iterable[int]) -> dict[int, PersonRef]:
    if not g.user.can("residents.view"):  # e.g. an auditor reading the access log sees numbers only
        return {}
    found = get_persons(get_session(), atena_nos)
    return {
        number: PersonRef(number, p.full_name, url_for("residents.person", atena_no=number), p.full_kana)
        for number, p in found.items()
    }


def person_actions(atena_no: int) -> list[PersonAction]:
    person = get_persons(get_session(), [atena_no]).get(atena_no)
    if person is None:
        return []
    actions = [
        PersonAction(
            "residents", _("住民記録（記載事項・異動履歴）"), url_for("residents.person", atena_no=atena_no)
        )
    ]
    if g.user.can("residents.edit") and is_resident(person):
        for kind, title in EVENT_TITLES.items():
            url = (
                url_for("residents.move_out", atena_no=atena_no)
                if kind == "move_out"
                else url_for("residents.event", atena_no=atena_no, kind=kind)
            )
            actions.append(PersonAction("residents", _("異動: %(title)s", title=title), url))
    return actions
