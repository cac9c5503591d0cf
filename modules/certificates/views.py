"""Pages of 証明書交付: the register with a resident search, the issue form, an issuance, its PDF, verify."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from modules.certificates import codes, services
from modules.certificates.errors import CertificateError
from modules.certificates.forms import (
    CancelForm,
    IssueForm,
    RegisterFilterForm,
    ReissueForm,
    VerifyForm,
    VerifyPdfForm,
)
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
    # The verification address printed is the configured public one (KYODO_PUBLIC_URL), never this
    # request's host: Layout.current builds it.
    if form.kind.data == Kind.inkan:
        return services.issue_inkan(
            session, tenant, atena_no, requester, g.user, card_no=form.card_no.data or ""
        )
    if form.kind.data == Kind.tenshutsu:
        return services.issue_tenshutsu(session, tenant, atena_no, requester, g.user)
    options = services.JuminhyoOptions(
        scope=form.scope.data,
        relationship=bool(form.relationship.data),
        honseki=bool(form.honseki.data),
        mynumber=bool(form.mynumber.data),
        mynumber_condition=form.mynumber_condition.data or "",
        juminhyo_code=bool(form.juminhyo_code.data),
        kyuuji=bool(form.kyuuji.data),
        form=form.form.data or "",
    )
    if form.kind.data == Kind.joshu:
        return services.issue_joshu(session, tenant, atena_no, options, requester, g.user)
    return services.issue_juminhyo(
        session, tenant, atena_no, options, requester, g.user, vault=residents.vault_for(tenant.slug)
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
        form.form.data = services.param_form_default()
        default_kind = Kind.juminhyo if residents.is_resident(person) else Kind.joshu
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else default_kind
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
    """One entry of the register: the PDF shown inline, a download button, 交付取消 and 再交付."""
    row = _issuance_or_404(number, "certificates.issuance")
    audit.record("view", screen="certificates.issuance", target=f"certificate:{number}")
    notice_id = row.items.get("move_out_notice")
    # A 転出証明書 issued from a pending 転出届: the notice's state now (a cancelled one asks for 交付取消).
    notice = residents.move_out_notice(get_session(), int(notice_id)) if notice_id else None
    return _render(
        "certificates/issuance.html",
        issuance=row,
        notice=notice,
        can_print=g.user.can("certificates.edit"),
        cancel_form=CancelForm(version=str(row.version)),
        reissue_form=ReissueForm(version=str(row.version)),
    )


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@require("certificates.edit")
def cancel(number: str):
    """交付取消 with its reason; the register keeps the row, the verification says cancelled."""
    row = _issuance_or_404(number, "certificates.cancel", "change")
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(
                get_session(), row.number, form.reason.data or "", g.user, version=_version(form.version.data)
            )
        except CertificateError as exc:
            for message in exc.errors.values():
                flash(message, "error")
        else:
            audit.record(
                "change",
                screen="certificates.cancel",
                target=f"certificate:{number}",
                detail=f"交付取消: {(form.reason.data or '').strip()[:200]}",
            )
            flash(_("交付番号 %(number)s の証明書を交付取消しました。", number=number))
    return redirect(url_for(".issuance", number=number))


@require("certificates.edit")
def reissue(number: str):
    """再交付 of a cancelled certificate: a new number, code and signature, the same content."""
    row = _issuance_or_404(number, "certificates.reissue", "change")
    form = ReissueForm()
    if not form.validate_on_submit():
        return redirect(url_for(".issuance", number=number))
    tenant = current_tenant._get_current_object()  # type: ignore[attr-defined]
    try:
        new = services.reissue(
            get_session(),
            tenant,
            row.number,
            g.user,
            vault=residents.vault_for(tenant.slug),
            version=_version(form.version.data),
        )
    except CertificateError as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return redirect(url_for(".issuance", number=number))
    audit.record(
        "change",
        screen="certificates.reissue",
        target=f"certificate:{new.number}",
        detail=f"再交付 of {number}",
    )
    flash(_("交付番号 %(old)s の再交付として %(number)s を交付しました。", old=number, number=new.number))
    return redirect(url_for(".issuance", number=new.number))


@require("certificates.edit")
def download(number: str):
    """The certificate's PDF as issued (signed), inline for the browser's print preview; ``?download=1`` saves it."""
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
    tenant = current_tenant._get_current_object()  # type: ignore[attr-defined]
    pdf = services.issued_pdf(row, tenant, residents.vault_for(tenant.slug) if shows_number else None)
    audit.record(
        "print", screen="certificates.download", target=f"certificate:{number}", mynumber_shown=shows_number
    )
    response = _pdf_response(pdf)
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="certificate-{number}.pdf"'
    return response


def _pdf_response(pdf: bytes) -> Response:
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@public
def verify():
    """Anyone holding a certificate checks it: by its numbers (paper) or by the PDF itself; nothing personal."""
    form = VerifyForm()
    pdf_form = VerifyPdfForm()
    result = pdf_result = None
    if request.method == "POST" and request.form.get("check") == "pdf":  # the upload form's button
        if pdf_form.validate_on_submit():
            upload = pdf_form.pdf.data
            data = upload.read(services.MAX_UPLOAD + 1) if upload else b""
            tenant = current_tenant._get_current_object()
            pdf_result = services.verify_pdf(get_session(), tenant, data)
            audit.record(
                "view",
                screen="certificates.verify_pdf",
                target="certificate:pdf",
                outcome="ok" if pdf_result.intact and pdf_result.ours else "failed",
            )
    elif form.validate_on_submit():
        result = services.verify(get_session(), form.number.data, form.code.data)
        audit.record(
            "view",
            screen="certificates.verify",
            target=f"certificate:{(codes.clean_number(form.number.data) or '?')}",
            outcome="ok" if result.valid else "failed",
        )
    return _render(
        "certificates/verify.html", form=form, pdf_form=pdf_form, result=result, pdf_result=pdf_result
    )
