"""The cost figures of the two seed documents, as plain data, and the functions that build engine objects.

All amounts are in millions of yen (百万円), as printed. The figures are the inputs only: what the documents
derive from them (the split 3,876 / 2,912, the totals, the rates) is left for the engine to compute, and the
tests check that it comes out as printed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modules.costs.allocation import Item, Member, Rule, allocate_item
from modules.costs.scenarios import Alternative, Line, Scenario

UNIT = "百万円"

# Seed 004, 基本計画(H23) 2.10 コスト試算 and 2.11 費用按分の考え方. The plan gives ten-year totals only
# (運用10年間の総コスト), not a year-by-year series, so the scenario has a single period.
FUJI: dict[str, Any] = {
    "source": "004 富士市・富士宮市 基本計画(H23) 2.10–2.11",
    "members": [
        {"code": "222101", "name": "富士市"},
        {"code": "222071", "name": "富士宮市"},
    ],
    "period": "運用10年間",
    # 按分対象: the cost the two cities share; each city's figure if it built alone, and the joint total.
    "shared": {
        "item": "按分対象（共同構築・運用10年間）",
        "standalone": {"222101": 4824, "222071": 3620},
        "joint": 6788,
        # The cities fixed the ratio at 0.1% (57.1% / 42.9%) before applying it.
        "ratio_precision": 3,
    },
    # 各市個別: each city's own costs, outside the split.
    "own": {
        "alone": {"222101": 2660, "222071": 1885},
        "joint": {"222101": 2631, "222071": 1848},
    },
    # 継続利用: carrying on with the current systems (2.10, per city).
    "continue": {"222101": 8255, "222071": 6304},
}

# Seed 000, 旭川市 最適化計画(経費比較1・2): fiscal H28–H40. The optimised plan is given as its two
# components; the plan's own total row (実施経費) is their sum.
ASAHIKAWA: dict[str, Any] = {
    "source": "000 旭川市 最適化計画（経費比較1・2）",
    "member": {"code": "012041", "name": "旭川市"},
    # Labels as printed: the plan predates 令和, so H31 and later are its names for FY2019-2028.
    "periods": ["H28", "H29", "H30", "H31", "H32", "H33", "H34", "H35", "H36", "H37", "H38", "H39", "H40"],
    "fiscal_years": list(range(2016, 2029)),
    "continue": [543, 589, 617, 663, 662, 656, 662, 670, 659, 646, 591, 620, 662],
    "optimise": {
        "現行システム経費": [543, 589, 617, 663, 662, 599, 605, 0, 0, 0, 0, 0, 0],
        "最適対応経費": [0, 0, 10, 362, 375, 918, 1000, 317, 350, 492, 404, 531, 404],
    },
}


def fuji_members() -> list[Member]:
    shared = FUJI["shared"]["standalone"]
    return [Member(m["code"], m["name"], {"standalone": Decimal(shared[m["code"]])}) for m in FUJI["members"]]


def fuji_split_item() -> Item:
    """The joint cost split so that both cities save the same rate, the ratio fixed at 0.1%."""
    shared = FUJI["shared"]
    rule = Rule("equal_savings_rate", basis="standalone", ratio_precision=shared["ratio_precision"])
    return Item(shared["item"], shared["joint"], rule)


def fuji_scenario() -> Scenario:
    """継続利用 / 各市単独構築 / 両市共同構築 over ten years, the joint shares computed by the engine."""
    split = allocate_item(fuji_split_item(), fuji_members())
    shared, own = FUJI["shared"], FUJI["own"]

    def one(value: int | Decimal) -> tuple[Decimal]:
        return (Decimal(value),)

    codes = [m["code"] for m in FUJI["members"]]
    return Scenario(
        name="富士市・富士宮市 共同化 コスト試算（運用10年間）",
        unit=UNIT,
        periods=(FUJI["period"],),
        alternatives=(
            Alternative(
                "continue", "継続利用", tuple(Line("継続利用", one(FUJI["continue"][c]), c) for c in codes)
            ),
            Alternative(
                "alone",
                "各市単独構築",
                tuple(Line("按分対象", one(shared["standalone"][c]), c) for c in codes)
                + tuple(Line("各市個別", one(own["alone"][c]), c) for c in codes),
            ),
            Alternative(
                "joint",
                "両市共同構築",
                tuple(Line("按分対象", one(split.share(c).amount), c) for c in codes)
                + tuple(Line("各市個別", one(own["joint"][c]), c) for c in codes),
            ),
        ),
        baseline="continue",
        members={m["code"]: m["name"] for m in FUJI["members"]},
    )


def asahikawa_scenario() -> Scenario:
    """現行方式継続 against 最適化実施, fiscal H28–H40."""
    code = ASAHIKAWA["member"]["code"]

    def series(values: list[int]) -> tuple[Decimal, ...]:
        return tuple(Decimal(v) for v in values)

    return Scenario(
        name="旭川市 業務システム最適化計画 経費比較（H28–H40）",
        unit=UNIT,
        periods=tuple(ASAHIKAWA["periods"]),
        alternatives=(
            Alternative(
                "continue", "現行方式継続", (Line("現行方式継続", series(ASAHIKAWA["continue"]), code),)
            ),
            Alternative(
                "optimise",
                "最適化実施",
                tuple(Line(label, series(values), code) for label, values in ASAHIKAWA["optimise"].items()),
            ),
        ),
        baseline="continue",
        members={code: ASAHIKAWA["member"]["name"]},
    )
