"""Thin views of the cost allocation: read the request, call a service, render or send a file.

Everything is looked up within the consortium of the current city. A finance officer sees the consortium's
shared items (all members approve them) and only their own city's 個別 items; the secretariat
(``costs.edit``) sees and edits everything of the consortium.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.japanese import wareki_date, wareki_year
from tenant_core.models import Consortium
from tenant_core.pagination import Page
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant

from . import charts, exports, schemas, services
from .allocation import percent
from .models import CATEGORY_LABELS, CostMember, FiscalYear, YearStatus


def _consortium_id() -> int:
    return current_tenant.consortium_id


def _my_member() -> CostMember | None:
    return services.member_for_tenant(get_session(), _consortium_id(), current_tenant.id)


def _can_edit() -> bool:
    return g.user.can("costs.edit")


def _year_or_404(year: int) -> FiscalYear:
    fy = services.fiscal_year(get_session(), _consortium_id(), year)
    if fy is None:
        abort(404)
    return services.load_year(get_session(), fy.id)


def _viewer_code() -> str | None:
    """None (everything) for the secretariat; else the member code whose 個別 items may be seen."""
    if _can_edit():
        return None
    member = _my_member()
    return member.code if member else ""


def _pct(ratio: str | Decimal | Fraction | float, places: int = 1) -> str:
    """A ratio as a percentage rounded half-up (四捨五入): 0.571 -> '57.1%'."""
    exact = ratio if isinstance(ratio, Fraction) else Fraction(Decimal(str(ratio)))
    return f"{percent(exact, places)}%"


def _common() -> dict[str, Any]:
    return {
        "wareki_year": wareki_year,
        "wareki_date": wareki_date,
        "pct": _pct,
        "category_labels": CATEGORY_LABELS,
        "can_edit": _can_edit(),
        "can_export": g.user.can("costs.export"),
    }


# --- finance pages ------------------------------------------------------------------------------------------


@require("costs.view")
def index():
    session = get_session()
    member = _my_member()
    code = member.code if member else None
    data = services.overview(session, _consortium_id(), code)
    labels = [wareki_year(y) for y in data.years]
    stacked = charts.stacked_bars(
        labels,
        [(name, [data.shared[y].get(c, 0) for y in data.years]) for c, name in data.members],
        title="年度別 按分対象経費の負担額（団体別積み上げ）",
        divisor=1_000_000
        if max((sum(v.values()) for v in data.shared.values()), default=0) >= 1e9
        else 1_000,
        unit="百万円" if max((sum(v.values()) for v in data.shared.values()), default=0) >= 1e9 else "千円",
    )
    audit.record("view", screen="costs.index", target="costs:overview")
    return render_template(
        "costs/index.html",
        data=data,
        member=member,
        chart=stacked,
        scenarios=services.scenarios(session, _consortium_id()),
        **_common(),
    )


def _year_page(fy: FiscalYear, result: services.YearResult, *, revision_view: bool = False):
    session = get_session()
    member = _my_member()
    scope = request.args.get("scope", "mine" if member else "all")
    visible = result.visible(_viewer_code())
    compare_key = request.args.get("compare", "")
    alternative = None
    if compare_key in services.PRESETS and not revision_view:
        alt = services.compute(session, fy, override=services.PRESETS[compare_key]).visible(_viewer_code())
        # Matched by item name: an item the other rule cannot split (a missing basis) is listed in its errors.
        by_name = {r0.item_name: cells for r0, cells in reversed(alt.shared_by_item())}
        alternative = {"name": services.PRESETS[compare_key][0], "result": alt, "by_name": by_name}
    shared_totals = visible.totals(shared_only=True)
    share_chart = charts.share_bars(
        [(name, shared_totals.get(code, 0)) for code, name in visible.members],
        title=f"{wareki_year(fy.year)} 按分対象経費の団体別負担割合",
    )
    audit.record(
        "view",
        screen="costs.revision" if revision_view else "costs.year",
        target=f"costs:{fy.year}" + (f":rev{result.revision}" if result.revision else ":draft"),
        detail=f"scope={scope}" + (f" compare={compare_key}" if alternative else ""),
    )
    revisions = list(fy.revisions)
    return render_template(
        "costs/year.html",
        fy=fy,
        result=visible,
        member=member,
        scope=scope,
        presets=services.PRESETS,
        compare_key=compare_key,
        alternative=alternative,
        savings=services.savings(visible, session, fy),
        share_chart=share_chart,
        revisions=revisions,
        revision_view=revision_view,
        status_label=exports.status_label(visible),
        **_common(),
    )


@require("costs.view")
def year(year: int):
    fy = _year_or_404(year)
    return _year_page(fy, services.year_result(get_session(), fy))


@require("costs.view")
def revision(year: int, number: int):
    fy = _year_or_404(year)
    rev = services.revision_of(get_session(), fy, number)
    if rev is None:
        abort(404)
    return _year_page(fy, services.revision_result(get_session(), fy, rev), revision_view=True)


@require("costs.view")
def scenario(scenario_id: int):
    row = services.scenario(get_session(), _consortium_id(), scenario_id)
    if row is None:
        abort(404)
    comparison = services.compare_scenario(row)
    periods = list(row.definition["periods"])
    fiscal = row.definition.get("fiscal_years")
    labels = [f"{p}" for p in periods]
    chart = None
    if len(periods) > 1:
        chart = charts.lines(
            labels,
            [(r.name, [float(v) for v in r.per_period]) for r in comparison.results],
            title=row.name,
            unit=row.unit,
        )
    audit.record("view", screen="costs.scenario", target=f"costs:scenario:{row.key}")
    return render_template(
        "costs/scenario.html",
        row=row,
        comparison=comparison,
        periods=periods,
        fiscal=fiscal,
        chart=chart,
        **_common(),
    )


# --- exports ------------------------------------------------------------------------------------------------


def _export_result(year: int) -> tuple[FiscalYear, services.YearResult]:
    fy = _year_or_404(year)
    number = request.args.get("revision", type=int)
    if number:
        rev = services.revision_of(get_session(), fy, number)
        if rev is None:
            abort(404)
        result = services.revision_result(get_session(), fy, rev)
    else:
        result = services.year_result(get_session(), fy)
    result = result.visible(_viewer_code())
    member = _my_member()
    if request.args.get("scope", "mine") == "mine" and member is not None:
        result = services.YearResult(**{**result.__dict__, "rows": result.for_member(member.code)})
    return fy, result


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@require("costs.export")
def export_csv(year: int):
    fy, result = _export_result(year)
    audit.record("export", screen="costs.csv", target=f"costs:{fy.year}", detail=f"{len(result.rows)} rows")
    return _download(exports.to_csv(result), "text/csv", f"負担額_{current_tenant.slug}_{fy.year}.csv")


@require("costs.export")
def export_xlsx(year: int):
    fy, result = _export_result(year)
    audit.record("export", screen="costs.xlsx", target=f"costs:{fy.year}", detail=f"{len(result.rows)} rows")
    body = exports.to_xlsx(result, f"{wareki_year(fy.year)} 負担額（{exports.status_label(result)}）")
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"負担額_{current_tenant.slug}_{fy.year}.xlsx",
    )


@require("costs.export")
def statement_pdf(year: int):
    member = _my_member()
    if member is None:
        abort(404)
    fy, result = _export_result(year)
    consortium = get_session().get(Consortium, _consortium_id())
    body = exports.statement_pdf(
        result, consortium=consortium.name, member_code=member.code, member_name=member.name
    )
    audit.record("print", screen="costs.statement", target=f"costs:{fy.year}:{member.code}")
    return _download(body, "application/pdf", f"負担金算定書_{member.name}_{fy.year}.pdf")


# --- secretariat ----------------------------------------------------------------------------------------------


def _flash_all(problems: list[str]) -> None:
    for problem in problems:
        flash(problem)


@require("costs.edit")
def manage():
    session = get_session()
    audit.record("view", screen="costs.manage", target="costs:manage")
    return render_template(
        "costs/manage.html",
        members=services.members(session, _consortium_id()),
        years=services.fiscal_years(session, _consortium_id()),
        **_common(),
    )


@require("costs.edit")
def member_add():
    data, problems = schemas.parse(schemas.MemberForm(), request.form)
    if data is not None:
        session = get_session()
        consortium = session.get(Consortium, _consortium_id())
        # A member that is a city of this consortium on the platform is linked to it; others stay unlinked.
        tenant = next((t for t in consortium.tenants if t.code == data["code"]), None)
        try:
            member = services.add_member(
                session, _consortium_id(), **data, tenant_id=tenant.id if tenant else None
            )
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change",
                target=f"costs:member:{member.code}",
                detail=f"member added from {member.joined_year}",
            )
            flash(f"構成団体 {member.name} を登録しました。")
    _flash_all(problems)
    return redirect(url_for(".manage"))


@require("costs.edit")
def year_add():
    data, problems = schemas.parse(schemas.YearForm(), request.form)
    if data is not None:
        try:
            fy = services.create_year(get_session(), _consortium_id(), data["year"], data["copy_from"])
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change",
                target=f"costs:{fy.year}",
                detail=f"fiscal year created (copy of {data['copy_from']})",
            )
            flash(f"{wareki_year(fy.year)}を作成しました。")
            return redirect(url_for(".manage_year", year=fy.year))
    _flash_all(problems)
    return redirect(url_for(".manage"))


@require("costs.edit")
def manage_year(year: int):
    session = get_session()
    fy = _year_or_404(year)
    page = Page.from_request(request, per_page=50)
    items = fy.items[(page.number - 1) * page.per_page : page.number * page.per_page]
    active = [m for m in services.members(session, fy.consortium_id) if m.is_member_in(fy.year)]
    bases = {b.member_id: b for b in fy.bases}
    preview = services.compute(session, fy)
    audit.record("view", screen="costs.manage_year", target=f"costs:{fy.year}")
    return render_template(
        "costs/manage_year.html",
        fy=fy,
        items=items,
        page=page.with_total(len(fy.items)),
        members=active,
        bases=bases,
        preview=preview,
        presets=services.PRESETS,
        locked=fy.status == YearStatus.approved,
        **_common(),
    )


def _item_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "category": data["category"],
        "amount": data["amount"],
        "shared": data["kind"] == "shared",
        "owner_id": data["owner_id"],
        "rule_id": data["rule_id"],
    }


@require("costs.edit")
def item_add(year: int):
    fy = _year_or_404(year)
    data, problems = schemas.parse(schemas.ItemForm(), request.form)
    if data is not None:
        try:
            item = services.save_item(get_session(), fy, **_item_values(data))
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change", target=f"costs:{fy.year}:item:{item.id}", detail=f"item added, amount {item.amount}"
            )
            flash(f"費目「{item.name}」を追加しました。")
    _flash_all(problems)
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def item_edit(year: int, item_id: int):
    fy = _year_or_404(year)
    item = services.item_of(get_session(), fy, item_id)
    if item is None:
        abort(404)
    if request.method == "POST":
        data, problems = schemas.parse(schemas.ItemForm(), request.form)
        if data is not None:
            before = item.amount
            try:
                services.save_item(get_session(), fy, item=item, **_item_values(data))
            except services.CostError as err:
                problems = [str(err)]
            else:
                audit.record(
                    "change",
                    target=f"costs:{fy.year}:item:{item.id}",
                    detail=f"item changed, amount {before} -> {item.amount}",
                )
                flash(f"費目「{item.name}」を更新しました。")
                return redirect(url_for(".manage_year", year=fy.year))
        _flash_all(problems)
    members = [m for m in services.members(get_session(), fy.consortium_id) if m.is_member_in(fy.year)]
    return render_template("costs/item_edit.html", fy=fy, item=item, members=members, **_common())


@require("costs.edit")
def item_delete(year: int, item_id: int):
    fy = _year_or_404(year)
    item = services.item_of(get_session(), fy, item_id)
    if item is None:
        abort(404)
    if request.form.get("confirm") != "y":
        flash("削除するには確認欄にチェックを入れてください。")
        return redirect(url_for(".manage_year", year=fy.year))
    try:
        services.delete_item(get_session(), fy, item)
    except services.CostError as err:
        flash(str(err))
    else:
        audit.record("change", target=f"costs:{fy.year}:item:{item_id}", detail="item deleted")
        flash(f"費目「{item.name}」を削除しました。")
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def bases_save(year: int):
    session = get_session()
    fy = _year_or_404(year)
    active = [m for m in services.members(session, fy.consortium_id) if m.is_member_in(fy.year)]
    parsed, problems = [], []
    for member in active:
        prefix = f"m{member.id}_"
        form = {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix)}
        data, errors = schemas.parse(schemas.BasisForm(), form)
        problems += [f"{member.name} {e}" for e in errors]
        parsed.append((member, data))
    if not problems:  # all or nothing: one bad figure changes no member's bases
        try:
            for member, data in parsed:
                services.save_basis(session, fy, member, **data)
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change", target=f"costs:{fy.year}:bases", detail=f"bases of {len(parsed)} members saved"
            )
            flash("按分基礎数値を保存しました。")
    _flash_all(problems)
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def rule_add(year: int):
    fy = _year_or_404(year)
    data, problems = schemas.parse(schemas.RuleForm(), request.form)
    if data is not None:
        if data["spec"]:
            spec = json.loads(data["spec"])
        else:
            if data["preset"] not in services.PRESETS:
                problems = ["「按分方法」: 一覧から選んでください。"]
            spec = dict(services.PRESETS.get(data["preset"], ("", {}))[1])
        if data["unit"]:
            spec["unit"] = data["unit"]
        if data["ratio_precision"] is not None:
            spec["ratio_precision"] = data["ratio_precision"]
        if not problems:
            try:
                rule = services.add_rule(
                    get_session(), fy, name=data["name"], spec=spec, category=data["category"]
                )
            except services.CostError as err:
                problems = [str(err)]
            else:
                audit.record(
                    "change", target=f"costs:{fy.year}:rule:{rule.id}", detail=f"rule added: {spec}"[:500]
                )
                flash(f"按分ルール「{rule.name}」を追加しました。")
    _flash_all(problems)
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def rule_delete(year: int, rule_id: int):
    fy = _year_or_404(year)
    rule = services.rule_of(get_session(), fy, rule_id)
    if rule is None:
        abort(404)
    if request.form.get("confirm") != "y":
        flash("削除するには確認欄にチェックを入れてください。")
        return redirect(url_for(".manage_year", year=fy.year))
    try:
        services.delete_rule(get_session(), fy, rule)
    except services.CostError as err:
        flash(str(err))
    else:
        audit.record("change", target=f"costs:{fy.year}:rule:{rule_id}", detail="rule deleted")
        flash("按分ルールを削除しました。")
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def approve(year: int):
    fy = _year_or_404(year)
    data, problems = schemas.parse(schemas.ApproveForm(), request.form)
    if data is not None:
        try:
            rev = services.approve(get_session(), fy, g.user.operator_id)
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change", target=f"costs:{fy.year}:rev{rev.number}", detail=f"approved, total {rev.total}"
            )
            flash(f"{wareki_year(fy.year)}の按分を承認しました（第{rev.number}版）。")
            return redirect(url_for(".year", year=fy.year))
    _flash_all(problems)
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def reopen(year: int):
    fy = _year_or_404(year)
    data, problems = schemas.parse(schemas.ReopenForm(), request.form)
    if data is not None:
        try:
            services.reopen(get_session(), fy, data["reason"])
        except services.CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change", target=f"costs:{fy.year}", detail=f"reopened for revision: {data['reason']}"[:500]
            )
            flash("改定を開始しました。承認済みの版は、新しい版が承認されるまで有効です。")
    _flash_all(problems)
    return redirect(url_for(".manage_year", year=fy.year))
