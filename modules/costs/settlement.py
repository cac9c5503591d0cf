"""概算 and 精算: the approved budget billed in instalments, then settled against the actual costs.

For a fiscal year the members pay their share of the approved budget (概算払) in instalments, by default four
(四半期: April, July, October, January). After the year the actual costs are allocated by the same rules and a
精算書 per member shows, item by item, its share of the budget, of the actual cost and the difference; what it
has paid, what it owes, and the refund (還付) or additional charge (追加徴収). Everything is whole yen:

- each member's instalments sum exactly to its share of the budget (its whole yen split by the plan's
  weights with the largest remainder, earlier instalments first on ties);
- each member's refund or charge is exactly paid - owed, so over all members they sum exactly to the total
  paid less the total of the actual costs.

Pure computation over the engine's ``Allocation``; approval and locking are the year's (editing.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from modules.costs.allocation import Allocation, AllocationError, apportion

QUARTERS = ("4月", "7月", "10月", "1月")


@dataclass(frozen=True)
class Instalment:
    number: int
    label: str  # e.g. 第1期（4月）
    weight: Fraction


@dataclass(frozen=True)
class InstalmentPlan:
    instalments: tuple[Instalment, ...]

    @classmethod
    def quarterly(cls) -> InstalmentPlan:
        return cls.of([(f"第{i + 1}期（{month}）", Fraction(1, 4)) for i, month in enumerate(QUARTERS)])

    @classmethod
    def of(cls, parts: Sequence[tuple[str, Fraction | int | str]]) -> InstalmentPlan:
        """A plan from (label, weight) pairs; the weights must be >= 0 and sum to 1 (the whole year)."""
        if not parts:
            raise AllocationError("the instalment plan has no instalments")
        instalments = []
        for index, (label, weight) in enumerate(parts):
            value = Fraction(weight)
            if value < 0:
                raise AllocationError(f"instalment {index + 1} ({label}): the weight {weight} is negative")
            instalments.append(Instalment(index + 1, label, value))
        total = sum((i.weight for i in instalments), Fraction(0))
        if total != 1:
            raise AllocationError(
                f"the instalment plan sums to {total} of the year, not 1: the instalments must make up the year"
            )
        return cls(tuple(instalments))

    @classmethod
    def of_amounts(cls, parts: Sequence[tuple[str, int]], year_total: int) -> InstalmentPlan:
        """A plan given in yen for the whole consortium; they must sum to the year's total."""
        total = sum(amount for _, amount in parts)
        if total != year_total:
            raise AllocationError(
                f"the instalments sum to {total:,} yen, not the year's {year_total:,}: "
                "the instalment plan must sum to the year"
            )
        if year_total == 0:
            return cls.of([(label, Fraction(1, len(parts))) for label, _ in parts])
        return cls.of([(label, Fraction(amount, year_total)) for label, amount in parts])


@dataclass(frozen=True)
class Bill:
    """One instalment's invoice to one member."""

    member_code: str
    member_name: str
    instalment: Instalment
    amount: int


def bill(budget: Allocation, plan: InstalmentPlan) -> list[Bill]:
    """Every member's invoices: its budget share split by the plan, exact to the yen."""
    names = {m.code: m.name for m in budget.members}
    return bill_totals(budget.member_totals(), names, plan)


def bill_totals(totals: Mapping[str, int], names: Mapping[str, str], plan: InstalmentPlan) -> list[Bill]:
    """The invoices of members whose year's totals are given (e.g. an approved revision's stored shares)."""
    bills = []
    weights = {str(i.number).zfill(4): i.weight for i in plan.instalments}
    for code in sorted(totals):
        total = totals[code]
        # Ties go to the earlier instalment: the key orders them by number.
        amounts, _ = apportion(total, {k: total * w for k, w in weights.items()}, tiebreak=weights)
        for instalment in plan.instalments:
            bills.append(
                Bill(code, names.get(code, ""), instalment, amounts[str(instalment.number).zfill(4)])
            )
    return bills


@dataclass(frozen=True)
class SettlementLine:
    item: str
    budget: int  # the member's share of the item in the approved budget
    actual: int  # its share of the item's actual cost

    @property
    def difference(self) -> int:
        """Positive: the member paid more on this item than it cost it."""
        return self.budget - self.actual


@dataclass(frozen=True)
class Settlement:
    """精算書 of one member."""

    member_code: str
    member_name: str
    lines: tuple[SettlementLine, ...]
    paid: int  # what it has paid over the year (its instalments)

    @property
    def budget(self) -> int:
        return sum(line.budget for line in self.lines)

    @property
    def owed(self) -> int:
        return sum(line.actual for line in self.lines)

    @property
    def balance(self) -> int:
        """paid - owed: positive is a refund (還付), negative an additional charge (追加徴収)."""
        return self.paid - self.owed

    @property
    def refund(self) -> int:
        return max(self.balance, 0)

    @property
    def additional_charge(self) -> int:
        return max(-self.balance, 0)


def settle(budget: Allocation, actual: Allocation, paid: Mapping[str, int] | None = None) -> list[Settlement]:
    """Each member's 精算書: budget and actual shares item by item (matched by name), what it paid (by default
    its whole budget share, all instalments paid) and the balance."""
    if [m.code for m in actual.members] != [m.code for m in budget.members]:
        raise AllocationError("the actual costs are allocated among other members than the budget")
    names = {m.code: m.name for m in budget.members}
    shares: list[dict[str, dict[str, int]]] = []
    for source in (budget, actual):
        by_item: dict[str, dict[str, int]] = {}
        for item in source.items:
            if item.name in by_item:
                raise AllocationError("is listed twice", item=item.name)
            by_item[item.name] = {s.code: s.amount for s in item.shares}
        shares.append(by_item)
    return settle_shares(shares[0], shares[1], names, paid)


def settle_shares(
    budget: Mapping[str, Mapping[str, int]],
    actual: Mapping[str, Mapping[str, int]],
    names: Mapping[str, str],
    paid: Mapping[str, int] | None = None,
) -> list[Settlement]:
    """精算書 from shares by item name and member code (budget items first, then items only in the actuals)."""
    order = list(budget) + [name for name in actual if name not in budget]
    result = []
    for code in sorted(names):
        lines = tuple(
            SettlementLine(name, budget.get(name, {}).get(code, 0), actual.get(name, {}).get(code, 0))
            for name in order
        )
        budget_total = sum(line.budget for line in lines)
        member_paid = budget_total if paid is None else paid.get(code, 0)
        result.append(Settlement(code, names[code], lines, member_paid))
    return result
