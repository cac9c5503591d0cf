"""The seed comparisons, computed from the seed data: every printed figure must come out of the engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.costs.scenarios import (
    Alternative,
    Line,
    Scenario,
    ScenarioError,
    break_even,
    compare,
    percent,
)
from modules.costs.seed_data import ASAHIKAWA, asahikawa_scenario, fuji_scenario

D = Decimal
FUJI, FUJINOMIYA = "222101", "222071"


@pytest.fixture(scope="module")
def fuji():
    return compare(fuji_scenario())


@pytest.fixture(scope="module")
def asahikawa():
    return compare(asahikawa_scenario())


# --- 富士市・富士宮市: ten-year totals (seed 004, 2.10–2.11) ---------------------------------------------


def test_fuji_ten_year_totals(fuji):
    assert fuji["continue"].total == 14559
    assert fuji["alone"].total == 12989
    assert fuji["joint"].total == 11267


def test_fuji_rates_against_continuing(fuji):
    assert percent(fuji["alone"].change_rate) == D("-10.78")
    assert percent(fuji["joint"].change_rate) == D("-22.61")
    assert fuji["alone"].difference == -1570
    assert fuji["joint"].difference == -3292


def test_fuji_per_city(fuji):
    assert fuji["continue"].by_member == {FUJI: 8255, FUJINOMIYA: 6304}
    assert fuji["alone"].by_member == {FUJI: 7484, FUJINOMIYA: 5505}
    assert fuji["joint"].by_member == {FUJI: 6507, FUJINOMIYA: 4760}
    assert {c: percent(r) for c, r in fuji["alone"].member_change_rates.items()} == {
        FUJI: D("-9.34"),
        FUJINOMIYA: D("-12.67"),
    }
    assert {c: percent(r) for c, r in fuji["joint"].member_change_rates.items()} == {
        FUJI: D("-21.18"),
        FUJINOMIYA: D("-24.49"),
    }


def test_fuji_shared_and_own_parts(fuji):
    # 2.11: 按分対象 8,444 alone against 6,788 jointly; each city's own costs 4,545 against 4,479.
    assert fuji["alone"].by_label == {"按分対象": 8444, "各市個別": 4545}
    assert fuji["joint"].by_label == {"按分対象": 6788, "各市個別": 4479}


def test_fuji_joint_shares_come_from_the_allocation():
    joint = next(a for a in fuji_scenario().alternatives if a.key == "joint")
    shared = {line.member: line.values[0] for line in joint.lines if line.label == "按分対象"}
    assert shared == {FUJI: 3876, FUJINOMIYA: 2912}


def test_fuji_saves_from_the_start(fuji):
    assert fuji["joint"].break_even == "運用10年間"
    assert fuji["continue"].break_even is None


# --- 旭川市: thirteen years, H28–H40 (seed 000) ------------------------------------------------------------


def test_asahikawa_totals(asahikawa):
    assert asahikawa["continue"].total == 8240
    assert asahikawa["optimise"].total == 9441
    assert asahikawa["optimise"].by_label == {"現行システム経費": 4278, "最適対応経費": 5163}


def test_asahikawa_optimised_series_is_the_printed_one(asahikawa):
    printed = (543, 589, 627, 1025, 1037, 1517, 1605, 317, 350, 492, 404, 531, 404)
    assert asahikawa["optimise"].per_period == tuple(D(v) for v in printed)
    assert asahikawa["continue"].per_period == tuple(D(v) for v in ASAHIKAWA["continue"])
    assert asahikawa.scenario.periods[0] == "H28"
    assert asahikawa.scenario.periods[-1] == "H40"


def test_asahikawa_does_not_break_even_within_the_plan(asahikawa):
    optimise = asahikawa["optimise"]
    assert optimise.cumulative_difference[:3] == (0, 0, 10)
    assert max(optimise.cumulative_difference) == 2551  # H34, the peak of the investment
    assert optimise.cumulative_difference[-1] == optimise.difference == 9441 - 8240
    assert optimise.break_even is None
    assert percent(optimise.change_rate) == D("14.58")


# --- the comparison itself ---------------------------------------------------------------------------------


def test_break_even():
    periods = ("2025", "2026", "2027", "2028")
    assert break_even(periods, (D(5), D(2), D(-1), D(-3))) == "2027"
    assert break_even(periods, (D(5), D(-1), D(2), D(-3))) == "2028"  # back above zero in 2027
    assert break_even(periods, (D(5), D(2), D(1), D(1))) is None
    assert break_even(periods, (D(-1), D(-2), D(0), D(-3))) == "2025"


def test_break_even_of_an_investment_that_pays_back():
    scenario = Scenario(
        name="t",
        unit="千円",
        periods=("R7", "R8", "R9", "R10"),
        alternatives=(
            Alternative("now", "現行", (Line("運用", (D(100), D(100), D(100), D(100))),)),
            Alternative(
                "cloud",
                "共同化",
                (Line("構築", (D(250), D(0), D(0), D(0))), Line("運用", (D(0), D(50), D(50), D(50)))),
            ),
        ),
        baseline="now",
    )
    result = compare(scenario)["cloud"]
    assert result.cumulative_difference == (150, 100, 50, 0)
    assert result.break_even == "R10"
    assert result.by_member == {}


def test_series_of_the_wrong_length():
    scenario = Scenario("t", "円", ("a", "b"), (Alternative("x", "X", (Line("l", (D(1),)),)),), "x")
    with pytest.raises(ScenarioError):
        compare(scenario)


def test_unknown_baseline():
    with pytest.raises(ScenarioError):
        compare(Scenario("t", "円", ("a",), (Alternative("x", "X", ()),), "y"))
