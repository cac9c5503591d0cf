"""Benchmark: allocate 13 years x 200 items among 10 members, every method in the mix.

Run as ``python tests/bench/bench_costs_allocate.py [--runs N]``; prints the median time of N runs: first
today's allocation, then in the same run the same data with what issue 16 adds: usage bases (usage rules
read the counts the platform measured, 前年度実績), every item checked against the year's costs of all
1,023 sub-groups (stand-alone and the core) and each member's total against its stand-alone cost, and the
game items split by SCRB and the nucleolus beside the Shapley value.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import time
from dataclasses import replace
from decimal import Decimal

from modules.costs import allocation, fairness
from modules.costs.allocation import Item, Member, Part, Rule, allocate
from modules.costs.cli import allocation_as_dict, fairness_as_dict

YEARS = 13
MEMBERS = 10
ITEMS = 200


def members_for(year: int, rng: random.Random) -> list[Member]:
    result = []
    for i in range(MEMBERS):
        population = 20_000 + 30_000 * i + rng.randint(-2_000, 2_000) - 150 * year
        result.append(
            Member(
                f"22{i:03d}{i % 10}",
                f"団体{i}",
                {
                    "population": Decimal(population),
                    "households": Decimal(population * 10 // 23),
                    "usage": Decimal(rng.randint(1_000, 90_000)),
                    "standalone": Decimal(rng.randint(300, 5_000) * 1_000_000),
                },
            )
        )
    return result


def rules(ms: list[Member], rng: random.Random) -> list[Rule]:
    codes = [m.code for m in ms]
    standalone = {m.code: m.bases["standalone"] for m in ms}
    # Coalitions cost less than their members alone: 15% less, plus a little noise.
    coalitions = {}
    for size in range(1, MEMBERS + 1):
        for group in itertools.combinations(codes, size):
            alone = sum(standalone[c] for c in group)
            coalitions[frozenset(group)] = (
                alone if size == 1 else alone * Decimal("0.85") - rng.randint(0, 9) * 1000
            )
    per_member = Decimal(1) / MEMBERS
    fixed = {c: per_member for c in codes}
    return [
        Rule("equal", unit=1000),
        Rule("proportional", basis="population"),
        Rule("proportional", basis="households", unit=1000),
        Rule("proportional", basis="usage", ratio_precision=4),
        Rule("equal_savings_rate", ratio_precision=3),
        Rule("mixed", parts=(Part(Decimal("0.2"), Rule("equal")), Part(Decimal("0.8"), Rule("proportional", basis="population")))),
        Rule("mixed", parts=(Part(Decimal("0.06"), Rule("equal")), Part(Decimal("0.94"), Rule("proportional", basis="usage"))), unit=1000),
        Rule("fixed", ratios=fixed, remainder=codes[0]),
        Rule("equal_savings"),
        Rule("shapley", coalitions=coalitions),
        Rule("power", basis="population", exponent=Decimal("0.7")),
        Rule("mixed", parts=(Part(Decimal("0.3"), Rule("equal")), Part(Decimal("0.7"), Rule("power", basis="population", exponent=Decimal("0.5")))), unit=1000),
    ]  # fmt: skip


def build(seed: int = 2025) -> list[tuple[list[Member], list[Item]]]:
    rng = random.Random(seed)
    years = []
    for year in range(YEARS):
        ms = members_for(year, rng)
        year_rules = rules(ms, rng)
        grand = next(r for r in year_rules if r.method == "shapley").coalitions[frozenset(m.code for m in ms)]
        total_alone = sum(m.bases["standalone"] for m in ms)
        items = []
        for i in range(ITEMS):
            rule = year_rules[i % len(year_rules)]
            if rule.method == "shapley":
                amount = int(grand)
            elif rule.method == "equal_savings":
                amount = int(total_alone * Decimal("0.9"))
            else:
                amount = rng.randint(100_000, 2_000_000_000)
            items.append(Item(f"{year + 2025}年度 項目{i + 1}", amount, rule))
        years.append((ms, items))
    return years


def with_fairness(data: list[tuple[list[Member], list[Item]]]) -> list[tuple[list[Member], list[Item]]]:
    """The same years, each item carrying the year's sub-group costs, usage rules on last year's counts and
    the game items split in turn by Shapley, SCRB and the nucleolus."""
    years = []
    previous_usage: dict[str, Decimal] | None = None
    for ms, items in data:
        # Economies of scale: a group costs f(its members' stand-alone costs) with f concave, so that the
        # core is not empty and SCRB applies (the base benchmark's game is nearly additive).
        alone = {m.code: int(m.bases["standalone"]) for m in ms}
        everyone = sum(alone.values())
        game = {}
        for size in range(1, MEMBERS + 1):
            for group in itertools.combinations(sorted(alone), size):
                a = sum(alone[c] for c in group)
                game[frozenset(group)] = Decimal(a if size == 1 else a - a * a // (4 * everyone))
        grand = int(game[frozenset(alone)])
        usage = previous_usage or {m.code: m.bases["usage"] for m in ms}
        members = [replace(m, bases={**m.bases, "usage": usage[m.code]}) for m in ms]
        previous_usage = {m.code: m.bases["usage"] for m in ms}
        game_methods = itertools.cycle(["shapley", "scrb", "nucleolus"])
        changed = []
        for item in items:
            rule = item.rule
            amount = item.amount
            if rule.method == "shapley":
                rule, amount = replace(rule, method=next(game_methods), coalitions=game), grand
            changed.append(replace(item, amount=amount, rule=rule, coalitions=game))
        years.append((members, changed))
    return years


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = build()
    compute, output = [], []
    for _ in range(args.runs):
        # Every run starts cold: the powers of the bases are cached across items.
        allocation._power.cache_clear()
        start = time.perf_counter()
        results = [allocate(items, ms) for ms, items in data]
        compute.append(time.perf_counter() - start)
        start = time.perf_counter()
        for result in results:
            json.dumps(allocation_as_dict(result), ensure_ascii=False)
        output.append(time.perf_counter() - start)
    shares = sum(len(item.shares) for result in results for item in result.items)
    richer = with_fairness(data)
    compute_fair, check_fair, output_fair = [], [], []
    violations = 0
    for _ in range(args.runs):
        allocation._power.cache_clear()
        allocation._nucleolus.cache_clear()
        start = time.perf_counter()
        fair_results = [allocate(items, ms) for ms, items in richer]
        compute_fair.append(time.perf_counter() - start)
        start = time.perf_counter()
        reports = [
            fairness.check(result, items, standalone_basis=True)
            for result, (_, items) in zip(fair_results, richer, strict=True)
        ]
        check_fair.append(time.perf_counter() - start)
        violations = sum(len(r.violations) for r in reports)
        start = time.perf_counter()
        for result, report in zip(fair_results, reports, strict=True):
            body = allocation_as_dict(result)
            body["fairness"] = fairness_as_dict(report)
            json.dumps(body, ensure_ascii=False)
        output_fair.append(time.perf_counter() - start)
    median = statistics.median(compute)
    print(
        f"costs allocate: {YEARS} years x {MEMBERS} members x {ITEMS} items = {YEARS * ITEMS} items, {shares} shares"
    )
    print(
        f"  compute: median {median:.3f} s over {args.runs} runs ({median / (YEARS * ITEMS) * 1e3:.3f} ms per item)"
    )
    print(f"  + JSON output: median {statistics.median(output):.3f} s")
    print(
        "with usage bases (last year's counts), SCRB/nucleolus items and the fairness check (1,023 groups):"
    )
    fair_median = statistics.median(compute_fair)
    check_median = statistics.median(check_fair)
    print(f"  compute: median {fair_median:.3f} s (nucleolus solved once per year, then cached)")
    print(
        f"  fairness check: median {check_median:.3f} s for {YEARS * ITEMS} items x 1,023 groups "
        f"+ totals ({violations} violations flagged)"
    )
    print(f"  + JSON output with the report: median {statistics.median(output_fair):.3f} s")
    print(f"  total against today's compute: {fair_median + check_median:.3f} s vs {median:.3f} s")


if __name__ == "__main__":
    main()
