"""Reading the shares: an approved revision as stored, the year a finance officer sees, the years' trend.

An approved revision is read from its stored shares, never recomputed; a year not yet approved is shown
as a preview of its draft (computing.py).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.costs import fairness
from modules.costs.allocation import AllocationError, Member, game_costs
from modules.costs.computing import check_rule_spec, compute
from modules.costs.errors import CostError
from modules.costs.lookups import current_revision, fiscal_years, members_of_year
from modules.costs.models import FiscalYear, Revision, RevisionShare
from modules.costs.shares import Overview, ShareRow, YearResult


def revision_result(session: Session, fy: FiscalYear, revision: Revision) -> YearResult:
    """The stored shares of a revision, as they were approved (a later engine change does not alter them)."""
    rows = [
        ShareRow(
            item_name=s.item_name,
            category=s.category,
            item_amount=s.item_amount,
            shared=s.shared,
            rule_name=s.rule_name,
            member_code=s.member_code,
            member_name=s.member_name,
            amount=s.amount,
            ratio=s.ratio,
            explanation_ja=s.explanation_ja,
            explanation_en=s.explanation_en,
        )
        for s in session.scalars(
            sa.select(RevisionShare)
            .where(RevisionShare.revision_id == revision.id)
            .order_by(RevisionShare.position)
        )
    ]
    names = dict.fromkeys(sorted({r.member_code for r in rows}))
    for r in rows:
        names[r.member_code] = r.member_name
    return YearResult(
        year=fy.year,
        status="approved" if revision.current else "superseded",
        members=sorted(names.items()),  # type: ignore[arg-type]
        rows=rows,
        revision=revision.number,
        approved_at=revision.approved_at,
        approved_by=revision.approved_by,
        reason=revision.reason,
    )


def year_result(session: Session, fy: FiscalYear) -> YearResult:
    """What a finance officer sees for a year: the approved revision in force (also while a revision is being
    prepared), or, before any approval, the draft marked as such."""
    revision = current_revision(session, fy)
    if revision is not None:
        return revision_result(session, fy, revision)
    return compute(session, fy)


def overview(session: Session, consortium_id: int, member_code: str | None) -> Overview:
    """Approved years from their stored shares (one query); draft years computed as a preview."""
    years = fiscal_years(session, consortium_id)
    result = Overview([fy.year for fy in years], {}, {}, [], defaultdict(dict), {})
    names: dict[str, str] = {}
    approved_ids: dict[int, int] = {}
    for fy in years:
        result.status[fy.year] = str(fy.status)
        result.revision[fy.year] = None
        revision = current_revision(session, fy)
        if revision is not None:
            approved_ids[revision.id] = fy.year
            result.revision[fy.year] = revision.number
            continue
        computed = compute(session, fy)
        names.update(dict(computed.members))
        result.shared[fy.year] = computed.totals(shared_only=True)
        result.own[fy.year] = sum(
            r.amount for r in computed.rows if not r.shared and r.member_code == member_code
        )
    if approved_ids:
        query = (
            sa.select(
                RevisionShare.revision_id,
                RevisionShare.member_code,
                RevisionShare.member_name,
                RevisionShare.shared,
                sa.func.sum(RevisionShare.amount),
            )
            .where(RevisionShare.revision_id.in_(approved_ids))
            .group_by(
                RevisionShare.revision_id,
                RevisionShare.member_code,
                RevisionShare.member_name,
                RevisionShare.shared,
            )
        )
        for revision_id, code, name, shared, total in session.execute(query):
            year = approved_ids[revision_id]
            names[code] = name
            if shared:
                result.shared[year][code] = int(total)
            elif code == member_code:
                result.own[year] = int(total)
    result.members = sorted(names.items())
    return result


def savings(result: YearResult, session: Session, fy: FiscalYear) -> list[dict[str, Any]]:
    """Each member's shared-items total against its stand-alone cost (単独費用), where that basis is given."""
    _, bases = members_of_year(session, fy)
    alone = {b.member.code: b.standalone for b in bases.values() if b.standalone}
    shared = result.totals(shared_only=True)
    rows = []
    for code, name in result.members:
        if code in alone and code in shared:
            saving = alone[code] - shared[code]
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "alone": alone[code],
                    "joint": shared[code],
                    "saving": saving,
                    "rate": Fraction(saving, alone[code]),
                }
            )
    return rows


def fairness_check(result: YearResult, session: Session, fy: FiscalYear) -> list[fairness.Violation]:
    """The fairness check of a year's shares as shown (stored rows for an approved revision): each item whose
    rule gives coalition costs against them, and each member's shared total against its stand-alone cost.

    Stored rows keep the amounts, not the exact quotas, so a flag here does not tell rounding apart."""
    members = sorted((Member(code, name) for code, name in result.members), key=lambda m: m.code)
    found: list[fairness.Violation] = []
    rules = {r.name: r for r in fy.rules}
    for first, cells in result.shared_by_item():
        stored = rules.get(first.rule_name)
        if stored is None or not stored.spec.get("coalitions"):
            continue
        try:
            table = game_costs(check_rule_spec(stored.spec).coalitions or {}, members)
        except (CostError, AllocationError):
            continue  # the preview lists a rule it cannot use among its errors
        paid = {m.code: cells[m.code].amount if m.code in cells else 0 for m in members}
        found.extend(fairness.check_game(first.item_name, members, table, paid, _exact(paid)))
    _, bases = members_of_year(session, fy)
    alone = {b.member.code: b.standalone for b in bases.values() if b.standalone}
    if members and all(m.code in alone for m in members):
        shared = result.totals(shared_only=True)
        table = {1 << i: Fraction(alone[m.code]) for i, m in enumerate(members)}
        found.extend(fairness.check_game(None, members, table, shared, _exact(shared)))
    return found


def _exact(amounts: dict[str, int]) -> dict[str, Fraction]:
    return {code: Fraction(value) for code, value in amounts.items()}


def rate_scenarios(session: Session, fy: FiscalYear, viewer_code: str | None) -> list[dict[str, Any]]:
    """Each member's total under each scenario rate of the year (the other currencies at the year's rate):
    a preview computed from the year's items, whatever revision is approved."""
    found = []
    for currency, rates in sorted((fy.rate_scenarios or {}).items()):
        for rate in rates:
            result = compute(session, fy, rates={currency: rate}).visible(viewer_code)
            found.append(
                {
                    "currency": currency,
                    "rate": rate,
                    "totals": result.totals(),
                    "shared": result.totals(shared_only=True),
                    "errors": result.errors,
                }
            )
    return found
