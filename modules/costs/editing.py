"""Editing the consortium's data: members, fiscal years, items, bases and rules, and a year's lifecycle.

A year is a draft the secretariat edits, then approved (locked, its shares stored as a revision), then
possibly reopened with a reason for the next revision. Services flush; the request boundary commits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.costs.allocation import convert
from modules.costs.computing import PRESETS, check_rule_spec, compute
from modules.costs.errors import CostError
from modules.costs.lookups import current_revision, fiscal_year, rule_of
from modules.costs.models import (
    CATEGORY_LABELS,
    CostItem,
    CostMember,
    CostRule,
    FiscalYear,
    MemberBasis,
    Revision,
    RevisionShare,
    SettlementStep,
    YearStatus,
)
from tenant_core.concurrency import ConflictError, check_version, lock_rows
from tenant_core.formatting import page_fiscal_year
from tenant_core.models import Consortium, utcnow


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
        raise CostError(_("脱退年度は加入年度より後にしてください。"))
    if session.scalar(
        sa.select(CostMember.id).where(CostMember.consortium_id == consortium_id, CostMember.code == code)
    ):
        raise CostError(_("団体コード %(code)s の構成団体は既に登録されています。", code=code))
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


def add_member_of_consortium(
    session: Session, consortium_id: int, *, code: str, name: str, joined_year: int, left_year: int | None
) -> CostMember:
    """A member entered by the secretariat, linked to the consortium's city of that code if it is on the
    platform; a body not on the platform stays unlinked."""
    consortium = session.get(Consortium, consortium_id)
    tenant = next((t for t in consortium.tenants if t.code == code), None) if consortium else None
    return add_member(
        session,
        consortium_id,
        code=code,
        name=name,
        joined_year=joined_year,
        left_year=left_year,
        tenant_id=tenant.id if tenant else None,
    )


def create_year(session: Session, consortium_id: int, year: int, copy_from: int | None = None) -> FiscalYear:
    """A new draft fiscal year; with ``copy_from``, its rules, items and bases copied from that year.

    Two secretariats creating the same year at once take turns on the consortium's row (``FOR NO KEY
    UPDATE``: the new rows may still refer to it), so the second is told the year exists.
    """
    session.scalars(
        sa.select(Consortium)
        .where(Consortium.id == consortium_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    if fiscal_year(session, consortium_id, year) is not None:
        raise CostError(_("%(year)s年度は既に登録されています。", year=year))
    source = fiscal_year(session, consortium_id, copy_from) if copy_from is not None else None
    if copy_from is not None and source is None:
        raise CostError(_("複写元の%(year)s年度がありません。", year=copy_from))
    fy = FiscalYear(consortium_id=consortium_id, year=year, status=YearStatus.draft)
    session.add(fy)
    session.flush()
    if source is not None:
        _copy_year(session, source, fy)
    return fy


def _copy_year(session: Session, source: FiscalYear, fy: FiscalYear) -> None:
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


def year_state(session: Session, fy: FiscalYear) -> list[tuple[str, str]]:
    """What the 409 page shows of the year as it is now."""
    revision = current_revision(session, fy)
    if fy.status == YearStatus.approved:
        status = _("承認済 第%(number)s版", number=revision.number if revision else "-")
    elif fy.reopen_reason:
        status = _("改定中（理由: %(reason)s）", reason=fy.reopen_reason)
    else:
        status = _("案（編集可）")
    return [(_("年度"), page_fiscal_year(fy.year)), (_("状態"), status)]


def lock_year(session: Session, fy: FiscalYear, version: int | None = None) -> None:
    """Serialise every change of a year on its row: lock it, reload it, and check the version the
    secretariat's page showed (None, from a call without a page, checks nothing).

    Approving, reopening and every change of the year's items, bases and rules take this lock first,
    so an approval never stores shares computed from a half-made change, and two approvals take turns.
    """
    lock_rows(session, FiscalYear, [fy.id])
    if version is not None and fy.version != version:
        if fy.status == YearStatus.approved:
            revision = current_revision(session, fy)
            message = _(
                "%(year)sの按分は、表示した後に他の職員が承認しました（第%(number)s版）。"
                "この操作は行っていません。",
                year=page_fiscal_year(fy.year),
                number=revision.number if revision else "-",
            )
        else:
            message = _(
                "%(year)sは、表示した後に他の職員が変更しました。最新の内容を確認してから、もう一度操作してください。",
                year=page_fiscal_year(fy.year),
            )
        raise ConflictError(message, current=year_state(session, fy), target=f"costs:{fy.year}")


def _converted(fy: FiscalYear, item: CostItem) -> int:
    """The yen an item in a foreign currency comes to at its rate (0 while no rate is known: the
    preview then names the item)."""
    rate = item.paid_rate or Decimal((fy.rates or {}).get(item.currency or "", "0"))
    if rate <= 0 or item.foreign_amount is None:
        return 0
    return convert(item.name, item.currency or "", item.foreign_amount, rate)[0]


def set_rates(
    session: Session,
    fy: FiscalYear,
    rates: dict[str, Decimal],
    scenarios: dict[str, list[Decimal]] | None = None,
    version: int | None = None,
) -> None:
    """The year's planning rate per currency (draft only: it changes the allocation) and the rates whose
    shares the pages show beside it."""
    lock_year(session, fy, version)
    _editable(fy)
    for currency in sorted({*rates, *(scenarios or {})}):
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise CostError(
                _("通貨は3文字の通貨コード（例 USD）で入力してください: %(currency)s", currency=currency)
            )
    for currency, values in [(c, [r]) for c, r in rates.items()] + list((scenarios or {}).items()):
        for rate in values:
            if rate <= 0:
                raise CostError(
                    _(
                        "%(currency)s の為替レート %(rate)s は0より大きい値にしてください。",
                        currency=currency,
                        rate=rate,
                    )
                )
    fy.rates = {c: str(r) for c, r in rates.items()}
    fy.rate_scenarios = {c: [str(r) for r in rs] for c, rs in (scenarios or {}).items()}
    for item in fy.items:
        if item.currency:
            item.amount = _converted(fy, item)
    _changed(fy)
    session.flush()


def _changed(fy: FiscalYear) -> None:
    """A change of the year's contents advances the year's version: an approval page shown before
    it is stale (the preview it showed is not what would be approved)."""
    fy.updated_at = utcnow()


def _editable(fy: FiscalYear) -> None:
    if fy.status == YearStatus.approved:
        raise CostError(
            _(
                "この年度の按分は承認済みのため変更できません。"
                "変更するには理由を記入して改定を開始してください。"
            )
        )


def add_rule(
    session: Session, fy: FiscalYear, *, name: str, spec: dict[str, Any], category: str | None = None
) -> CostRule:
    lock_year(session, fy)
    _editable(fy)
    check_rule_spec(spec)
    if category and any(r.category == category for r in fy.rules):
        raise CostError(
            _(
                "区分「%(category)s」の既定ルールは既にあります。",
                category=CATEGORY_LABELS.get(category, category),
            )
        )
    rule = CostRule(fiscal_year_id=fy.id, name=name, spec=spec, category=category or None)
    _changed(fy)
    session.add(rule)
    session.flush()
    session.refresh(fy, ["rules"])
    return rule


def rule_spec_from_form(
    *, preset: str | None, spec: str | None, unit: int | None, ratio_precision: int | None
) -> dict[str, Any]:
    """The rule the secretariat's form describes: its JSON if given, else a preset; with unit and precision."""
    if spec:
        built = json.loads(spec)
    elif preset in PRESETS:
        built = dict(PRESETS[preset][1])
    else:
        raise CostError(
            _("「%(label)s」: %(message)s", label=_("按分方法"), message=_("一覧から選んでください。"))
        )
    if unit:
        built["unit"] = unit
    if ratio_precision is not None:
        built["ratio_precision"] = ratio_precision
    return built


def add_rule_from_form(
    session: Session,
    fy: FiscalYear,
    *,
    name: str,
    category: str | None,
    preset: str | None,
    spec: str | None,
    unit: int | None,
    ratio_precision: int | None,
) -> CostRule:
    built = rule_spec_from_form(preset=preset, spec=spec, unit=unit, ratio_precision=ratio_precision)
    return add_rule(session, fy, name=name, spec=built, category=category)


def delete_rule(session: Session, fy: FiscalYear, rule: CostRule) -> None:
    lock_year(session, fy)
    _editable(fy)
    _changed(fy)
    session.delete(rule)
    session.flush()
    session.refresh(fy, ["rules", "items"])


def _check_owner(session: Session, fy: FiscalYear, shared: bool, owner_id: int | None) -> None:
    if shared:
        return
    owner = session.get(CostMember, owner_id) if owner_id else None
    if owner is None or owner.consortium_id != fy.consortium_id or not owner.is_member_in(fy.year):
        raise CostError(_("個別の費目には、この年度の構成団体を負担団体として選んでください。"))


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
    version: int | None = None,
    currency: str | None = None,
    foreign_amount: Decimal | None = None,
    paid_rate: Decimal | None = None,
) -> CostItem:
    """Add an item to a draft year, or change ``item`` (whose version the page showed, if given).

    With a ``currency`` other than JPY the item is ``foreign_amount`` in it, converted at ``paid_rate`` (the
    rate actually paid) or the year's planning rate each time the year is computed."""
    lock_year(session, fy)
    if item is not None:
        _lock_item(session, fy, item, version)
    _editable(fy)
    _check_owner(session, fy, shared, owner_id)
    if rule_id is not None and rule_of(session, fy, rule_id) is None:
        raise CostError(_("按分ルールがこの年度にありません。"))
    if item is None:
        item = CostItem(fiscal_year_id=fy.id, position=len(fy.items) + 1)
        session.add(item)
    item.name, item.category, item.amount, item.shared = name, category, amount, shared
    foreign = currency not in (None, "", "JPY")
    if foreign:
        if foreign_amount is None or foreign_amount < 0:
            raise CostError(_("外貨建ての費目には0以上の外貨額を入力してください。"))
        if paid_rate is not None and paid_rate <= 0:
            raise CostError(_("為替レートは0より大きい値を入力してください。"))
    item.currency = currency if foreign else None
    item.foreign_amount = foreign_amount if foreign else None
    item.paid_rate = paid_rate if foreign else None
    if foreign:
        item.amount = _converted(fy, item)
    item.owner_id = None if shared else owner_id
    item.rule_id = rule_id if shared else None
    _changed(fy)
    session.flush()
    session.refresh(fy, ["items"])
    return item


def _lock_item(session: Session, fy: FiscalYear, item: CostItem, version: int | None) -> None:
    """After the year's row: lock the item, reload it and check the version the page showed."""
    lock_rows(session, CostItem, [item.id])
    check_version(
        item,
        version,
        required=False,
        current=[*year_state(session, fy), (_("費目"), item.name), (_("金額"), f"{item.amount:,}")],
        target=f"costs:{fy.year}:item:{item.id}",
    )


def delete_item(session: Session, fy: FiscalYear, item: CostItem, version: int | None = None) -> None:
    lock_year(session, fy)
    _lock_item(session, fy, item, version)
    _editable(fy)
    _changed(fy)
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
    lock_year(session, fy)
    _editable(fy)
    _changed(fy)
    if member.consortium_id != fy.consortium_id:
        raise CostError(_("この協議会の構成団体ではありません。"))
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


def save_bases(
    session: Session,
    fy: FiscalYear,
    bases: list[tuple[CostMember, dict[str, Any]]],
    version: int | None = None,
) -> None:
    """Every member's bases of the year (the values of ``save_basis``), from a page that showed the year at
    ``version``: figures saved by someone else meanwhile are never overwritten unseen."""
    lock_year(session, fy, version)
    for member, values in bases:
        save_basis(session, fy, member, **values)


def approve(session: Session, fy: FiscalYear, operator: str, version: int | None = None) -> Revision:
    """Lock the year: compute, store the shares and their reasons as the next revision.

    Serialised on the year's row: a second approval waits for the first, then is told the year is
    already approved (``ConflictError`` when it sent the version it showed, else ``CostError``).
    """
    lock_year(session, fy, version)
    _editable(fy)
    result = compute(session, fy)
    if result.errors:
        raise CostError(
            _("按分できない費目があるため承認できません: %(errors)s", errors=" / ".join(result.errors[:5]))
        )
    if not result.rows:
        raise CostError(_("費目がないため承認できません。"))
    previous = current_revision(session, fy)
    number = (
        session.scalar(sa.select(sa.func.max(Revision.number)).where(Revision.fiscal_year_id == fy.id)) or 0
    ) + 1
    if previous is not None:
        previous.current = False
    revision = Revision(
        fiscal_year_id=fy.id,
        number=number,
        # Stored with the revision like the rest of its record, so not translated.
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


def reopen(session: Session, fy: FiscalYear, reason: str, version: int | None = None) -> None:
    """Open an approved year for a revision; the approved revision stays readable and in force until then.

    Serialised on the year's row like ``approve``: of two reopenings the second is refused.
    """
    lock_year(session, fy, version)
    if fy.status != YearStatus.approved:
        raise CostError(_("この年度は承認されていないため、改定の開始は不要です。"))
    settled = session.scalar(
        sa.select(SettlementStep.id).where(
            SettlementStep.fiscal_year_id == fy.id, SettlementStep.kind == "settlement"
        )
    )
    if settled is not None:
        raise CostError(_("この年度は精算済みのため、改定できません。"))
    reason = reason.strip()
    if not reason:
        raise CostError(_("改定の理由を入力してください。"))
    fy.status = YearStatus.draft
    fy.reopen_reason = reason[:500]
    session.flush()
