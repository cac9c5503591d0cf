"""Pages of the seal register: search and list, a person's seals, registration, loss, abolition."""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from modules.residents import public as residents
from modules.seals import services
from modules.seals.display import HELPERS
from modules.seals.errors import SealError
from modules.seals.forms import ChangeForm, ListForm, RegisterForm, SearchForm
from modules.seals.models import SealRegistration
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.errors import place_errors
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.views import form_status, found_or_404, is_bad_date, page_renderer, parse_date

PER_PAGE = 20
_render = page_renderer(HELPERS)


def _registration_or_404(registration_no: str, screen: str) -> SealRegistration:
    """The registration of this city with this 登録番号; a miss is logged (probing leaves a trace)."""
    number = registration_no[:20]
    session = get_session()
    reg = services.get_registration(session, number)
    # A registration of a person under 支援措置 or 抑止 does not exist for staff who may not see them
    # (the register hides the person: residents.get_person answers None, and flags the access otherwise).
    if reg is not None and residents.get_person(session, reg.atena_no) is None:
        reg = None
    return found_or_404(reg, screen=screen, target=f"seal:{number}")


@require("seals.view")
def index():
    """Search a resident, look up a 登録番号, and the register list (paged)."""
    session = get_session()
    form, list_form = SearchForm(request.args), ListForm(request.args)
    result, errors, status = None, [], 200
    if residents.search_asked():
        result, errors = residents.search_from_form(form, screen="seals.search", per_page=PER_PAGE)
        status = 422 if (errors or form.errors) and result is None else 200
    number = (list_form.no.data or "").strip()
    if number:
        reg = services.get_registration(session, number[:20])
        if reg is not None and residents.get_person(session, reg.atena_no) is None:
            reg = None  # a protected person's registration: not found, as for any unknown number
        audit.record(
            "search",
            screen="seals.lookup",
            search=audit.search_shape({"no": number}, 1 if reg else 0),
        )
        if reg is not None:
            return redirect(url_for(".registration", registration_no=reg.registration_no))
        errors.append(_("登録番号「%(no)s」の登録はありません。", no=number[:20]))
        status = 404
    page = Page.from_request(request, per_page=PER_PAGE)
    listing = services.register_list(session, page.number, PER_PAGE, list_form.status.data or None)
    # The names of one page of the register: one query for the page, not one per row.
    names = residents.get_persons(session, [r.atena_no for r in listing.rows])
    audit.record("view", screen="seals.index", detail=f"register page {page.number}")
    return _render(
        "seals/index.html",
        status,
        form=form,
        list_form=list_form,
        result=result,
        errors=errors,
        listing=listing,
        names=names,
        pager=page.with_total(listing.total),
        args={k: v for k, v in request.args.items() if k in ("status",) and v},
    )


@require("seals.view")
def person(atena_no: int):
    """A person's registrations, with the way to register a seal."""
    row = residents.person_or_404(atena_no, "seals.person")
    regs = services.registrations_of(get_session(), atena_no)
    audit.record("view", screen="seals.person", target=f"atena:{atena_no}")
    return _render("seals/person.html", person=row, registrations=regs, can_edit=g.user.can("seals.edit"))


@require("seals.edit")
def register():
    """印鑑登録の申請: a 宛名番号 and the seal's image."""
    form = RegisterForm()
    if request.method == "GET" and request.args.get("atena_no", type=int):
        form.atena_no.data = request.args.get("atena_no", type=int)
    errors: list[str] = []
    person = None
    if form.validate_on_submit():
        upload = form.image.data
        data = upload.read() if upload else None
        try:
            reg = services.register(get_session(), form.atena_no.data, data, by=g.user.operator_id)
        except SealError as exc:
            errors = place_errors(form, exc.errors)
            audit.record(
                "change",
                screen="seals.register",
                target=f"atena:{form.atena_no.data}" if form.atena_no.data else None,
                outcome="refused" if exc.refused else "failed",
                detail="other city or unknown 宛名番号" if exc.refused else "invalid input",
            )
        else:
            audit.record(
                "change",
                screen="seals.register",
                target=f"seal:{reg.registration_no}",
                detail=f"registered for atena:{reg.atena_no}",
            )
            flash(
                _(
                    "印鑑を登録しました（登録番号 %(no)s、印鑑登録証 %(card)s）。",
                    no=reg.registration_no,
                    card=reg.card_no,
                )
            )
            return redirect(url_for(".registration", registration_no=reg.registration_no))
    if form.atena_no.data and not errors:
        person = residents.get_person(get_session(), form.atena_no.data)
    return _render("seals/register.html", form_status(), form=form, errors=errors, person=person)


@require("seals.view")
def registration(registration_no: str):
    """One registration: its state, the image (through the logged image route), its history."""
    session = get_session()
    reg = _registration_or_404(registration_no, "seals.registration")
    audit.record("view", screen="seals.registration", target=f"seal:{reg.registration_no}")
    return _render(
        "seals/registration.html",
        reg=reg,
        person=residents.get_person(session, reg.atena_no),
        events=services.events_of(session, reg),
        can_edit=g.user.can("seals.edit"),
    )


@require("seals.view")
def image(registration_no: str):
    """The seal's image, never cached, only to staff who may see the register."""
    reg = _registration_or_404(registration_no, "seals.image")
    audit.record("view", screen="seals.image", target=f"seal:{reg.registration_no}", detail="印影画像")
    response = Response(reg.image, mimetype=reg.image_mime)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Content-Disposition"] = "inline"
    return response


def _change(registration_no: str, kind: str):
    reg = _registration_or_404(registration_no, f"seals.{kind}")
    form = ChangeForm()
    if request.method == "GET":
        form.version.data = str(reg.version)
    errors: list[str] = []
    if form.validate_on_submit():
        on = parse_date(form.effective_on.data)
        try:
            if is_bad_date(form.effective_on.data):
                raise SealError(_("届出日は「2026-04-01」の形で入力してください。"), "effective_on")
            version = parse_version(form.version.data)
            if version is None:  # a form always carries the version it showed
                raise ConflictError(target=f"seal:{reg.registration_no}")
            operation = services.mark_lost if kind == "lost" else services.abolish
            operation(
                get_session(),
                reg,
                reason=form.reason.data,
                confirmed=bool(form.confirm.data),
                by=g.user.operator_id,
                on=on,
                version=version,
            )
        except SealError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record("change", screen=f"seals.{kind}", target=f"seal:{reg.registration_no}", detail=kind)
            flash(_("亡失届を受け付けました。") if kind == "lost" else _("印鑑登録を廃止しました。"))
            return redirect(url_for(".registration", registration_no=reg.registration_no))
    title = _("印鑑登録証の亡失届") if kind == "lost" else _("印鑑登録の廃止届")
    return _render(
        "seals/change.html", form_status(), form=form, errors=errors, reg=reg, kind=kind, title=title
    )


@require("seals.edit")
def lost(registration_no: str):
    """亡失届 (the 印鑑登録証 was lost)."""
    return _change(registration_no, "lost")


@require("seals.edit")
def abolish(registration_no: str):
    """廃止届."""
    return _change(registration_no, "abolish")
