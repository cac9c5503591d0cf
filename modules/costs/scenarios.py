"""Year-by-year comparison of cost alternatives (continue as is / each alone / jointly; current / optimised).

An alternative is a set of lines, each a series of costs over the scenario's periods, optionally for one
member and under a label (e.g. うち現行システム経費). The comparison gives, for every alternative, the totals
per period, per member and per label, the change against the baseline alternative, the cumulative
difference and the period from which the alternative has cost no more than the baseline (break-even).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from modules.costs.allocation import percent

__all__ = [
    "Alternative",
    "AlternativeResult",
    "Comparison",
    "Line",
    "Scenario",
    "ScenarioError",
    "break_even",
    "compare",
    "percent",
]


class ScenarioError(ValueError):
    """A scenario that cannot be compared (series of the wrong length, unknown baseline...)."""


@dataclass(frozen=True)
class Line:
    label: str
    values: tuple[Decimal, ...]  # one per period
    member: str | None = None  # a member code, or None for a cost not attributed to one member


@dataclass(frozen=True)
class Alternative:
    key: str
    name: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    unit: str  # e.g. 百万円
    periods: tuple[str, ...]  # e.g. ("H28", ..., "H40"), or one period for figures known only as totals
    alternatives: tuple[Alternative, ...]
    baseline: str  # the key of the alternative the others are measured against
    members: Mapping[str, str] = field(default_factory=dict)  # code -> name


@dataclass(frozen=True)
class AlternativeResult:
    key: str
    name: str
    per_period: tuple[Decimal, ...]
    total: Decimal
    by_member: dict[str, Decimal]  # member code -> total over all periods
    by_label: dict[str, Decimal]  # line label -> total over all periods
    difference: Decimal  # total - baseline total (negative: a saving)
    change_rate: Fraction | None  # difference / baseline total; None if the baseline total is 0
    member_change_rates: dict[str, Fraction | None]
    cumulative_difference: tuple[Decimal, ...]  # per period, against the baseline
    break_even: str | None  # None for the baseline itself


@dataclass(frozen=True)
class Comparison:
    scenario: Scenario
    results: tuple[AlternativeResult, ...]

    def __getitem__(self, key: str) -> AlternativeResult:
        for result in self.results:
            if result.key == key:
                return result
        raise KeyError(key)


def _rate(difference: Decimal, base: Decimal) -> Fraction | None:
    return Fraction(difference) / Fraction(base) if base else None


def break_even(periods: tuple[str, ...], cumulative: tuple[Decimal, ...]) -> str | None:
    """The first period from which the cumulative difference stays at or below zero; None if it ends above."""
    above = [i for i, value in enumerate(cumulative) if value > 0]
    if not above:
        return periods[0] if periods else None
    last = above[-1]
    return periods[last + 1] if last + 1 < len(periods) else None


def _check(scenario: Scenario) -> None:
    keys = [a.key for a in scenario.alternatives]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"{scenario.name}: an alternative key is used twice")
    if scenario.baseline not in keys:
        raise ScenarioError(f"{scenario.name}: the baseline {scenario.baseline!r} is not an alternative")
    for alternative in scenario.alternatives:
        for line in alternative.lines:
            if len(line.values) != len(scenario.periods):
                raise ScenarioError(
                    f"{scenario.name}: {alternative.name}: {line.label}: {len(line.values)} values "
                    f"for {len(scenario.periods)} periods"
                )


def _sum_lines(alternative: Alternative, periods: int) -> tuple[Decimal, ...]:
    return tuple(sum((line.values[i] for line in alternative.lines), Decimal(0)) for i in range(periods))


def _totals_by(alternative: Alternative, attribute: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in alternative.lines:
        key = getattr(line, attribute)
        if key is not None:
            totals[key] = totals.get(key, Decimal(0)) + sum(line.values, Decimal(0))
    return totals


def compare(scenario: Scenario) -> Comparison:
    """Every alternative against the baseline, period by period."""
    _check(scenario)
    n = len(scenario.periods)
    base = next(a for a in scenario.alternatives if a.key == scenario.baseline)
    base_series = _sum_lines(base, n)
    base_total = sum(base_series, Decimal(0))
    base_members = _totals_by(base, "member")
    results = []
    for alternative in scenario.alternatives:
        series = _sum_lines(alternative, n)
        total = sum(series, Decimal(0))
        by_member = _totals_by(alternative, "member")
        running, cumulative = Decimal(0), []
        for value, base_value in zip(series, base_series, strict=True):
            running += value - base_value
            cumulative.append(running)
        results.append(
            AlternativeResult(
                key=alternative.key,
                name=alternative.name,
                per_period=series,
                total=total,
                by_member=by_member,
                by_label=_totals_by(alternative, "label"),
                difference=total - base_total,
                change_rate=_rate(total - base_total, base_total),
                member_change_rates={
                    code: _rate(value - base_members[code], base_members[code])
                    for code, value in by_member.items()
                    if code in base_members
                },
                cumulative_difference=tuple(cumulative),
                break_even=(
                    None
                    if alternative.key == scenario.baseline
                    else break_even(scenario.periods, tuple(cumulative))
                ),
            )
        )
    return Comparison(scenario, tuple(results))
