"""A full year of 概算 and 精算: budget, four instalments, actuals, a 精算書 per member."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modules.costs.allocation import AllocationError, Item, Member, Rule, allocate
from modules.costs.settlement import InstalmentPlan, bill, settle

MEMBERS = [
    Member("222101", "富士市", {"population": Decimal(254203)}),
    Member("222071", "富士宮市", {"population": Decimal(133641)}),
    Member("223441", "小山町", {"population": Decimal(17922)}),
]
POP = Rule("proportional", basis="population")
BUDGET = [
    Item("ガバメントクラウド利用料", 120_000_001, POP),
    Item("回線費", 3_600_000, Rule("equal")),
    Item("運用保守委託", 48_000_000, POP),
]
ACTUAL = [
    Item("ガバメントクラウド利用料", 131_234_567, POP),  # the dollar rose
    Item("回線費", 3_600_000, Rule("equal")),
    Item("運用保守委託", 45_500_000, POP),
    Item("臨時対応", 1_000_003, Rule("equal")),  # not in the budget
]


def test_a_full_year_budget_instalments_actuals_and_settlements() -> None:
    budget = allocate(BUDGET, MEMBERS)
    bills = bill(budget, InstalmentPlan.quarterly())
    assert len(bills) == 12
    for code, total in budget.member_totals().items():
        mine = [b for b in bills if b.member_code == code]
        assert [b.instalment.label for b in mine] == [
            "第1期（4月）",
            "第2期（7月）",
            "第3期（10月）",
            "第4期（1月）",
        ]
        assert sum(b.amount for b in mine) == total
        assert max(b.amount for b in mine) - min(b.amount for b in mine) <= 1
    paid = {code: sum(b.amount for b in bills if b.member_code == code) for code in budget.member_totals()}
    actual = allocate(ACTUAL, MEMBERS)
    statements = settle(budget, actual, paid)
    assert sum(s.balance for s in statements) == sum(paid.values()) - actual.total
    assert sum(s.refund for s in statements) - sum(s.additional_charge for s in statements) == (
        budget.total - actual.total
    )
    for s in statements:
        assert s.owed == actual.member_totals()[s.member_code]
        assert s.budget == budget.member_totals()[s.member_code]
        assert [line.item for line in s.lines] == [
            "ガバメントクラウド利用料",
            "回線費",
            "運用保守委託",
            "臨時対応",
        ]
        assert sum(line.difference for line in s.lines) == s.budget - s.owed
        assert s.lines[3].budget == 0 and s.lines[3].actual > 0
    fuji = statements[[s.member_code for s in statements].index("222101")]
    assert fuji.additional_charge > 0 and fuji.refund == 0


def test_documents_invoice_pdf_excel_and_settlement_pdf(app) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from modules.costs.settlement_documents import invoice_pdf, invoices_xlsx, settlement_pdf

    budget = allocate(BUDGET, MEMBERS)
    bills = bill(budget, InstalmentPlan.quarterly())
    statements = settle(budget, allocate(ACTUAL, MEMBERS))
    with app.test_request_context():
        mine = [b for b in bills if b.member_code == "222071"]
        text = (
            PdfReader(
                io.BytesIO(invoice_pdf(mine, year=2026, consortium="協議会", issued=dt.date(2026, 4, 1)))
            )
            .pages[0]
            .extract_text()
        )
        assert "負担金請求書" in text and "富士宮市" in text and f"{mine[0].amount:,}" in text
        book = load_workbook(io.BytesIO(invoices_xlsx(bills, year=2026)))
        rows = list(book.active.iter_rows(min_row=2, values_only=True))
        assert len(rows) == 12 and sum(r[5] for r in rows) == budget.total
        s = statements[0]
        text = (
            PdfReader(
                io.BytesIO(settlement_pdf(s, year=2026, consortium="協議会", issued=dt.date(2027, 5, 31)))
            )
            .pages[0]
            .extract_text()
        )
        assert "負担金精算書" in text and f"{s.owed:,}" in text
        assert ("追加徴収額" in text) == (s.balance < 0) and ("還付額" in text) == (s.balance > 0)


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=5),
    actuals=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=5),
    weights=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=12).filter(any),
)
@settings(deadline=None, max_examples=60)
def test_instalments_and_settlements_are_exact(
    amounts: list[int], actuals: list[int], weights: list[int]
) -> None:
    budget = allocate([Item(f"費目{i}", a, POP) for i, a in enumerate(amounts)], MEMBERS)
    actual = allocate([Item(f"費目{i}", a, POP) for i, a in enumerate(actuals)], MEMBERS)
    total = sum(weights)
    plan = InstalmentPlan.of([(f"第{i + 1}期", Fraction(w, total)) for i, w in enumerate(weights)])
    bills = bill(budget, plan)
    for code, member_total in budget.member_totals().items():
        assert sum(b.amount for b in bills if b.member_code == code) == member_total
    statements = settle(budget, actual)
    assert sum(s.balance for s in statements) == budget.total - actual.total


def test_a_plan_that_does_not_make_up_the_year_is_refused() -> None:
    with pytest.raises(AllocationError, match="not 1: the instalments must make up the year"):
        InstalmentPlan.of([("第1期", Fraction(1, 2)), ("第2期", Fraction(1, 4))])
    with pytest.raises(
        AllocationError, match="not the year's 171,600,001: the instalment plan must sum to the year"
    ):
        InstalmentPlan.of_amounts([("第1期", 100_000_000), ("第2期", 70_000_000)], 171_600_001)
    with pytest.raises(AllocationError, match="negative"):
        InstalmentPlan.of([("第1期", Fraction(3, 2)), ("第2期", Fraction(-1, 2))])
    plan = InstalmentPlan.of_amounts([("上期", 100_000_000), ("下期", 71_600_001)], 171_600_001)
    assert [i.weight for i in plan.instalments] == [
        Fraction(100_000_000, 171_600_001),
        Fraction(71_600_001, 171_600_001),
    ]
