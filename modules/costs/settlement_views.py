"""Thin views of 概算 and 精算: the secretariat approves the billing, enters the actual costs and approves the
settlement; a finance officer downloads their city's invoices and 精算書."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from modules.costs import lookups, settlement_services
from modules.costs.errors import CostError
from modules.costs.models import FiscalYear, SettlementStep
from modules.costs.settlement import InstalmentPlan
from modules.costs.settlement_documents import invoice_pdf, invoices_xlsx, settlement_pdf
from modules.costs.views import _download, _my_member, consortium_id, year_or_404
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import parse_version
from tenant_core.inputs import YEN_MAX, bounded_int
from tenant_core.japanese import japan_today
from tenant_core.models import Consortium
from tenant_core.permissions import require


def _consortium_name() -> str:
    return get_session().get_one(Consortium, consortium_id()).name


def _step_or_404(year: int, kind: str) -> tuple[FiscalYear, SettlementStep]:
    fy = year_or_404(year)
    found = settlement_services.step(get_session(), fy, kind)
    if found is None:
        abort(404)
    return fy, found


@require("costs.export")
def invoice(year: int):
    member = _my_member()
    if member is None:
        abort(404)
    fy, found = _step_or_404(year, settlement_services.BILLING)
    bills = settlement_services.stored_bills(found, member.code)
    if not bills:
        abort(404)
    body = invoice_pdf(bills, year=fy.year, consortium=_consortium_name(), issued=japan_today())
    audit.record("print", screen="costs.invoice", target=f"costs:{fy.year}:billing:{member.code}")
    return _download(
        body, "application/pdf", _("負担金請求書_%(member)s_%(year)s.pdf", member=member.name, year=fy.year)
    )


@require("costs.edit")
def invoices(year: int):
    fy, found = _step_or_404(year, settlement_services.BILLING)
    body = invoices_xlsx(settlement_services.stored_bills(found), year=fy.year)
    audit.record("export", screen="costs.invoices", target=f"costs:{fy.year}:billing")
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _("負担金請求一覧_%(year)s.xlsx", year=fy.year),
    )


@require("costs.export")
def settlement(year: int):
    member = _my_member()
    if member is None:
        abort(404)
    fy, found = _step_or_404(year, settlement_services.SETTLEMENT)
    statements = settlement_services.stored_settlements(found, member.code)
    if not statements:
        abort(404)
    body = settlement_pdf(statements[0], year=fy.year, consortium=_consortium_name(), issued=japan_today())
    audit.record("print", screen="costs.settlement", target=f"costs:{fy.year}:settlement:{member.code}")
    return _download(
        body, "application/pdf", _("負担金精算書_%(member)s_%(year)s.pdf", member=member.name, year=fy.year)
    )


def _done(year: int, change: Callable[[], object], message: str, detail: str) -> ResponseReturnValue:
    try:
        change()
    except CostError as err:
        flash(str(err))
    else:
        audit.record("change", target=f"costs:{year}", detail=detail[:500])
        flash(message)
    return redirect(url_for(".manage_year", year=year))


@require("costs.edit")
def billing_approve(year: int):
    fy = year_or_404(year)
    plan_key = request.form.get("plan", "quarterly")
    plan: InstalmentPlan | list[tuple[str, int]]
    if plan_key == "custom":
        # One instalment a line, "label: amount in yen" for the whole consortium, e.g. "第1期（5月）: 30,000,000".
        plan = []
        for line in str(request.form.get("custom_plan", ""))[:2000].splitlines():
            if not line.strip():
                continue
            label, _sep, amount = line.rpartition(":") if ":" in line else line.rpartition("：")
            value = bounded_int(amount.replace(",", "").replace("円", "").strip(), low=0, high=YEN_MAX)
            if not label.strip() or value is None:
                flash(
                    _(
                        "納期の計画の行が読めません: %(line)s（「第1期: 30,000,000」の形で入力）",
                        line=line[:100],
                    )
                )
                return redirect(url_for(".manage_year", year=year))
            plan.append((label.strip()[:40], value))
        if not plan:
            flash(_("納期の計画を入力してください。"))
            return redirect(url_for(".manage_year", year=year))
    elif plan_key in settlement_services.PLANS:
        plan = settlement_services.PLANS[plan_key]()
    else:
        flash(_("納期の区分を選んでください。"))
        return redirect(url_for(".manage_year", year=year))
    version = parse_version(request.form.get("version"))
    return _done(
        year,
        lambda: settlement_services.approve_billing(get_session(), fy, plan, g.user.operator_id, version),
        _("概算請求を承認しました。"),
        f"billing approved, plan {plan_key}",
    )


@require("costs.edit")
def actual_save(year: int, item_id: int):
    fy = year_or_404(year)
    item = lookups.item_of(get_session(), fy, item_id)
    if item is None:
        abort(404)
    amount = bounded_int(str(request.form.get("actual_amount", "")).replace(",", ""), low=0, high=YEN_MAX)
    if amount is None:
        flash(_("費目「%(item)s」: 実績額は0以上の整数で入力してください。", item=item.name))
        return redirect(url_for(".manage_year", year=year))
    return _done(
        year,
        lambda: settlement_services.set_actual(get_session(), fy, item, amount),
        _("費目「%(item)s」の実績額を保存しました。", item=item.name),
        f"actual of item {item.id}: {amount}",
    )


@require("costs.edit")
def settlement_approve(year: int):
    fy = year_or_404(year)
    version = parse_version(request.form.get("version"))
    return _done(
        year,
        lambda: settlement_services.approve_settlement(get_session(), fy, g.user.operator_id, version),
        _("精算を承認しました。"),
        "settlement approved",
    )
