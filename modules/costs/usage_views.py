"""Thin views of measured usage (利用実績): a finance officer sees their own city's counts, the secretariat
every member city's, and corrects a count with a dated, reasoned revision."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from modules.costs import usage
from modules.costs.errors import CostError
from modules.costs.forms import UsageRevisionForm, problems
from modules.costs.usage_models import UsageCount
from modules.costs.views import consortium_id
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import check_version, lock_rows, parse_version
from tenant_core.formatting import page_fiscal_year
from tenant_core.inputs import bounded_int
from tenant_core.japanese import japan_today
from tenant_core.models import Tenant
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant


def _visible_tenants() -> list[Tenant]:
    """The secretariat sees every city of the consortium; a finance officer only their own."""
    session = get_session()
    if g.user.can("costs.edit"):
        return list(
            session.scalars(
                sa.select(Tenant).where(Tenant.consortium_id == consortium_id()).order_by(Tenant.code)
            )
        )
    return [session.get_one(Tenant, current_tenant.id)]


def _fiscal_year_now() -> int:
    today = japan_today()
    return today.year if today.month >= 4 else today.year - 1


@require("costs.view")
def usage_page():
    year = bounded_int(request.args.get("year"), low=2000, high=2100) or _fiscal_year_now()
    tenants = _visible_tenants()
    counts = usage.counts_for(get_session(), [t.id for t in tenants], year)
    months = usage.fiscal_months(year)
    table: dict[tuple[int, str], dict[tuple[int, int], UsageCount]] = {}
    for c in counts:
        table.setdefault((c.tenant_id, c.counter), {})[(c.year, c.month)] = c
    rows = []
    for t in tenants:
        for counter in sorted({k[1] for k in table if k[0] == t.id}):
            cells = table[(t.id, counter)]
            rows.append(
                {
                    "tenant": t,
                    "counter": counter,
                    "cells": [cells.get(m) for m in months],
                    "total": sum(c.value for c in cells.values()),
                }
            )
    audit.record("view", screen="costs.usage", target=f"costs:usage:{year}")
    return render_template(
        "costs/usage.html",
        year=year,
        year_label=page_fiscal_year(year),
        months=months,
        rows=rows,
        labels=usage_labels(),
    )


def usage_labels() -> dict[str, str]:
    from modules.costs.allocation import USAGE_LABELS

    return {name: ja for name, (ja, _en) in USAGE_LABELS.items()}


def _count_or_404(count_id: int) -> UsageCount:
    count = get_session().get(UsageCount, count_id)
    # Only counts of a city of this consortium, and for a finance officer only their own city's.
    if count is None or count.tenant_id not in {t.id for t in _visible_tenants()}:
        abort(404)
    return count


@require("costs.view")
def usage_count(count_id: int):
    count = _count_or_404(count_id)
    tenant = get_session().get_one(Tenant, count.tenant_id)
    audit.record("view", screen="costs.usage_count", target=f"costs:usage-count:{count.id}")
    return render_template(
        "costs/usage_count.html",
        count=count,
        tenant=tenant,
        form=UsageRevisionForm(formdata=None),
        labels=usage_labels(),
    )


@require("costs.edit")
def usage_revise(count_id: int):
    count = _count_or_404(count_id)
    page = url_for(".usage_count", count_id=count.id)
    form = UsageRevisionForm()
    if not form.validate_on_submit():
        for problem in problems(form):
            flash(problem)
        return redirect(page)
    session = get_session()
    (count,) = lock_rows(session, UsageCount, [count.id])
    version = parse_version(request.form.get("version"))
    check_version(count, version, reload_url=page, target=f"costs:usage-count:{count.id}")
    try:
        revision = usage.revise(
            session,
            count,
            new_value=int(form.value.data),
            reason=form.reason.data or "",
            effective_on=form.effective_on.data,
            revised_by=g.user.operator_id,
        )
    except CostError as err:
        flash(str(err))
        return redirect(page)
    audit.record(
        "change",
        target=f"costs:usage-count:{count.id}",
        detail=f"{revision.old_value} -> {revision.new_value}: {revision.reason}"[:500],
    )
    flash(_("件数を訂正しました。"))
    return redirect(page)
