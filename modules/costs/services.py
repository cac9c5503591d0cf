"""Business operations of the cost allocation: the consortium's data, the draft, approval and revisions.

Everything is scoped by the consortium of the current city: a fiscal year, an item, a rule or a scenario of
another consortium is simply not found. Services flush; the request boundary commits. The computation is
the engine's (allocation.py); this module only feeds it from the database and stores what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import Session, selectinload

from . import scenarios as scenario_engine
from .allocation import METHOD_FIELDS, AllocationError, Item, Member, Rule, allocate_item
from .input_schema import RuleSchema, describe_errors
from .models import (
    CATEGORY_LABELS,
    CostItem,
    CostMember,
    CostRule,
    FiscalYear,
    MemberBasis,
    Revision,
    RevisionShare,
    Scenario,
    YearStatus,
)

OWN_RULE_NAME = "個別（按分対象外）"

# Alternative rules a finance officer can put beside the agreed one ("what would we pay by population?"),
# also offered to the secretariat as ready-made rules.
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "equal": ("均等割", {"method": "equal"}),
    "population": ("人口割", {"method": "proportional", "basis": "population"}),
    "households": ("世帯割", {"method": "proportional", "basis": "households"}),
    "usage": ("実績割", {"method": "proportional", "basis": "usage"}),
    "standalone": ("単独費用比（削減率均等）", {"method": "equal_savings_rate", "basis": "standalone"}),
    "equal20_population80": (
        "均等割20%＋人口割80%",
        {
            "method": "mixed",
            "parts": [
                {"weight": "0.2", "method": "equal"},
                {"weight": "0.8", "method": "proportional", "basis": "population"},
            ],
        },
    ),
}


class CostError(ValueError):
    """A change the rules refuse (a locked year, a bad rule, a missing reason); the message is for the user."""


# --- results as the pages and exports see them -------------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    item_name: str
    category: str
    item_amount: int
    shared: bool
    rule_name: str
    member_code: str
    member_name: str
    amount: int
    ratio: str
    explanation_ja: str
    explanation_en: str

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


@dataclass
class YearResult:
    """The shares of one fiscal year: from its current approved revision, or a preview of the draft."""

    year: int
    status: str
    members: list[tuple[str, str]]  # (code, name) in code order
    rows: list[ShareRow]
    errors: list[str] = field(default_factory=list)
    revision: int | None = None
    approved_at: dt.datetime | None = None
    approved_by: str = ""
    reason: str = ""

    @property
    def approved(self) -> bool:
        return self.revision is not None

    def visible(self, member_code: str | None) -> YearResult:
        """Only the shared items and ``member_code``'s own items (None: everything, for the secretariat)."""
        if member_code is None:
            return self
        rows = [r for r in self.rows if r.shared or r.member_code == member_code]
        return YearResult(**{**self.__dict__, "rows": rows})

    def shared_by_item(self) -> list[tuple[ShareRow, dict[str, ShareRow]]]:
        """The shared items in order, each with its members' shares by code (one pass, for the pivot tables)."""
        groups: list[tuple[ShareRow, dict[str, ShareRow]]] = []
        for r in self.rows:
            if not r.shared:
                continue
            # An item's shares are consecutive; a repeated member code starts the next item of the same name.
            if groups and groups[-1][0].item_name == r.item_name and r.member_code not in groups[-1][1]:
                groups[-1][1][r.member_code] = r
            else:
                groups.append((r, {r.member_code: r}))
        return groups

    def for_member(self, code: str) -> list[ShareRow]:
        return [r for r in self.rows if r.member_code == code]

    def totals(self, *, shared_only: bool = False) -> dict[str, int]:
        totals = {code: 0 for code, _ in self.members}
        for r in self.rows:
            if r.shared or not shared_only:
                totals[r.member_code] = totals.get(r.member_code, 0) + r.amount
        return totals

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)


# --- lookups, always within one consortium ------------------------------------------------------------------


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


def item_of(session: Session, fy: FiscalYear, item_id: int) -> CostItem | None:
    return session.scalar(sa.select(CostItem).where(CostItem.id == item_id, CostItem.fiscal_year_id == fy.id))


def rule_of(session: Session, fy: FiscalYear, rule_id: int) -> CostRule | None:
    return session.scalar(sa.select(CostRule).where(CostRule.id == rule_id, CostRule.fiscal_year_id == fy.id))


def revision_of(session: Session, fy: FiscalYear, number: int) -> Revision | None:
    return session.scalar(
        sa.select(Revision).where(Revision.fiscal_year_id == fy.id, Revision.number == number)
    )


def scenarios(session: Session, consortium_id: int) -> list[Scenario]:
    return list(
        session.scalars(
            sa.select(Scenario).where(Scenario.consortium_id == consortium_id).order_by(Scenario.id)
        )
    )


def scenario(session: Session, consortium_id: int, scenario_id: int) -> Scenario | None:
    return session.scalar(
        sa.select(Scenario).where(Scenario.id == scenario_id, Scenario.consortium_id == consortium_id)
    )


# --- editing the consortium's data --------------------------------------------------------------------------


def add_member(
    session: Session,
    consortium_id: int,
    *,
    code: str,
    name: str,
    joined_year: int,
    left_year: int | None = None,
    tenant_id: int | None = None,
) -> CostMember:
    if left_year is not None and left_year < joined_year:
        raise CostError("脱退年度は加入年度より後にしてください。")
    if session.scalar(
        sa.select(CostMember.id).where(CostMember.consortium_id == consortium_id, CostMember.code == code)
    ):
        raise CostError(f"団体コード {code} の構成団体は既に登録されています。")
    member = CostMember(
        consortium_id=consortium_id,
        code=code,
        name=name,
        joined_year=joined_year,
        left_year=left_year,
        tenant_id=tenant_id,
    )
    session.add(member)
    session.flush()
    return member


def create_year(session: Session, consortium_id: int, year: int, copy_from: int | None = None) -> FiscalYear:
    """A new draft fiscal year; with ``copy_from``, its rules, items and bases copied from that year."""
    if fiscal_year(session, consortium_id, year) is not None:
        raise CostError(f"{year}年度は既に登録されています。")
    fy = FiscalYear(consortium_id=consortium_id, year=year, status=YearStatus.draft)
    session.add(fy)
    session.flush()
    if copy_from is not None:
        source = fiscal_year(session, consortium_id, copy_from)
        if source is None:
            raise CostError(f"複写元の{copy_from}年度がありません。")
        rule_map = {}
        for rule in source.rules:
            copy = CostRule(fiscal_year_id=fy.id, name=rule.name, spec=rule.spec, category=rule.category)
            session.add(copy)
            rule_map[rule.id] = copy
        session.flush()
        for item in source.items:
            session.add(
                CostItem(
                    fiscal_year_id=fy.id,
                    name=item.name,
                    category=item.category,
                    amount=item.amount,
                    shared=item.shared,
                    owner_id=item.owner_id,
                    rule_id=rule_map[item.rule_id].id if item.rule_id in rule_map else None,
                    position=item.position,
                )
            )
        for b in source.bases:
            session.add(
                MemberBasis(
                    fiscal_year_id=fy.id,
                    member_id=b.member_id,
                    population=b.population,
                    households=b.households,
                    as_of=b.as_of,
                    usage=b.usage,
                    standalone=b.standalone,
                )
            )
        session.flush()
    return fy


def _editable(fy: FiscalYear) -> None:
    if fy.status == YearStatus.approved:
        raise CostError(
            "この年度の按分は承認済みのため変更できません。変更するには理由を記入して改定を開始してください。"
        )


def check_rule_spec(spec: dict[str, Any]) -> Rule:
    """The engine rule of a stored spec; CostError with the schema's messages if it is not a valid rule."""
    try:
        rule = RuleSchema().load(spec)
    except ValidationError as err:
        raise CostError(
            "按分ルールが正しくありません: " + "; ".join(describe_errors(err.messages, spec))
        ) from None
    # The schema leaves a method's own fields optional (the engine names them when it runs); a stored rule
    # is checked now, so that the secretariat hears of it when entering it rather than at the preview.
    optional = {"basis"} if rule.method in ("equal_savings_rate", "equal_savings") else set()
    for name in sorted(METHOD_FIELDS[rule.method] - optional):
        if getattr(rule, name) in (None, ()):
            raise CostError(f'按分ルールが正しくありません: method "{rule.method}" needs "{name}"')
    return rule


def add_rule(
    session: Session, fy: FiscalYear, *, name: str, spec: dict[str, Any], category: str | None = None
) -> CostRule:
    _editable(fy)
    check_rule_spec(spec)
    if category and any(r.category == category for r in fy.rules):
        raise CostError(f"区分「{CATEGORY_LABELS.get(category, category)}」の既定ルールは既にあります。")
    rule = CostRule(fiscal_year_id=fy.id, name=name, spec=spec, category=category or None)
    session.add(rule)
    session.flush()
    session.refresh(fy, ["rules"])
    return rule


def delete_rule(session: Session, fy: FiscalYear, rule: CostRule) -> None:
    _editable(fy)
    session.delete(rule)
    session.flush()
    session.refresh(fy, ["rules", "items"])


def _check_owner(session: Session, fy: FiscalYear, shared: bool, owner_id: int | None) -> None:
    if shared:
        return
    owner = session.get(CostMember, owner_id) if owner_id else None
    if owner is None or owner.consortium_id != fy.consortium_id or not owner.is_member_in(fy.year):
        raise CostError("個別の費目には、この年度の構成団体を負担団体として選んでください。")


def save_item(
    session: Session,
    fy: FiscalYear,
    *,
    name: str,
    category: str,
    amount: int,
    shared: bool,
    owner_id: int | None = None,
    rule_id: int | None = None,
    item: CostItem | None = None,
) -> CostItem:
    """Add an item to a draft year, or change ``item``."""
    _editable(fy)
    _check_owner(session, fy, shared, owner_id)
    if rule_id is not None and rule_of(session, fy, rule_id) is None:
        raise CostError("按分ルールがこの年度にありません。")
    if item is None:
        item = CostItem(fiscal_year_id=fy.id, position=len(fy.items) + 1)
        session.add(item)
    item.name, item.category, item.amount, item.shared = name, category, amount, shared
    item.owner_id = None if shared else owner_id
    item.rule_id = rule_id if shared else None
    session.flush()
    session.refresh(fy, ["items"])
    return item


def delete_item(session: Session, fy: FiscalYear, item: CostItem) -> None:
    _editable(fy)
    session.delete(item)
    session.flush()
    session.refresh(fy, ["items"])


def save_basis(
    session: Session,
    fy: FiscalYear,
    member: CostMember,
    *,
    population: int | None,
    households: int | None,
    as_of: dt.date | None,
    usage: Decimal | None,
    standalone: int | None,
) -> MemberBasis:
    _editable(fy)
    if member.consortium_id != fy.consortium_id:
        raise CostError("この協議会の構成団体ではありません。")
    basis = session.scalar(
        sa.select(MemberBasis).where(MemberBasis.fiscal_year_id == fy.id, MemberBasis.member_id == member.id)
    )
    if basis is None:
        basis = MemberBasis(fiscal_year_id=fy.id, member_id=member.id)
        session.add(basis)
    basis.population, basis.households, basis.as_of = population, households, as_of
    basis.usage, basis.standalone = usage, standalone
    session.flush()
    return basis


# --- computing -----------------------------------------------------------------------------------------------


def _members_of_year(session: Session, fy: FiscalYear) -> tuple[list[CostMember], dict[int, MemberBasis]]:
    active = [m for m in members(session, fy.consortium_id) if m.is_member_in(fy.year)]
    bases = {
        b.member_id: b
        for b in session.scalars(sa.select(MemberBasis).where(MemberBasis.fiscal_year_id == fy.id))
    }
    return active, bases


def _engine_member(member: CostMember, basis: MemberBasis | None) -> Member:
    values: dict[str, Decimal] = {}
    if basis is not None:
        for name in ("population", "households", "usage", "standalone"):
            value = getattr(basis, name)
            if value is not None:
                values[name] = Decimal(value)
    return Member(member.code, member.name, values)


def _own_row(item: CostItem, owner: CostMember) -> ShareRow:
    return ShareRow(
        item_name=item.name,
        category=item.category,
        item_amount=item.amount,
        shared=False,
        rule_name=OWN_RULE_NAME,
        member_code=owner.code,
        member_name=owner.name,
        amount=item.amount,
        ratio="1",
        explanation_ja=f"個別費用: {owner.name}のみが負担（按分対象外）; 負担額 {item.amount:,}",
        explanation_en=f"own cost of {owner.name} only (not shared); share {item.amount:,}",
    )


def compute(
    session: Session, fy: FiscalYear, *, override: tuple[str, dict[str, Any]] | None = None
) -> YearResult:
    """The draft's shares by the engine; ``override`` (name, spec) puts every shared item under another rule."""
    active, bases = _members_of_year(session, fy)
    engine_members = [_engine_member(m, bases.get(m.id)) for m in active]
    by_id = {m.id: m for m in active}
    category_rules = {r.category: r for r in fy.rules if r.category}
    loaded: dict[int, Rule] = {}
    override_rule = check_rule_spec(override[1]) if override else None
    rows: list[ShareRow] = []
    errors: list[str] = []
    if not active:
        errors.append(f"{fy.year}年度の構成団体がありません。")
    for item in fy.items:
        if not item.shared:
            owner = by_id.get(item.owner_id) if item.owner_id else None
            if owner is None:
                errors.append(f"費目「{item.name}」: 負担団体がこの年度の構成団体ではありません。")
            else:
                rows.append(_own_row(item, owner))
            continue
        if not active:
            continue
        if override_rule is not None:
            rule, rule_name = override_rule, override[0]  # type: ignore[index]
        else:
            stored = item.rule or category_rules.get(item.category)
            if stored is None:
                errors.append(
                    f"費目「{item.name}」: 按分ルールが設定されていません（費目または区分で指定）。"
                )
                continue
            try:
                rule = loaded.get(stored.id) or check_rule_spec(stored.spec)
            except CostError as err:
                errors.append(f"費目「{item.name}」: {err}")
                continue
            loaded[stored.id] = rule
            rule_name = stored.name
        try:
            result = allocate_item(Item(item.name, item.amount, rule), engine_members)
        except AllocationError as err:
            errors.append(_error_text(err))
            continue
        for share in result.shares:
            rows.append(
                ShareRow(
                    item_name=item.name,
                    category=item.category,
                    item_amount=item.amount,
                    shared=True,
                    rule_name=rule_name,
                    member_code=share.code,
                    member_name=share.name,
                    amount=share.amount,
                    ratio=str(share.ratio),
                    explanation_ja=share.explanation_ja,
                    explanation_en=share.explanation_en,
                )
            )
    return YearResult(
        year=fy.year,
        status=str(fy.status),
        members=[(m.code, m.name) for m in active],
        rows=rows,
        errors=errors,
    )


def _error_text(err: AllocationError) -> str:
    where = f"費目「{err.item}」" if err.item else "按分"
    who = f" 団体 {err.member}" + (f"（{err.member_name}）" if err.member_name else "") if err.member else ""
    return f"{where}{who}: {err.message}"


def current_revision(session: Session, fy: FiscalYear) -> Revision | None:
    return session.scalar(sa.select(Revision).where(Revision.fiscal_year_id == fy.id, Revision.current))


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


def approve(session: Session, fy: FiscalYear, operator: str) -> Revision:
    """Lock the year: compute, store the shares and their reasons as the next revision."""
    _editable(fy)
    result = compute(session, fy)
    if result.errors:
        raise CostError("按分できない費目があるため承認できません: " + " / ".join(result.errors[:5]))
    if not result.rows:
        raise CostError("費目がないため承認できません。")
    previous = current_revision(session, fy)
    number = (
        session.scalar(sa.select(sa.func.max(Revision.number)).where(Revision.fiscal_year_id == fy.id)) or 0
    ) + 1
    if previous is not None:
        previous.current = False
    revision = Revision(
        fiscal_year_id=fy.id,
        number=number,
        reason=fy.reopen_reason or ("当初承認" if number == 1 else ""),
        approved_by=operator,
        approved_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        total=result.total,
        current=True,
    )
    session.add(revision)
    session.flush()
    session.execute(
        sa.insert(RevisionShare),
        [{"revision_id": revision.id, "position": i, **r.__dict__} for i, r in enumerate(result.rows)],
    )
    fy.status = YearStatus.approved
    fy.reopen_reason = None
    session.flush()
    return revision


def reopen(session: Session, fy: FiscalYear, reason: str) -> None:
    """Open an approved year for a revision; the approved revision stays readable and in force until then."""
    if fy.status != YearStatus.approved:
        raise CostError("この年度は承認されていないため、改定の開始は不要です。")
    reason = reason.strip()
    if not reason:
        raise CostError("改定の理由を入力してください。")
    fy.status = YearStatus.draft
    fy.reopen_reason = reason[:500]
    session.flush()


# --- over the years -----------------------------------------------------------------------------------------


@dataclass
class Overview:
    """Per fiscal year, each member's total of shared items, and one member's own items; for trend and charts."""

    years: list[int]
    status: dict[int, str]
    revision: dict[int, int | None]
    members: list[tuple[str, str]]
    shared: dict[int, dict[str, int]]  # year -> member code -> total of shared items
    own: dict[int, int]  # year -> the viewing member's own items

    def total_for(self, year: int, code: str | None) -> int:
        return self.shared[year].get(code or "", 0) + self.own.get(year, 0)


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
    _, bases = _members_of_year(session, fy)
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


# --- scenarios ----------------------------------------------------------------------------------------------


def scenario_definition(
    engine_scenario: scenario_engine.Scenario, fiscal_years: Iterable[int] | None = None
) -> dict[str, Any]:
    """The stored form of an engine scenario (values as decimal strings)."""
    return {
        "periods": list(engine_scenario.periods),
        "fiscal_years": list(fiscal_years) if fiscal_years is not None else None,
        "baseline": engine_scenario.baseline,
        "members": dict(engine_scenario.members),
        "alternatives": [
            {
                "key": a.key,
                "name": a.name,
                "lines": [
                    {"label": line.label, "member": line.member, "values": [str(v) for v in line.values]}
                    for line in a.lines
                ],
            }
            for a in engine_scenario.alternatives
        ],
    }


def engine_scenario(row: Scenario) -> scenario_engine.Scenario:
    d = row.definition
    return scenario_engine.Scenario(
        name=row.name,
        unit=row.unit,
        periods=tuple(d["periods"]),
        alternatives=tuple(
            scenario_engine.Alternative(
                a["key"],
                a["name"],
                tuple(
                    scenario_engine.Line(
                        line["label"], tuple(Decimal(v) for v in line["values"]), line.get("member")
                    )
                    for line in a["lines"]
                ),
            )
            for a in d["alternatives"]
        ),
        baseline=d["baseline"],
        members=d.get("members") or {},
    )


def compare_scenario(row: Scenario) -> scenario_engine.Comparison:
    return scenario_engine.compare(engine_scenario(row))


def save_scenario(
    session: Session,
    consortium_id: int,
    key: str,
    engine_scenario_: scenario_engine.Scenario,
    *,
    source: str = "",
    fiscal_years: Iterable[int] | None = None,
) -> Scenario:
    """Store (or replace) a scenario under ``key``; the engine checks it first."""
    scenario_engine.compare(engine_scenario_)
    row = session.scalar(
        sa.select(Scenario).where(Scenario.consortium_id == consortium_id, Scenario.key == key)
    )
    if row is None:
        row = Scenario(consortium_id=consortium_id, key=key)
        session.add(row)
    row.name, row.unit, row.source = engine_scenario_.name, engine_scenario_.unit, source
    row.definition = scenario_definition(engine_scenario_, fiscal_years)
    session.flush()
    return row


def load_year(session: Session, fy_id: int) -> FiscalYear:
    """A fiscal year with its items and rules loaded in one go (the finance and preview pages read them all)."""
    return session.scalars(
        sa.select(FiscalYear)
        .where(FiscalYear.id == fy_id)
        .options(selectinload(FiscalYear.items).selectinload(CostItem.rule), selectinload(FiscalYear.rules))
    ).one()
