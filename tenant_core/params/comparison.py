"""Comparing the cities of a consortium (FIT&GAP): every parameter of every active city."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.models import Tenant, TenantStatus
from tenant_core.params.declare import Param
from tenant_core.params.models import ParamVersion
from tenant_core.params.registry import registry
from tenant_core.params.resolution import ParamSet, Resolved, load_rows, today


@dataclass(frozen=True)
class Comparison:
    """The resolved value of each parameter (rows) for each active city (columns) on one date."""

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
    # One spelling per value, so that equal values of two cities compare equal.
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
    rows = load_rows(session, ParamVersion.consortium_id == consortium_id)
    params = registry().of_module(module)
    cells = {}
    for tenant_id, _slug, _name in tenants:
        ps = ParamSet.of(tenant_id, consortium_id, rows)
        for p in params:
            cells[(p.key, tenant_id)] = ps.resolve(p.key, on)
    return Comparison(tenants, params, cells)
