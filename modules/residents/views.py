"""Pages of the resident register: search, a person, a household, and the forms of the events."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from modules.residents import services
from modules.residents.cancellation import cancellable_ids
from modules.residents.display import HELPERS, atena
from modules.residents.errors import ResidentError
from modules.residents.forms import EVENT_FIELDS, EVENT_TITLES, ArrivalForm, EventForm, SearchForm
from modules.residents.models import EventKind, Person
from modules.residents.moveouts import notices_of
from modules.residents.mynumber import MYNUMBER_PERMISSION, mynumber_for, vault_for
from modules.residents.recording import current_state
from modules.residents.removed import retention_of
from modules.residents.ui import PER_PAGE, person_or_404, search_from_form
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.errors import place_errors
from tenant_core.japanese import japan_today
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant
from tenant_core.views import form_status, found_or_404, page_renderer, parse_date

_render = page_renderer(HELPERS)


@require("residents.view")
def index():
    """The search page (and the module's landing page)."""
    form = SearchForm(request.args)
    page = Page.from_request(request, per_page=PER_PAGE)
    result, errors = search_from_form(form, screen="residents.search", page=page.number)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    pager = Page(result.page, result.per_page, result.total) if result else None
    status = 422 if (errors or form.errors) and result is None else 200
    return _render(
        "residents/index.html", status, form=form, result=result, errors=errors, pager=pager, args=args
    )


@require("residents.view")
def person(atena_no: int):
    """A person now, or on the date ``?on=``; the 個人番号 in full only when asked for and allowed."""
    session = get_session()
    row = person_or_404(atena_no, "residents.person")
    on = parse_date(request.args.get("on"))
    state = services.person_on(session, row.id, on) if on else services.PersonState.of(row)
    want_number = request.args.get("show_mynumber") == "1" and g.user.can(MYNUMBER_PERMISSION)
    number = vault_for(current_tenant.slug).decrypt(row.mynumber_token)
    shown_value, shown = mynumber_for(g.user if want_number else None, number)
    household = services.household_of(session, state) if state else None
    events = services.events_of(session, row)
    audit.record("view", screen="residents.person", target=f"atena:{atena_no}", mynumber_shown=shown)
    return _render(
        "residents/person.html",
        person=row,
        state=state,
        on=on,
        household=household,
        members=services.household_members(session, state.household_id, on=on) if state else [],
        events=events,
        cancellable=cancellable_ids(session, events),
        move_outs=notices_of(session, row),
        retention_until=retention_of(row),
        mynumber=shown_value,
        mynumber_shown=shown,
        can_reveal=bool(number) and g.user.can(MYNUMBER_PERMISSION),
        can_edit=g.user.can("residents.edit"),
        today=japan_today(),
        event_titles=EVENT_TITLES,
    )


@require("residents.view")
def household(household_no: int):
    """The members of a household, head first, now or on ``?on=``."""
    session = get_session()
    row = found_or_404(
        services.get_household(session, household_no),
        screen="residents.household",
        target=f"household:{household_no}",
    )
    on = parse_date(request.args.get("on"))
    members = services.household_members(session, row.id, on=on)
    audit.record("view", screen="residents.household", target=f"household:{household_no}")
    return _render("residents/household.html", household=row, members=members, on=on, today=japan_today())


@require("residents.edit")
def arrival():
    """転入・出生の届出."""
    form = ArrivalForm(data={"kind": request.args.get("kind", "move_in")})
    if request.method == "GET" and request.args.get("household", type=int):
        form.household_no.data = request.args.get("household", type=int)
    errors: list[str] = []
    if form.validate_on_submit():
        data = {k: form[k].data for k in form.data if k not in ("csrf_token", "kind", "household_no")}
        try:
            row = services.register_arrival(
                get_session(),
                vault_for(current_tenant.slug),
                data,
                by=g.user.operator_id,
                kind=EventKind(form.kind.data),
                household_no=form.household_no.data,
            )
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change", screen="residents.arrival", target=f"atena:{row.atena_no}", detail=form.kind.data
            )
            flash(
                _(
                    "%(name)s さんを登録しました（宛名番号 %(atena)s）。",
                    name=f"{row.family_name} {row.given_name}",
                    atena=atena(row.atena_no),
                )
            )
            return redirect(url_for(".person", atena_no=row.atena_no))
    return _render("residents/arrival.html", form_status(), form=form, errors=errors)


def _apply_event(kind: str, row: Person, form: EventForm) -> None:
    session, by, on = get_session(), g.user.operator_id, form.effective_on.data
    notified = form.notified_on.data or None
    # A form always carries the version it showed; one without it cannot prove it is not stale.
    version = parse_version(form.version.data)
    if version is None:
        raise ConflictError(current=current_state(row), target=f"atena:{row.atena_no}")
    address = {"town": form.town.data, "banchi": form.banchi.data, "katagaki": form.katagaki.data}
    new_head = services.get_person(session, form.new_head.data) if form.new_head.data else None
    if form.new_head.data and new_head is None:
        raise ResidentError(_("指定された宛名番号の方が見つかりません。"), "new_head")
    if kind in ("move_out", "death") and not form.confirm.data:
        raise ResidentError(_("内容を確認のうえ、確認欄にチェックを入れてください。"), "confirm")
    if kind == "move_out":
        services.move_out(
            session,
            row,
            on,
            by=by,
            destination=form.destination.data,
            whole_household=form.whole_household.data,
            version=version,
            notified_on=notified,
        )
    elif kind == "relocation":
        services.relocate(session, row, on, address, by=by, version=version, notified_on=notified)
    elif kind == "death":
        services.record_death(
            session, row, on, by=by, new_head=new_head, version=version, notified_on=notified
        )
    elif kind == "household_change":
        services.change_household(
            session,
            row,
            on,
            by=by,
            household_no=form.household_no.data,
            relationship=form.relationship.data,
            new_head=new_head,
            address=address,
            version=version,
            notified_on=notified,
            age_confirmed=form.age_confirmed.data,
        )
    elif kind == "head_change":
        services.change_head(
            session,
            row,
            on,
            by=by,
            former_head_relationship=form.former_head_relationship.data,
            version=version,
        )
    else:
        data = {
            f: form[f].data
            for f in EVENT_FIELDS["correction"]
            if f not in ("effective_on", "note", "notified_on")
        }
        services.correct(
            session,
            vault_for(current_tenant.slug),
            row,
            on,
            data,
            by=by,
            note=form.note.data,
            version=version,
            notified_on=notified,
        )


@require("residents.edit")
def event(atena_no: int, kind: str):
    """The form of one kind of event for a person, and its registration."""
    if kind not in EVENT_FIELDS:
        abort(404)
    row = person_or_404(atena_no, "residents.event")
    form = EventForm()
    if request.method == "GET":
        form.version.data = str(row.version)
        # A correction starts from what is recorded: the clerk changes only what is wrong.
        form.katagaki.data = row.katagaki if kind == "correction" else ""
        if kind == "correction":
            form.honseki.data, form.hitto_sha.data = row.honseki or "", row.hitto_sha or ""
            for f in ("family_name", "given_name", "family_kana", "given_kana", "sex"):
                form[f].data = getattr(row, f)
            form.birth_date.data = row.birth_date.isoformat()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            _apply_event(kind, row, form)
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record("change", screen="residents.event", target=f"atena:{atena_no}", detail=kind)
            flash(_("%(event)sを登録しました。", event=EVENT_TITLES[kind]))
            return redirect(url_for(".person", atena_no=atena_no))
    return _render(
        "residents/event.html",
        form_status(),
        form=form,
        person=row,
        kind=kind,
        title=EVENT_TITLES[kind],
        fields=EVENT_FIELDS[kind],
        errors=errors,
    )


@require("residents.view")
def expiring():
    """外国人住民 whose 在留期間 ends within 30 days (or has ended): the clerk's reminder list."""
    from modules.residents import foreign

    rows = foreign.expiring(get_session(), japan_today())
    audit.record("view", screen="residents.expiring", target="expiring")
    return _render("residents/expiring.html", rows=rows, days=foreign.EXPIRY_DAYS)
