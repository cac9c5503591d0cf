"""Cost allocation engine (費用按分): split each cost item among the member bodies, to the unit, with reasons.

Pure computation, no database and no Flask. Money in and out is whole numbers (``int``); the exact quota
of each member is a ``fractions.Fraction``: Decimal cannot hold a third of a yen, and the largest-remainder
method must compare remainders exactly for the result not to depend on the order of the members. Ratios are
shown as ``Decimal``. Floats are never used.

One file although long: every method shares the quota arithmetic, the rounding to the unit and the
reason texts in both languages, and the engine is used on its own by the CLI and the property tests.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from modules.costs import games
from modules.costs.games import GameError

LARGEST = "largest"
METHODS = (
    "equal",
    "proportional",
    "equal_savings_rate",
    "mixed",
    "fixed",
    "equal_savings",
    "shapley",
    "power",
    "scrb",
    "nucleolus",
)
# A part of a mix is weighted by a share of the amount, so only methods whose ratios do not depend on it fit.
PART_METHODS = ("equal", "proportional", "equal_savings_rate", "power", "fixed")
# The fields each method reads, besides those every rule has (ratio_precision, unit, remainder).
METHOD_FIELDS: dict[str, frozenset[str]] = {
    "equal": frozenset(),
    "proportional": frozenset({"basis", "period"}),
    "equal_savings_rate": frozenset({"basis"}),
    "mixed": frozenset({"parts"}),
    "fixed": frozenset({"ratios"}),
    "equal_savings": frozenset({"basis"}),
    "shapley": frozenset({"coalitions"}),
    "power": frozenset({"basis", "exponent", "period"}),
    "scrb": frozenset({"coalitions"}),
    "nucleolus": frozenset({"coalitions"}),
}
SAVINGS_BASIS = "standalone"
PERIODS = ("same", "previous")
MAX_SHAPLEY_MEMBERS = 10
MAX_NUCLEOLUS_MEMBERS = 10
MAX_RATIO_PRECISION = 12
DISPLAY_PLACES = 6
_POWER_DIGITS = 50

USAGE_LABELS: dict[str, tuple[str, str]] = {
    "certificates": ("証明書交付件数", "certificates issued"),
    "printed": ("印刷件数", "documents printed"),
    "jobs": ("バッチ実行件数", "jobs run"),
    "job_seconds": ("バッチ実行時間（秒）", "job run time (s)"),
    "storage_bytes": ("データ容量（バイト）", "storage (bytes)"),
    "active_staff": ("利用職員数", "active staff"),
    "requests": ("操作件数", "requests"),
    "resident_records": ("住民記録件数", "resident records"),
}
BASIS_LABELS: dict[str, tuple[str, str]] = {
    "population": ("人口", "population"),
    "households": ("世帯数", "households"),
    "usage": ("利用実績", "usage"),
    "standalone": ("単独構築費", "stand-alone cost"),
}
_METHOD_LABELS: dict[str, tuple[str, str]] = {
    "population": ("人口割", "by population"),
    "households": ("世帯割", "by households"),
    "usage": ("実績割", "by usage"),
    "standalone": ("単独費用比", "by stand-alone cost"),
}


class AllocationError(ValueError):
    """Input the engine cannot allocate; names the item and the member concerned where there is one."""

    def __init__(self, message: str, *, item: str | None = None, member: Member | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item
        if isinstance(member, Member):
            self.member: str | None = member.code
            self.member_name: str | None = member.name or None
        else:
            self.member, self.member_name = member, None

    def __str__(self) -> str:
        where = []
        if self.item is not None:
            where.append(f'item "{self.item}"')
        if self.member is not None:
            where.append(f"member {self.member}" + (f" ({self.member_name})" if self.member_name else ""))
        return ": ".join([*where, self.message])


def number(value: object, what: str, member: Member | str | None = None) -> Decimal:
    """A finite number >= 0 given as Decimal, int or str; never a float, whose 0.1 is not a tenth."""
    if isinstance(value, float | bool):
        raise AllocationError(
            f"{what} {value!r}: give a Decimal, an int or a str, not a {type(value).__name__}", member=member
        )
    try:
        result = Decimal(value)  # type: ignore[arg-type]  # any other type raises TypeError, reported below
    except (ArithmeticError, TypeError, ValueError):
        raise AllocationError(f"{what} {value!r} is not a number", member=member) from None
    if not result.is_finite() or result < 0:
        raise AllocationError(f"{what} is {result}: it must be a number >= 0", member=member)
    return result


@dataclass(frozen=True)
class Member:
    code: str
    name: str = ""
    bases: Mapping[str, Decimal] = field(default_factory=dict)

    def basis(self, name: str) -> Decimal:
        """The member's value of a basis (population, standalone...), checked present, finite and >= 0."""
        if name not in self.bases:
            raise AllocationError(f'no basis "{name}"', member=self)
        return number(self.bases[name], f'basis "{name}"', self)


@dataclass(frozen=True)
class Part:
    weight: Decimal
    rule: Rule


@dataclass(frozen=True)
class Rule:
    method: str
    basis: str | None = None
    exponent: Decimal | None = None
    ratios: Mapping[str, Decimal] | None = None
    parts: tuple[Part, ...] = ()
    coalitions: Mapping[frozenset[str], Decimal] | None = None
    ratio_precision: int | None = None
    unit: int = 1
    remainder: str = LARGEST
    # For a usage basis ("usage.certificates"): the counts of the same fiscal year, or of the previous one
    # (前年度実績), which a member's bases hold as "usage.certificates@previous".
    period: str | None = None


@dataclass(frozen=True)
class Conversion:
    """How a cost billed in a foreign currency became yen: amount x rate, cut to the yen (stated)."""

    currency: str
    foreign_amount: Decimal
    rate: Decimal
    rate_source: str  # "scenario" (the rate the year plans with) or "paid" (the rate actually paid)
    rounding: str  # "down" (切り捨て) or "half_up" (四捨五入)
    exact: Fraction  # foreign_amount x rate before rounding to the yen


@dataclass(frozen=True)
class Item:
    name: str
    amount: int
    rule: Rule
    # Costs of sub-groups for the fairness check only (stand-alone cost of one member, the core for more);
    # a rule with coalitions (shapley, scrb, nucleolus) is checked against its own.
    coalitions: Mapping[frozenset[str], Decimal] | None = None
    conversion: Conversion | None = None


@dataclass(frozen=True)
class Share:
    code: str
    name: str
    amount: int
    ratio: Decimal  # as applied when the rule fixes a precision, else rounded for display
    quota: Fraction  # the exact amount before rounding to the unit
    explanation_ja: str
    explanation_en: str


@dataclass(frozen=True)
class ItemResult:
    name: str
    amount: int
    rule: Rule
    shares: tuple[Share, ...]  # in member-code order
    cut_off: int  # the part of the amount below one unit, not charged to anyone
    conversion: Conversion | None = None  # how a foreign-currency amount became yen

    @property
    def total(self) -> int:
        return sum(s.amount for s in self.shares)

    def share(self, code: str) -> Share:
        return next(s for s in self.shares if s.code == code)


@dataclass(frozen=True)
class Allocation:
    members: tuple[Member, ...]  # in code order
    items: tuple[ItemResult, ...]

    def member_totals(self) -> dict[str, int]:
        totals = {m.code: 0 for m in self.members}
        for item in self.items:
            for share in item.shares:
                totals[share.code] += share.amount
        return totals

    @property
    def total(self) -> int:
        return sum(item.total for item in self.items)

    @property
    def cut_off(self) -> int:
        return sum(item.cut_off for item in self.items)


@dataclass(frozen=True)
class Ratios:
    """What a method returns: each member's exact ratio (they sum to 1) and its reason (ja, en)."""

    values: dict[str, Fraction]
    reasons: dict[str, tuple[str, str]]


# --- formatting -------------------------------------------------------------------------------------------


def _round_scaled(value: Fraction | Decimal | int, places: int) -> tuple[int, bool]:
    """value x 10**places rounded half-even to an integer, and whether that was exact; integer arithmetic
    because formatting every figure of every explanation through Fraction operations dominated the run."""
    numerator, denominator = value.as_integer_ratio()
    whole, rest = divmod(numerator * 10**places, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole % 2):
        whole += 1
    return whole, rest == 0


def to_decimal(value: Fraction, places: int) -> Decimal:
    """Round half-even to `places` decimals."""
    return Decimal(_round_scaled(value, places)[0]).scaleb(-places)


def decimal_string(value: Fraction, places: int = DISPLAY_PLACES) -> str:
    """Plain decimal text, trailing zeros dropped, rounded to `places` decimals if it does not end sooner."""
    return f"{to_decimal(value, places).normalize():f}"


def _eq(value: Fraction | Decimal | int) -> str:
    """'= 3,875.948' when exact to the places shown, '≈ 45,079,114.283062' when rounded."""
    text = _num(value)
    return f"≈ {text[1:]}" if text.startswith("≈") else f"= {text}"


def _num(value: Fraction | Decimal | int) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    scaled, exact = _round_scaled(value, DISPLAY_PLACES)
    text = f"{Decimal(scaled).scaleb(-DISPLAY_PLACES).normalize():,f}"
    return text if exact else "≈" + text


def percent(rate: Fraction | Decimal, places: int = 2) -> Decimal:
    """A rate as a percentage rounded half-up (四捨五入), e.g. 0.107837 -> Decimal('10.78')."""
    exact = Fraction(rate) * 100
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _pct(weight: Decimal) -> str:
    return f"{(weight * 100).normalize():f}%"


def _labels(basis: str) -> tuple[str, str, str, str]:
    """(basis ja, basis en, method ja, method en) for a basis name."""
    name, _, period = basis.partition("@")
    if name.startswith("usage."):
        ja, en = USAGE_LABELS.get(name[6:], (name[6:], name[6:]))
        when_ja, when_en = ("前年度", "previous year's ") if period == "previous" else ("当年度", "")
        noun_ja, noun_en = f"{when_ja}実績（{ja}）", f"{when_en}usage ({en})"
        return noun_ja, noun_en, f"{noun_ja}割", f"by {noun_en}"
    noun_ja, noun_en = BASIS_LABELS.get(basis, (basis, basis))
    method_ja, method_en = _METHOD_LABELS.get(basis, (f"{noun_ja}割", f"by {noun_en}"))
    return noun_ja, noun_en, method_ja, method_en


_RATE_SOURCES = {"scenario": ("想定レート", "planning rate"), "paid": ("支払時の実レート", "rate paid")}
ROUNDINGS = {
    "down": ("円未満切り捨て", "fraction of a yen dropped"),
    "half_up": ("円未満四捨五入", "rounded half up"),
}


def convert(
    name: str,
    currency: str,
    foreign_amount: Decimal,
    rate: Decimal | None,
    *,
    source: str = "scenario",
    rounding: str = "down",
) -> tuple[int, Conversion]:
    """Yen for an amount in a foreign currency: amount x rate exactly, then to the yen.

    The default cuts the fraction of a yen, as 国等の債権債務等の金額の端数計算に関する法律 第2条 does for
    payments of public bodies; "half_up" is there for contracts that say 四捨五入.
    """
    if rate is None:
        raise AllocationError(f"the currency {currency} has no exchange rate", item=name)
    rate = number(rate, f"the exchange rate of {currency}")
    if rate <= 0:
        raise AllocationError(
            f"the exchange rate of {currency} is {rate}: it must be more than zero", item=name
        )
    amount = number(foreign_amount, f"the amount in {currency}")
    if source not in _RATE_SOURCES:
        raise AllocationError(f'the rate source "{source}" must be "scenario" or "paid"', item=name)
    if rounding not in ROUNDINGS:
        raise AllocationError(f'the rounding "{rounding}" must be "down" or "half_up"', item=name)
    exact = Fraction(amount) * Fraction(rate)
    yen = math.floor(exact) if rounding == "down" else math.floor(exact + Fraction(1, 2))
    return yen, Conversion(currency, amount, rate, source, rounding, exact)


def conversion_text(conv: Conversion, yen: int) -> tuple[str, str]:
    source_ja, source_en = _RATE_SOURCES[conv.rate_source]
    round_ja, round_en = ROUNDINGS[conv.rounding]
    return (
        f"外貨建て {conv.currency} {_num(conv.foreign_amount)} × {source_ja} {_num(conv.rate)}円"
        f" {_eq(conv.exact)}円、{round_ja} → {yen:,}円",
        f"in {conv.currency}: {_num(conv.foreign_amount)} × {source_en} ¥{_num(conv.rate)}"
        f" {_eq(conv.exact)} yen, {round_en} → ¥{yen:,}",
    )


# --- the methods: each returns exact ratios ---------------------------------------------------------------


def _need(rule: Rule, name: str) -> Any:
    value = getattr(rule, name)
    if value is None or value == ():
        raise AllocationError(f'method "{rule.method}" needs "{name}"')
    return value


def _by_values(
    values: dict[str, Fraction], shown: dict[str, str], basis: str, label_ja: str, label_en: str
) -> Ratios:
    total = sum(values.values())
    if total == 0:
        raise AllocationError(f'the basis "{basis}" totals zero over the members: nothing to divide by')
    return Ratios(
        {code: v / total for code, v in values.items()},
        {
            code: (
                f"{label_ja}: {shown[code]} ÷ 合計 {_num(total)}",
                f"{label_en}: {shown[code]} of {_num(total)}",
            )
            for code in values
        },
    )


def equal_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """均等割: the same ratio for every member."""
    n = len(members)
    return Ratios(
        {m.code: Fraction(1, n) for m in members},
        {m.code: (f"均等割 1/{n}", f"equal split 1/{n}") for m in members},
    )


def basis_key(rule: Rule) -> str:
    """The name of the basis a rule reads: its basis, for the previous fiscal year if its period says so."""
    basis: str = _need(rule, "basis")
    if rule.period not in (None, *PERIODS):
        raise AllocationError(f'the period "{rule.period}" must be "same" or "previous"')
    return f"{basis}@previous" if rule.period == "previous" else basis


def proportional_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """人口割, 世帯割, 実績割...: in proportion to a basis."""
    basis = basis_key(rule)
    values = {m.code: Fraction(m.basis(basis)) for m in members}
    _, _, label_ja, label_en = _labels(basis)
    return _by_values(values, {c: _num(v) for c, v in values.items()}, basis, label_ja, label_en)


def equal_savings_rate_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """In proportion to each member's stand-alone cost, so that every member saves the same rate."""
    basis = rule.basis or SAVINGS_BASIS
    values = {m.code: Fraction(m.basis(basis)) for m in members}
    noun_ja, noun_en, _, _ = _labels(basis)
    return _by_values(
        values,
        {c: _num(v) for c, v in values.items()},
        basis,
        f"{noun_ja}比（削減率均等）",
        f"by {noun_en} (same saving rate)",
    )


@functools.lru_cache(maxsize=4096)
def _power(value: Decimal, exponent: Decimal) -> Fraction:
    # Cached: the same members' bases are raised to the same exponent for item after item.
    with localcontext() as ctx:
        # Irrational powers: 50 digits leave every rounding far below a yen even on a trillion-yen item.
        ctx.prec = _POWER_DIGITS
        return Fraction(value**exponent) if value else Fraction(0)


def power_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """In proportion to basis ** exponent (0 < exponent <= 1): a charge that grows less than the basis."""
    basis = basis_key(rule)
    exponent = number(_need(rule, "exponent"), "the exponent")
    if not 0 < exponent <= 1:
        raise AllocationError(f"the exponent {exponent} must be > 0 and <= 1")
    raw = {m.code: m.basis(basis) for m in members}
    values = {c: _power(v, exponent) for c, v in raw.items()}
    noun_ja, noun_en, _, _ = _labels(basis)
    shown = {c: f"{_num(raw[c])}^{exponent} {_eq(values[c])}" for c in raw}
    label_ja, label_en = f"{noun_ja}の{exponent}乗割", f"by {noun_en} to the power {exponent}"
    return _by_values(values, shown, basis, label_ja, label_en)


def fixed_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """Ratios agreed by the members (e.g. 0.571 / 0.429); they must cover every member and sum to 1."""
    given: Mapping[str, Decimal] = _need(rule, "ratios")
    codes = {m.code for m in members}
    for code in sorted(given):
        if code not in codes:
            raise AllocationError("has a fixed ratio but is not among the members", member=code)
    values: dict[str, Fraction] = {}
    for m in members:
        if m.code not in given:
            raise AllocationError("has no fixed ratio", member=m)
        values[m.code] = Fraction(number(given[m.code], "the fixed ratio", m))
    total = sum(values.values(), Fraction(0))
    if total != 1:
        raise AllocationError(f"the fixed ratios sum to {decimal_string(total, 12)}, not 1")
    return Ratios(
        values,
        {
            m.code: (f"固定比率 {given[m.code]}（構成団体の合意）", f"fixed ratio {given[m.code]} (agreed)")
            for m in members
        },
    )


def mixed_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """A weighted mix of other methods, e.g. 20% equal + 80% by population."""
    parts: tuple[Part, ...] = _need(rule, "parts")
    given: list[Decimal] = []
    for index, part in enumerate(parts):
        given.append(number(part.weight, f"part {index + 1}: the weight"))
        if part.rule.method not in PART_METHODS:
            raise AllocationError(
                f'part {index + 1}: method "{part.rule.method}" cannot be part of a mix '
                f"(use one of {', '.join(PART_METHODS)})"
            )
    weights = [Fraction(w) for w in given]
    if sum(weights, Fraction(0)) != 1:
        raise AllocationError(
            f"the weights of the parts sum to {decimal_string(sum(weights, Fraction(0)), 12)}, not 1"
        )
    values = {m.code: Fraction(0) for m in members}
    reasons: dict[str, tuple[list[str], list[str]]] = {m.code: ([], []) for m in members}
    for part, weight, shown in zip(parts, weights, given, strict=True):
        sub = _METHODS[part.rule.method](amount, members, part.rule)
        for code in values:
            values[code] += weight * sub.values[code]
            ja, en = sub.reasons[code]
            reasons[code][0].append(f"{_pct(shown)}×{ja}")
            reasons[code][1].append(f"{_pct(shown)} × {en}")
    return Ratios(values, {c: (" + ".join(ja), " + ".join(en)) for c, (ja, en) in reasons.items()})


def equal_savings_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """Every member saves the same amount: its stand-alone cost less an equal part of the total saving."""
    basis = rule.basis or SAVINGS_BASIS
    alone = {m.code: Fraction(m.basis(basis)) for m in members}
    n = len(members)
    total = sum(alone.values(), Fraction(0))
    saving = (total - amount) / n
    quotas = {}
    for m in members:
        quotas[m.code] = alone[m.code] - saving
        if quotas[m.code] < 0:
            raise AllocationError(
                f'its "{basis}" {_num(alone[m.code])} is less than the equal saving {_num(saving)}', member=m
            )
    noun_ja, noun_en, _, _ = _labels(basis)
    return Ratios(
        {c: (q / amount if amount else Fraction(1, n)) for c, q in quotas.items()},
        {
            c: (
                f"削減額均等: {noun_ja} {_num(alone[c])} − 削減額 ({_num(total)} − {amount:,}) ÷ {n}",
                f"same saving: {noun_en} {_num(alone[c])} − saving ({_num(total)} − {amount:,}) / {n}",
            )
            for c in quotas
        },
    )


def shapley_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """The Shapley value of the cost game: each member's marginal cost averaged over every joining order."""
    given: Mapping[frozenset[str], Decimal] = _need(rule, "coalitions")
    n = len(members)
    if n > MAX_SHAPLEY_MEMBERS:
        raise AllocationError(f"the Shapley value is limited to {MAX_SHAPLEY_MEMBERS} members, not {n}")
    codes = [m.code for m in members]
    bit = {code: 1 << i for i, code in enumerate(codes)}
    # Costs as integer ratios over a common denominator: Fraction arithmetic over 10 x 512 terms would
    # dominate the run.
    ratios: list[tuple[int, int] | None] = [None] * (1 << n)
    ratios[0] = (0, 1)
    for coalition, cost in given.items():
        if not coalition:
            raise AllocationError("a coalition has no members")
        unknown = [code for code in coalition if code not in bit]
        if unknown:
            raise AllocationError("is in a coalition but not among the members", member=min(unknown))
        value = number(cost, f"the cost of coalition {{{', '.join(sorted(coalition))}}}")
        ratios[sum(bit[code] for code in coalition)] = value.as_integer_ratio()
    missing = [mask for mask in range(1, 1 << n) if ratios[mask] is None]
    if missing:
        names = ", ".join(c for c in codes if missing[0] & bit[c])
        raise AllocationError(
            f"the cost of coalition {{{names}}} is missing "
            f"({len(missing)} of the {(1 << n) - 1} coalitions are missing)"
        )
    known = [r for r in ratios if r is not None]  # all of them: a missing cost was refused above
    scale = math.lcm(*(d for _, d in known))
    whole = [num * (scale // d) for num, d in known]
    if Fraction(whole[-1], scale) != amount:
        raise AllocationError(
            f"the amount {amount:,} differs from the cost of all members together, {_num(Fraction(whole[-1], scale))}"
        )
    factor = [math.factorial(s) * math.factorial(n - s - 1) for s in range(n)]
    denominator = math.factorial(n) * scale
    phi: dict[str, Fraction] = {}
    for m in members:
        b = bit[m.code]
        others = (mask for mask in range(1 << n) if not mask & b)
        total = sum(factor[mask.bit_count()] * (whole[mask | b] - whole[mask]) for mask in others)
        phi[m.code] = Fraction(total, denominator)
        if phi[m.code] < 0:
            raise AllocationError(f"its Shapley value {_num(phi[m.code])} is negative", member=m)
    alone = {m.code: Fraction(whole[bit[m.code]], scale) for m in members}
    return Ratios(
        {c: (v / amount if amount else Fraction(1, n)) for c, v in phi.items()},
        {
            c: (
                f"シャプレー値 {_num(v)}（単独費用 {_num(alone[c])}、全団体の費用 {amount:,}）",
                f"Shapley value {_num(v)} (alone {_num(alone[c])}, all members {amount:,})",
            )
            for c, v in phi.items()
        },
    )


def game_costs(
    coalitions: Mapping[frozenset[str], Decimal], members: Sequence[Member], *, what: str = "coalition"
) -> dict[int, Fraction]:
    """The given coalition costs as a table by bit mask over the members (in the order given), checked."""
    bit = {m.code: 1 << i for i, m in enumerate(members)}
    table: dict[int, Fraction] = {}
    for coalition, cost in coalitions.items():
        if not coalition:
            raise AllocationError(f"a {what} has no members")
        unknown = [code for code in coalition if code not in bit]
        if unknown:
            raise AllocationError(f"is in a {what} but not among the members", member=min(unknown))
        value = number(cost, f"the cost of {what} {{{', '.join(sorted(coalition))}}}")
        table[sum(bit[code] for code in coalition)] = Fraction(value)
    return table


def _full_game(amount: int, members: Sequence[Member], rule: Rule, masks: Sequence[int]) -> list[Fraction]:
    """A cost list by mask (0 for the masks not needed), with every mask of `masks` given and c(N) = amount."""
    n = len(members)
    table = game_costs(_need(rule, "coalitions"), members)
    missing = [mask for mask in masks if mask not in table]
    if missing:
        names = ", ".join(m.code for i, m in enumerate(members) if missing[0] >> i & 1)
        raise AllocationError(
            f'method "{rule.method}": the cost of coalition {{{names}}} is missing '
            f"({len(missing)} of the {len(masks)} coalitions it needs are missing)"
        )
    full = (1 << n) - 1
    if table[full] != amount:
        raise AllocationError(
            f"the amount {amount:,} differs from the cost of all members together, {_num(table[full])}"
        )
    cost = [Fraction(0)] * (1 << n)
    for mask, value in table.items():
        cost[mask] = value
    return cost


def _game_error(err: GameError, members: Sequence[Member]) -> AllocationError:
    return AllocationError(str(err), member=members[err.member] if err.member is not None else None)


def scrb_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """SCRB (分離費用身替り妥当支出法): each member's separable cost plus a part of the non-separable cost in
    proportion to its remaining benefit. Reads c({i}), c(N without i) and c(N) only."""
    n = len(members)
    full = (1 << n) - 1
    needed = sorted(({1 << i for i in range(n)} | {full & ~(1 << i) for i in range(n)} | {full}) - {0})
    cost = _full_game(amount, members, rule, needed)
    try:
        shares, separable, remaining = games.scrb(n, cost)
    except GameError as err:
        raise _game_error(err, members) from None
    non_separable = amount - sum(separable, Fraction(0))
    total_remaining = sum(remaining, Fraction(0))
    ratios, reasons = {}, {}
    for i, m in enumerate(members):
        if shares[i] < 0:
            raise AllocationError(f"its SCRB share {_num(shares[i])} is negative", member=m)
        ratios[m.code] = shares[i] / amount if amount else Fraction(1, n)
        reasons[m.code] = (
            f"SCRB: 分離費用 {_num(separable[i])}（全体 {amount:,} − 当団体を除く費用）"
            f" + 非分離費用 {_num(non_separable)} × 残余便益 {_num(remaining[i])}"
            f"（単独費用 {_num(cost[1 << i])} − 分離費用）÷ 合計 {_num(total_remaining)}"
            f" {_eq(shares[i])}",
            f"SCRB: separable cost {_num(separable[i])} (all {amount:,} less the cost without it)"
            f" + non-separable {_num(non_separable)} × remaining benefit {_num(remaining[i])}"
            f" (alone {_num(cost[1 << i])} less separable) / total {_num(total_remaining)}"
            f" {_eq(shares[i])}",
        )
    return Ratios(ratios, reasons)


@functools.lru_cache(maxsize=256)
def _nucleolus(n: int, cost: tuple[Fraction, ...]) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    # Cached: a year's items often share one game, and ten members take a few linear programmes.
    shares, levels = games.nucleolus(n, cost)
    return tuple(shares), tuple(levels)


def nucleolus_ratios(amount: int, members: Sequence[Member], rule: Rule) -> Ratios:
    """The nucleolus: the split that makes the smallest saving of any group (c(S) − its shares) as large as
    possible, then the next smallest, and so on; in the core whenever the core is not empty."""
    n = len(members)
    if n > MAX_NUCLEOLUS_MEMBERS:
        raise AllocationError(f"the nucleolus is limited to {MAX_NUCLEOLUS_MEMBERS} members, not {n}")
    cost = _full_game(amount, members, rule, range(1, 1 << n))
    try:
        shares, levels = _nucleolus(n, tuple(cost))
    except GameError as err:
        raise _game_error(err, members) from None
    saving_ja = "、".join(_num(v) for v in levels) or "—"
    ratios, reasons = {}, {}
    for i, m in enumerate(members):
        if shares[i] < 0:
            raise AllocationError(f"its nucleolus share {_num(shares[i])} is negative", member=m)
        ratios[m.code] = shares[i] / amount if amount else Fraction(1, n)
        reasons[m.code] = (
            f"仁（nucleolus） {_eq(shares[i])}（単独費用 {_num(cost[1 << i])}、全団体の費用 {amount:,}、"
            f"最小の提携節減額 {saving_ja}）",
            f"nucleolus {_eq(shares[i])} (alone {_num(cost[1 << i])}, all members {amount:,}, "
            f"smallest group savings {saving_ja})",
        )
    return Ratios(ratios, reasons)


_METHODS: dict[str, Callable[[int, Sequence[Member], Rule], Ratios]] = {
    "equal": equal_ratios,
    "proportional": proportional_ratios,
    "equal_savings_rate": equal_savings_rate_ratios,
    "mixed": mixed_ratios,
    "fixed": fixed_ratios,
    "equal_savings": equal_savings_ratios,
    "shapley": shapley_ratios,
    "power": power_ratios,
    "scrb": scrb_ratios,
    "nucleolus": nucleolus_ratios,
}


# --- rounding to whole units ------------------------------------------------------------------------------


def apportion(
    amount: int,
    quotas: Mapping[str, Fraction],
    *,
    unit: int = 1,
    remainder: str = LARGEST,
    tiebreak: Mapping[str, Fraction] | None = None,
) -> tuple[dict[str, int], int]:
    """Split the whole units of `amount` by exact `quotas` (summing to it); returns (shares, amount cut off).

    Every member first gets its quota cut to the unit; the units left go one each to the largest remainders
    (ties: larger `tiebreak`, then smaller code), or all to the member named by `remainder`.
    """
    if sum(quotas.values()) != amount:
        raise ValueError("the quotas must sum to the amount")
    units = amount // unit
    floors = {code: math.floor(q / unit) for code, q in quotas.items()}
    left = units - sum(floors.values())
    if remainder == LARGEST:
        order = tiebreak or quotas
        ranked = sorted(floors, key=lambda c: (floors[c] - quotas[c] / unit, -order[c], c))
        for code in ranked[:left]:
            floors[code] += 1
    else:
        floors[remainder] += left
    return {code: f * unit for code, f in floors.items()}, amount - units * unit


def fix_ratios(ratios: Mapping[str, Fraction], places: int) -> dict[str, Decimal]:
    """Ratios rounded to `places` decimals that still sum exactly to 1 (largest remainder)."""
    scale = 10**places
    units, _ = apportion(scale, {c: r * scale for c, r in ratios.items()}, tiebreak=ratios)
    return {code: Decimal(u).scaleb(-places) for code, u in units.items()}


# --- allocation -------------------------------------------------------------------------------------------


def _check(item: Item, members: Sequence[Member]) -> None:
    if not members:
        raise AllocationError("there are no members")
    seen: set[str] = set()
    for member in members:
        if not member.code:
            raise AllocationError(f'member "{member.name}" has no code')
        if member.code in seen:
            raise AllocationError("is listed twice", member=member)
        seen.add(member.code)
    rule = item.rule
    if isinstance(item.amount, bool) or not isinstance(item.amount, int):
        raise AllocationError(f"the amount {item.amount} must be a whole number")
    if item.amount < 0:
        raise AllocationError(f"the amount {item.amount:,} is negative")
    if rule.method not in _METHODS:
        raise AllocationError(f'unknown method "{rule.method}" (use one of {", ".join(METHODS)})')
    if isinstance(rule.unit, bool) or not isinstance(rule.unit, int) or rule.unit < 1:
        raise AllocationError(f"the unit {rule.unit} must be a whole number >= 1")
    if rule.ratio_precision is not None and not 0 <= rule.ratio_precision <= MAX_RATIO_PRECISION:
        raise AllocationError(
            f"ratio_precision {rule.ratio_precision} must be between 0 and {MAX_RATIO_PRECISION}"
        )
    if rule.remainder != LARGEST and rule.remainder not in seen:
        raise AllocationError("takes the remainder but is not among the members", member=rule.remainder)


def _rounding_text(quota: Fraction, share: int, unit: int, remainder: str) -> tuple[str, str]:
    base = math.floor(quota / unit) * unit
    extra = share - base
    cut_ja, cut_en = (
        ("小数点以下切り捨て", "fraction dropped")
        if unit == 1
        else (f"{unit:,}未満切り捨て", f"cut below {unit:,}")
    )
    if extra == 0:
        if base == quota:
            return f"端数なし → {share:,}", f"no rounding → {share:,}"
        return f"{cut_ja} → {share:,}", f"{cut_en} → {share:,}"
    if remainder == LARGEST:
        return (
            f"{cut_ja} {base:,}、最大剰余法で +{extra:,} → {share:,}",
            f"{cut_en} to {base:,}, +{extra:,} by largest remainder → {share:,}",
        )
    return (
        f"{cut_ja} {base:,}、残余 +{extra:,} を負担 → {share:,}",
        f"{cut_en} to {base:,}, takes the remaining {extra:,} → {share:,}",
    )


def _explain(
    item: Item, member: Member, ratios: Ratios, shown: Decimal, quota: Fraction, share: int
) -> tuple[str, str]:
    rule = item.rule
    ja, en = ratios.reasons[member.code]
    if item.conversion is not None:
        conv_ja, conv_en = conversion_text(item.conversion, item.amount)
        ja, en = f"{conv_ja}; {ja}", f"{conv_en}; {en}"
    if rule.ratio_precision is not None:
        places = rule.ratio_precision
        ja += f"; 按分率 {shown}（小数第{places}位で確定）; {item.amount:,} × {shown} {_eq(quota)}"
        en += f"; ratio {shown} (fixed at {places} places); {item.amount:,} × {shown} {_eq(quota)}"
    else:
        ratio = _num(ratios.values[member.code])
        ja += f"; 按分率 {ratio}; {item.amount:,} × 按分率 {_eq(quota)}"
        en += f"; ratio {ratio}; {item.amount:,} × ratio {_eq(quota)}"
    round_ja, round_en = _rounding_text(quota, share, rule.unit, rule.remainder)
    ja += f"; {round_ja}"
    en += f"; {round_en}"
    basis = rule.basis or SAVINGS_BASIS
    if rule.method in ("equal_savings_rate", "equal_savings") and member.basis(basis) > 0:
        alone = Fraction(member.basis(basis))
        rate = percent((alone - share) / alone)
        ja += f"; 削減額 {_num(alone - share)}（削減率 {rate}%）"
        en += f"; saving {_num(alone - share)} ({rate}%)"
    return ja, en


def allocate_item(item: Item, members: Sequence[Member]) -> ItemResult:
    """Split one item among the members by its rule; raises AllocationError naming the item (and member)."""
    try:
        return _allocate_item(item, members)
    except AllocationError as err:
        if err.item is None:
            err.item = item.name
        raise


def _allocate_item(item: Item, members: Sequence[Member]) -> ItemResult:
    _check(item, members)
    rule = item.rule
    ordered = sorted(members, key=lambda m: m.code)
    ratios = _METHODS[rule.method](item.amount, ordered, rule)
    if rule.ratio_precision is not None:
        shown = fix_ratios(ratios.values, rule.ratio_precision)
        quotas = {code: item.amount * Fraction(r) for code, r in shown.items()}
    else:
        shown = fix_ratios(ratios.values, DISPLAY_PLACES)
        quotas = {code: item.amount * r for code, r in ratios.values.items()}
    amounts, cut_off = apportion(
        item.amount, quotas, unit=rule.unit, remainder=rule.remainder, tiebreak=ratios.values
    )
    shares = []
    for m in ordered:
        ja, en = _explain(item, m, ratios, shown[m.code], quotas[m.code], amounts[m.code])
        shares.append(Share(m.code, m.name, amounts[m.code], shown[m.code], quotas[m.code], ja, en))
    return ItemResult(item.name, item.amount, rule, tuple(shares), cut_off, item.conversion)


def allocate(items: Sequence[Item], members: Sequence[Member]) -> Allocation:
    """Split every item among the members; the result does not depend on the order of the members."""
    results = tuple(allocate_item(item, members) for item in items)
    return Allocation(tuple(sorted(members, key=lambda m: m.code)), results)
