"""Scenarios as the consortium stores them: year-by-year comparisons, read back into the scenario engine."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.costs import scenarios as scenario_engine
from modules.costs.models import Scenario


def scenarios(session: Session, consortium_id: int) -> list[Scenario]:
    return list(
        session.scalars(
            sa.select(Scenario).where(Scenario.consortium_id == consortium_id).order_by(Scenario.id)
        )
    )


def scenario(session: Session, consortium_id: int, scenario_id: int) -> Scenario | None:
    return session.scalar(
        sa.select(Scenario).where(Scenario.id == scenario_id, Scenario.consortium_id == consortium_id)
    )


def scenario_definition(
    engine_scenario: scenario_engine.Scenario, fiscal_years: Iterable[int] | None = None
) -> dict[str, Any]:
    """The stored form of an engine scenario (values as decimal strings)."""
    return {
        "periods": list(engine_scenario.periods),
        "fiscal_years": list(fiscal_years) if fiscal_years is not None else None,
        "baseline": engine_scenario.baseline,
        "members": dict(engine_scenario.members),
        "alternatives": [
            {
                "key": a.key,
                "name": a.name,
                "lines": [
                    {"label": line.label, "member": line.member, "values": [str(v) for v in line.values]}
                    for line in a.lines
                ],
            }
            for a in engine_scenario.alternatives
        ],
    }


def engine_scenario(row: Scenario) -> scenario_engine.Scenario:
    d = row.definition
    return scenario_engine.Scenario(
        name=row.name,
        unit=row.unit,
        periods=tuple(d["periods"]),
        alternatives=tuple(
            scenario_engine.Alternative(
                a["key"],
                a["name"],
                tuple(
                    scenario_engine.Line(
                        line["label"], tuple(Decimal(v) for v in line["values"]), line.get("member")
                    )
                    for line in a["lines"]
                ),
            )
            for a in d["alternatives"]
        ),
        baseline=d["baseline"],
        members=d.get("members") or {},
    )


def compare_scenario(row: Scenario) -> scenario_engine.Comparison:
    return scenario_engine.compare(engine_scenario(row))


def save_scenario(
    session: Session,
    consortium_id: int,
    key: str,
    engine_scenario_: scenario_engine.Scenario,
    *,
    source: str = "",
    fiscal_years: Iterable[int] | None = None,
) -> Scenario:
    """Store (or replace) a scenario under ``key``; the engine checks it first."""
    scenario_engine.compare(engine_scenario_)
    row = session.scalar(
        sa.select(Scenario).where(Scenario.consortium_id == consortium_id, Scenario.key == key)
    )
    if row is None:
        row = Scenario(consortium_id=consortium_id, key=key)
        session.add(row)
    row.name, row.unit, row.source = engine_scenario_.name, engine_scenario_.unit, source
    row.definition = scenario_definition(engine_scenario_, fiscal_years)
    session.flush()
    return row


JOINT_ALONE = "joint_alone"


def save_joint_alone(
    session: Session,
    consortium_id: int,
    key: str,
    *,
    name: str,
    unit: str,
    periods: list[str],
    members: dict[str, dict[str, Any]],
    items: list[dict[str, Any]],
    source: str = "",
    fiscal_years: list[int] | None = None,
) -> Scenario:
    """Store a joint-versus-alone scenario: members {code: {"name", "bases"}}, items [{"name", "kind",
    "alone": {code: [values]}, "joint": [values], "rule": spec}]; checked by computing it first."""
    definition: dict[str, Any] = {"kind": JOINT_ALONE, "periods": periods, "members": members, "items": items}
    if fiscal_years is not None:  # entered on the secretariat's form, which reads them back to edit it
        definition["fiscal_years"] = fiscal_years
    joint_alone_result(definition)
    row = session.scalar(
        sa.select(Scenario).where(Scenario.consortium_id == consortium_id, Scenario.key == key)
    )
    if row is None:
        row = Scenario(consortium_id=consortium_id, key=key)
        session.add(row)
    row.name, row.unit, row.source, row.definition = name, unit, source, definition
    session.flush()
    return row


def joint_alone_result(definition: dict[str, Any]) -> Any:
    from modules.costs.allocation import Member
    from modules.costs.computing import check_rule_spec
    from modules.costs.joint_alone import CloudItem, compare_joint_alone

    members = [
        Member(code, m.get("name", ""), {k: Decimal(str(v)) for k, v in (m.get("bases") or {}).items()})
        for code, m in definition["members"].items()
    ]
    items = [
        CloudItem(
            i["name"],
            i["kind"],
            {code: [int(v) for v in values] for code, values in i["alone"].items()},
            [int(v) for v in i["joint"]],
            check_rule_spec(i["rule"]),
        )
        for i in definition["items"]
    ]
    return compare_joint_alone(definition["periods"], members, items)
