"""The counter (窓口): one visit of one person across modules, and the clerk's recent persons of the day.

A clerk opens a person's page: that person becomes the subject of the clerk's visit (one open visit
per clerk and city, kept on the server in the city's schema) until the clerk closes it. Every page
then shows the visit bar, and the modules offer their actions for that person without a second search.

The core names no module: the person's name and page come from the module whose manifest declares
``person_directory``, and the actions from every enabled module declaring ``person_actions``; each
returns only what the signed-in user may see and use, so a person under 支援措置 is never listed to a
clerk without the permission (the directory leaves them out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context

from tenant_core.i18n import request_lang
from tenant_core.japanese import JST, japan_today
from tenant_core.models import CounterVisit, utcnow
from tenant_core.modules import ModuleInfo, import_part, iter_modules

RECENT_LIMIT = 10


@dataclass(frozen=True)
class PersonRef:
    """A person as the counter shows them: name (and kana), the page that is the hub of the visit."""

    atena_no: int
    name: str
    url: str
    kana: str = ""


@dataclass(frozen=True)
class PersonAction:
    """One thing a clerk may do for the person, in a module: 「住民票の写しを交付」 → its form."""

    module: str  # the module's name, for grouping and tests
    label: str
    url: str
    group: str = ""  # the module's label (filled in by ``actions_for``)


# --- who and where ---------------------------------------------------------------------------------


def _user() -> Any:
    return g.get("user") if has_request_context() else None


def _tenant() -> Any:
    return g.get("tenant") if has_request_context() else None


def _signed_in_here() -> bool:
    user, tenant = _user(), _tenant()
    return user is not None and tenant is not None and user.tenant_id == tenant.id


def _enabled() -> list[ModuleInfo]:
    from tenant_core.portal.services import enabled_modules

    tenant = _tenant()
    return enabled_modules(tenant) if tenant is not None else []


def _directory() -> Callable[[Iterable[int]], dict[int, PersonRef]] | None:
    enabled = {m.name for m in _enabled()}
    for info in iter_modules():
        if info.person_directory and info.name in enabled:
            return import_part(info, info.person_directory)
    return None


def persons(atena_nos: Iterable[int]) -> dict[int, PersonRef]:
    """The persons the signed-in user may see, by 宛名番号; {} when no module keeps persons."""
    wanted = list(dict.fromkeys(atena_nos))
    lookup = _directory()
    if lookup is None or not wanted or not _signed_in_here():
        return {}
    return lookup(wanted)


def actions_for(atena_no: int) -> list[PersonAction]:
    """Every action the signed-in user may take for this person, across the city's enabled modules."""
    if not _signed_in_here():
        return []
    user = _user()
    found: list[PersonAction] = []
    for info in _enabled():
        if not info.person_actions or not user.can(f"{info.name}.view"):
            continue
        provider = import_part(info, info.person_actions)
        for action in provider(atena_no):
            found.append(PersonAction(info.name, action.label, action.url, info.label(request_lang())))
    return found


# --- the visit ------------------------------------------------------------------------------------


def _session() -> Any:
    from tenant_core.boundary import get_session

    return get_session()


def _day_start() -> dt.datetime:
    """Midnight of today in Japan, as the naive UTC the timestamps are stored in."""
    start = dt.datetime.combine(japan_today(), dt.time(), JST)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def _open_visit() -> CounterVisit | None:
    """The clerk's open visit of today; one left open on an earlier day has ended with that day."""
    user = _user()
    return _session().scalar(
        sa.select(CounterVisit)
        .where(
            CounterVisit.user_id == user.id,
            CounterVisit.closed_at.is_(None),
            CounterVisit.opened_at >= _day_start(),
        )
        .order_by(CounterVisit.id.desc())
        .limit(1)
    )


def open_visit(atena_no: int) -> None:
    """Make the person the subject of the clerk's visit (a person's page calls this when opened).

    Opening the same person again keeps the visit; another person replaces it (the clerk has turned to
    the next resident), the earlier one being closed then.
    """
    if not _signed_in_here():
        return
    current = _open_visit()
    if current is not None and current.atena_no == atena_no:
        return
    session, now = _session(), utcnow()
    if current is not None:
        current.closed_at = now
    session.add(CounterVisit(user_id=_user().id, atena_no=atena_no, opened_at=now))
    session.flush()


def close_visit() -> int | None:
    """End the clerk's visit; the 宛名番号 it was about, or None when none was open."""
    if not _signed_in_here():
        return None
    current = _open_visit()
    if current is None:
        return None
    current.closed_at = utcnow()
    _session().flush()
    return current.atena_no


def current_atena() -> int | None:
    """The 宛名番号 of the person of the clerk's open visit, if the clerk may (still) see them."""
    visit = current_visit()
    return visit.atena_no if visit else None


def current_visit() -> PersonRef | None:
    """The person of the clerk's open visit, as the signed-in user may see them; once per request."""
    if not _signed_in_here():
        return None
    if "counter_visit" in g:
        return g.counter_visit
    visit = _open_visit()
    ref = persons([visit.atena_no]).get(visit.atena_no) if visit else None
    g.counter_visit = ref
    return ref


def recent_persons(limit: int = RECENT_LIMIT) -> list[PersonRef]:
    """The persons this clerk's visits were about today in this city, the latest first.

    Only this clerk's visits of this city (the table lives in the city's schema), and only those the
    clerk may see now: a person placed under 支援措置 since is left out for a clerk without permission.
    """
    if not _signed_in_here():
        return []
    rows = _session().execute(
        sa.select(CounterVisit.atena_no, sa.func.max(CounterVisit.opened_at).label("last"))
        .where(CounterVisit.user_id == _user().id, CounterVisit.opened_at >= _day_start())
        .group_by(CounterVisit.atena_no)
        .order_by(sa.desc("last"))
        .limit(limit)
    )
    order = [atena for atena, _last in rows]
    known = persons(order)
    return [known[a] for a in order if a in known]


def visit_for_module(module: str) -> tuple[PersonRef, list[PersonAction]] | None:
    """The visit's person and what ``module`` offers for them (a module's search page shows it first)."""
    visit = current_visit()
    if visit is None:
        return None
    return visit, [a for a in actions_for(visit.atena_no) if a.module == module]


def staff_menu() -> list[dict[str, Any]]:
    """The modules the clerk's roles open in this city, for the top navigation of every page."""
    if not _signed_in_here():
        return []
    if "staff_menu" in g:
        return g.staff_menu
    from flask import current_app, request, url_for

    from tenant_core.modules import module_of_blueprint

    built = current_app.extensions.get("kyodo.modules_built", set())
    here = module_of_blueprint(request.blueprint)
    menu = [
        {
            "name": m.name,
            "label": m.label(request_lang()),
            "url": url_for(f"{m.name}.index"),
            "current": here is not None and here.name == m.name,
        }
        for m in _enabled()
        if m.name in built and _user().can(f"{m.name}.view")
    ]
    g.staff_menu = menu
    return menu


def init_app(app: Flask) -> None:
    # Globals, not a context processor: the search form's macro (imported without the page's context)
    # shows the visit too. Each answers nothing outside a city's page signed in by its own staff.
    app.add_template_global(current_visit, "counter_visit")
    app.add_template_global(recent_persons, "recent_persons")
    app.add_template_global(visit_for_module, "visit_for_module")
    app.add_template_global(staff_menu, "staff_menu")
