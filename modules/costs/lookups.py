"""Look-ups of the cost allocation, always within one consortium.

A fiscal year, an item, a rule or a revision of another consortium is simply not found.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from modules.costs.models import CostItem, CostMember, CostRule, FiscalYear, MemberBasis, Revision


def member_for_tenant(session: Session, consortium_id: int, tenant_id: int) -> CostMember | None:
    return session.scalar(
        sa.select(CostMember).where(
            CostMember.consortium_id == consortium_id, CostMember.tenant_id == tenant_id
        )
    )


def members(session: Session, consortium_id: int) -> list[CostMember]:
    return list(
        session.scalars(
            sa.select(CostMember).where(CostMember.consortium_id == consortium_id).order_by(CostMember.code)
        )
    )


def active_members(session: Session, fy: FiscalYear) -> list[CostMember]:
    """The members of the consortium in ``fy``'s year, in code order."""
    return [m for m in members(session, fy.consortium_id) if m.is_member_in(fy.year)]


def members_of_year(session: Session, fy: FiscalYear) -> tuple[list[CostMember], dict[int, MemberBasis]]:
    """The year's members and their bases by member id."""
    bases = {
        b.member_id: b
        for b in session.scalars(sa.select(MemberBasis).where(MemberBasis.fiscal_year_id == fy.id))
    }
    return active_members(session, fy), bases


def fiscal_years(session: Session, consortium_id: int) -> list[FiscalYear]:
    return list(
        session.scalars(
            sa.select(FiscalYear).where(FiscalYear.consortium_id == consortium_id).order_by(FiscalYear.year)
        )
    )


def fiscal_year(session: Session, consortium_id: int, year: int) -> FiscalYear | None:
    return session.scalar(
        sa.select(FiscalYear).where(FiscalYear.consortium_id == consortium_id, FiscalYear.year == year)
    )


def load_year(session: Session, fy_id: int) -> FiscalYear:
    """A fiscal year with its items and rules loaded in one go (the finance and preview pages read them all)."""
    return session.scalars(
        sa.select(FiscalYear)
        .where(FiscalYear.id == fy_id)
        .options(selectinload(FiscalYear.items).selectinload(CostItem.rule), selectinload(FiscalYear.rules))
    ).one()


def item_of(session: Session, fy: FiscalYear, item_id: int) -> CostItem | None:
    return session.scalar(sa.select(CostItem).where(CostItem.id == item_id, CostItem.fiscal_year_id == fy.id))


def rule_of(session: Session, fy: FiscalYear, rule_id: int) -> CostRule | None:
    return session.scalar(sa.select(CostRule).where(CostRule.id == rule_id, CostRule.fiscal_year_id == fy.id))


def revision_of(session: Session, fy: FiscalYear, number: int) -> Revision | None:
    return session.scalar(
        sa.select(Revision).where(Revision.fiscal_year_id == fy.id, Revision.number == number)
    )


def current_revision(session: Session, fy: FiscalYear) -> Revision | None:
    return session.scalar(sa.select(Revision).where(Revision.fiscal_year_id == fy.id, Revision.current))
