"""Thin views of the consortium secretariat (``costs.edit``): enter members, years, items, bases and rules;
approve a year and open it again for a revision. Each change redirects back with its messages.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from modules.costs import editing, lookups, settlement_services
from modules.costs.computing import PRESETS, compute
from modules.costs.errors import CostError
from modules.costs.forms import (
    ApproveForm,
    BasisForm,
    DeleteForm,
    ItemForm,
    MemberForm,
    RatesForm,
    ReopenForm,
    RuleForm,
    YearForm,
    problems,
)
from modules.costs.models import YearStatus
from modules.costs.views import consortium_id, year_or_404
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.formatting import page_fiscal_year
from tenant_core.pagination import Page
from tenant_core.permissions import require

T = TypeVar("T")


def _change(
    form: FlaskForm | None,
    change: Callable[[], T],
    *,
    audit_as: Callable[[T], tuple[str, str]],
    done: Callable[[T], str],
) -> bool:
    """Every change of the secretariat: the form's problems, or the change with its audit record and a
    message; what the services refuse is shown as it is. True if the change was made."""
    if form is not None and not form.validate_on_submit():
        for problem in problems(form):
            flash(problem)
        return False
    try:
        result = change()
    except CostError as err:
        flash(str(err))
        return False
    target, detail = audit_as(result)
    audit.record("change", target=target, detail=detail[:500])
    flash(done(result))
    return True


def _posted_version(reload_url: str, target: str) -> int:
    """The version the page showed, sent back by its form; a form without it cannot prove it is fresh."""
    version = parse_version(request.form.get("version"))
    if version is None:
        raise ConflictError(reload_url=reload_url, target=target)
    return version


def _reload_at(url: str, change: Callable[[], T]) -> Callable[[], T]:
    """``change``, whose conflict (409 page) links back to ``url``: the POST addresses have no page."""

    def run() -> T:
        try:
            return change()
        except ConflictError as err:
            err.reload_url = err.reload_url or url
            raise

    return run


@require("costs.edit")
def manage():
    session = get_session()
    audit.record("view", screen="costs.manage", target="costs:manage")
    return render_template(
        "costs/manage.html",
        members=lookups.members(session, consortium_id()),
        years=lookups.fiscal_years(session, consortium_id()),
    )


@require("costs.edit")
def member_add():
    form = MemberForm()
    _change(
        form,
        lambda: editing.add_member_of_consortium(
            get_session(),
            consortium_id(),
            code=form.code.data,
            name=form.name.data,
            joined_year=form.joined_year.data,
            left_year=form.left_year.data,
        ),
        audit_as=lambda m: (f"costs:member:{m.code}", f"member added from {m.joined_year}"),
        done=lambda m: _("構成団体 %(name)s を登録しました。", name=m.name),
    )
    return redirect(url_for(".manage"))


@require("costs.edit")
def year_add():
    form = YearForm()
    if _change(
        form,
        lambda: editing.create_year(get_session(), consortium_id(), form.year.data, form.copy_from.data),
        audit_as=lambda fy: (f"costs:{fy.year}", f"fiscal year created (copy of {form.copy_from.data})"),
        done=lambda fy: _("%(year)sを作成しました。", year=page_fiscal_year(fy.year)),
    ):
        return redirect(url_for(".manage_year", year=form.year.data))
    return redirect(url_for(".manage"))


@require("costs.edit")
def manage_year(year: int):
    session = get_session()
    fy = year_or_404(year)
    page = Page.from_request(request, per_page=50)
    audit.record("view", screen="costs.manage_year", target=f"costs:{fy.year}")
    return render_template(
        "costs/manage_year.html",
        fy=fy,
        items=fy.items[(page.number - 1) * page.per_page : page.number * page.per_page],
        page=page.with_total(len(fy.items)),
        members=lookups.active_members(session, fy),
        bases={b.member_id: b for b in fy.bases},
        preview=compute(session, fy),
        presets=PRESETS,
        locked=fy.status == YearStatus.approved,
        billing=settlement_services.step(session, fy, settlement_services.BILLING),
        settled=settlement_services.step(session, fy, settlement_services.SETTLEMENT),
        plans=settlement_services.PLANS,
    )


@require("costs.edit")
def rates_save(year: int):
    fy = year_or_404(year)
    form = RatesForm()
    page = url_for(".manage_year", year=fy.year)

    def change() -> str:
        currency = form.currency.data or ""
        rates = {**{c: Decimal(r) for c, r in (fy.rates or {}).items()}, currency: form.rate.data}
        scenarios = {c: [Decimal(r) for r in rs] for c, rs in (fy.rate_scenarios or {}).items()}
        scenarios[currency] = form.scenario_rates()
        if not scenarios[currency]:
            del scenarios[currency]
        editing.set_rates(get_session(), fy, rates, scenarios, _posted_version(page, f"costs:{fy.year}"))
        return currency

    _change(
        form,
        _reload_at(page, change),
        audit_as=lambda currency: (
            f"costs:{fy.year}",
            f"rate {currency} {form.rate.data}, scenarios {form.scenarios.data or ''}",
        ),
        done=lambda currency: _("%(currency)s の為替レートを保存しました。", currency=currency),
    )
    return redirect(page)


@require("costs.edit")
def item_add(year: int):
    fy = year_or_404(year)
    form = ItemForm()
    _change(
        form,
        lambda: editing.save_item(get_session(), fy, **form.values()),
        audit_as=lambda item: (f"costs:{fy.year}:item:{item.id}", f"item added, amount {item.amount}"),
        done=lambda item: _("費目「%(name)s」を追加しました。", name=item.name),
    )
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def item_edit(year: int, item_id: int):
    fy = year_or_404(year)
    item = lookups.item_of(get_session(), fy, item_id)
    if item is None:
        abort(404)
    if request.method == "POST":
        form = ItemForm()
        before = item.amount
        here = url_for(".item_edit", year=fy.year, item_id=item.id)
        if _change(
            form,
            _reload_at(
                here,
                lambda: editing.save_item(
                    get_session(),
                    fy,
                    item=item,
                    version=_posted_version(here, f"costs:{fy.year}:item:{item.id}"),
                    **form.values(),
                ),
            ),
            audit_as=lambda item: (
                f"costs:{fy.year}:item:{item.id}",
                f"item changed, amount {before} -> {item.amount}",
            ),
            done=lambda item: _("費目「%(name)s」を更新しました。", name=item.name),
        ):
            return redirect(url_for(".manage_year", year=fy.year))
    members = lookups.active_members(get_session(), fy)
    return render_template("costs/item_edit.html", fy=fy, item=item, members=members)


@require("costs.edit")
def item_delete(year: int, item_id: int):
    fy = year_or_404(year)
    item = lookups.item_of(get_session(), fy, item_id)
    if item is None:
        abort(404)
    if not DeleteForm().confirmed():
        flash(_("削除するには確認欄にチェックを入れてください。"))
    else:
        page = url_for(".manage_year", year=fy.year)
        _change(
            None,
            _reload_at(
                page,
                lambda: editing.delete_item(
                    get_session(), fy, item, _posted_version(page, f"costs:{fy.year}:item:{item_id}")
                ),
            ),
            audit_as=lambda _none: (f"costs:{fy.year}:item:{item_id}", "item deleted"),
            done=lambda _none: _("費目「%(name)s」を削除しました。", name=item.name),
        )
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def bases_save(year: int):
    fy = year_or_404(year)
    forms = [(m, BasisForm(prefix=f"m{m.id}_")) for m in lookups.active_members(get_session(), fy)]
    bad = [f"{m.name} {problem}" for m, form in forms if not form.validate() for problem in problems(form)]
    if bad:  # all or nothing: one bad figure changes no member's bases
        for problem in bad:
            flash(problem)
    else:
        page = url_for(".manage_year", year=fy.year)
        _change(
            None,
            _reload_at(
                page,
                lambda: editing.save_bases(
                    get_session(),
                    fy,
                    [(m, form.values()) for m, form in forms],
                    _posted_version(page, f"costs:{fy.year}:bases"),
                ),
            ),
            audit_as=lambda _none: (f"costs:{fy.year}:bases", f"bases of {len(forms)} members saved"),
            done=lambda _none: _("按分基礎数値を保存しました。"),
        )
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def rule_add(year: int):
    fy = year_or_404(year)
    form = RuleForm()
    _change(
        form,
        lambda: editing.add_rule_from_form(get_session(), fy, **form.values()),
        audit_as=lambda rule: (f"costs:{fy.year}:rule:{rule.id}", f"rule added: {rule.spec}"),
        done=lambda rule: _("按分ルール「%(name)s」を追加しました。", name=rule.name),
    )
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def rule_delete(year: int, rule_id: int):
    fy = year_or_404(year)
    rule = lookups.rule_of(get_session(), fy, rule_id)
    if rule is None:
        abort(404)
    if not DeleteForm().confirmed():
        flash(_("削除するには確認欄にチェックを入れてください。"))
    else:
        _change(
            None,
            lambda: editing.delete_rule(get_session(), fy, rule),
            audit_as=lambda _none: (f"costs:{fy.year}:rule:{rule_id}", "rule deleted"),
            done=lambda _none: _("按分ルールを削除しました。"),
        )
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def approve(year: int):
    fy = year_or_404(year)
    page = url_for(".manage_year", year=fy.year)
    if _change(
        ApproveForm(),
        _reload_at(
            page,
            lambda: editing.approve(
                get_session(), fy, g.user.operator_id, _posted_version(page, f"costs:{fy.year}")
            ),
        ),
        audit_as=lambda rev: (f"costs:{fy.year}:rev{rev.number}", f"approved, total {rev.total}"),
        done=lambda rev: _(
            "%(year)sの按分を承認しました（第%(number)s版）。",
            year=page_fiscal_year(fy.year),
            number=rev.number,
        ),
    ):
        return redirect(url_for(".year", year=fy.year))
    return redirect(url_for(".manage_year", year=fy.year))


@require("costs.edit")
def reopen(year: int):
    fy = year_or_404(year)
    form = ReopenForm()
    page = url_for(".manage_year", year=fy.year)
    _change(
        form,
        _reload_at(
            page,
            lambda: editing.reopen(
                get_session(), fy, form.reason.data or "", _posted_version(page, f"costs:{fy.year}")
            ),
        ),
        audit_as=lambda _none: (f"costs:{fy.year}", f"reopened for revision: {form.reason.data}"),
        done=lambda _none: _("改定を開始しました。承認済みの版は、新しい版が承認されるまで有効です。"),
    )
    return redirect(url_for(".manage_year", year=fy.year))
