"""Shared-schema tables of the cost allocation: they belong to the consortium (協議会), not to one city.

Members with their membership period, fiscal years (the year in which April falls), cost items, each
member's bases per year, allocation rules per year, approved revisions with their stored shares, and
scenarios (year-by-year comparisons of alternatives).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenant_core.db import SharedBase
from tenant_core.models import Consortium, Tenant, utcnow


class YearStatus(enum.StrEnum):
    draft = "draft"  # the secretariat may edit; the page shows a preview
    approved = "approved"  # locked: the shares of the latest revision are the statement


class Category(enum.StrEnum):
    joint_build = "joint_build"
    operation = "operation"
    data_centre = "data_centre"
    network = "network"
    licences = "licences"
    other = "other"


CATEGORY_LABELS: dict[str, LazyString] = {
    Category.joint_build: _l("共同構築費"),
    Category.operation: _l("運用保守費"),
    Category.data_centre: _l("データセンター費"),
    Category.network: _l("ネットワーク費"),
    Category.licences: _l("ライセンス費"),
    Category.other: _l("その他"),
}


class CostMember(SharedBase):
    """A member body of the consortium for a period; ``tenant_id`` is empty for a body not on the platform."""

    __tablename__ = "cost_members"
    __table_args__ = (sa.UniqueConstraint("consortium_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(sa.ForeignKey(Consortium.id, ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey(Tenant.id, ondelete="SET NULL"), index=True)
    code: Mapped[str] = mapped_column(sa.String(6))
    name: Mapped[str] = mapped_column(sa.String(100))
    joined_year: Mapped[int]  # first fiscal year of membership
    left_year: Mapped[int | None]  # last fiscal year of membership, if it ended

    def is_member_in(self, year: int) -> bool:
        return self.joined_year <= year and (self.left_year is None or year <= self.left_year)


class FiscalYear(SharedBase):
    __tablename__ = "cost_fiscal_years"
    __table_args__ = (sa.UniqueConstraint("consortium_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(sa.ForeignKey(Consortium.id, ondelete="CASCADE"), index=True)
    year: Mapped[int]
    status: Mapped[YearStatus] = mapped_column(
        sa.Enum(YearStatus, native_enum=False, length=20), default=YearStatus.draft
    )
    # Why an approved year was opened again; becomes the reason of the next revision.
    reopen_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Foreign-currency items: yen per unit of each currency the year plans with ({"USD": "150"}), and other
    # rates whose shares the pages show beside it ({"USD": ["139", "150", "160"]}).
    rates: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    rate_scenarios: Mapped[dict[str, list[str]] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic concurrency: every UPDATE checks and advances it (tenant_core/concurrency.py).
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    items: Mapped[list[CostItem]] = relationship(
        back_populates="fiscal_year", order_by="CostItem.position, CostItem.id", cascade="all, delete-orphan"
    )
    rules: Mapped[list[CostRule]] = relationship(
        back_populates="fiscal_year", order_by="CostRule.id", cascade="all, delete-orphan"
    )
    bases: Mapped[list[MemberBasis]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="fiscal_year", order_by="Revision.number", cascade="all, delete-orphan"
    )


class CostRule(SharedBase):
    """An allocation rule of one fiscal year, in the engine's rule format; the default of a category if set."""

    __tablename__ = "cost_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(sa.ForeignKey(FiscalYear.id, ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    category: Mapped[str | None] = mapped_column(sa.String(20))

    fiscal_year: Mapped[FiscalYear] = relationship(back_populates="rules")


class CostItem(SharedBase):
    """A cost item (費目) of a fiscal year: shared (按分対象) by a rule, or one member's own (個別)."""

    __tablename__ = "cost_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(sa.ForeignKey(FiscalYear.id, ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # yen
    shared: Mapped[bool] = mapped_column(default=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey(CostMember.id, ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey(CostRule.id, ondelete="SET NULL"))
    # An item billed in a foreign currency (e.g. the Government Cloud's fees in USD): its amount in that
    # currency, and the rate actually paid if known (else the year's planning rate applies); ``amount`` then
    # holds the yen last converted, for lists.
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    foreign_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 4))
    paid_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    # The actual cost after the year (精算), in yen; entered once the year's billing is approved.
    actual_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(default=0)
    # Optimistic concurrency: every UPDATE checks and advances it (tenant_core/concurrency.py).
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    fiscal_year: Mapped[FiscalYear] = relationship(back_populates="items")
    owner: Mapped[CostMember | None] = relationship()
    rule: Mapped[CostRule | None] = relationship()


class MemberBasis(SharedBase):
    """A member's bases for one fiscal year: population and households (with their date), usage, stand-alone cost."""

    __tablename__ = "cost_member_bases"
    __table_args__ = (sa.UniqueConstraint("fiscal_year_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(sa.ForeignKey(FiscalYear.id, ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey(CostMember.id, ondelete="CASCADE"))
    population: Mapped[int | None]
    households: Mapped[int | None]
    as_of: Mapped[dt.date | None]  # reference date of population and households (e.g. 9月30日 of last year)
    usage: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    standalone: Mapped[int | None] = mapped_column(sa.BigInteger)  # yen, the cost if the member were alone

    member: Mapped[CostMember] = relationship()


class Revision(SharedBase):
    """An approved allocation of a fiscal year; its shares are stored so that it never changes afterwards."""

    __tablename__ = "cost_revisions"
    __table_args__ = (sa.UniqueConstraint("fiscal_year_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(sa.ForeignKey(FiscalYear.id, ondelete="CASCADE"), index=True)
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    approved_by: Mapped[str] = mapped_column(sa.String(120))
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    current: Mapped[bool] = mapped_column(default=True)  # False once a later revision replaces it

    fiscal_year: Mapped[FiscalYear] = relationship(back_populates="revisions")
    shares: Mapped[list[RevisionShare]] = relationship(
        order_by="RevisionShare.position", cascade="all, delete-orphan"
    )


class RevisionShare(SharedBase):
    """One member's share of one item in an approved revision, with the reason as it was computed."""

    __tablename__ = "cost_revision_shares"
    __table_args__ = (sa.Index(None, "revision_id", "member_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey(Revision.id, ondelete="CASCADE"))
    position: Mapped[int]
    item_name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))
    item_amount: Mapped[int] = mapped_column(sa.BigInteger)
    shared: Mapped[bool]
    rule_name: Mapped[str] = mapped_column(sa.String(200))
    member_code: Mapped[str] = mapped_column(sa.String(6))
    member_name: Mapped[str] = mapped_column(sa.String(100))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    ratio: Mapped[str] = mapped_column(sa.String(30))
    explanation_ja: Mapped[str] = mapped_column(sa.Text)
    explanation_en: Mapped[str] = mapped_column(sa.Text)


class Scenario(SharedBase):
    """A year-by-year comparison of alternatives, in the scenario engine's shape (lines of values per period)."""

    __tablename__ = "cost_scenarios"
    __table_args__ = (sa.UniqueConstraint("consortium_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(sa.ForeignKey(Consortium.id, ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    # {"periods": [...], "fiscal_years": [...] | null, "baseline": key, "members": {code: name},
    #  "alternatives": [{"key", "name", "lines": [{"label", "member", "values": ["543", ...]}]}]}
    # Members are named here: a scenario may compare a body that is no member (e.g. 旭川市's own plan).
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SettlementStep(SharedBase):
    """An approved, locked step of a year's 概算 and 精算: the billing in instalments of the approved budget
    (``billing``), then the settlement against the actual costs (``settlement``). ``data`` is what was
    approved (the plan and every invoice; or every member's 精算書 item by item), never recomputed."""

    __tablename__ = "cost_settlement_steps"
    __table_args__ = (sa.UniqueConstraint("fiscal_year_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(sa.ForeignKey(FiscalYear.id, ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # billing, settlement
    revision_number: Mapped[int]  # the approved revision of the year it was made from
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    approved_by: Mapped[str] = mapped_column(sa.String(120))
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
