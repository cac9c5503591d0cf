"""Running the allocation on a draft year: the engine (allocation.py) fed from the database.

Nothing is stored here; approving (editing.py) stores what ``compute`` returns.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from modules.costs.allocation import (
    METHOD_FIELDS,
    AllocationError,
    Conversion,
    Item,
    Member,
    Rule,
    allocate_item,
    convert,
)
from modules.costs.errors import CostError
from modules.costs.input_schema import RuleSchema, describe_errors
from modules.costs.lookups import members_of_year
from modules.costs.models import CostItem, CostMember, FiscalYear, MemberBasis
from modules.costs.shares import ShareRow, YearResult
from modules.costs.usage import usage_bases

# Stored with the shares of an approved revision like a rule's own name, so it is data, not translated.
OWN_RULE_NAME = "個別（按分対象外）"

# Alternative rules a finance officer can put beside the agreed one ("what would we pay by population?"),
# also offered to the secretariat as ready-made rules.
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "equal": (_l("均等割"), {"method": "equal"}),
    "population": (_l("人口割"), {"method": "proportional", "basis": "population"}),
    "households": (_l("世帯割"), {"method": "proportional", "basis": "households"}),
    "usage": (_l("実績割"), {"method": "proportional", "basis": "usage"}),
    "standalone": (_l("単独費用比（削減率均等）"), {"method": "equal_savings_rate", "basis": "standalone"}),
    "equal20_population80": (
        _l("均等割20%＋人口割80%"),
        {
            "method": "mixed",
            "parts": [
                {"weight": "0.2", "method": "equal"},
                {"weight": "0.8", "method": "proportional", "basis": "population"},
            ],
        },
    ),
}


def check_rule_spec(spec: dict[str, Any]) -> Rule:
    """The engine rule of a stored spec; CostError with the schema's messages if it is not a valid rule."""
    try:
        rule = RuleSchema().load(spec)
    except ValidationError as err:
        raise CostError(
            _(
                "按分ルールが正しくありません: %(problems)s",
                problems="; ".join(describe_errors(err.messages, spec)),
            )
        ) from None
    # The schema leaves a method's own fields optional (the engine names them when it runs); a stored rule
    # is checked now, so that the secretariat hears of it when entering it rather than at the preview.
    optional = {"basis"} if rule.method in ("equal_savings_rate", "equal_savings") else set()
    optional.add("period")  # the same fiscal year unless the rule says "previous"
    for name in sorted(METHOD_FIELDS[rule.method] - optional):
        if getattr(rule, name) in (None, ()):
            raise CostError(
                _(
                    "按分ルールが正しくありません: %(problems)s",
                    problems=f'method "{rule.method}" needs "{name}"',
                )
            )
    return rule


def _engine_member(
    member: CostMember, basis: MemberBasis | None, usage: dict[str, int] | None = None
) -> Member:
    # Measured usage first: the bases entered by the secretariat are the same names only for "usage".
    values: dict[str, Decimal] = {name: Decimal(v) for name, v in (usage or {}).items()}
    if basis is not None:
        for name in ("population", "households", "usage", "standalone"):
            value = getattr(basis, name)
            if value is not None:
                values[name] = Decimal(value)
    return Member(member.code, member.name, values)


def _own_row(item: CostItem, owner: CostMember, amount: int) -> ShareRow:
    return ShareRow(
        item_name=item.name,
        category=item.category,
        item_amount=amount,
        shared=False,
        rule_name=OWN_RULE_NAME,
        member_code=owner.code,
        member_name=owner.name,
        amount=amount,
        ratio="1",
        explanation_ja=f"個別費用: {owner.name}のみが負担（按分対象外）; 負担額 {amount:,}",
        explanation_en=f"own cost of {owner.name} only (not shared); share {amount:,}",
    )


def _shared_rows(item: CostItem, rule_name: str, shares: Any, amount: int) -> list[ShareRow]:
    return [
        ShareRow(
            item_name=item.name,
            category=item.category,
            item_amount=amount,
            shared=True,
            rule_name=rule_name,
            member_code=share.code,
            member_name=share.name,
            amount=share.amount,
            ratio=str(share.ratio),
            explanation_ja=share.explanation_ja,
            explanation_en=share.explanation_en,
        )
        for share in shares
    ]


def _yen(
    item: CostItem, fy: FiscalYear, rates: dict[str, str] | None, actual: bool = False
) -> tuple[int, Conversion | None]:
    """The item's amount in yen: as entered, or its foreign amount at the rate paid or the year's rate;
    with ``actual``, the actual cost entered after the year (in yen, as paid)."""
    if actual:
        if item.actual_amount is None:
            raise AllocationError("has no actual amount (実績額) yet", item=item.name)
        return item.actual_amount, None
    if not item.currency:
        return item.amount, None
    paid = item.paid_rate is not None
    given = {**(fy.rates or {}), **(rates or {})}.get(item.currency)
    yen, conversion = convert(
        item.name,
        item.currency,
        item.foreign_amount or Decimal(0),
        item.paid_rate if paid else (Decimal(given) if given is not None else None),
        source="paid" if paid else "scenario",
    )
    return yen, conversion


def compute(
    session: Session,
    fy: FiscalYear,
    *,
    override: tuple[str, dict[str, Any]] | None = None,
    rates: dict[str, str] | None = None,
    actual: bool = False,
) -> YearResult:
    """The draft's shares by the engine; ``override`` (name, spec) puts every shared item under another rule,
    ``rates`` converts foreign-currency items at other rates than the year's (a rate actually paid stays)."""
    active, bases = members_of_year(session, fy)
    measured = usage_bases(session, [m.tenant_id for m in active if m.tenant_id is not None], fy.year)
    engine_members = [
        _engine_member(m, bases.get(m.id), measured.get(m.tenant_id) if m.tenant_id else None) for m in active
    ]
    by_id = {m.id: m for m in active}
    category_rules = {r.category: r for r in fy.rules if r.category}
    loaded: dict[int, Rule] = {}
    override_rule = check_rule_spec(override[1]) if override else None
    rows: list[ShareRow] = []
    errors: list[str] = []
    if not active:
        errors.append(_("%(year)s年度の構成団体がありません。", year=fy.year))
    for item in fy.items:
        try:
            amount, conversion = _yen(item, fy, rates, actual)
        except AllocationError as err:
            errors.append(_error_text(err))
            continue
        if not item.shared:
            owner = by_id.get(item.owner_id) if item.owner_id else None
            if owner is None:
                errors.append(
                    _("費目「%(item)s」: 負担団体がこの年度の構成団体ではありません。", item=item.name)
                )
            else:
                rows.append(_own_row(item, owner, amount))
            continue
        if not active:
            continue
        if override_rule is not None:
            rule, rule_name = override_rule, str(override[0])  # type: ignore[index]
        else:
            stored = item.rule or category_rules.get(item.category)
            if stored is None:
                errors.append(
                    _(
                        "費目「%(item)s」: 按分ルールが設定されていません（費目または区分で指定）。",
                        item=item.name,
                    )
                )
                continue
            try:
                rule = loaded.get(stored.id) or check_rule_spec(stored.spec)
            except CostError as err:
                errors.append(_("費目「%(item)s」: %(problem)s", item=item.name, problem=err))
                continue
            loaded[stored.id] = rule
            rule_name = stored.name
        try:
            result = allocate_item(Item(item.name, amount, rule, conversion=conversion), engine_members)
        except AllocationError as err:
            errors.append(_error_text(err))
            continue
        rows.extend(_shared_rows(item, rule_name, result.shares, amount))
    return YearResult(
        year=fy.year,
        status=str(fy.status),
        members=[(m.code, m.name) for m in active],
        rows=rows,
        errors=errors,
    )


def _error_text(err: AllocationError) -> str:
    """The engine's (English) message, placed after the item and the member it names."""
    where = _("費目「%(item)s」", item=err.item) if err.item else _("按分")
    if not err.member:
        return f"{where}: {err.message}"
    if err.member_name:
        who = _("団体 %(code)s（%(name)s）", code=err.member, name=err.member_name)
    else:
        who = _("団体 %(code)s", code=err.member)
    return f"{where} {who}: {err.message}"
