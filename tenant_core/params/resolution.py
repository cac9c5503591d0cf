"""Which value is in force for a city on a date: ``param()`` and the sets it resolves from.

For a city on a date, the city's own newest version in force wins, else the consortium's, else
the declared default. A request loads every version of its city and consortium in one query and
resolves any key on any date from memory (cached on ``flask.g``).
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

from tenant_core.japanese import japan_today
from tenant_core.models import Tenant
from tenant_core.params.declare import Param
from tenant_core.params.models import ParamVersion, Scope
from tenant_core.params.registry import registry

JST = ZoneInfo("Asia/Tokyo")
_G_KEY = "kyodo_params"


def today() -> dt.date:
    """The date in Japan: a fee change from 1 April applies from midnight there."""
    return japan_today()


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


def load_rows(session: Session, where: Any) -> list[Row]:
    """The live (not cancelled) versions matching ``where``, as plain rows."""
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
            row = _in_force(versions.get(key, []), on)
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
    rows = load_rows(
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
    """The versions of the current city (the request's or the job's)."""
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
    rows = load_rows(
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


# --- one city's list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One parameter on the administrator's list: its value, the default and the changes to come."""

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


def describe(ps: ParamSet, p: Param, on: dt.date | None = None) -> dict[str, Any]:
    """One parameter as the JSON API gives it (``schemas.ResolvedParamSchema``)."""
    item = line(ps, p, on)
    r = item.resolved
    return {
        "key": p.key,
        "module": p.module,
        "type": p.type.name,
        "label_ja": p.label_ja,
        "label_en": p.label_en,
        "unit": str(p.unit) if p.unit else None,
        "value": p.to_json(r.value),
        "display": p.display(r.value),
        "source": r.source,
        "effective_from": r.effective_from,
        "default": p.to_json(item.default),
        "differs_from_default": item.differs_from_default,
        "pending": [
            {
                "id": row.id,
                "level": "city" if row.scope == Scope.tenant else "consortium",
                "value": row.value,
                "reset": row.reset,
                "effective_from": row.effective_from,
            }
            for row in item.pending
        ],
    }
