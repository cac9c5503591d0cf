"""Which rows of the shared schema belong to one city, derived from the metadata.

A shared table belongs to a city's backup when it has a column that refers to ``tenants`` (or is
named ``tenant_id``), or a required reference to a table that does. Nothing is listed by hand, so a
table added later is carried along without anyone remembering to; a table deliberately left out is
named in ``EXCLUDED`` with the reason, and a test fails for any table that is in neither.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

TENANTS = "tenants"
CONSORTIA = "consortia"

# Shared tables that refer to a city but are not restored, and why.
EXCLUDED: dict[str, str] = {
    # Signed-in sessions: a restored city's staff sign in again; an old session must not come back to life.
    "user_sessions": "signed-in sessions are never restored",
}


@dataclass(frozen=True)
class SharedTable:
    """How one shared table's rows of a city are found.

    ``column`` refers to ``parent`` (``tenants`` or another table of the plan); ``outlives`` is set
    when the reference is emptied rather than cascaded when the city goes (the row stays, e.g. the
    consortium's member record), so a restore links the surviving row again instead of adding one.
    """

    table: sa.Table
    column: str | None  # None for the tenants table itself
    parent: str | None
    outlives: bool = False

    @property
    def name(self) -> str:
        return self.table.name


def _tenant_reference(table: sa.Table, in_plan: dict[str, SharedTable]) -> tuple[str, str, bool] | None:
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if target == TENANTS:
                return column.name, TENANTS, fk.ondelete is not None and fk.ondelete.upper() == "SET NULL"
    for column in table.columns:
        if column.name == "tenant_id":
            return column.name, TENANTS, False
    for column in table.columns:
        if column.nullable:
            continue
        for fk in column.foreign_keys:
            target = fk.column.table.name
            # Below a row that outlives the city (a consortium's member record) the rows are the
            # consortium's, not the city's: they stay when the city goes and are not carried.
            parent = in_plan.get(target)
            if parent is not None and target != TENANTS and not parent.outlives and fk.column.primary_key:
                return column.name, target, False
    return None


def shared_plan(metadata: sa.MetaData) -> list[SharedTable]:
    """The shared tables of one city's backup, parents before children."""
    plan: dict[str, SharedTable] = {}
    for table in metadata.sorted_tables:
        if table.name == TENANTS:
            plan[TENANTS] = SharedTable(table, None, None)
            continue
        if table.name in EXCLUDED:
            continue
        ref = _tenant_reference(table, plan)
        if ref is not None:
            plan[table.name] = SharedTable(table, ref[0], ref[1], ref[2])
    return list(plan.values())
