"""Items in US dollars on a draft year: converted exactly at the year's rate or the rate paid, the rate and the
rounding in each share's explanation, and each city's share under ¥139 / ¥150 / ¥160 on the year page."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from modules.costs import editing, lookups
from modules.costs.computing import compute
from modules.costs.errors import CostError
from tenant_core.extensions import get_db
from tenant_core.models import Tenant


def _draft(s):
    cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
    fy = lookups.fiscal_year(s, cid, 2026)
    assert fy is not None and fy.status == "draft"
    return lookups.load_year(s, fy.id)


def test_usd_items_and_rate_scenarios_on_the_page(app, staff_client, costs_demo):
    with get_db(app).session() as s:
        fy = _draft(s)
        rule = editing.add_rule(
            s, fy, name="人口割（外貨）", spec={"method": "proportional", "basis": "population"}
        )
        editing.save_item(
            s, fy, name="ガバメントクラウド利用料", category="data_centre", amount=0, shared=True,
            rule_id=rule.id, currency="USD", foreign_amount=Decimal("123456.78"),
        )  # fmt: skip
        editing.save_item(
            s, fy, name="4月分利用料（支払済）", category="data_centre", amount=0, shared=True,
            rule_id=rule.id, currency="USD", foreign_amount=Decimal("10000.50"), paid_rate=Decimal("151.37"),
        )  # fmt: skip
        # No planning rate yet: the preview names the item that has none.
        assert any("ガバメントクラウド利用料" in e and "no exchange rate" in e for e in compute(s, fy).errors)
        with pytest.raises(CostError, match="0より大きい"):
            editing.set_rates(s, fy, {"USD": Decimal("0")})
        with pytest.raises(CostError, match="0より大きい"):
            editing.set_rates(s, fy, {"USD": Decimal("150")}, {"USD": [Decimal("-139")]})
        editing.set_rates(
            s, fy, {"USD": Decimal("150")}, {"USD": [Decimal("139"), Decimal("150"), Decimal("160")]}
        )
        result = compute(s, fy)
        assert not result.errors, result.errors
        fee = [r for r in result.rows if r.item_name == "ガバメントクラウド利用料"]
        assert fee[0].item_amount == 18_518_517  # 123,456.78 x 150 = 18,518,517 exactly
        assert fee[0].explanation_ja.startswith(
            "外貨建て USD 123,456.78 × 想定レート 150円 = 18,518,517円、円未満切り捨て → 18,518,517円"
        )
        paid = [r for r in result.rows if r.item_name == "4月分利用料（支払済）"]
        assert paid[0].item_amount == 1_513_775  # 1,513,775.685 cut to the yen
        assert "支払時の実レート 151.37円" in paid[0].explanation_ja
        at = {rate: compute(s, fy, rates={"USD": rate}).totals() for rate in ("139", "150", "160")}
        s.commit()
    for code in at["150"]:
        assert at["139"][code] <= at["150"][code] <= at["160"][code]
    assert sum(at["160"].values()) - sum(at["139"].values()) == (
        int(Decimal("123456.78") * 160) - int(Decimal("123456.78") * 139)
    )
    html = staff_client("fuji", "finance").get("/fuji/costs/2026/").get_data(as_text=True)
    assert 'id="rate-scenarios"' in html and "USD 139円" in html and "USD 160円" in html
    row = html[html.index('data-member="222101"', html.index('id="rate-scenarios"')) :].split("</tr>")[0]
    for rate in ("139", "150", "160"):
        assert f"{at[rate]['222101']:,}" in row


def test_the_secretariat_enters_rates_and_a_dollar_item_through_the_forms(app, staff_client, costs_demo):
    from tests.conftest import post

    c = staff_client("fuji", "admin")
    page = "/fuji/costs/manage/2026/"
    bad = post(c, "/fuji/costs/manage/2026/rates", page, {"currency": "USD", "rate": "-150"})
    assert "0より大きい" in c.get(bad.location).get_data(as_text=True)
    ok = post(
        c,
        "/fuji/costs/manage/2026/rates",
        page,
        {"currency": "USD", "rate": "150", "scenarios": "139, 150, 160"},
    )
    assert ok.status_code == 302
    html = c.get(page).get_data(as_text=True)
    assert "想定レート 150" in html and "139" in html
    missing = post(
        c,
        "/fuji/costs/manage/2026/items",
        page,
        {"name": "利用料", "category": "data_centre", "currency": "USD"},
    )
    assert "外貨額を入力してください" in c.get(missing.location).get_data(as_text=True)
    post(
        c,
        "/fuji/costs/manage/2026/items",
        page,
        {
            "name": "ガバメントクラウド利用料",
            "category": "data_centre",
            "currency": "USD",
            "foreign_amount": "1000.01",
        },
    )
    with get_db(app).session() as s:
        fy = _draft(s)
        item = next(i for i in fy.items if i.name == "ガバメントクラウド利用料")
        assert (item.currency, item.foreign_amount, item.amount) == ("USD", Decimal("1000.01"), 150_001)
    html = staff_client("fuji", "finance").get("/fuji/costs/2026/").get_data(as_text=True)
    assert 'id="rate-scenarios"' in html and "外貨建て USD 1,000.01 × 想定レート 150円" in html
