"""The JSON input of an allocation (members, items, rules), read with marshmallow into the engine's objects.

The schema checks shapes and ranges; the engine checks what depends on several fields (a basis every member
has, weights summing to 1, coalitions complete). Both report errors naming the item and the member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from modules.costs.allocation import (
    LARGEST,
    MAX_RATIO_PRECISION,
    METHOD_FIELDS,
    METHODS,
    PART_METHODS,
    PERIODS,
    ROUNDINGS,
    AllocationError,
    Item,
    Member,
    Part,
    Rule,
    convert,
)

_RULE_FIELDS = ("basis", "exponent", "ratios", "parts", "coalitions", "period")


class InputError(AllocationError):
    """The input does not have the documented shape; `problems` holds one line per error."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _check_method_fields(data: Mapping[str, Any]) -> None:
    method = data.get("method")
    if method not in METHOD_FIELDS:
        return
    for name in _RULE_FIELDS:
        if data.get(name) not in (None, (), []) and name not in METHOD_FIELDS[method]:
            raise ValidationError(f'"{name}" is not used by method "{method}"', name)


class CoalitionSchema(Schema):
    class Meta:
        unknown = RAISE

    members = fields.List(fields.String(validate=validate.Length(min=1)), required=True)
    cost = fields.Decimal(required=True, validate=validate.Range(min=0))

    @validates("members")
    def _members(self, value: list[str], data_key: str) -> None:
        if not value:
            raise ValidationError("a coalition needs at least one member")
        if len(set(value)) != len(value):
            raise ValidationError("a member is listed twice in the coalition")


class PartSchema(Schema):
    class Meta:
        unknown = RAISE

    weight = fields.Decimal(required=True, validate=validate.Range(min=0, max=1))
    method = fields.String(required=True, validate=validate.OneOf(PART_METHODS))
    basis = fields.String(load_default=None)
    exponent = fields.Decimal(load_default=None)
    ratios = fields.Dict(keys=fields.String(), values=fields.Decimal(), load_default=None)
    period = fields.String(load_default=None, validate=validate.OneOf(PERIODS))

    @validates_schema
    def _fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_method_fields(data)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Part:
        weight = data.pop("weight")
        return Part(weight=weight, rule=Rule(**data))


class RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    basis = fields.String(load_default=None)
    exponent = fields.Decimal(load_default=None)
    ratios = fields.Dict(keys=fields.String(), values=fields.Decimal(), load_default=None)
    parts = fields.List(fields.Nested(PartSchema), load_default=None)
    coalitions = fields.List(fields.Nested(CoalitionSchema), load_default=None)
    ratio_precision = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=0, max=MAX_RATIO_PRECISION)
    )
    unit = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1))
    remainder = fields.String(load_default=LARGEST, validate=validate.Length(min=1))
    period = fields.String(load_default=None, validate=validate.OneOf(PERIODS))

    @validates_schema
    def _fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_method_fields(data)
        seen: set[frozenset[str]] = set()
        for index, coalition in enumerate(data.get("coalitions") or ()):
            key = frozenset(coalition["members"])
            if key in seen:
                raise ValidationError({index: ["this coalition is given twice"]}, "coalitions")
            seen.add(key)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Rule:
        data["parts"] = tuple(data["parts"] or ())
        if data["coalitions"] is not None:
            data["coalitions"] = {frozenset(c["members"]): c["cost"] for c in data["coalitions"]}
        return Rule(**data)


class MemberSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(load_default="")
    bases = fields.Dict(
        keys=fields.String(), values=fields.Decimal(validate=validate.Range(min=0)), load_default=dict
    )

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Member:
        return Member(**data)


_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="a currency is three capital letters (ISO 4217), e.g. USD")


class ItemSchema(Schema):
    """An item; with ``currency`` its amount is in that currency (decimals allowed) and is converted to yen at
    its ``rate`` (the rate actually paid) or else the input's ``rates`` (the scenario's rate)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1))
    amount = fields.Decimal(required=True, validate=validate.Range(min=0))
    rule = fields.Nested(RuleSchema, required=True)
    currency = fields.String(load_default=None, validate=_CURRENCY)
    rate = fields.Decimal(load_default=None)
    rounding = fields.String(load_default="down", validate=validate.OneOf(sorted(ROUNDINGS)))
    coalitions = fields.List(fields.Nested(CoalitionSchema), load_default=None)

    @validates_schema
    def _whole(self, data: dict[str, Any], **kwargs: Any) -> None:
        amount = data.get("amount")
        if data.get("currency") in (None, "JPY"):
            if amount is not None and amount != amount.to_integral_value():
                raise ValidationError(
                    "the amount must be a whole number (of yen, or of the unit used)", "amount"
                )
            if data.get("rate") is not None:
                raise ValidationError("a rate is only used with a foreign currency", "rate")
        _unique_coalitions(data.get("coalitions"))

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Made into an Item by the input schema, which knows the scenario's rates.
        if data["coalitions"] is not None:
            data["coalitions"] = {frozenset(c["members"]): c["cost"] for c in data["coalitions"]}
        return data


def _unique_coalitions(coalitions: Any) -> None:
    seen: set[frozenset[str]] = set()
    for index, coalition in enumerate(coalitions or ()):
        key = frozenset(coalition["members"])
        if key in seen:
            raise ValidationError({index: ["this coalition is given twice"]}, "coalitions")
        seen.add(key)


class AllocationInputSchema(Schema):
    class Meta:
        unknown = RAISE

    members = fields.List(fields.Nested(MemberSchema), required=True, validate=validate.Length(min=1))
    items = fields.List(fields.Nested(ItemSchema), required=True)
    # Yen per unit of each foreign currency the items use (the scenario's planning rate).
    rates = fields.Dict(keys=fields.String(validate=_CURRENCY), values=fields.Decimal(), load_default=dict)
    # Other rates to show every member's total under, e.g. {"USD": ["139", "150", "160"]}.
    rate_scenarios = fields.Dict(
        keys=fields.String(validate=_CURRENCY),
        values=fields.List(fields.Decimal(), validate=validate.Length(min=1)),
        load_default=dict,
    )
    # Costs of sub-groups for the members' totals (the fairness check of the whole).
    coalitions = fields.List(fields.Nested(CoalitionSchema), load_default=None)

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: set[str] = set()
        for index, member in enumerate(data.get("members") or ()):
            if member.code in seen:
                raise ValidationError({index: [f"the code {member.code} is listed twice"]}, "members")
            seen.add(member.code)
        _unique_coalitions(data.get("coalitions"))


@dataclass(frozen=True)
class AllocationInput:
    members: list[Member]
    items: list[Item]
    rates: dict[str, Decimal]
    rate_scenarios: dict[str, list[Decimal]]
    coalitions: dict[frozenset[str], Decimal] | None
    raw_items: list[dict[str, Any]]

    def with_rates(self, rates: Mapping[str, Decimal]) -> list[Item]:
        """The items again, foreign amounts converted at `rates` (a rate actually paid is kept)."""
        return [_item(raw, {**self.rates, **rates}) for raw in self.raw_items]


def _item(raw: dict[str, Any], rates: Mapping[str, Decimal]) -> Item:
    currency = raw["currency"]
    if currency in (None, "JPY"):
        return Item(raw["name"], int(raw["amount"]), raw["rule"], coalitions=raw["coalitions"])
    paid = raw["rate"] is not None
    yen, conversion = convert(
        raw["name"],
        currency,
        raw["amount"],
        raw["rate"] if paid else rates.get(currency),
        source="paid" if paid else "scenario",
        rounding=raw["rounding"],
    )
    return Item(raw["name"], yen, raw["rule"], coalitions=raw["coalitions"], conversion=conversion)


def _label(raw: Any, path: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """'item "運用費"' or 'member 222071 (富士宮市)' for the head of an error path, and the rest of it."""
    if len(path) >= 2 and path[0] in ("items", "members") and isinstance(path[1], int):
        entries = raw.get(path[0]) if isinstance(raw, Mapping) else None
        entry = entries[path[1]] if isinstance(entries, list) and path[1] < len(entries) else None
        entry = entry if isinstance(entry, Mapping) else {}
        if path[0] == "items":
            name = entry.get("name")
            # The engine's errors name an item the same way: by its name, or by position if it has none.
            label = f'item "{name}"' if isinstance(name, str) and name else f"item {path[1] + 1}"
            return label, path[2:]
        code, name = entry.get("code"), entry.get("name")
        label = f"member {code}" if isinstance(code, str) and code else f"member {path[1] + 1}"
        return label + (f" ({name})" if isinstance(name, str) and name else ""), path[2:]
    return "input", path


def _field_path(path: tuple[Any, ...]) -> str:
    text = ""
    for index, step in enumerate(path):
        if isinstance(step, int):
            text += f"[{step}]"
        elif step == "_schema" or (step in ("key", "value") and index == len(path) - 1 and index > 0):
            continue
        elif index > 0 and path[index - 1] in ("ratios", "bases"):
            # The keys of these maps are member codes and basis names: show them as such.
            text += f'["{step}"]'
        else:
            text += f".{step}" if text else str(step)
    return text


def describe_errors(messages: Any, raw: Any) -> list[str]:
    """marshmallow's nested errors as lines naming the item and member, e.g.
    'item "運用費": rule.parts[0].method: Must be one of: equal, proportional, ...'"""
    lines: list[str] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for value in node:
                walk(value, path)
        else:
            label, rest = _label(raw, path)
            where = _field_path(rest)
            lines.append(f"{label}: {where}: {node}" if where else f"{label}: {node}")

    walk(messages, ())
    return lines


def load_input(data: Any) -> tuple[list[Member], list[Item]]:
    """Members and items from the parsed JSON input; raises InputError with one line per problem."""
    loaded = load_full_input(data)
    return loaded.members, loaded.items


def load_full_input(data: Any) -> AllocationInput:
    """The whole input (rates, rate scenarios, sub-group costs); InputError or AllocationError naming the item."""
    try:
        loaded = AllocationInputSchema().load(data)
    except ValidationError as err:
        raise InputError(describe_errors(err.messages, data)) from None
    for currency, rate in loaded["rates"].items():
        if rate <= 0:
            raise InputError([f"input: rates.{currency}: the exchange rate {rate} must be more than zero"])
    for currency, rates in loaded["rate_scenarios"].items():
        for rate in rates:
            if rate <= 0:
                raise InputError(
                    [f"input: rate_scenarios.{currency}: the exchange rate {rate} must be more than zero"]
                )
    coalitions = (
        {frozenset(c["members"]): c["cost"] for c in loaded["coalitions"]} if loaded["coalitions"] else None
    )
    raw = loaded["items"]
    return AllocationInput(
        members=loaded["members"],
        items=[_item(r, loaded["rates"]) for r in raw],
        rates=loaded["rates"],
        rate_scenarios=loaded["rate_scenarios"],
        coalitions=coalitions,
        raw_items=raw,
    )
