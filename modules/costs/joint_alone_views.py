"""The secretariat's form for a joint-versus-alone scenario (``costs.edit``): enter it, or change a stored one.

Thin: the grid is read and checked by joint_alone_entry.py, stored by stored_scenarios.save_joint_alone (which
computes it first); a refusal shows the form again with every problem and what was entered, nothing stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from modules.costs import joint_alone_entry as entry
from modules.costs import lookups, stored_scenarios
from modules.costs.allocation import AllocationError
from modules.costs.errors import CostError
from modules.costs.models import Scenario
from modules.costs.views import consortium_id
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, lock_rows
from tenant_core.inputs import bounded_int
from tenant_core.japanese import fiscal_year_of, japan_today
from tenant_core.permissions import require

DEFAULT_YEARS = 5


def _fingerprint(row: Scenario) -> str:
    """What the edit form was shown, sent back with it: a scenario has no version column, so its stored
    content stands for one (two staff editing it: the second save is refused, not lost)."""
    text = json.dumps([row.name, row.unit, row.definition], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _joint_alone_row(scenario_id: int) -> Scenario:
    row = stored_scenarios.scenario(get_session(), consortium_id(), scenario_id)
    if row is None or row.definition.get("kind") != stored_scenarios.JOINT_ALONE:
        abort(404)
    return row


@require("costs.edit")
def joint_alone_entry(scenario_id: int | None = None):
    session = get_session()
    members = [(m.code, m.name) for m in lookups.members(session, consortium_id())]
    row = _joint_alone_row(scenario_id) if scenario_id is not None else None
    values: dict[str, Any] = {"unit": "千円"}
    first_year, years = fiscal_year_of(japan_today()), DEFAULT_YEARS
    if row is not None:
        stored = entry.entry_values(row.definition)
        if stored is None:
            abort(404)  # stored by other means (the seeds, the CLI): not this form's to change
        first_year, years, grid = stored
        values.update(grid, name=row.name, key=row.key, unit=row.unit)
    asked_first = bounded_int(request.values.get("first_year"), 2000, 2100)
    asked_years = bounded_int(request.values.get("years"), 1, entry.MAX_YEARS)
    problems: list[str] = []
    if request.values.get("first_year") is not None and asked_first is None:
        problems.append(_("「%(label)s」: 2000〜2100の西暦年で入力してください。", label=_("最初の年度")))
    if request.values.get("years") is not None and asked_years is None:
        problems.append(
            _("「%(label)s」: 1〜%(max)sの整数で入力してください。", label=_("年数"), max=entry.MAX_YEARS)
        )
    first_year, years = asked_first or first_year, asked_years or years

    if request.method == "POST" and not problems:
        values = dict(request.form.items())
        try:
            posted = request.form.to_dict()
            if row is not None:
                posted["key"] = row.key  # an edit keeps its identity, whatever the form sent
            found = entry.read_entry(posted, members, first_year, years)
            if row is not None:
                lock_rows(session, Scenario, [row.id])
                if request.form.get("loaded") != _fingerprint(row):
                    raise ConflictError(reload_url=request.path, target=f"costs:scenario:{row.key}")
            elif stored_scenarios_key_taken(found["key"]):
                raise entry.EntryError(
                    [_("「%(label)s」: %(key)s は既に使われています。", label=_("識別名"), key=found["key"])]
                )
            saved = stored_scenarios.save_joint_alone(
                session,
                consortium_id(),
                found["key"],
                name=found["name"],
                unit=found["unit"],
                periods=found["periods"],
                members=found["members"],
                items=found["items"],
                source=_("事務局の入力"),
                fiscal_years=found["fiscal_years"],
            )
        except entry.EntryError as err:
            problems = err.problems
        except AllocationError as err:
            problems = [str(err)]
        except CostError as err:
            problems = [str(err)]
        else:
            audit.record(
                "change",
                target=f"costs:scenario:{saved.key}",
                detail=f"joint-versus-alone scenario saved ({len(found['items'])} items, {years} years)",
            )
            flash(_("シナリオ「%(name)s」を保存しました。", name=saved.name))
            return redirect(url_for(".scenario", scenario_id=saved.id))
    for problem in problems:
        flash(problem, "error")
    return (
        render_template(
            "costs/joint_alone_entry.html",
            row=row,
            members=members,
            values=values,
            fiscal_years=list(range(first_year, first_year + years)),
            first_year=first_year,
            years=years,
            kinds=[(k, entry.kind_label(k)) for k in entry.ENTRY_KINDS],
            rules=[(k, entry.rule_label(k)) for k in entry.RULE_CHOICES],
            units=entry.UNITS,
            max_years=entry.MAX_YEARS,
            loaded=_fingerprint(row) if row is not None else "",
        ),
        400 if problems else 200,
    )


def stored_scenarios_key_taken(key: str) -> bool:
    return any(s.key == key for s in stored_scenarios.scenarios(get_session(), consortium_id()))
