"""概算 and 精算 of a fiscal year in the database: each step approved once and then locked, like an allocation.

1. ``approve_billing``: the approved revision's shares (the budget) billed in instalments; refused for a year
   whose allocation is not approved. What was billed is stored and never recomputed.
2. ``set_actual``: the actual cost of each item, entered after the billing.
3. ``approve_settlement``: the actual costs allocated by the same rules (the year's rules, bases and members)
   and set against what was billed: every member's 精算書, stored and locked; the year cannot be reopened.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.costs.allocation import AllocationError
from modules.costs.computing import compute
from modules.costs.editing import lock_year
from modules.costs.errors import CostError
from modules.costs.lookups import current_revision
from modules.costs.models import CostItem, FiscalYear, RevisionShare, SettlementStep, YearStatus
from modules.costs.settlement import (
    Bill,
    Instalment,
    InstalmentPlan,
    Settlement,
    SettlementLine,
    bill_totals,
    settle_shares,
)
from tenant_core.formatting import page_fiscal_year

BILLING, SETTLEMENT = "billing", "settlement"
PLANS = {
    "quarterly": InstalmentPlan.quarterly,
    "half": lambda: InstalmentPlan.of([("第1期（4月）", Fraction(1, 2)), ("第2期（10月）", Fraction(1, 2))]),
    "annual": lambda: InstalmentPlan.of([("全期（4月）", Fraction(1))]),
}


def step(session: Session, fy: FiscalYear, kind: str) -> SettlementStep | None:
    return session.scalar(
        sa.select(SettlementStep).where(SettlementStep.fiscal_year_id == fy.id, SettlementStep.kind == kind)
    )


def _budget_rows(session: Session, fy: FiscalYear) -> tuple[int, list[RevisionShare]]:
    revision = current_revision(session, fy)
    if fy.status != YearStatus.approved or revision is None:
        raise CostError(
            _(
                "%(year)sの按分が承認されていないため、概算請求・精算はできません。",
                year=page_fiscal_year(fy.year),
            )
        )
    rows = list(
        session.scalars(
            sa.select(RevisionShare)
            .where(RevisionShare.revision_id == revision.id)
            .order_by(RevisionShare.position)
        )
    )
    return revision.number, rows


def approve_billing(
    session: Session,
    fy: FiscalYear,
    plan: InstalmentPlan | list[tuple[str, int]],
    operator: str,
    version: int | None = None,
) -> SettlementStep:
    """Bill the approved budget by ``plan``, or by instalments given in yen for the whole consortium (which
    must make up the year's total: refused otherwise, naming both sums)."""
    lock_year(session, fy, version)
    number, rows = _budget_rows(session, fy)
    if not isinstance(plan, InstalmentPlan):
        try:
            plan = InstalmentPlan.of_amounts(plan, sum(r.amount for r in rows))
        except AllocationError as err:
            raise CostError(_("納期の計画が正しくありません: %(problem)s", problem=err.message)) from None
    if step(session, fy, BILLING) is not None:
        raise CostError(_("%(year)sの概算請求は承認済みです。", year=page_fiscal_year(fy.year)))
    totals: dict[str, int] = {}
    names: dict[str, str] = {}
    for r in rows:
        totals[r.member_code] = totals.get(r.member_code, 0) + r.amount
        names[r.member_code] = r.member_name
    bills = bill_totals(totals, names, plan)
    data = {
        "plan": [[i.label, f"{i.weight.numerator}/{i.weight.denominator}"] for i in plan.instalments],
        "bills": [
            {"code": b.member_code, "name": b.member_name, "number": b.instalment.number, "amount": b.amount}
            for b in bills
        ],
    }
    found = SettlementStep(
        fiscal_year_id=fy.id, kind=BILLING, revision_number=number, data=data, approved_by=operator
    )
    session.add(found)
    session.flush()
    return found


def stored_bills(found: SettlementStep, member_code: str | None = None) -> list[Bill]:
    instalments = {
        n + 1: Instalment(n + 1, label, Fraction(weight))
        for n, (label, weight) in enumerate(found.data["plan"])
    }
    return [
        Bill(b["code"], b["name"], instalments[b["number"]], b["amount"])
        for b in found.data["bills"]
        if member_code is None or b["code"] == member_code
    ]


def set_actual(
    session: Session, fy: FiscalYear, item: CostItem, amount: int, version: int | None = None
) -> None:
    """The actual cost of an item: after the billing was approved, before the settlement."""
    lock_year(session, fy, version)
    if step(session, fy, BILLING) is None:
        raise CostError(_("実績額は概算請求の承認後に入力してください。"))
    if step(session, fy, SETTLEMENT) is not None:
        raise CostError(_("%(year)sは精算済みのため変更できません。", year=page_fiscal_year(fy.year)))
    if amount < 0:
        raise CostError(_("費目「%(item)s」: 実績額は0以上の整数で入力してください。", item=item.name))
    item.actual_amount = amount
    session.flush()


def approve_settlement(
    session: Session, fy: FiscalYear, operator: str, version: int | None = None
) -> SettlementStep:
    lock_year(session, fy, version)
    number, rows = _budget_rows(session, fy)
    billing = step(session, fy, BILLING)
    if billing is None:
        raise CostError(
            _("%(year)sの概算請求が承認されていないため精算できません。", year=page_fiscal_year(fy.year))
        )
    if step(session, fy, SETTLEMENT) is not None:
        raise CostError(_("%(year)sの精算は承認済みです。", year=page_fiscal_year(fy.year)))
    actual = compute(session, fy, actual=True)
    if actual.errors:
        raise CostError(_("精算できません: %(problems)s", problems="; ".join(actual.errors)))
    budget_shares: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for r in rows:
        budget_shares.setdefault(r.item_name, {})[r.member_code] = r.amount
        names[r.member_code] = r.member_name
    actual_shares: dict[str, dict[str, int]] = {}
    for row in actual.rows:
        actual_shares.setdefault(row.item_name, {})[row.member_code] = row.amount
        names.setdefault(row.member_code, row.member_name)
    paid: dict[str, int] = {}
    for b in stored_bills(billing):
        paid[b.member_code] = paid.get(b.member_code, 0) + b.amount
    statements = settle_shares(budget_shares, actual_shares, names, paid)
    data: dict[str, Any] = {
        "members": [
            {
                "code": s.member_code,
                "name": s.member_name,
                "paid": s.paid,
                "lines": [[line.item, line.budget, line.actual] for line in s.lines],
            }
            for s in statements
        ]
    }
    found = SettlementStep(
        fiscal_year_id=fy.id, kind=SETTLEMENT, revision_number=number, data=data, approved_by=operator
    )
    session.add(found)
    session.flush()
    return found


def stored_settlements(found: SettlementStep, member_code: str | None = None) -> list[Settlement]:
    return [
        Settlement(m["code"], m["name"], tuple(SettlementLine(*line) for line in m["lines"]), m["paid"])
        for m in found.data["members"]
        if member_code is None or m["code"] == member_code
    ]
