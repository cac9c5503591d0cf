"""Page pieces of the resident register that other modules' pages reuse (through ``public``):
the resident search form and its run, and the logged look-up of a person for a page."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from modules.residents import services
from modules.residents.errors import ResidentError
from modules.residents.forms import SearchForm
from modules.residents.models import Person
from modules.residents.removed import REMOVED_PERMISSION
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.errors import place_errors
from tenant_core.views import found_or_404

PER_PAGE = 20
# The query-string keys of the search: any of them present means a search was asked for.
SEARCH_KEYS = ("kana", "name", "birth_date", "address", "tsusho", "alpha")
# ``{% from SEARCH_FORM_TEMPLATE import search_form %}``: ``search_form(form, action, include_removed=False)``.
SEARCH_FORM_TEMPLATE = "residents/_search_form.html"


def person_or_404(atena_no: int, screen: str) -> Person:
    """The person of this city with this 宛名番号; a miss is logged (probing leaves a trace)."""
    return found_or_404(
        services.get_person(get_session(), atena_no), screen=screen, target=f"atena:{atena_no}"
    )


def search_asked() -> bool:
    """Whether the query string holds any search term (else a page shows no search result)."""
    return any(request.args.get(k) for k in SEARCH_KEYS)


def search_from_form(
    form: SearchForm, *, screen: str, page: int = 1, per_page: int = PER_PAGE
) -> tuple[services.SearchResult | None, list[str]]:
    """Run the resident search a SearchForm asks for and log its shape; every module's search page uses it.

    Returns (None, []) when no term was given. Problems go under their fields; the rest is returned.
    """
    if not search_asked():
        return None, []
    # The field read the date in any notation staff write (R8.4.1, 平成2年4月1日...), or says why not.
    birth = form.birth_date.date
    if form.birth_date.process_errors:
        form.birth_date.errors = list(form.birth_date.process_errors)
    query = services.SearchQuery(
        kana=form.kana.data or "",
        name=form.name.data or "",
        birth_date=birth,
        address=form.address.data or "",
        include_removed=bool(form.include_removed.data),
        tsusho=form.tsusho.data or "",
        alpha=form.alpha.data or "",
    )
    result, errors = None, []
    refused = query.include_removed and not g.user.can(REMOVED_PERMISSION)
    if refused:  # 除票 are searched only by staff who may (removed.py)
        errors = [_("除票（転出・死亡）の検索には除票を閲覧する権限が必要です。")]
    try:
        if not form.birth_date.errors and not refused:
            result = services.search(get_session(), query, page, per_page)
    except ResidentError as exc:
        errors = place_errors(form, exc.errors)
    audit.record(
        "search",
        screen=screen,
        search=audit.search_shape(query.terms(), result.total if result else 0),
        outcome="ok" if result else "failed",
    )
    return result, errors
