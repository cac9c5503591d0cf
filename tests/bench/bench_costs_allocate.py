"""Benchmark: allocate 13 years x 200 items among 10 members, every method in the mix.

Run as ``python tests/bench/bench_costs_allocate.py [--runs N]``; prints the median time of N runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import time
from decimal import Decimal

from modules.costs import allocation
from modules.costs.allocation import Item, Member, Part, Rule, allocate
from modules.costs.cli import allocation_as_dict

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
    median = statistics.median(compute)
    print(
        f"costs allocate: {YEARS} years x {MEMBERS} members x {ITEMS} items = {YEARS * ITEMS} items, {shares} shares"
    )
    print(
        f"  compute: median {median:.3f} s over {args.runs} runs ({median / (YEARS * ITEMS) * 1e3:.3f} ms per item)"
    )
    print(f"  + JSON output: median {statistics.median(output):.3f} s")


if __name__ == "__main__":
    main()
