"""Values from files: tenant.toml's declared settings, and a city's params.toml (export, import).

An import is validated whole first (``plan_import``, every problem named) and then written all at
once (``apply_import``); the caller commits. Reading and writing the TOML text is ``tomlfile``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tenant_core.params.changes import Actor, ParamError, change
from tenant_core.params.declare import ValueProblem
from tenant_core.params.models import ParamVersion
from tenant_core.params.registry import registry
from tenant_core.params.resolution import ParamSet, load_param_set, today

# --- tenant.toml ---------------------------------------------------------------------------------

DECLARATION_KEYS = {
    "session_idle_minutes": "core.session_idle_minutes",
    "session_max_hours": "core.session_max_hours",
    "password_min_length": "core.password_min_length",
    "totp_required": "core.totp_required",
    "lockout_threshold": "core.lockout_threshold",
    "lockout_minutes": "core.lockout_minutes",
    "audit_retention_years": "core.audit_retention_years",
}


def apply_declaration(
    session: Session, tenant_id: int, consortium_id: int, security: dict[str, Any], modules: Iterable[str]
) -> list[str]:
    """Write tenant.toml's ``[security]`` values and module list as the city's own values.

    Only values that differ from the city's current own value become new versions (reason
    "tenant.toml"), so syncing twice changes nothing. Returns the keys changed.
    """
    wanted = {DECLARATION_KEYS[k]: v for k, v in security.items() if k in DECLARATION_KEYS}
    wanted["core.modules_enabled"] = list(modules)
    ps = load_param_set(session, tenant_id, consortium_id)
    changed = []
    for key, raw in wanted.items():
        decl = registry().get(key)
        own = ps.own(key)
        if own is not None and own.value == decl.to_json(decl.parse(raw)):
            continue
        change(
            session,
            key,
            raw,
            tenant_id=tenant_id,
            consortium_id=consortium_id,
            actor=Actor.platform("tenant.toml"),
            reason="tenant.toml",
        )
        changed.append(key)
    return changed


# --- configuration as code: tenants/<slug>/params.toml -----------------------------------------

FILE_SECTIONS = {"values", "scheduled"}


@dataclass(frozen=True)
class Planned:
    """One change an import would make."""

    key: str
    kind: str  # set, reset, schedule
    old: str
    new: str
    effective_from: dt.date
    raw: Any = None
    reset: bool = False


def export_city(
    session: Session, tenant_id: int, consortium_id: int, on: dt.date | None = None
) -> dict[str, Any]:
    """The city's own values in force and its scheduled changes, as params.toml holds them."""
    on = on or today()
    ps = load_param_set(session, tenant_id, consortium_id)
    values: dict[str, Any] = {}
    scheduled: list[dict[str, Any]] = []
    pending_ids: set[int] = set()
    for p in registry():
        own = ps.own(p.key, on)
        if own is not None:
            values[p.key] = own.value
        pending_ids.update(r.id for r in ps.city.get(p.key, []) if r.effective_from > on)
    if pending_ids:
        for v in session.scalars(
            sa.select(ParamVersion)
            .where(ParamVersion.id.in_(pending_ids))
            .order_by(ParamVersion.effective_from, ParamVersion.id)
        ):
            entry: dict[str, Any] = {"key": v.key, "effective_from": v.effective_from, "reason": v.reason}
            if v.reset:
                entry["reset"] = True
            else:
                entry["value"] = v.value
            if v.legal_basis:
                entry["legal_basis"] = v.legal_basis
            scheduled.append(entry)
    return {"values": values, "scheduled": scheduled}


def plan_import(
    session: Session,
    tenant_id: int,
    consortium_id: int,
    data: dict[str, Any],
    *,
    prune: bool = False,
    on: dt.date | None = None,
) -> list[Planned]:
    """Validate a whole params.toml and return the changes it makes; raise ParamError naming every problem."""
    on = on or today()
    problems: dict[str, list[str]] = defaultdict(list)
    for section in set(data) - FILE_SECTIONS:
        problems[section].append(
            _("不明な項目です（使えるのは %(sections)s）。", sections=", ".join(sorted(FILE_SECTIONS)))
        )
    ps = load_param_set(session, tenant_id, consortium_id)
    plan: list[Planned] = []
    values = data.get("values") or {}
    if not isinstance(values, dict):
        problems["values"].append(_("[values] はキーと値の表で書いてください。"))
        values = {}
    for key, raw in values.items():
        if key not in registry():
            problems[key].append(_("未定義のパラメータです。"))
            continue
        decl = registry().get(key)
        try:
            new = decl.to_json(decl.parse(raw))
        except ValueProblem as exc:
            problems[key].extend(exc.messages)
            continue
        own = ps.own(key, on)
        if own is None or own.value != new:
            old = decl.display(decl.from_json(own.value)) if own else _("（未設定）")
            plan.append(Planned(key, "set", old, decl.display(decl.from_json(new)), on, raw))
    if prune:
        for p in registry():
            own = ps.own(p.key, on)
            if own is not None and p.key not in values:
                plan.append(
                    Planned(p.key, "reset", p.display(p.from_json(own.value)), _("（継承）"), on, reset=True)
                )
    scheduled = data.get("scheduled") or []
    if not isinstance(scheduled, list):
        problems["scheduled"].append(_("[[scheduled]] の一覧で書いてください。"))
        scheduled = []
    for number, entry in enumerate(scheduled, start=1):
        plan.extend(_plan_scheduled(ps, number, entry, problems, on))
    if problems:
        raise ParamError(dict(problems))
    return plan


def _plan_scheduled(
    ps: ParamSet, number: int, entry: Any, problems: dict[str, list[str]], on: dt.date
) -> list[Planned]:
    label = f"scheduled[{number}]"
    if not isinstance(entry, dict) or "key" not in entry or "effective_from" not in entry:
        problems[label].append(_("key と effective_from が必要です。"))
        return []
    key, when, reset = entry["key"], entry["effective_from"], bool(entry.get("reset"))
    if key not in registry():
        problems[f"{label} {key}"].append(_("未定義のパラメータです。"))
        return []
    decl = registry().get(key)
    if not isinstance(when, dt.date):
        problems[f"{label} {key}"].append(_("effective_from は日付（2027-04-01）で書いてください。"))
        return []
    try:
        new = None if reset else decl.to_json(decl.parse(entry.get("value")))
    except ValueProblem as exc:
        problems[f"{label} {key}"].extend(exc.messages)
        return []
    # A change already recorded (still pending, or since come into force) is not recorded twice.
    if any(r.effective_from == when and r.reset == reset and r.value == new for r in ps.city.get(key, [])):
        return []
    if when <= on:
        problems[f"{label} {key}"].append(
            _(
                "適用開始日 %(date)s は今日以前です。予定の変更には明日以降の日付を指定してください。",
                date=when.isoformat(),
            )
        )
        return []
    if not decl.effective_dated:
        problems[f"{label} {key}"].append(_("この設定は日付を指定した変更ができません（即日適用のみ）。"))
        return []
    shown = _("（継承）") if reset else decl.display(decl.from_json(new))
    return [Planned(key, "schedule", "", shown, when, entry.get("value"), reset=reset)]


def apply_import(
    session: Session,
    tenant_id: int,
    consortium_id: int,
    plan: list[Planned],
    actor: Actor,
    reason: str,
    on: dt.date | None = None,
) -> int:
    """Write a validated plan; the caller commits (all or nothing)."""
    for item in plan:
        change(
            session,
            item.key,
            item.raw,
            tenant_id=tenant_id,
            consortium_id=consortium_id,
            actor=actor,
            reason=reason,
            effective_from=item.effective_from,
            reset=item.reset,
            on=on,
        )
    return len(plan)
