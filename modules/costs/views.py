"""Thin views of the finance pages and exports: read the request, call a service, render or send a file.

Everything is looked up within the consortium of the current city. A finance officer sees the consortium's
shared items (all members approve them) and only their own city's 個別 items; the secretariat
(``costs.edit``) sees everything of the consortium and edits it in manage_views.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, abort, g, render_template, request
from flask_babel import gettext as _

from modules.costs import (
    charts,
    exports,
    joint_alone,
    lookups,
    results,
    settlement_services,
    stored_scenarios,
)
from modules.costs.computing import PRESETS, compute
from modules.costs.models import CATEGORY_LABELS, CostMember, FiscalYear
from modules.costs.shares import YearResult
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.formatting import page_fiscal_year
from tenant_core.inputs import bounded_int
from tenant_core.models import Consortium
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant


def consortium_id() -> int:
    return current_tenant.consortium_id


def _my_member() -> CostMember | None:
    return lookups.member_for_tenant(get_session(), consortium_id(), current_tenant.id)


def year_or_404(year: int) -> FiscalYear:
    fy = lookups.fiscal_year(get_session(), consortium_id(), year)
    if fy is None:
        abort(404)
    return lookups.load_year(get_session(), fy.id)


def _viewer_code() -> str | None:
    """None (everything) for the secretariat; else the member code whose 個別 items may be seen."""
    if g.user.can("costs.edit"):
        return None
    member = _my_member()
    return member.code if member else ""


def template_context() -> dict[str, Any]:
    """What every costs page reads besides its own values (a context processor of the blueprint)."""
    user = g.get("user")
    return {
        "category_labels": CATEGORY_LABELS,
        "can_edit": bool(user and user.can("costs.edit")),
        "can_export": bool(user and user.can("costs.export")),
    }


# --- finance pages ------------------------------------------------------------------------------------------


@require("costs.view")
def index():
    session = get_session()
    member = _my_member()
    data = results.overview(session, consortium_id(), member.code if member else None)
    millions = max((sum(v.values()) for v in data.shared.values()), default=0) >= 1e9
    stacked = charts.stacked_bars(
        [page_fiscal_year(y) for y in data.years],
        [(name, [data.shared[y].get(c, 0) for y in data.years]) for c, name in data.members],
        title=_("年度別 按分対象経費の負担額（団体別積み上げ）"),
        divisor=1_000_000 if millions else 1_000,
        unit=_("百万円") if millions else _("千円"),
    )
    audit.record("view", screen="costs.index", target="costs:overview")
    return render_template(
        "costs/index.html",
        data=data,
        member=member,
        chart=stacked,
        scenarios=stored_scenarios.scenarios(session, consortium_id()),
    )


def _year_page(fy: FiscalYear, result: YearResult, *, revision_view: bool = False):
    session = get_session()
    member = _my_member()
    scope = request.args.get("scope", "mine" if member else "all")
    visible = result.visible(_viewer_code())
    compare_key = request.args.get("compare", "")
    alternative = None
    if compare_key in PRESETS and not revision_view:
        alt = compute(session, fy, override=PRESETS[compare_key]).visible(_viewer_code())
        # Matched by item name: an item the other rule cannot split (a missing basis) is listed in its errors.
        by_name = {r0.item_name: cells for r0, cells in reversed(alt.shared_by_item())}
        alternative = {"name": PRESETS[compare_key][0], "result": alt, "by_name": by_name}
    shared_totals = visible.totals(shared_only=True)
    share_chart = charts.share_bars(
        [(name, shared_totals.get(code, 0)) for code, name in visible.members],
        title=_("%(year)s 按分対象経費の団体別負担割合", year=page_fiscal_year(fy.year)),
    )
    audit.record(
        "view",
        screen="costs.revision" if revision_view else "costs.year",
        target=f"costs:{fy.year}" + (f":rev{result.revision}" if result.revision else ":draft"),
        detail=f"scope={scope}" + (f" compare={compare_key}" if alternative else ""),
    )
    return render_template(
        "costs/year.html",
        fy=fy,
        result=visible,
        member=member,
        scope=scope,
        presets=PRESETS,
        compare_key=compare_key,
        alternative=alternative,
        savings=results.savings(visible, session, fy),
        violations=results.fairness_check(visible, session, fy),
        rate_table=results.rate_scenarios(session, fy, _viewer_code()),
        billing=settlement_services.step(session, fy, settlement_services.BILLING),
        settlement_rows=_settlement_rows(fy, member.code if member else None),
        share_chart=share_chart,
        revisions=list(fy.revisions),
        revision_view=revision_view,
        status_label=exports.status_label(visible),
    )


def _settlement_rows(fy: FiscalYear, member_code: str | None) -> list[Any]:
    found = settlement_services.step(get_session(), fy, settlement_services.SETTLEMENT)
    if found is None or member_code is None:
        return []
    return settlement_services.stored_settlements(found, member_code)


@require("costs.view")
def year(year: int):
    fy = year_or_404(year)
    return _year_page(fy, results.year_result(get_session(), fy))


@require("costs.view")
def revision(year: int, number: int):
    fy = year_or_404(year)
    rev = lookups.revision_of(get_session(), fy, number)
    if rev is None:
        abort(404)
    return _year_page(fy, results.revision_result(get_session(), fy, rev), revision_view=True)


@require("costs.view")
def scenario(scenario_id: int):
    row = stored_scenarios.scenario(get_session(), consortium_id(), scenario_id)
    if row is None:
        abort(404)
    if row.definition.get("kind") == stored_scenarios.JOINT_ALONE:
        result = stored_scenarios.joint_alone_result(row.definition)
        audit.record("view", screen="costs.scenario", target=f"costs:scenario:{row.key}")
        return render_template(
            "costs/joint_alone.html", row=row, result=result, chart=joint_alone.chart(result, unit=row.unit)
        )
    comparison = stored_scenarios.compare_scenario(row)
    periods = list(row.definition["periods"])
    chart = None
    if len(periods) > 1:
        chart = charts.lines(
            [f"{p}" for p in periods],
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
        fiscal=row.definition.get("fiscal_years"),
        chart=chart,
    )


# --- exports ------------------------------------------------------------------------------------------------


def _export_result(year: int) -> tuple[FiscalYear, YearResult]:
    fy = year_or_404(year)
    number = bounded_int(request.args.get("revision"), 1)
    if request.args.get("revision") and number is None:
        abort(404)
    if number:
        rev = lookups.revision_of(get_session(), fy, number)
        if rev is None:
            abort(404)
        result = results.revision_result(get_session(), fy, rev)
    else:
        result = results.year_result(get_session(), fy)
    result = result.visible(_viewer_code())
    member = _my_member()
    if request.args.get("scope", "mine") == "mine" and member is not None:
        result = result.with_rows(result.for_member(member.code))
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
    filename = _("負担額_%(city)s_%(year)s.csv", city=current_tenant.slug, year=fy.year)
    return _download(exports.to_csv(result), "text/csv", filename)


@require("costs.export")
def export_xlsx(year: int):
    fy, result = _export_result(year)
    audit.record("export", screen="costs.xlsx", target=f"costs:{fy.year}", detail=f"{len(result.rows)} rows")
    title = _(
        "%(year)s 負担額（%(status)s）", year=page_fiscal_year(fy.year), status=exports.status_label(result)
    )
    return _download(
        exports.to_xlsx(result, title),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _("負担額_%(city)s_%(year)s.xlsx", city=current_tenant.slug, year=fy.year),
    )


@require("costs.export")
def statement_pdf(year: int):
    member = _my_member()
    if member is None:
        abort(404)
    fy, result = _export_result(year)
    consortium = get_session().get_one(Consortium, consortium_id())
    body = exports.statement_pdf(
        result,
        consortium=consortium.name,
        member_code=member.code,
        member_name=member.name,
        violations=[v for v in results.fairness_check(result, get_session(), fy) if member.code in v.members],
    )
    audit.record("print", screen="costs.statement", target=f"costs:{fy.year}:{member.code}")
    filename = _("負担金算定書_%(member)s_%(year)s.pdf", member=member.name, year=fy.year)
    return _download(body, "application/pdf", filename)
