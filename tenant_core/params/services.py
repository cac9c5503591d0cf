"""Resolving, changing, cancelling and comparing parameter values (services flush; callers commit).

Resolution: for a city on a date, the city's own newest version in force wins, else the
consortium's, else the declared default. A request loads every version of its city and consortium
in one query and resolves any key on any date from memory (cached on ``flask.g``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g, has_app_context, has_request_context
from sqlalchemy.orm import Session

from tenant_core.models import Tenant, TenantStatus, utcnow
from tenant_core.params.declare import CITY, CONSORTIUM, Param, ValueProblem
from tenant_core.params.models import ParamVersion, Scope
from tenant_core.params.registry import UnknownParameter, registry

JST = ZoneInfo("Asia/Tokyo")
_G_KEY = "kyodo_params"
PLATFORM = "platform"  # the operator: tenant.toml, the command line


def today() -> dt.date:
    """The date in Japan: a fee change from 1 April applies from midnight there."""
    return dt.datetime.now(JST).date()


class ParamError(ValueError):
    """A change refused; ``problems`` maps each key to its Japanese messages. Nothing was changed."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__(" / ".join(f"{key}: {' '.join(messages)}" for key, messages in problems.items()))

    @classmethod
    def one(cls, key: str, *messages: str) -> ParamError:
        return cls({key: list(messages)})


@dataclass(frozen=True)
class Actor:
    """Who changes a value: a city administrator, the secretariat, or the operator."""

    operator: str
    kind: str = CITY  # city, consortium or platform

    @classmethod
    def platform(cls, who: str = "kyodo-cli") -> Actor:
        return cls(who, PLATFORM)


@dataclass(frozen=True)
class Row:
    """A version as resolution needs it: plain values, no ORM object."""

    id: int
    scope: str
    tenant_id: int | None
    consortium_id: int
    key: str
    value: Any
    reset: bool
    effective_from: dt.date


_ROW_COLUMNS = (
    ParamVersion.id,
    ParamVersion.scope,
    ParamVersion.tenant_id,
    ParamVersion.consortium_id,
    ParamVersion.key,
    ParamVersion.value,
    ParamVersion.reset,
    ParamVersion.effective_from,
)


def _rows(session: Session, where: Any) -> list[Row]:
    query = sa.select(*_ROW_COLUMNS).where(~ParamVersion.cancelled, where)
    return [
        Row(r.id, str(r.scope), r.tenant_id, r.consortium_id, r.key, r.value, r.reset, r.effective_from)
        for r in session.execute(query)
    ]


@dataclass(frozen=True)
class Resolved:
    """A value and where it comes from: ``default``, ``consortium`` or ``city``."""

    key: str
    value: Any
    source: str
    version_id: int | None = None
    effective_from: dt.date | None = None


def _in_force(versions: list[Row], on: dt.date) -> Row | None:
    best = None
    for row in versions:
        if row.effective_from <= on and (
            best is None or (row.effective_from, row.id) > (best.effective_from, best.id)
        ):
            best = row
    return best


@dataclass
class ParamSet:
    """Every live version of one city and its consortium; resolves any key on any date in memory."""

    tenant_id: int
    consortium_id: int
    city: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    consortium: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    _memo: dict[tuple[str, dt.date], Resolved] = field(default_factory=dict)

    @classmethod
    def of(cls, tenant_id: int, consortium_id: int, rows: Iterable[Row]) -> ParamSet:
        ps = cls(tenant_id, consortium_id)
        for row in rows:
            if row.scope == Scope.tenant and row.tenant_id == tenant_id:
                ps.city[row.key].append(row)
            elif row.scope == Scope.consortium and row.consortium_id == consortium_id:
                ps.consortium[row.key].append(row)
        return ps

    def resolve(self, key: str, on: dt.date | None = None) -> Resolved:
        on = on or today()
        memo = self._memo.get((key, on))
        if memo is not None:
            return memo
        decl = registry().get(key)
        result = None
        for source, versions in (("city", self.city), ("consortium", self.consortium)):
            row = _in_force(versions.get(key, ()), on)
            if row is not None and not row.reset:
                result = Resolved(key, decl.from_json(row.value), source, row.id, row.effective_from)
                break
        if result is None:
            result = Resolved(key, decl.parse(decl.default), "default")
        self._memo[(key, on)] = result
        return result

    def value(self, key: str, on: dt.date | None = None) -> Any:
        return self.resolve(key, on).value

    def own(self, key: str, on: dt.date | None = None, scope: str = "city") -> Row | None:
        """The level's own version in force (None when it has none or was reset)."""
        versions = (self.city if scope == "city" else self.consortium).get(key, [])
        row = _in_force(versions, on or today())
        return None if row is None or row.reset else row

    def pending(self, key: str, on: dt.date | None = None) -> list[Row]:
        on = on or today()
        rows = [r for r in (*self.city.get(key, []), *self.consortium.get(key, [])) if r.effective_from > on]
        return sorted(rows, key=lambda r: (r.effective_from, r.id))


def load_param_set(session: Session, tenant_id: int, consortium_id: int) -> ParamSet:
    """One query: every live version of the city and of its consortium."""
    rows = _rows(
        session,
        sa.or_(
            ParamVersion.tenant_id == tenant_id,
            sa.and_(ParamVersion.scope == Scope.consortium, ParamVersion.consortium_id == consortium_id),
        ),
    )
    return ParamSet.of(tenant_id, consortium_id, rows)


def param_set_for(session: Session, tenant_id: int, consortium_id: int) -> ParamSet:
    """The versions of a city; in a request for that city, loaded once and kept on ``flask.g``."""
    cached = _cached(tenant_id)
    if cached is not None:
        return cached
    ps = load_param_set(session, tenant_id, consortium_id)
    if _cacheable(tenant_id):
        g.setdefault(_G_KEY, {})[tenant_id] = ps
    return ps


def _cacheable(tenant_id: int) -> bool:
    # Only in a request, and only for the request's own city: jobs resolve per call.
    tenant = g.get("tenant") if has_request_context() else None
    return tenant is not None and tenant.id == tenant_id


def _cached(tenant_id: int) -> ParamSet | None:
    return g.get(_G_KEY, {}).get(tenant_id) if _cacheable(tenant_id) else None


def forget_cached() -> None:
    """After a change in this request, the next read loads the versions again."""
    if has_app_context():
        g.pop(_G_KEY, None)


def current_param_set() -> ParamSet:
    from tenant_core.boundary import get_session

    tenant = g.get("tenant") if has_app_context() else None
    if tenant is None:
        raise RuntimeError("param() needs a city: call it in a city's request or job")
    cached = _cached(tenant.id)
    return cached if cached is not None else param_set_for(get_session(), tenant.id, tenant.consortium_id)


def param(key: str, on: dt.date | None = None) -> Any:
    """The typed value of ``key`` for the current city, today (or ``on`` another date)."""
    # An unknown key fails in resolve(), even when nothing is stored for it.
    return current_param_set().value(key, on)


def params_for(
    session: Session, tenant_ids: list[int], key: str, on: dt.date | None = None
) -> dict[int, Resolved]:
    """One key for many cities on one date, in two queries (the cities' consortia, then the versions)."""
    registry().get(key)
    on = on or today()
    query = sa.select(Tenant.id, Tenant.consortium_id).where(Tenant.id.in_(tenant_ids))
    consortium_of = {tenant_id: consortium_id for tenant_id, consortium_id in session.execute(query)}
    consortia = set(consortium_of.values())
    rows = _rows(
        session,
        sa.and_(
            ParamVersion.key == key,
            ParamVersion.effective_from <= on,
            ParamVersion.consortium_id.in_(consortia),
            sa.or_(ParamVersion.scope == Scope.consortium, ParamVersion.tenant_id.in_(tenant_ids)),
        ),
    )
    city: dict[int, list[Row]] = defaultdict(list)
    shared: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        (city[row.tenant_id] if row.scope == Scope.tenant else shared[row.consortium_id]).append(row)  # type: ignore[index]
    result = {}
    for tenant_id, consortium_id in consortium_of.items():
        ps = ParamSet(tenant_id, consortium_id)
        ps.city[key], ps.consortium[key] = city[tenant_id], shared[consortium_id]
        result[tenant_id] = ps.resolve(key, on)
    return result


# --- changes -------------------------------------------------------------------------------------


def _may_change(decl: Param, scope: Scope, actor: Actor) -> str | None:
    if actor.kind == PLATFORM:
        return None
    needed = CITY if scope == Scope.tenant else CONSORTIUM
    if actor.kind != needed or needed not in decl.editable_by:
        level = "団体" if scope == Scope.tenant else "協議会"
        return f"この設定は{level}の管理者では変更できません。"
    return None


def check_change(
    decl: Param,
    raw: Any,
    *,
    scope: Scope,
    actor: Actor,
    reason: str,
    effective_from: dt.date | None,
    reset: bool = False,
    on: dt.date | None = None,
) -> tuple[Any, dt.date, list[str]]:
    """Validate a change without writing it: the typed value, its date and every problem found."""
    on = on or today()
    problems: list[str] = []
    refusal = _may_change(decl, scope, actor)
    if refusal:
        problems.append(refusal)
    if not (reason or "").strip():
        problems.append("変更理由を入力してください。")
    elif len(reason.strip()) > 500:
        problems.append("変更理由は500文字以内で入力してください。")
    when = effective_from or on
    if when < on:
        problems.append(
            f"適用開始日 {when.isoformat()} は過去の日付です。過去の履歴は書き換えられません（今日以降を指定してください）。"
        )
    elif when > on and not decl.effective_dated:
        problems.append("この設定は日付を指定した変更ができません（即日適用のみ）。")
    value = None
    if not reset:
        try:
            value = decl.parse(raw)
        except ValueProblem as exc:
            problems.extend(exc.messages)
    return value, when, problems


def change(
    session: Session,
    key: str,
    raw: Any,
    *,
    tenant_id: int | None,
    consortium_id: int,
    actor: Actor,
    reason: str,
    legal_basis: str | None = None,
    effective_from: dt.date | None = None,
    reset: bool = False,
    on: dt.date | None = None,
) -> ParamVersion:
    """Record a new version for a city (``tenant_id``) or for its consortium (``tenant_id=None``).

    ``reset`` removes the level's own value from that date (a revert is a new version too).
    """
    try:
        decl = registry().get(key)
    except UnknownParameter as exc:
        raise ParamError.one(key, str(exc)) from None
    scope = Scope.tenant if tenant_id is not None else Scope.consortium
    value, when, problems = check_change(
        decl,
        raw,
        scope=scope,
        actor=actor,
        reason=reason,
        effective_from=effective_from,
        reset=reset,
        on=on,
    )
    if legal_basis and len(legal_basis) > 300:
        problems.append("根拠法令等は300文字以内で入力してください。")
    if problems:
        raise ParamError({key: problems})
    version = ParamVersion(
        scope=scope,
        tenant_id=tenant_id,
        consortium_id=consortium_id,
        key=key,
        value=None if reset else decl.to_json(value),
        reset=reset,
        effective_from=when,
        created_by=actor.operator[:120],
        reason=reason.strip(),
        legal_basis=(legal_basis or "").strip() or None,
    )
    session.add(version)
    session.flush()
    forget_cached()
    return version


def version_of(session: Session, version_id: int, tenant_id: int, consortium_id: int) -> ParamVersion | None:
    """A version of this city or of its consortium; another city's id finds nothing."""
    return session.scalar(
        sa.select(ParamVersion).where(
            ParamVersion.id == version_id,
            sa.or_(
                ParamVersion.tenant_id == tenant_id,
                sa.and_(ParamVersion.scope == Scope.consortium, ParamVersion.consortium_id == consortium_id),
            ),
        )
    )


def cancel(
    session: Session, version: ParamVersion, actor: Actor, reason: str, on: dt.date | None = None
) -> None:
    """Withdraw a scheduled change before its date; it stays in the history, flagged."""
    on = on or today()
    problems = []
    refusal = _may_change(registry().get(version.key), Scope(version.scope), actor)
    if refusal:
        problems.append(refusal)
    if version.cancelled:
        problems.append("この変更予定は既に取り消されています。")
    elif version.effective_from <= on:
        problems.append("適用開始日を迎えた変更は取り消せません。元に戻すには新しい変更を登録してください。")
    if not (reason or "").strip():
        problems.append("取消理由を入力してください。")
    if problems:
        raise ParamError({version.key: problems})
    version.cancelled = True
    version.cancelled_at = utcnow()
    version.cancelled_by = actor.operator[:120]
    version.cancel_reason = reason.strip()[:500]
    session.flush()
    forget_cached()


def history(session: Session, key: str, tenant_id: int, consortium_id: int) -> list[ParamVersion]:
    """Every version of one key for the city and its consortium, cancelled ones included, newest first."""
    registry().get(key)
    return list(
        session.scalars(
            sa.select(ParamVersion)
            .where(
                ParamVersion.key == key,
                sa.or_(
                    ParamVersion.tenant_id == tenant_id,
                    sa.and_(
                        ParamVersion.scope == Scope.consortium, ParamVersion.consortium_id == consortium_id
                    ),
                ),
            )
            .order_by(ParamVersion.created_at.desc(), ParamVersion.id.desc())
        )
    )


# --- overview and comparison --------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One parameter on the administrator's list."""

    param: Param
    resolved: Resolved
    default: Any
    pending: list[Row]

    @property
    def differs_from_default(self) -> bool:
        p = self.param
        return p.to_json(self.resolved.value) != p.to_json(self.default)


def line(ps: ParamSet, p: Param, on: dt.date | None = None) -> Line:
    on = on or today()
    return Line(p, ps.resolve(p.key, on), p.parse(p.default), ps.pending(p.key, on))


def overview(ps: ParamSet, module: str | None = None, on: dt.date | None = None) -> list[Line]:
    return [line(ps, p, on) for p in registry().of_module(module)]


@dataclass(frozen=True)
class Comparison:
    tenants: list[tuple[int, str, str]]  # id, slug, name
    params: list[Param]
    cells: dict[tuple[str, int], Resolved]

    def differs(self, key: str) -> bool:
        p = registry().get(key)
        return len({_canon(p, self.cells[(key, t[0])].value) for t in self.tenants}) > 1

    @property
    def diverging(self) -> int:
        return sum(1 for p in self.params if self.differs(p.key))


def _canon(p: Param, value: Any) -> str:
    import json

    return json.dumps(p.to_json(value), sort_keys=True, ensure_ascii=False)


def compare(
    session: Session, consortium_id: int, module: str | None = None, on: dt.date | None = None
) -> Comparison:
    """Every parameter by every active city of a consortium: two queries."""
    on = on or today()
    tenants = [
        (t.id, t.slug, t.name)
        for t in session.execute(
            sa.select(Tenant.id, Tenant.slug, Tenant.name)
            .where(Tenant.consortium_id == consortium_id, Tenant.status == TenantStatus.active)
            .order_by(Tenant.code)
        )
    ]
    rows = _rows(session, ParamVersion.consortium_id == consortium_id)
    params = registry().of_module(module)
    cells = {}
    for tenant_id, _slug, _name in tenants:
        ps = ParamSet.of(tenant_id, consortium_id, rows)
        for p in params:
            cells[(p.key, tenant_id)] = ps.resolve(p.key, on)
    return Comparison(tenants, params, cells)


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
    pending_ids = set()
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
        problems[section].append(f"不明な項目です（使えるのは {', '.join(sorted(FILE_SECTIONS))}）。")
    ps = load_param_set(session, tenant_id, consortium_id)
    plan: list[Planned] = []
    values = data.get("values") or {}
    if not isinstance(values, dict):
        problems["values"].append("[values] はキーと値の表で書いてください。")
        values = {}
    for key, raw in values.items():
        if key not in registry():
            problems[key].append("未定義のパラメータです。")
            continue
        decl = registry().get(key)
        try:
            new = decl.to_json(decl.parse(raw))
        except ValueProblem as exc:
            problems[key].extend(exc.messages)
            continue
        own = ps.own(key, on)
        if own is None or own.value != new:
            old = decl.display(decl.from_json(own.value)) if own else "（未設定）"
            plan.append(Planned(key, "set", old, decl.display(decl.from_json(new)), on, raw))
    if prune:
        for p in registry():
            own = ps.own(p.key, on)
            if own is not None and p.key not in values:
                plan.append(
                    Planned(p.key, "reset", p.display(p.from_json(own.value)), "（継承）", on, reset=True)
                )
    scheduled = data.get("scheduled") or []
    if not isinstance(scheduled, list):
        problems["scheduled"].append("[[scheduled]] の一覧で書いてください。")
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
        problems[label].append("key と effective_from が必要です。")
        return []
    key, when, reset = entry["key"], entry["effective_from"], bool(entry.get("reset"))
    if key not in registry():
        problems[f"{label} {key}"].append("未定義のパラメータです。")
        return []
    decl = registry().get(key)
    if not isinstance(when, dt.date):
        problems[f"{label} {key}"].append("effective_from は日付（2027-04-01）で書いてください。")
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
            f"適用開始日 {when.isoformat()} は今日以前です。予定の変更には明日以降の日付を指定してください。"
        )
        return []
    if not decl.effective_dated:
        problems[f"{label} {key}"].append("この設定は日付を指定した変更ができません（即日適用のみ）。")
        return []
    shown = "（継承）" if reset else decl.display(decl.from_json(new))
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
