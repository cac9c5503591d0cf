"""Pages of 証明書交付: the register with a resident search, the issue form, an issuance, its PDF, verify."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from modules.certificates import codes, services
from modules.certificates.errors import CertificateError
from modules.certificates.forms import IssueForm, RegisterFilterForm, VerifyForm
from modules.certificates.models import KIND_LABELS, Issuance, Kind, kind_label
from modules.residents import public as residents
from modules.residents.public import MYNUMBER_PERMISSION
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.errors import place_errors
from tenant_core.inputs import printable
from tenant_core.pagination import Page
from tenant_core.permissions import public, require
from tenant_core.tenancy import current_tenant
from tenant_core.views import form_status, found_or_404, page_renderer, parse_date

PER_PAGE = 20
_render = page_renderer(residents.HELPERS, {"kind_label": kind_label, "display_code": codes.display_code})


def _not_here(atena_no: Any, screen: str) -> tuple[str, int]:
    """A 宛名番号 this city does not hold (maybe another city's): refused, logged, nothing recorded."""
    audit.record(
        "view",
        screen=screen,
        target=f"atena:{printable(atena_no)}",
        outcome="refused",
        detail="not in this city",
    )
    message = _("指定された宛名番号の方は、この市の住民記録にありません。宛名番号を確かめてください。")
    return _render("certificates/not_found.html", 404, message=message)


@require("certificates.view")
def index():
    """The issuance register (交付簿), filtered and paged, with a resident search to start an issue."""
    search_form = residents.SearchForm(request.args)
    result, search_errors = residents.search_from_form(
        search_form, screen="certificates.search", page=Page.from_request(request).number, per_page=PER_PAGE
    )
    filters = RegisterFilterForm(request.args)
    date_from, date_to = parse_date(filters.date_from.data), parse_date(filters.date_to.data)
    for dated in (filters.date_from, filters.date_to):
        if dated.process_errors:  # the field's reader says why the text is no date
            dated.errors = list(dated.process_errors)
    kind = filters.kind.data if filters.kind.data in KIND_LABELS else None
    listing = services.register_list(
        get_session(),
        Page.from_request(request).number if result is None else 1,
        PER_PAGE,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
    )
    audit.record("view", screen="certificates.index", detail=f"register page {listing.page}")
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    bad = search_errors or search_form.errors or filters.errors
    return _render(
        "certificates/index.html",
        422 if bad else 200,
        form=search_form,
        filters=filters,
        result=result,
        errors=search_errors,
        listing=listing,
        pager=Page(listing.page, listing.per_page, listing.total),
        search_pager=Page(result.page, result.per_page, result.total) if result else None,
        args=args,
    )


def _issue(form: IssueForm, atena_no: int) -> Issuance:
    session, tenant = get_session(), current_tenant._get_current_object()  # type: ignore[attr-defined]
    requester = services.Requester(
        name=form.requester_name.data or "",
        relation=form.requester_relation.data or "",
        purpose=form.purpose.data or "",
    )
    verify_url = url_for(".verify", tenant=tenant.slug, _external=True)
    if form.kind.data == Kind.inkan:
        layout = services.Layout.current(tenant, Kind.inkan, services.japan_today(), verify_url)
        return services.issue_inkan(session, tenant, atena_no, requester, g.user, layout=layout)
    options = services.JuminhyoOptions(
        scope=form.scope.data,
        relationship=bool(form.relationship.data),
        honseki=bool(form.honseki.data),
        mynumber=bool(form.mynumber.data),
        mynumber_condition=form.mynumber_condition.data or "",
    )
    layout = services.Layout.current(tenant, Kind.juminhyo, services.japan_today(), verify_url)
    return services.issue_juminhyo(
        session,
        tenant,
        atena_no,
        options,
        requester,
        g.user,
        vault=residents.vault_for(tenant.slug),
        layout=layout,
    )


@require("certificates.edit")
def new():
    """The request form for a person (``?atena=``), and the issue itself."""
    form = IssueForm()
    raw = form.atena_no.data if request.method == "POST" else request.args.get("atena")
    atena_no = residents.parse_atena(raw)
    if atena_no is None:
        if request.method == "POST":
            return _not_here(raw, "certificates.new")
        flash(_("証明書を交付する方を、住民検索で選んでください。"))
        return redirect(url_for(".index"))
    session = get_session()
    person = residents.get_person(session, atena_no)
    if person is None:
        return _not_here(atena_no, "certificates.new")
    errors: list[str] = []
    if request.method == "GET":
        form.atena_no.data = str(atena_no)
        form.honseki.data = services.param_honseki_default()
        form.kind.data = (
            request.args.get("kind") if request.args.get("kind") in KIND_LABELS else Kind.juminhyo
        )
    elif form.validate_on_submit():
        try:
            issuance = _issue(form, atena_no)
        except CertificateError as exc:
            if exc.not_found:
                return _not_here(atena_no, "certificates.new")
            # The 宛名番号 travels in a hidden field: its message goes above the form.
            errors = place_errors(form, exc.errors, general=("atena_no",))
        else:
            audit.record(
                "change",
                screen="certificates.new",
                target=f"certificate:{issuance.number}",
                detail=f"{issuance.kind} atena:{atena_no} persons:{len(issuance.persons)}",
            )
            flash(
                _(
                    "%(kind)sを交付しました（交付番号 %(number)s、手数料 %(fee)s円）。",
                    kind=issuance.kind_label,
                    number=issuance.number,
                    fee=f"{issuance.fee:,}",
                )
            )
            return redirect(url_for(".issuance", number=issuance.number))
    members = residents.household_members(session, person.household_id)
    audit.record("view", screen="certificates.new", target=f"atena:{atena_no}")
    return _render(
        "certificates/new.html",
        form_status(),
        form=form,
        person=person,
        members=members,
        errors=errors,
        can_mynumber=g.user.can(MYNUMBER_PERMISSION),
    )


def _issuance_or_404(number: str, screen: str, function: str = "view") -> Issuance:
    return found_or_404(
        services.get_issuance(get_session(), number),
        screen=screen,
        target=f"certificate:{number[:30]}",
        function=function,
    )


@require("certificates.view")
def issuance(number: str):
    """One entry of the register, with the download link."""
    row = _issuance_or_404(number, "certificates.issuance")
    audit.record("view", screen="certificates.issuance", target=f"certificate:{number}")
    return _render("certificates/issuance.html", issuance=row, can_print=g.user.can("certificates.edit"))


@require("certificates.edit")
def download(number: str):
    """The certificate's PDF, drawn again from the register (the same bytes as issued)."""
    row = _issuance_or_404(number, "certificates.download", "print")
    shows_number = bool(row.items.get("mynumber"))
    if shows_number and not g.user.can(MYNUMBER_PERMISSION):
        audit.record(
            "print",
            screen="certificates.download",
            target=f"certificate:{number}",
            outcome="refused",
            detail="個人番号を含む証明書: 閲覧権限なし",
        )
        abort(403)
    pdf = services.render_pdf(row, residents.vault_for(current_tenant.slug) if shows_number else None)
    audit.record(
        "print", screen="certificates.download", target=f"certificate:{number}", mynumber_shown=shows_number
    )
    response = _pdf_response(pdf)
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{number}.pdf"'
    return response


def _pdf_response(pdf: bytes) -> Response:
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@public
def verify():
    """Anyone holding a paper certificate checks it: valid or not, its kind and date; nothing personal."""
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        result = services.verify(get_session(), form.number.data, form.code.data)
        audit.record(
            "view",
            screen="certificates.verify",
            target=f"certificate:{(codes.clean_number(form.number.data) or '?')}",
            outcome="ok" if result.valid else "failed",
        )
    return _render("certificates/verify.html", form=form, result=result)
