"""Joint versus alone for the Government Cloud era: each city in its own environment, or one shared one.

From the same cost items (cloud fees, network lines, operations contracts, licences), year by year: what each
city would pay alone, and its share of the shared environment by the item's rule (the allocation engine, so
exact to the yen with its reasons). The result gives each city's saving per year, the cumulative saving and
the break-even year: the first year from which the shared environment has cost it no more in total.

Pure computation; the seeds' comparisons (scenarios.py) are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import Markup

from modules.costs.allocation import AllocationError, Item, Member, Rule, allocate_item
from modules.costs.scenarios import break_even

KINDS = ("fees", "network", "operations", "licences", "other")
KIND_LABELS = {
    "fees": "クラウド利用料",
    "network": "回線費",
    "operations": "運用保守委託",
    "licences": "ライセンス",
    "other": "その他",
}


@dataclass(frozen=True)
class CloudItem:
    name: str
    kind: str
    alone: Mapping[str, Sequence[int]]  # member code -> its cost per period if it ran alone
    joint: Sequence[int]  # the shared environment's cost per period
    rule: Rule  # how the joint cost is split among the members


@dataclass(frozen=True)
class MemberComparison:
    code: str
    name: str
    alone: tuple[int, ...]  # per period
    joint: tuple[int, ...]  # its share of the shared environment, per period
    by_item: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]  # item -> (alone, joint share) per period

    @property
    def saving(self) -> tuple[int, ...]:
        return tuple(a - j for a, j in zip(self.alone, self.joint, strict=True))

    @property
    def cumulative_saving(self) -> tuple[int, ...]:
        running, result = 0, []
        for value in self.saving:
            running += value
            result.append(running)
        return tuple(result)

    @property
    def total_saving(self) -> int:
        return sum(self.saving)


@dataclass(frozen=True)
class JointAloneResult:
    periods: tuple[str, ...]
    members: tuple[MemberComparison, ...]
    break_even: dict[str, str | None]  # member code -> first period from which it has saved, None if never

    def member(self, code: str) -> MemberComparison:
        return next(m for m in self.members if m.code == code)


def compare_joint_alone(
    periods: Sequence[str], members: Sequence[Member], items: Sequence[CloudItem]
) -> JointAloneResult:
    """Each member's costs alone and jointly, period by period; AllocationError naming item and member."""
    n = len(periods)
    ordered = sorted(members, key=lambda m: m.code)
    alone = {m.code: [0] * n for m in ordered}
    joint = {m.code: [0] * n for m in ordered}
    by_item: dict[str, dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {m.code: {} for m in ordered}
    for item in items:
        if item.kind not in KINDS:
            raise AllocationError(f'the kind "{item.kind}" must be one of {", ".join(KINDS)}', item=item.name)
        if len(item.joint) != n:
            raise AllocationError(f"{len(item.joint)} joint costs for {n} periods", item=item.name)
        for m in ordered:
            if m.code not in item.alone:
                raise AllocationError("has no stand-alone costs", item=item.name, member=m)
            if len(item.alone[m.code]) != n:
                raise AllocationError(
                    f"{len(item.alone[m.code])} stand-alone costs for {n} periods", item=item.name, member=m
                )
        for code in sorted(set(item.alone) - {m.code for m in ordered}):
            raise AllocationError(
                "has stand-alone costs but is not among the members", item=item.name, member=code
            )
        shares: dict[str, list[int]] = {m.code: [] for m in ordered}
        for p, amount in enumerate(item.joint):
            result = allocate_item(Item(f"{item.name} {periods[p]}", int(amount), item.rule), ordered)
            for share in result.shares:
                shares[share.code].append(share.amount)
        for m in ordered:
            own = [int(v) for v in item.alone[m.code]]
            for p in range(n):
                alone[m.code][p] += own[p]
                joint[m.code][p] += shares[m.code][p]
            by_item[m.code][item.name] = (tuple(own), tuple(shares[m.code]))
    comparisons = tuple(
        MemberComparison(m.code, m.name, tuple(alone[m.code]), tuple(joint[m.code]), by_item[m.code])
        for m in ordered
    )
    return JointAloneResult(
        tuple(periods),
        comparisons,
        {
            # The break-even of scenarios.py, on the cumulative extra cost of joining (joint - alone).
            c.code: break_even(tuple(periods), tuple(Decimal(-v) for v in c.cumulative_saving))
            for c in comparisons
        },
    )


def chart(result: JointAloneResult, *, divisor: int = 1, unit: str | None = None) -> Markup:
    """Each city's cumulative cost alone and jointly, year by year (where the lines cross, it breaks even)."""
    from modules.costs import charts

    series = []
    for m in result.members:
        for label, values in ((_("単独"), m.alone), (_("共同"), m.joint)):
            running, points = 0, []
            for v in values:
                running += v
                points.append(running / divisor)
            series.append((f"{m.name or m.code}（{label}）", points))
    return charts.lines(
        list(result.periods),
        series,
        title=_("単独運用と共同利用の累計費用"),
        unit=unit or _("円"),
    )
