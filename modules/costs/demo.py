"""Demo data of the cost allocation: the seed documents' figures, loaded into the consortium of 富士市 and 富士宮市.

- 平成23年度 (FY2011): the joint build split of the 基本計画 (2.10–2.11): 6,788 百万円 shared so that both cities
  save the same rate, the ratio fixed at 0.1%: 3,876 / 2,912; each city's own costs 2,631 / 1,848. Approved.
- The ten-year comparison (継続利用 14,559 / 各市単独 12,989 / 共同 11,267) and 旭川市's H28–H40 comparison
  (8,240 against 9,441) as scenarios. 旭川市 is no member: a scenario names its own bodies.
- 令和6–8年度: illustrative operating years (figures made up for the demo, not from the seeds) so that the
  trend, the charts and the draft → approved lifecycle have something to show; 令和8年度 stays a draft.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.costs import editing, lookups, seed_data, stored_scenarios
from modules.costs.models import CostMember, YearStatus
from tenant_core.config import Settings
from tenant_core.db import Database
from tenant_core.models import Tenant

MILLION = 1_000_000
SEED_YEAR = 2011  # 平成23年度: the year of the 基本計画
FUJI_CODES = ("222101", "222071")
OPERATING_YEARS = (2024, 2025, 2026)
OPERATOR = "demo-loader"

SEED_RULE = (
    "単独費用比（削減率均等、比率は小数第3位で確定、百万円単位）",
    {"method": "equal_savings_rate", "basis": "standalone", "ratio_precision": 3, "unit": MILLION},
)
# Illustrative operating costs per year (yen): item, category, amount, rule key.
OPERATING_ITEMS: tuple[tuple[str, str, int], ...] = (
    ("運用保守委託料", "operation", 120_000_000),
    ("データセンター利用料", "data_centre", 36_000_000),
    ("ネットワーク回線使用料", "network", 18_000_000),
    ("パッケージ利用ライセンス料", "licences", 24_000_000),
)
OPERATING_RULES: tuple[tuple[str, dict[str, Any], str | None], ...] = (
    (
        "均等割20%＋人口割80%（千円未満切り捨て）",
        {
            "method": "mixed",
            "unit": 1000,
            "parts": [
                {"weight": "0.2", "method": "equal"},
                {"weight": "0.8", "method": "proportional", "basis": "population"},
            ],
        },
        "operation",
    ),
    ("実績割（前年度の処理件数）", {"method": "proportional", "basis": "usage"}, "data_centre"),
    ("均等割", {"method": "equal"}, "network"),
    ("人口割", {"method": "proportional", "basis": "population"}, "licences"),
)


def load_demo(db: Database, settings: Settings, slugs: list[str]) -> Iterator[str]:
    """Load the seeds into the consortium of 富士市 and 富士宮市 if both are among ``slugs``; safe to run twice."""
    with db.session() as session:
        tenants = {
            t.code: t
            for t in session.scalars(
                sa.select(Tenant).where(Tenant.slug.in_(slugs), Tenant.code.in_(FUJI_CODES))
            )
        }
        if set(tenants) != set(FUJI_CODES) or len({t.consortium_id for t in tenants.values()}) != 1:
            yield "costs: 富士市 and 富士宮市 are not both declared in one consortium; no cost demo data"
            return
        consortium_id = tenants[FUJI_CODES[0]].consortium_id
        yield from _members(session, consortium_id, tenants)
        yield from _seed_year(session, consortium_id)
        yield from _operating_years(session, consortium_id)
        yield from _scenarios(session, consortium_id)
        session.commit()


def _members(session: Session, consortium_id: int, tenants: dict[str, Tenant]) -> Iterator[str]:
    existing = {m.code for m in lookups.members(session, consortium_id)}
    for code in FUJI_CODES:
        if code not in existing:
            t = tenants[code]
            editing.add_member(
                session, consortium_id, code=code, name=t.name, joined_year=SEED_YEAR, tenant_id=t.id
            )
            yield f"costs: member {t.name} ({code}) from {SEED_YEAR}"


def _by_code(session: Session, consortium_id: int) -> dict[str, CostMember]:
    return {m.code: m for m in lookups.members(session, consortium_id)}


def _population(session: Session, member: CostMember) -> tuple[int | None, int | None, dt.date | None]:
    tenant = session.get(Tenant, member.tenant_id) if member.tenant_id else None
    if tenant is None:
        return None, None, None
    return tenant.population, tenant.households, tenant.population_as_of


def _seed_year(session: Session, consortium_id: int) -> Iterator[str]:
    if lookups.fiscal_year(session, consortium_id, SEED_YEAR) is not None:
        return
    fy = editing.create_year(session, consortium_id, SEED_YEAR)
    members = _by_code(session, consortium_id)
    shared = seed_data.FUJI["shared"]
    for code, member in members.items():
        population, households, as_of = _population(session, member)
        editing.save_basis(
            session,
            fy,
            member,
            population=population,
            households=households,
            as_of=as_of,
            usage=None,
            standalone=shared["standalone"][code] * MILLION,
        )
    rule = editing.add_rule(session, fy, name=SEED_RULE[0], spec=SEED_RULE[1])
    editing.save_item(
        session,
        fy,
        name=shared["item"],
        category="joint_build",
        amount=shared["joint"] * MILLION,
        shared=True,
        rule_id=rule.id,
    )
    for code, amount in seed_data.FUJI["own"]["joint"].items():
        member = members[code]
        editing.save_item(
            session,
            fy,
            name=f"各市個別（{member.name}）",
            category="other",
            amount=amount * MILLION,
            shared=False,
            owner_id=member.id,
        )
    editing.approve(session, fy, OPERATOR)
    yield f"costs: 平成23年度 joint build split {shared['joint']:,} 百万円, approved"


def _operating_years(session: Session, consortium_id: int) -> Iterator[str]:
    members = _by_code(session, consortium_id)
    usage = {"222101": 61_800, "222071": 33_400}  # illustrative yearly transactions
    for index, year in enumerate(OPERATING_YEARS):
        if lookups.fiscal_year(session, consortium_id, year) is not None:
            continue
        fy = editing.create_year(session, consortium_id, year)
        for code, member in members.items():
            population, households, as_of = _population(session, member)
            drift = 1 - index * 0.004  # a slowly shrinking population
            editing.save_basis(
                session,
                fy,
                member,
                population=int(population * drift) if population else None,
                households=households,
                as_of=dt.date(year - 1, 9, 30) if as_of else None,
                usage=Decimal(usage[code] + index * 900),
                standalone=None,
            )
        for name, spec, category in OPERATING_RULES:
            editing.add_rule(session, fy, name=name, spec=spec, category=category)
        for name, category, amount in OPERATING_ITEMS:
            editing.save_item(
                session, fy, name=name, category=category, amount=amount + index * 2_000_000, shared=True
            )
        for code, member in members.items():
            editing.save_item(
                session,
                fy,
                name=f"帳票大量印刷（{member.name}分）",
                category="other",
                amount=(9_500_000 if code == "222101" else 5_200_000) + index * 150_000,
                shared=False,
                owner_id=member.id,
            )
        if year != OPERATING_YEARS[-1]:
            editing.approve(session, fy, OPERATOR)
        yield f"costs: {year}年度 operating costs (illustrative), {'approved' if fy.status == YearStatus.approved else 'draft'}"


def _scenarios(session: Session, consortium_id: int) -> Iterator[str]:
    if stored_scenarios.scenarios(session, consortium_id):
        return
    stored_scenarios.save_scenario(
        session, consortium_id, "fuji_10years", seed_data.fuji_scenario(), source=seed_data.FUJI["source"]
    )
    stored_scenarios.save_scenario(
        session,
        consortium_id,
        "asahikawa",
        seed_data.asahikawa_scenario(),
        source=seed_data.ASAHIKAWA["source"],
        fiscal_years=seed_data.ASAHIKAWA["fiscal_years"],
    )
    yield "costs: scenarios 富士市・富士宮市 10年間比較, 旭川市 H28–H40 経費比較"
