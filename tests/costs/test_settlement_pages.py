"""A full year in the database: budget approved, billed in four instalments, actual costs entered, settled;
each step approved once and locked; invoices, the list and each city's 精算書 downloaded."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.costs import lookups, settlement_services
from modules.costs.computing import compute
from modules.costs.errors import CostError
from modules.costs.results import year_result
from tenant_core.extensions import get_db
from tenant_core.models import Tenant
from tests.conftest import post

PAGE = "/fuji/costs/manage/2025/"


def _text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _year(s, year: int):
    cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
    return lookups.load_year(s, lookups.fiscal_year(s, cid, year).id)


def test_budget_four_instalments_actuals_and_settlement(app, staff_client, costs_demo):
    admin = staff_client("fuji", "admin")
    # A year whose allocation is not approved cannot be billed or settled.
    post(admin, "/fuji/costs/manage/2026/billing", "/fuji/costs/manage/2026/", {"plan": "quarterly"})
    with get_db(app).session() as s:
        assert settlement_services.step(s, _year(s, 2026), "billing") is None
        with pytest.raises(CostError, match="按分が承認されていない"):
            settlement_services.approve_settlement(s, _year(s, 2026), "test")
        with pytest.raises(CostError, match="概算請求が承認されていない"):
            settlement_services.approve_settlement(s, _year(s, 2025), "test")
        s.rollback()
    assert post(admin, "/fuji/costs/manage/2025/billing", PAGE, {"plan": "quarterly"}).status_code == 302
    with get_db(app).session() as s:
        fy = _year(s, 2025)
        budget = year_result(s, fy)
        totals = budget.totals()
        items = [(i.id, i.name, i.amount) for i in fy.items]
    book = load_workbook(io.BytesIO(admin.get("/fuji/costs/2025/invoices.xlsx").data))
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    for code, total in totals.items():
        mine = [r for r in rows if r[1] == code]
        assert [r[3] for r in mine] == [1, 2, 3, 4] and sum(r[5] for r in mine) == total
    # Approved once: a second billing is refused.
    again = post(admin, "/fuji/costs/manage/2025/billing", PAGE, {"plan": "half"})
    assert "承認済み" in admin.get(again.location).get_data(as_text=True)
    finance = staff_client("fuji", "finance")
    invoice = _text(finance.get("/fuji/costs/2025/invoice.pdf").data)
    assert "負担金請求書" in invoice and "第4期（1月）" in invoice
    # Settling before every actual is in names the item that lacks one.
    missing = post(admin, "/fuji/costs/manage/2025/settlement", PAGE, {})
    assert "has no actual amount" in admin.get(missing.location).get_data(as_text=True)
    for n, (item_id, _name, amount) in enumerate(items):
        actual = amount + (1_234_567 if n % 2 == 0 else -765_433)
        post(
            admin,
            f"/fuji/costs/manage/2025/items/{item_id}/actual",
            PAGE,
            {"actual_amount": f"{max(actual, 0):,}"},
        )
    assert post(admin, "/fuji/costs/manage/2025/settlement", PAGE, {}).status_code == 302
    with get_db(app).session() as s:
        fy = _year(s, 2025)
        found = settlement_services.step(s, fy, "settlement")
        statements = settlement_services.stored_settlements(found)
        # What the members owe is the actual cost allocated by the year's rules (a rule in thousands of yen
        # cuts what is below a thousand, as the budget's did).
        actual_total = sum(r.amount for r in compute(s, fy, actual=True).rows)
        assert 0 <= sum(i.actual_amount for i in fy.items) - actual_total < 1000 * len(fy.items)
    paid_total = sum(totals.values())
    assert sum(st.paid for st in statements) == paid_total
    assert sum(st.owed for st in statements) == actual_total
    assert sum(st.refund for st in statements) - sum(st.additional_charge for st in statements) == (
        paid_total - actual_total
    )
    for st in statements:
        assert sum(line.difference for line in st.lines) == st.budget - st.owed
    fuji = next(st for st in statements if st.member_code == "222101")
    html = finance.get("/fuji/costs/2025/").get_data(as_text=True)
    assert 'id="settlement"' in html and f"{fuji.owed:,}" in html
    text = _text(finance.get("/fuji/costs/2025/settlement.pdf").data)
    assert "負担金精算書" in text and f"{fuji.owed:,}" in text and f"{abs(fuji.balance):,}" in text
    # Settled: locked against a second settlement, actual changes and a revision of the allocation.
    for path, data in (
        ("/fuji/costs/manage/2025/settlement", {}),
        (f"/fuji/costs/manage/2025/items/{items[0][0]}/actual", {"actual_amount": "1"}),
        ("/fuji/costs/manage/2025/reopen", {"reason": "誤り"}),
    ):
        response = post(admin, path, PAGE, data)
        assert response.status_code == 302
    with get_db(app).session() as s:
        fy = _year(s, 2025)
        assert fy.status == "approved" and fy.items[0].actual_amount != 1
    # Another city's finance officer gets neither the invoice nor the 精算書 of 富士市.
    other = staff_client("fujinomiya", "finance")
    assert other.get("/fuji/costs/2025/settlement.pdf").status_code == 403
    assert other.get("/fuji/costs/2025/invoice.pdf").status_code == 403
    assert finance.get("/fuji/costs/2025/invoices.xlsx").status_code == 403


def test_a_plan_set_in_yen_must_make_up_the_year(app, staff_client, costs_demo):
    admin = staff_client("fuji", "admin")
    with get_db(app).session() as s:
        total = year_result(s, _year(s, 2025)).total
    short = post(
        admin,
        "/fuji/costs/manage/2025/billing",
        PAGE,
        {"plan": "custom", "custom_plan": f"第1期（5月）: {total // 2:,}\n第2期（11月）: {total // 2 - 1:,}"},
    )
    message = admin.get(short.location).get_data(as_text=True)
    assert (
        "納期の計画が正しくありません" in message
        and "must sum to the year" in message
        and f"{total:,}" in message
    )
    unreadable = post(
        admin, "/fuji/costs/manage/2025/billing", PAGE, {"plan": "custom", "custom_plan": "第1期 たくさん"}
    )
    assert "読めません" in admin.get(unreadable.location).get_data(as_text=True)
    first = total // 3
    ok = post(
        admin,
        "/fuji/costs/manage/2025/billing",
        PAGE,
        {"plan": "custom", "custom_plan": f"第1期（5月）: {first:,}\n第2期（11月）: {total - first:,}"},
    )
    assert "概算請求を承認しました" in admin.get(ok.location).get_data(as_text=True)
    with get_db(app).session() as s:
        found = settlement_services.step(s, _year(s, 2025), "billing")
        bills = settlement_services.stored_bills(found)
    assert sum(b.amount for b in bills) == total
    assert {b.instalment.label for b in bills} == {"第1期（5月）", "第2期（11月）"}
