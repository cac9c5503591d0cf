"""Fairness checks of an allocation (公平性の検証): no member pays more than its own way, no group either.

- 個別合理性 (stand-alone): a member's share of an item is at most what the item would cost it alone, and a
  member's total of the shared items at most its stand-alone cost (its ``standalone`` basis, the figure the
  seed's 富士市 and 富士宮市 agreed their split on).
- The core: where the cost of a sub-group is given, its members together pay at most that cost.

Checked on the amounts charged (after rounding); a violation that comes only from rounding to the unit (the
exact quota is within the cost) is marked so. Pure computation, used by the CLI, the pages and statements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from modules.costs.allocation import (
    SAVINGS_BASIS,
    Allocation,
    AllocationError,
    Item,
    ItemResult,
    Member,
    _num,
    game_costs,
)

STANDALONE = "standalone"
CORE = "core"


@dataclass(frozen=True)
class Violation:
    kind: str  # STANDALONE or CORE
    item: str | None  # None: the member's total over the shared items
    members: tuple[str, ...]  # member codes, in code order
    paid: int
    cost: Fraction
    rounding_only: bool = False  # the exact quotas were within the cost; rounding to the unit went over
    names: tuple[str, ...] = ()  # the members' names, where known, in the same order

    def _who(self, sep: str) -> str:
        if len(self.names) != len(self.members):
            return sep.join(self.members)
        return sep.join(f"{n}({c})" if n else c for c, n in zip(self.members, self.names, strict=True))

    @property
    def excess(self) -> Fraction:
        return self.paid - self.cost

    @property
    def text_ja(self) -> str:
        where = f"費目「{self.item}」" if self.item else "共同費用の合計"
        who = self._who("・")
        kind = "単独費用を超過（個別合理性違反）" if self.kind == STANDALONE else "提携費用を超過（コア外）"
        note = "（端数処理による）" if self.rounding_only else ""
        return f"{where}: {who} の負担 {self.paid:,} > 費用 {_num(self.cost)}、超過 {_num(self.excess)}: {kind}{note}"

    @property
    def text_en(self) -> str:
        where = f'item "{self.item}"' if self.item else "total of the shared items"
        who = self._who(", ")
        kind = (
            "more than alone (not individually rational)" if self.kind == STANDALONE else "outside the core"
        )
        note = " (from rounding only)" if self.rounding_only else ""
        return (
            f"{where}: {who} pay {self.paid:,} > cost {_num(self.cost)}, "
            f"{_num(self.excess)} over: {kind}{note}"
        )


@dataclass(frozen=True)
class FairnessReport:
    checked_items: int  # items that had sub-group costs to check against
    checked_totals: bool  # whether every member had a stand-alone cost for its total
    violations: tuple[Violation, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.violations

    def for_member(self, code: str) -> list[Violation]:
        return [v for v in self.violations if code in v.members]


def check_game(
    name: str | None,
    members: Sequence[Member],
    costs: Mapping[int, Fraction],
    paid: Mapping[str, int],
    quota: Mapping[str, Fraction],
    *,
    floors: Sequence[tuple[int, int]] | None = None,
) -> list[Violation]:
    """The given coalitions (bit masks over `members`) whose members pay more than the coalition's cost.

    Amounts are whole numbers, so a group pays more than c(S) exactly when it pays more than floor(c(S));
    `floors` ((mask, floor) in check order, from `prepare`) spares recomputing them for every item of a game,
    and the groups' totals are built up mask by mask (each from a smaller one), not summed afresh.
    """
    n = len(members)
    checks = floors if floors is not None else prepare(costs, n)
    by_bit = [paid[m.code] for m in members]
    sums = [0] * (1 << n)
    for mask in range(1, 1 << n):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + by_bit[low.bit_length() - 1]
    found = []
    for mask, floor in checks:
        total = sums[mask]
        if total > floor:
            inside = [m for i, m in enumerate(members) if mask >> i & 1]
            codes = tuple(m.code for m in inside)
            exact = sum((quota[c] for c in codes), Fraction(0))
            found.append(
                Violation(
                    STANDALONE if len(codes) == 1 else CORE,
                    name,
                    codes,
                    total,
                    costs[mask],
                    rounding_only=exact <= costs[mask],
                    names=tuple(m.name for m in inside),
                )
            )
    return found


def prepare(costs: Mapping[int, Fraction], n: int) -> list[tuple[int, int]]:
    """(mask, floor of its cost) of every coalition to check: all but the grand coalition, smaller first."""
    full = (1 << n) - 1
    return [
        (mask, math.floor(costs[mask]))
        for mask in sorted(costs, key=lambda m: (m.bit_count(), m))
        if mask != full
    ]


def item_costs(item: Item) -> Mapping[frozenset[str], Decimal] | None:
    return item.coalitions if item.coalitions is not None else item.rule.coalitions


def check_item(
    item: Item,
    result: ItemResult,
    members: Sequence[Member],
    _games: dict[int, tuple[Mapping[int, Fraction], list[tuple[int, int]]]] | None = None,
) -> list[Violation] | None:
    """The violations of one item against its sub-group costs; None if it has none to check against."""
    given = item_costs(item)
    if not given:
        return None
    ordered = sorted(members, key=lambda m: m.code)
    # Items of a year often share one game: it is read once per check (keyed by the mapping's identity).
    cached = _games.get(id(given)) if _games is not None else None
    if cached is None:
        try:
            table = game_costs(given, ordered, what="sub-group")
        except AllocationError as err:
            err.item = err.item or item.name
            raise
        cached = (table, prepare(table, len(ordered)))
        if _games is not None:
            _games[id(given)] = cached
    paid = {s.code: s.amount for s in result.shares}
    quota = {s.code: s.quota for s in result.shares}
    return check_game(item.name, ordered, cached[0], paid, quota, floors=cached[1])


def check(
    allocation: Allocation,
    items: Sequence[Item],
    *,
    coalitions: Mapping[frozenset[str], Decimal] | None = None,
    standalone_basis: bool = False,
) -> FairnessReport:
    """Every item against its sub-group costs, and each member's total against the costs of sub-groups given
    for the whole (`coalitions`) and, with `standalone_basis`, against its ``standalone`` basis (the caller
    knows whether that basis is in the items' unit: the CLI's example files mix units, a stored year not)."""
    members = allocation.members
    violations: list[Violation] = []
    checked = 0
    games: dict[int, tuple[Mapping[int, Fraction], list[tuple[int, int]]]] = {}
    for item, result in zip(items, allocation.items, strict=True):
        found = check_item(item, result, members, games)
        if found is not None:
            checked += 1
            violations.extend(found)
    totals = allocation.member_totals()
    quotas = {m.code: Fraction(0) for m in members}
    for result in allocation.items:
        for share in result.shares:
            quotas[share.code] += share.quota
    table: dict[int, Fraction] = {}
    has_alone = standalone_basis and all(SAVINGS_BASIS in m.bases for m in members)
    if has_alone:
        for i, m in enumerate(members):
            table[1 << i] = Fraction(m.basis(SAVINGS_BASIS))
    if coalitions:
        # Given costs of sub-groups for the whole year win over the stand-alone bases for the same member.
        table.update(game_costs(coalitions, members, what="sub-group"))
    if table:
        violations.extend(check_game(None, members, table, totals, quotas))
    return FairnessReport(checked, has_alone or bool(coalitions), tuple(violations))
