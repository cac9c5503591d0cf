"""Pages of 軽自動車税（種別割）: 課税台帳, vehicles, 減免, taxpayers, 収納, 未納, printing the notices."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from modules.atena import public as atena
from modules.keitax import services, tasks
from modules.keitax.classes import CLASSES, class_label
from modules.keitax.forms import (
    DecideForm,
    HoldersForm,
    ImportForm,
    ReductionForm,
    ScrapForm,
    VehicleForm,
    YearForm,
)
from modules.keitax.models import PaymentResult, ReductionState
from modules.residents import public as residents
from tenant_core import exports
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.errors import InputError, place_errors
from tenant_core.formatting import page_date
from tenant_core.japanese import fiscal_year_of, japan_today
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.views import found_or_404, page_renderer, parse_date

PER_PAGE = 50
RULE_LABELS = {"standard": "標準", "old": "旧税率", "heavy": "重課", "green": "軽課", "none": "課税なし"}
RESULT_LABELS = {
    "matched": "消込済",
    "partial": "一部納付",
    "over": "過誤納",
    "unmatched": "納付番号不明",
    "invalid": "形式誤り",
}


def _rule_label(code: str) -> str:
    return _(RULE_LABELS.get(code, code))


def _result_label(code: str) -> str:
    return _(RESULT_LABELS.get(code, code))


HELPERS: dict[str, Callable[..., Any]] = {
    "class_label": class_label,
    "rule_label": _rule_label,
    "result_label": _result_label,
    "wareki": page_date,
    "atena": lambda n: f"{n:010d}",
    "yen": lambda n: f"{n:,}",
}
_render = page_renderer(HELPERS)


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else fiscal_year_of(japan_today())


def _download(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@require("keitax.view")
def index():
    """課税台帳 of a fiscal year (paged), with 賦課 and 印刷 for editors."""
    session = get_session()
    year = _year()
    page = Page.from_request(request, per_page=PER_PAGE)
    listing = services.ledger(session, year, page.number, PER_PAGE)
    audit.record("view", screen="keitax.index", detail=f"ledger {year} page {page.number}")
    return _render(
        "keitax/index.html",
        year=year,
        listing=listing,
        pager=page.with_total(listing.total),
        year_form=YearForm(data={"fiscal_year": year}),
        can_edit=g.user.can("keitax.edit"),
    )


@require("keitax.view")
def ledger_export():
    from openpyxl import Workbook

    year = _year()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("課税台帳"))
    exports.append_row(
        sheet,
        [
            _("納付番号"),
            _("宛名番号"),
            _("車両"),
            _("車種区分"),
            _("適用"),
            _("税率"),
            _("減免額"),
            _("税額"),
            _("区分"),
            _("納期限"),
        ],
    )
    for a in services.ledger(get_session(), year, None, 0).rows:
        exports.append_row(
            sheet,
            [
                a.nofu_no,
                f"{a.taxpayer_atena_no:010d}",
                a.vehicle_id,
                class_label(a.vehicle_class),
                _rule_label(a.rule),
                a.rate,
                a.reduction,
                a.amount,
                _("更正") if a.kind == "correction" else _("当初"),
                a.due_on,
            ],
        )
    audit.record("export", screen="keitax.ledger_export", detail=f"ledger {year}")
    return _download(exports.workbook_bytes(book), f"課税台帳-{year}.xlsx")


@require("keitax.edit")
def assess():
    """Start the 賦課 job of a fiscal year."""
    form = YearForm()
    if not form.validate_on_submit() or form.fiscal_year.data is None:
        flash(_("年度を西暦4桁で入力してください。"))
        return redirect(url_for(".index"))
    year = form.fiscal_year.data
    job_id = tasks.start(get_session(), year, g.tenant, g.user.operator_id)
    audit.record("change", screen="keitax.assess", target=f"job:{job_id}", detail=f"assess {year}")
    flash(_("%(year)s年度の賦課を開始しました（ジョブ %(job)s）。", year=year, job=job_id[:8]))
    return redirect(url_for(".index", year=year))


def _atena_field(text: str | None) -> int | None:
    return residents.parse_atena((text or "").strip()) if (text or "").strip() else None


def _month(text: str | None) -> dt.date | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@require("keitax.edit")
def new_vehicle():
    form = VehicleForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            if (form.first_inspection.data or "").strip() and _month(form.first_inspection.data) is None:
                raise InputError(_("初度検査年月を「2015-03」の形で入力してください。"), "first_inspection")
            owner = _atena_field(form.owner_atena_no.data)
            vehicle = services.register_vehicle(
                get_session(),
                plate_no=form.plate_no.data or "",
                vehicle_class=form.vehicle_class.data or "",
                owner_atena_no=owner,
                user_atena_no=_atena_field(form.user_atena_no.data),
                acquired_on=parse_date(form.acquired_on.data),
                first_inspection=_month(form.first_inspection.data),
                green=bool(form.green.data),
                retained_title=bool(form.retained_title.data),
                by=g.user.operator_id,
            )
        except InputError as exc:
            errors = place_errors(form, exc.errors)
            status = 422
            audit.record("change", screen="keitax.new_vehicle", outcome="failed", detail="invalid input")
        else:
            audit.record(
                "change",
                screen="keitax.new_vehicle",
                target=f"vehicle:{vehicle.id}",
                detail=f"acquired by atena:{vehicle.owner_atena_no}",
            )
            flash(_("車両を登録しました。"))
            return redirect(url_for(".vehicle", vehicle_id=vehicle.id))
    elif request.method == "POST":
        status = 422
    return _render("keitax/new_vehicle.html", status, form=form, errors=errors)


def _vehicle_or_404(vehicle_id: int, screen: str):
    return found_or_404(
        services.get_vehicle(get_session(), vehicle_id), screen=screen, target=f"vehicle:{vehicle_id}"
    )


def _vehicle_page(vehicle, scrap_form=None, reduction_form=None, errors=None, status: int = 200):
    session = get_session()
    people = atena.get_entries(session, [n for n in (vehicle.owner_atena_no, vehicle.user_atena_no) if n])
    return _render(
        "keitax/vehicle.html",
        status,
        vehicle=vehicle,
        people=people,
        events=services.events_of(session, vehicle),
        reductions=services.reductions_of(session, [vehicle.id]),
        scrap_form=scrap_form or ScrapForm(data={"version": str(vehicle.version)}),
        reduction_form=reduction_form or ReductionForm(data={"fiscal_year": fiscal_year_of(japan_today())}),
        errors=errors or [],
        can_edit=g.user.can("keitax.edit"),
    )


@require("keitax.view")
def vehicle(vehicle_id: int):
    row = _vehicle_or_404(vehicle_id, "keitax.vehicle")
    audit.record("view", screen="keitax.vehicle", target=f"vehicle:{row.id}")
    return _vehicle_page(row)


def _atena_or_error(form: HoldersForm, name: str) -> int | None:
    """A 宛名番号 typed in the form, None when blank; a number that cannot be one is named."""
    text = (getattr(form, name).data or "").strip()
    if not text:
        return None
    number = residents.parse_atena(text)
    if number is None:
        label = str(getattr(form, name).label.text)
        raise InputError(_("%(label)sがこの団体の宛名にありません。", label=label), name)
    return number


@require("keitax.edit")
def change_holders(vehicle_id: int):
    """所有者・使用者の変更 (異動): checked against the version shown, confirmed, kept in the history."""
    row = _vehicle_or_404(vehicle_id, "keitax.change_holders")
    form = HoldersForm()
    errors: list[str] = []
    status = 200
    if request.method == "GET":
        form.version.data = str(row.version)
        form.owner_atena_no.data = str(row.owner_atena_no)
        form.user_atena_no.data = str(row.user_atena_no) if row.user_atena_no else ""
        form.retained_title.data = row.retained_title
        form.effective_on.data = japan_today().isoformat()
    elif not form.validate_on_submit():
        errors, status = place_errors(form, {}), 422
    else:
        before = (row.owner_atena_no, row.user_atena_no, row.retained_title)
        try:
            version = parse_version(form.version.data)
            if version is None:  # a form always carries the version it showed
                raise ConflictError(target=f"vehicle:{row.id}")
            services.change_holders(
                get_session(),
                row,
                owner_atena_no=_atena_or_error(form, "owner_atena_no"),
                user_atena_no=_atena_or_error(form, "user_atena_no"),
                retained_title=bool(form.retained_title.data),
                effective_on=parse_date(form.effective_on.data),
                confirmed=bool(form.confirm.data),
                version=version,
                by=g.user.operator_id,
            )
        except InputError as exc:
            errors, status = place_errors(form, exc.errors), 422
            audit.record(
                "change",
                screen="keitax.change_holders",
                target=f"vehicle:{row.id}",
                outcome="failed",
                detail="invalid input",
            )
        else:
            audit.record(
                "change",
                screen="keitax.change_holders",
                target=f"vehicle:{row.id}",
                detail="holders owner:{} user:{} retained:{} -> owner:{} user:{} retained:{}".format(
                    *before, row.owner_atena_no, row.user_atena_no, row.retained_title
                ),
            )
            flash(_("所有者・使用者を変更しました。"))
            return redirect(url_for(".vehicle", vehicle_id=row.id))
    return _render("keitax/holders.html", status, form=form, errors=errors, vehicle=row)


@require("keitax.edit")
def scrap(vehicle_id: int):
    row = _vehicle_or_404(vehicle_id, "keitax.scrap")
    form = ScrapForm()
    if request.method == "POST" and not form.validate():
        # A date that is not one (平成32年...) is named on the page; nothing is changed.
        return _vehicle_page(row, scrap_form=form, errors=place_errors(form, {}), status=422)
    if form.validate_on_submit():
        try:
            services.scrap_vehicle(
                get_session(),
                row,
                scrapped_on=parse_date(form.scrapped_on.data),
                version=parse_version(form.version.data),
                by=g.user.operator_id,
            )
        except InputError as exc:
            return _vehicle_page(row, scrap_form=form, errors=place_errors(form, exc.errors), status=422)
        audit.record("change", screen="keitax.scrap", target=f"vehicle:{row.id}", detail="scrapped")
        flash(_("廃車を登録しました。"))
    return redirect(url_for(".vehicle", vehicle_id=row.id))


@require("keitax.edit")
def reduction(vehicle_id: int):
    row = _vehicle_or_404(vehicle_id, "keitax.reduction")
    form = ReductionForm()
    if form.validate_on_submit():
        try:
            services.apply_reduction(
                get_session(),
                row,
                form.fiscal_year.data,
                form.percent.data,
                form.reason.data or "",
                japan_today(),
                g.user.operator_id,
            )
        except InputError as exc:
            return _vehicle_page(row, reduction_form=form, errors=place_errors(form, exc.errors), status=422)
        audit.record(
            "change", screen="keitax.reduction", target=f"vehicle:{row.id}", detail="reduction applied"
        )
        flash(_("減免の申請を受け付けました。承認は別の職員が行います。"))
        return redirect(url_for(".vehicle", vehicle_id=row.id))
    return _vehicle_page(row, reduction_form=form, status=422)


@require("keitax.view")
def reductions():
    session = get_session()
    rows = services.pending_reductions(session)
    audit.record("view", screen="keitax.reductions")
    return _render("keitax/reductions.html", rows=rows, form=DecideForm(), can_edit=g.user.can("keitax.edit"))


@require("keitax.edit")
def decide(reduction_id: int):
    session = get_session()
    row = found_or_404(
        services.get_reduction(session, reduction_id),
        screen="keitax.decide",
        target=f"reduction:{reduction_id}",
    )
    form = DecideForm()
    if form.validate_on_submit():
        approve = form.decision.data == "approve"
        try:
            services.decide_reduction(
                session, row, approve=approve, version=parse_version(form.version.data), by=g.user.operator_id
            )
        except InputError as exc:
            flash(" ".join(exc.errors.values()))
            return redirect(url_for(".reductions"))
        audit.record(
            "change",
            screen="keitax.decide",
            target=f"reduction:{row.id}",
            detail="approved" if approve else "rejected",
        )
        flash(_("減免を承認しました（更正しました）。") if approve else _("減免の申請を却下しました。"))
    return redirect(url_for(".reductions"))


@require("keitax.view")
def taxpayer(atena_no: int):
    """A taxpayer's vehicles, assessments and payments."""
    session = get_session()
    who = found_or_404(
        atena.get_entry(session, atena_no), screen="keitax.taxpayer", target=f"atena:{atena_no}"
    )
    assessed = services.assessments_of(session, atena_no)
    paid = services.paid_by_assessment(session, [a for a in assessed if a.current])
    audit.record("view", screen="keitax.taxpayer", target=f"atena:{atena_no}")
    return _render(
        "keitax/taxpayer.html",
        who=who,
        vehicles=services.vehicles_of(session, atena_no),
        assessments=assessed,
        paid=paid,
    )


@require("keitax.view")
def payments():
    """収納 list (paged), filtered by result."""
    result = request.args.get("result") or None
    if result not in (None, *RESULT_LABELS):
        result = None
    page = Page.from_request(request, per_page=PER_PAGE)
    rows, total = services.payments_page(get_session(), page.number, PER_PAGE, result)
    audit.record("view", screen="keitax.payments", detail=f"page {page.number}")
    return _render(
        "keitax/payments.html",
        rows=rows,
        pager=page.with_total(total),
        result=result,
        results=RESULT_LABELS,
        args={"result": result} if result else {},
    )


@require("keitax.view")
def payments_export():
    from openpyxl import Workbook

    result = request.args.get("result") or None
    result = result if result in RESULT_LABELS else None
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("収納"))
    exports.append_row(
        sheet, [_("取込"), _("行"), _("納付番号"), _("金額"), _("納付日"), _("経路"), _("結果"), _("備考")]
    )
    for p in services.all_payments(get_session(), result):
        exports.append_row(
            sheet,
            [
                p.import_id,
                p.line_no,
                p.nofu_no,
                p.amount,
                p.paid_on,
                p.channel,
                _result_label(p.result),
                p.note,
            ],
        )
    audit.record("export", screen="keitax.payments_export")
    return _download(exports.workbook_bytes(book), "収納.xlsx")


@require("keitax.edit")
def import_payments():
    form = ImportForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = services.import_payments(
                get_session(),
                getattr(upload, "filename", "") or "",
                upload.read() if upload else b"",
                form.encoding.data or "utf-8",
                g.user.operator_id,
            )
        except InputError as exc:
            errors = place_errors(form, exc.errors)
            status = 422
        else:
            audit.record(
                "change",
                screen="keitax.import_payments",
                target=f"payment_import:{report.import_id}",
                detail=" ".join(f"{k}={v}" for k, v in sorted(report.counts.items())),
            )
            flash(_("収納データを%(rows)s行取り込みました。", rows=report.rows))
            return redirect(url_for(".import_report", import_id=report.import_id))
    elif request.method == "POST":
        status = 422
    return _render("keitax/import.html", status, form=form, errors=errors)


@require("keitax.view")
def import_report(import_id: int):
    session = get_session()
    record = found_or_404(
        services.get_import(session, import_id),
        screen="keitax.import_report",
        target=f"payment_import:{import_id}",
    )
    audit.record("view", screen="keitax.import_report", target=f"payment_import:{import_id}")
    return _render(
        "keitax/import_report.html", record=record, problems=services.import_problems(session, import_id)
    )


@require("keitax.view")
def unpaid():
    year = _year()
    rows = services.unpaid(get_session(), year, japan_today())
    audit.record("view", screen="keitax.unpaid", detail=f"unpaid {year}")
    return _render("keitax/unpaid.html", year=year, rows=rows)


@require("keitax.edit")
def print_notices():
    """Start the job that makes and draws the year's 納税通知書 (a print run of the platform)."""
    form = YearForm()
    if not form.validate_on_submit() or form.fiscal_year.data is None:
        flash(_("年度を西暦4桁で入力してください。"))
        return redirect(url_for(".index"))
    year = form.fiscal_year.data
    session = get_session()
    if not services.notices_due(session, year):
        flash(_("%(year)s年度の納税通知書の対象がありません。先に賦課を行ってください。", year=year))
        return redirect(url_for(".index", year=year))
    job_id = tasks.start_printing(session, year, g.tenant, g.user.operator_id)
    audit.record("print", screen="keitax.print_notices", target=f"job:{job_id}", detail=f"notices {year}")
    flash(_("%(year)s年度の納税通知書の印刷を開始しました。進捗は大量印刷の画面で確認できます。", year=year))
    return redirect(url_for("printing.index"))


__all__ = ["CLASSES", "PaymentResult", "ReductionState"]
