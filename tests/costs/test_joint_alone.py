"""Joint versus alone for the cloud era: savings per year, cumulative, break-even year and the chart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.costs.allocation import AllocationError, Member, Rule
from modules.costs.joint_alone import CloudItem, chart, compare_joint_alone

PERIODS = ("R8", "R9", "R10", "R11", "R12")
MEMBERS = [
    Member("222101", "富士市", {"population": Decimal(254203)}),
    Member("222071", "富士宮市", {"population": Decimal(133641)}),
]
# Million yen. Joining costs a migration in the first year; the shared environment is cheaper after.
ITEMS = [
    CloudItem(
        "ガバメントクラウド利用料",
        "fees",
        {"222101": [60, 62, 64, 66, 68], "222071": [45, 46, 47, 48, 49]},
        [180, 60, 62, 64, 66],
        Rule("proportional", basis="population"),
    ),
    CloudItem(
        "回線費",
        "network",
        {"222101": [10] * 5, "222071": [10] * 5},
        [12] * 5,
        Rule("equal"),
    ),
    CloudItem(
        "運用保守委託",
        "operations",
        {"222101": [40] * 5, "222071": [35] * 5},
        [90, 55, 55, 55, 55],
        Rule("equal_savings_rate", basis="population"),
    ),
]


def test_savings_per_year_cumulative_and_break_even() -> None:
    result = compare_joint_alone(PERIODS, MEMBERS, ITEMS)
    fuji = result.member("222101")
    assert fuji.alone == (110, 112, 114, 116, 118)
    # Every year's shares sum exactly to the joint cost of the year.
    for p in range(len(PERIODS)):
        assert sum(m.joint[p] for m in result.members) == sum(item.joint[p] for item in ITEMS)
    assert all(len(m.saving) == 5 for m in result.members)
    assert result.break_even == {"222071": "R9", "222101": "R11"}
    assert fuji.cumulative_saving == (-73, -42, -11, 21, 54)
    for m in result.members:
        assert m.cumulative_saving[-1] == m.total_saving == sum(m.alone) - sum(m.joint)
        assert m.cumulative_saving[0] < 0  # the migration year costs more than staying alone
        assert m.total_saving > 0
        be = result.break_even[m.code]
        first = PERIODS.index(be)
        assert all(v >= 0 for v in m.cumulative_saving[first:])
        assert m.cumulative_saving[first - 1] < 0
    svg = chart(result, unit="百万円")
    assert "富士市（単独）" in svg and "富士宮市（共同）" in svg and "<polyline" in svg


def test_never_breaking_even_is_none() -> None:
    dear = [CloudItem("利用料", "fees", {"222101": [1, 1], "222071": [1, 1]}, [5, 5], Rule("equal"))]
    result = compare_joint_alone(("R8", "R9"), MEMBERS, dear)
    assert result.break_even == {"222071": None, "222101": None}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            CloudItem("x", "fees", {"222101": [1]}, [1], Rule("equal")),
            r'item "x": member 222071 .*no stand-alone',
        ),
        (
            CloudItem("x", "fees", {"222101": [1], "222071": [1, 2]}, [1], Rule("equal")),
            "2 stand-alone costs",
        ),
        (CloudItem("x", "cars", {"222101": [1], "222071": [1]}, [1], Rule("equal")), 'kind "cars"'),
        (CloudItem("x", "fees", {"222101": [1], "222071": [1]}, [1, 2], Rule("equal")), "2 joint costs"),
    ],
)
def test_bad_items_name_the_item_and_member(item: CloudItem, message: str) -> None:
    with pytest.raises(AllocationError, match=message):
        compare_joint_alone(("R8",), MEMBERS, [item])


def test_a_stored_joint_alone_scenario_has_its_page(app, staff_client, costs_demo):
    import sqlalchemy as sa

    from modules.costs import stored_scenarios
    from tenant_core.extensions import get_db
    from tenant_core.models import Tenant

    with get_db(app).session() as s:
        cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
        row = stored_scenarios.save_joint_alone(
            s,
            cid,
            "cloud_era",
            name="ガバメントクラウド 単独運用と共同利用",
            unit="百万円",
            periods=list(PERIODS),
            members={
                m.code: {"name": m.name, "bases": {"population": str(m.bases["population"])}} for m in MEMBERS
            },
            items=[
                {
                    "name": i.name,
                    "kind": i.kind,
                    "alone": {c: list(v) for c, v in i.alone.items()},
                    "joint": list(i.joint),
                    "rule": {"method": i.rule.method, "basis": i.rule.basis},
                }
                for i in ITEMS
            ],
        )
        s.commit()
        scenario_id = row.id
    html = (
        staff_client("fujinomiya", "finance")
        .get(f"/fujinomiya/costs/scenarios/{scenario_id}")
        .get_data(as_text=True)
    )
    assert "損益分岐: R9 から" in html and "損益分岐: R11 から" in html
    assert "<polyline" in html and "富士宮市（共同）" in html
    assert "-73" in html and "54" in html  # 富士市's cumulative saving, first and last year
