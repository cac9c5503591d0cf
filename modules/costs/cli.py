"""`kyodo costs ...`: cost allocation from the command line, with no database (for automation).

A plain click group so that it runs without Flask; the application attaches it with
``cli.add_command(costs)``.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from decimal import Decimal
from typing import Any

import click

from modules.costs import fairness
from modules.costs.allocation import Allocation, AllocationError, Conversion, allocate, decimal_string
from modules.costs.fairness import FairnessReport
from modules.costs.input_schema import AllocationInput, load_full_input

INPUT_ERROR_EXIT = 2
UNFAIR_EXIT = 3


class BadInput(click.ClickException):
    exit_code = INPUT_ERROR_EXIT

    def show(self, file: Any = None) -> None:
        for line in self.message.splitlines():
            click.echo(f"error: {line}", err=True)


def _conversion(conv: Conversion | None) -> dict[str, Any] | None:
    if conv is None:
        return None
    return {
        "currency": conv.currency,
        "amount": str(conv.foreign_amount),
        "rate": str(conv.rate),
        "rate_source": conv.rate_source,
        "rounding": conv.rounding,
        "exact_yen": decimal_string(conv.exact),
    }


def fairness_as_dict(report: FairnessReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "checked_items": report.checked_items,
        "checked_totals": report.checked_totals,
        "violations": [
            {
                "kind": v.kind,
                "item": v.item,
                "members": list(v.members),
                "paid": v.paid,
                "cost": decimal_string(v.cost),
                "excess": decimal_string(v.excess),
                "rounding_only": v.rounding_only,
                "explanation": {"ja": v.text_ja, "en": v.text_en},
            }
            for v in report.violations
        ],
    }


def rate_scenarios(loaded: AllocationInput) -> list[dict[str, Any]]:
    """Every member's total with each scenario rate in turn (the other currencies at their given rate)."""
    result = []
    for currency, rates in loaded.rate_scenarios.items():
        for rate in rates:
            allocation = allocate(loaded.with_rates({currency: rate}), loaded.members)
            names = {m.code: m.name for m in allocation.members}
            result.append(
                {
                    "currency": currency,
                    "rate": str(rate),
                    "members": [
                        {"code": code, "name": names[code], "total": total}
                        for code, total in allocation.member_totals().items()
                    ],
                    "total": allocation.total,
                }
            )
    return result


def allocation_as_dict(allocation: Allocation) -> dict[str, Any]:
    """The result as JSON-ready data: amounts as int, ratios and quotas as decimal strings."""
    names = {m.code: m.name for m in allocation.members}
    return {
        "items": [
            {
                "name": item.name,
                "method": item.rule.method,
                "amount": item.amount,
                "unit": item.rule.unit,
                "remainder": item.rule.remainder,
                "ratio_precision": item.rule.ratio_precision,
                "shares": [
                    {
                        "code": share.code,
                        "name": share.name,
                        "amount": share.amount,
                        "ratio": str(share.ratio),
                        "quota": decimal_string(share.quota),
                        "explanation": {"ja": share.explanation_ja, "en": share.explanation_en},
                    }
                    for share in item.shares
                ],
                "total": item.total,
                "cut_off": item.cut_off,
                **({"conversion": _conversion(item.conversion)} if item.conversion else {}),
            }
            for item in allocation.items
        ],
        "members": [
            {"code": code, "name": names[code], "total": total}
            for code, total in allocation.member_totals().items()
        ],
        "total": allocation.total,
        "cut_off": allocation.cut_off,
    }


CSV_COLUMNS = (
    "row",
    "item",
    "code",
    "name",
    "amount",
    "ratio",
    "quota",
    "cut_off",
    "explanation_ja",
    "explanation_en",
)


def allocation_as_csv(
    allocation: Allocation,
    report: FairnessReport | None = None,
    scenarios: list[dict[str, Any]] | None = None,
) -> str:
    """One row per share, then one per item total, per member total and the grand total; then one per
    fairness violation and per member under each exchange-rate scenario, if any."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in allocation.items:
        for s in item.shares:
            writer.writerow(
                ("share", item.name, s.code, s.name, s.amount, s.ratio, decimal_string(s.quota), "",
                 s.explanation_ja, s.explanation_en)
            )  # fmt: skip
        writer.writerow(("item_total", item.name, "", "", item.total, "", "", item.cut_off, "", ""))
    names = {m.code: m.name for m in allocation.members}
    for code, total in allocation.member_totals().items():
        writer.writerow(("member_total", "", code, names[code], total, "", "", "", "", ""))
    writer.writerow(("total", "", "", "", allocation.total, "", "", allocation.cut_off, "", ""))
    for v in report.violations if report else ():
        writer.writerow(
            ("violation", v.item or "", "+".join(v.members), v.kind, v.paid, "", decimal_string(v.cost),
             "", v.text_ja, v.text_en)
        )  # fmt: skip
    for scenario in scenarios or ():
        label = f"{scenario['currency']}={scenario['rate']}"
        for m in scenario["members"]:
            writer.writerow(("rate_scenario", label, m["code"], m["name"], m["total"], "", "", "", "", ""))
    return out.getvalue()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def read_input(path: str) -> Any:
    """The parsed JSON of `path` ('-' for standard input); numbers with a point become Decimal, not float."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except OSError as err:
        raise BadInput(f"{path}: cannot read: {err.strerror}") from None
    try:
        # A byte-order mark is common in files saved by Windows editors; it is still UTF-8.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadInput(
            f"{path}: not UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "save the file as UTF-8 (Shift_JIS and other encodings are not read)"
        ) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        raise BadInput(f"{path}: not valid JSON: {err.msg} at {where}") from None
    except ValueError as err:
        raise BadInput(f"{path}: not valid JSON: {err}") from None


@click.group("costs", help="費用按分: split joint costs among the member cities.")
def costs() -> None:
    pass


@costs.command("allocate")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="JSON file of members and items (UTF-8); '-' reads standard input.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"Exit with status {UNFAIR_EXIT} when the fairness check finds a member or group paying more than its cost.",
)
def allocate_command(input_path: str, output_format: str, strict: bool) -> None:
    """Split each item among the members by its rule and print every share with its reason, the fairness
    check (stand-alone costs, the core) and the totals under each exchange-rate scenario."""
    data = read_input(input_path)
    try:
        loaded = load_full_input(data)
        result = allocate(loaded.items, loaded.members)
        report = fairness.check(result, loaded.items, coalitions=loaded.coalitions)
        scenarios = rate_scenarios(loaded)
    except AllocationError as err:
        raise BadInput(str(err)) from None
    if output_format == "csv":
        click.echo(allocation_as_csv(result, report, scenarios), nl=False)
    else:
        body = allocation_as_dict(result)
        body["fairness"] = fairness_as_dict(report)
        if scenarios:
            body["rate_scenarios"] = scenarios
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    for v in report.violations:
        click.echo(f"warning: {v.text_en}", err=True)
    if strict and not report.ok:
        sys.exit(UNFAIR_EXIT)


def _attach_usage() -> None:
    # The collection needs the application (a database); attached here so that `kyodo costs` holds both.
    from modules.costs.usage_cli import collect_usage_command

    costs.add_command(collect_usage_command)


_attach_usage()
