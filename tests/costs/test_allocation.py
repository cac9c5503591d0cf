"""The allocation engine, method by method, with figures worked out by hand, and the 富士市/富士宮市 split."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from modules.costs.allocation import (
    AllocationError,
    Item,
    Member,
    Part,
    Rule,
    allocate,
    allocate_item,
    apportion,
    fix_ratios,
    percent,
)
from modules.costs.seed_data import FUJI, fuji_members, fuji_split_item

D = Decimal
FUJI_CODE, FUJINOMIYA_CODE = "222101", "222071"


def members(**bases: dict[str, int]) -> list[Member]:
    return [Member(code, f"市{code}", {k: D(v) for k, v in b.items()}) for code, b in bases.items()]


def shares(item: Item, ms: list[Member]) -> dict[str, int]:
    return {s.code: s.amount for s in allocate_item(item, ms).shares}


@pytest.fixture
def fuji() -> list[Member]:
    return [
        Member(FUJI_CODE, "富士市", {"population": D(254203), "standalone": D(4824)}),
        Member(FUJINOMIYA_CODE, "富士宮市", {"population": D(133641), "standalone": D(3620)}),
    ]


# --- the seed split ----------------------------------------------------------------------------------------


def test_fuji_split_at_ratio_fixed_to_a_tenth_of_a_percent():
    result = allocate_item(fuji_split_item(), fuji_members())
    assert {s.code: s.amount for s in result.shares} == {FUJI_CODE: 3876, FUJINOMIYA_CODE: 2912}
    assert {s.code: s.ratio for s in result.shares} == {FUJI_CODE: D("0.571"), FUJINOMIYA_CODE: D("0.429")}
    assert result.total == FUJI["shared"]["joint"] == 6788
    assert result.share(FUJI_CODE).quota == Fraction("3875.948")


def test_fuji_saving_rates():
    standalone = FUJI["shared"]["standalone"]
    joint = FUJI["shared"]["joint"]
    overall = Fraction(sum(standalone.values()) - joint, sum(standalone.values()))
    assert sum(standalone.values()) == 8444
    assert percent(overall, 1) == D("19.6")
    # The exact rule (no fixed precision) gives both cities the overall rate, as the plan intends.
    exact = allocate_item(Item("按分対象", joint, Rule("equal_savings_rate")), fuji_members())
    for share in exact.shares:
        assert percent(Fraction(standalone[share.code] - share.amount, standalone[share.code]), 1) == D(
            "19.6"
        )
    # With the ratio fixed at 57.1% / 42.9% the realised rates part slightly: 948 / 4,824 and 708 / 3,620.
    fixed = allocate_item(fuji_split_item(), fuji_members())
    realised = {s.code: Fraction(standalone[s.code] - s.amount, standalone[s.code]) for s in fixed.shares}
    assert percent(realised[FUJI_CODE], 2) == D("19.65")
    assert percent(realised[FUJINOMIYA_CODE], 2) == D("19.56")
    assert all(abs(rate - overall) < Fraction(1, 1000) for rate in realised.values())


def test_fuji_split_explanation_gives_the_figures():
    share = allocate_item(fuji_split_item(), fuji_members()).share(FUJI_CODE)
    for text in ("4,824", "8,444", "0.571", "小数第3位", "3,875.948", "最大剰余法", "3,876", "削減率 19.65%"):
        assert text in share.explanation_ja
    for text in ("4,824", "8,444", "0.571", "3 places", "3,875.948", "largest remainder", "3,876"):
        assert text in share.explanation_en


def test_issue_example_proportional_to_standalone(fuji):
    item = Item("共同構築費", 6788, Rule("proportional", basis="standalone", ratio_precision=3))
    assert shares(item, fuji) == {FUJI_CODE: 3876, FUJINOMIYA_CODE: 2912}


# --- each method -------------------------------------------------------------------------------------------


def test_equal_split_ties_go_by_code():
    ms = members(**{"222101": {}, "012041": {}, "222071": {}})
    assert shares(Item("x", 100, Rule("equal")), ms) == {"012041": 34, "222071": 33, "222101": 33}
    assert shares(Item("x", 101, Rule("equal")), ms) == {"012041": 34, "222071": 34, "222101": 33}


def test_proportional_exact_and_largest_remainder():
    ms = members(a={"households": 1}, b={"households": 2}, c={"households": 3})
    assert shares(Item("x", 600, Rule("proportional", basis="households")), ms) == {
        "a": 100,
        "b": 200,
        "c": 300,
    }
    # 100 / 6 = 16.67, 33.33, 50: the unit left goes to the largest remainder (a, .67).
    assert shares(Item("x", 100, Rule("proportional", basis="households")), ms) == {"a": 17, "b": 33, "c": 50}


def test_mixed_20_equal_80_population_in_thousands(fuji):
    rule = Rule(
        "mixed",
        parts=(Part(D("0.2"), Rule("equal")), Part(D("0.8"), Rule("proportional", basis="population"))),
        unit=1000,
    )
    result = allocate_item(Item("運用費", 120_000_000, rule), fuji)
    assert {s.code: s.amount for s in result.shares} == {FUJI_CODE: 74_921_000, FUJINOMIYA_CODE: 45_079_000}
    exact = 120_000_000 * (Fraction(1, 10) + Fraction(8, 10) * Fraction(254203, 387844))
    assert result.share(FUJI_CODE).quota == exact
    assert "20%×均等割" in result.share(FUJI_CODE).explanation_ja


def test_mixed_6_equal_94_usage():
    ms = members(a={"usage": 10}, b={"usage": 30}, c={"usage": 60})
    rule = Rule(
        "mixed", parts=(Part(D("0.06"), Rule("equal")), Part(D("0.94"), Rule("proportional", basis="usage")))
    )
    # a: 2 + 9.4 = 11.4; b: 2 + 28.2 = 30.2; c: 2 + 56.4 = 58.4. One unit left: a and c tie at .4, and the
    # member with the larger ratio (c) takes it.
    assert shares(Item("x", 100, rule), ms) == {"a": 11, "b": 30, "c": 59}


def test_amounts_under_the_unit_are_cut_off():
    ms = members(a={"population": 100}, b={"population": 300})
    rule = Rule(
        "mixed",
        parts=(Part(D("0.5"), Rule("equal")), Part(D("0.5"), Rule("proportional", basis="population"))),
        unit=1000,
    )
    result = allocate_item(Item("負担金", 1_234_567, rule), ms)
    # Quotas 462,962.625 and 771,604.375: whole thousands 462 + 771 = 1,233; the one left goes to a (.96).
    assert {s.code: s.amount for s in result.shares} == {"a": 463_000, "b": 771_000}
    assert result.total == 1_234_000
    assert result.cut_off == 567
    assert "1,000未満切り捨て" in result.share("a").explanation_ja


def test_fixed_ratios(fuji):
    ratios = {FUJI_CODE: D("0.571"), FUJINOMIYA_CODE: D("0.429")}
    assert shares(Item("x", 6788, Rule("fixed", ratios=ratios)), fuji) == {
        FUJI_CODE: 3876,
        FUJINOMIYA_CODE: 2912,
    }


def test_remainder_to_a_named_member(fuji):
    ratios = {FUJI_CODE: D("0.571"), FUJINOMIYA_CODE: D("0.429")}
    result = allocate_item(Item("x", 6788, Rule("fixed", ratios=ratios, remainder=FUJINOMIYA_CODE)), fuji)
    assert {s.code: s.amount for s in result.shares} == {FUJI_CODE: 3875, FUJINOMIYA_CODE: 2913}
    assert "残余 +1 を負担" in result.share(FUJINOMIYA_CODE).explanation_ja


def test_equal_savings(fuji):
    # Saving 8,444 - 6,788 = 1,656, 828 each.
    result = allocate_item(Item("x", 6788, Rule("equal_savings")), fuji)
    assert {s.code: s.amount for s in result.shares} == {FUJI_CODE: 3996, FUJINOMIYA_CODE: 2792}
    assert "削減額 828" in result.share(FUJI_CODE).explanation_ja


def test_equal_savings_rate_without_fixed_precision(fuji):
    # 6,788 x 4,824 / 8,444 = 3,877.94: both cities save 19.61%.
    assert shares(Item("x", 6788, Rule("equal_savings_rate")), fuji) == {
        FUJI_CODE: 3878,
        FUJINOMIYA_CODE: 2910,
    }


def test_shapley_two_members_is_equal_savings(fuji):
    coalitions = {
        frozenset({FUJI_CODE}): D(4824),
        frozenset({FUJINOMIYA_CODE}): D(3620),
        frozenset({FUJI_CODE, FUJINOMIYA_CODE}): D(6788),
    }
    assert shares(Item("x", 6788, Rule("shapley", coalitions=coalitions)), fuji) == {
        FUJI_CODE: 3996,
        FUJINOMIYA_CODE: 2792,
    }


def test_shapley_airport_game():
    # The cost of a coalition is its largest member's need: Shapley values 200, 200 + 300, 500 + 600.
    need = {"a": 600, "b": 1200, "c": 1800}
    coalitions = {frozenset(s): D(max(need[c] for c in s)) for s in ("a", "b", "c", "ab", "ac", "bc", "abc")}
    ms = members(a={}, b={}, c={})
    assert shares(Item("滑走路", 1800, Rule("shapley", coalitions=coalitions)), ms) == {
        "a": 200,
        "b": 500,
        "c": 1100,
    }


def test_power_rule():
    ms = members(a={"population": 100}, b={"population": 400}, c={"population": 900})
    rule = Rule("power", basis="population", exponent=D("0.5"))
    result = allocate_item(Item("x", 600, rule), ms)
    assert {s.code: s.amount for s in result.shares} == {"a": 100, "b": 200, "c": 300}
    assert "100^0.5 = 10" in result.share("a").explanation_ja
    # Exponent 1 is the plain proportional rule.
    linear = Rule("power", basis="population", exponent=D(1))
    assert shares(Item("x", 1400, linear), ms) == {"a": 100, "b": 400, "c": 900}


def test_membership_fee_plus_a_charge_growing_less_than_population():
    ms = members(a={"population": 10_000}, b={"population": 1_000_000})
    rule = Rule(
        "mixed",
        parts=(
            Part(D("0.3"), Rule("equal")),
            Part(D("0.7"), Rule("power", basis="population", exponent=D("0.5"))),
        ),
    )
    got = shares(Item("x", 1_100_000, rule), ms)
    # Square roots 100 and 1,000: a = 165,000 + 770,000 x 100 / 1,100 = 235,000.
    assert got == {"a": 235_000, "b": 865_000}


def test_allocate_totals_per_member(fuji):
    items = [
        Item("共同構築費", 6788, Rule("proportional", basis="standalone", ratio_precision=3)),
        Item("均等", 10, Rule("equal")),
    ]
    result = allocate(items, fuji)
    assert result.member_totals() == {FUJINOMIYA_CODE: 2917, FUJI_CODE: 3881}
    assert result.total == 6798
    assert [m.code for m in result.members] == [FUJINOMIYA_CODE, FUJI_CODE]


# --- the building blocks -----------------------------------------------------------------------------------


def test_fix_ratios_sums_to_one():
    fixed = fix_ratios({"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}, 3)
    assert fixed == {"a": D("0.334"), "b": D("0.333"), "c": D("0.333")}
    assert sum(fixed.values()) == 1
    assert fix_ratios({"a": Fraction(4824, 8444), "b": Fraction(3620, 8444)}, 3) == {
        "a": D("0.571"),
        "b": D("0.429"),
    }


def test_apportion_rejects_quotas_not_summing_to_the_amount():
    with pytest.raises(ValueError):
        apportion(10, {"a": Fraction(3), "b": Fraction(3)})


def test_apportion_named_member_takes_every_unit_left():
    got, cut = apportion(
        10, {"a": Fraction(10, 3), "b": Fraction(10, 3), "c": Fraction(10, 3)}, remainder="c"
    )
    assert got == {"a": 3, "b": 3, "c": 4}
    assert cut == 0


def test_zero_amount():
    ms = members(a={"population": 1}, b={"population": 3})
    result = allocate_item(Item("x", 0, Rule("proportional", basis="population")), ms)
    assert [s.amount for s in result.shares] == [0, 0]
    assert [s.ratio for s in result.shares] == [D("0.250000"), D("0.750000")]


# --- bad input ---------------------------------------------------------------------------------------------


def error_of(item: Item, ms: list[Member]) -> AllocationError:
    with pytest.raises(AllocationError) as caught:
        allocate_item(item, ms)
    assert caught.value.item == item.name
    return caught.value


def test_negative_amount(fuji):
    err = error_of(Item("運用費", -1, Rule("equal")), fuji)
    assert "negative" in str(err)
    assert str(err).startswith('item "運用費"')


def test_weights_not_summing_to_one(fuji):
    rule = Rule(
        "mixed",
        parts=(Part(D("0.2"), Rule("equal")), Part(D("0.7"), Rule("proportional", basis="population"))),
    )
    assert "sum to 0.9" in str(error_of(Item("運用費", 100, rule), fuji))


def test_missing_basis_names_the_member(fuji):
    err = error_of(Item("運用費", 100, Rule("proportional", basis="households")), fuji)
    assert err.member == FUJINOMIYA_CODE
    assert str(err) == 'item "運用費": member 222071 (富士宮市): no basis "households"'


def test_total_basis_of_zero():
    ms = members(a={"usage": 0}, b={"usage": 0})
    assert "totals zero" in str(error_of(Item("実績", 100, Rule("proportional", basis="usage")), ms))


def test_unknown_method(fuji):
    assert 'unknown method "lottery"' in str(error_of(Item("x", 100, Rule("lottery")), fuji))


def test_unknown_member_in_fixed_ratios(fuji):
    ratios = {FUJI_CODE: D("0.5"), FUJINOMIYA_CODE: D("0.4"), "999999": D("0.1")}
    assert error_of(Item("x", 100, Rule("fixed", ratios=ratios)), fuji).member == "999999"


def test_member_without_fixed_ratio(fuji):
    assert error_of(Item("x", 100, Rule("fixed", ratios={FUJI_CODE: D(1)})), fuji).member == FUJINOMIYA_CODE


def test_remainder_to_an_unknown_member(fuji):
    assert error_of(Item("x", 100, Rule("equal", remainder="999999")), fuji).member == "999999"


def test_duplicate_member_code():
    ms = [Member("222101", "富士市"), Member("222101", "富士市")]
    assert error_of(Item("x", 100, Rule("equal")), ms).member == "222101"


def test_equal_savings_beyond_a_members_standalone_cost():
    ms = members(a={"standalone": 10}, b={"standalone": 1000})
    # Saving (1,010 - 500) / 2 = 255 is more than a's 10.
    assert error_of(Item("x", 500, Rule("equal_savings")), ms).member == "a"


def test_shapley_missing_coalition(fuji):
    coalitions = {frozenset({FUJI_CODE}): D(1), frozenset({FUJI_CODE, FUJINOMIYA_CODE}): D(2)}
    assert "{222071} is missing" in str(error_of(Item("x", 2, Rule("shapley", coalitions=coalitions)), fuji))


def test_shapley_amount_must_be_the_grand_coalition_cost(fuji):
    coalitions = {
        frozenset({FUJI_CODE}): D(4824),
        frozenset({FUJINOMIYA_CODE}): D(3620),
        frozenset({FUJI_CODE, FUJINOMIYA_CODE}): D(6788),
    }
    assert "differs" in str(error_of(Item("x", 6000, Rule("shapley", coalitions=coalitions)), fuji))


def test_shapley_at_most_ten_members():
    ms = [Member(f"{i:06d}") for i in range(11)]
    assert "limited to 10" in str(
        error_of(Item("x", 1, Rule("shapley", coalitions={frozenset({"000000"}): D(1)})), ms)
    )


def test_power_exponent_range(fuji):
    err = error_of(Item("x", 1, Rule("power", basis="population", exponent=D("1.5"))), fuji)
    assert "exponent" in str(err)


def test_method_without_its_basis(fuji):
    assert 'needs "basis"' in str(error_of(Item("x", 1, Rule("proportional")), fuji))


def test_floats_are_refused(fuji):
    rule = Rule(
        "mixed", parts=(Part(0.2, Rule("equal")), Part(D("0.8"), Rule("proportional", basis="population")))
    )
    assert "not a float" in str(error_of(Item("運用費", 100, rule), fuji))
    ms = [Member("222101", "富士市", {"population": 1.5})]
    assert error_of(Item("x", 100, Rule("proportional", basis="population")), ms).member == "222101"


def test_weights_may_be_given_as_strings(fuji):
    rule = Rule(
        "mixed", parts=(Part("0.2", Rule("equal")), Part("0.8", Rule("proportional", basis="population")))
    )
    result = allocate_item(Item("運用費", 120_000_000, Rule(**{**rule.__dict__, "unit": 1000})), fuji)
    assert result.share(FUJI_CODE).amount == 74_921_000
