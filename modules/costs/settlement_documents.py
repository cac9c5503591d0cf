"""The documents of 概算 and 精算: an invoice per member and instalment (PDF, Excel) and a 精算書 per member (PDF).

Laid out through the platform's layers only: ``tenant_core.pdf`` for PDF, ``tenant_core.exports`` for Excel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _

from modules.costs.exports import STATEMENT
from modules.costs.settlement import Bill, Settlement
from tenant_core import exports
from tenant_core.japanese import wareki_date, wareki_year
from tenant_core.pdf import build_pdf, paragraph


def _table(data: list[list[object]], widths: Sequence[float], emphasise_last: bool = True) -> object:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    style = [
        ("FONT", (0, 0), (-1, -1), STATEMENT.font, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if emphasise_last:
        style.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#fff3cd")))
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def invoice_pdf(bills: Sequence[Bill], *, year: int, consortium: str, issued: dt.date) -> bytes:
    """負担金請求書（概算払）: one member's instalments of a year, the one being billed and the whole plan."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    st = STATEMENT.styles()
    first = bills[0]
    title = _("%(year)s 負担金請求書（概算払）", year=wareki_year(year))
    story: list[object] = [
        paragraph(title, st.title),
        Spacer(1, 4 * mm),
        paragraph(
            _("%(name)s 様（団体コード %(code)s）", name=first.member_name, code=first.member_code), st.body
        ),
        paragraph(consortium, st.body),
        paragraph(_("請求日: %(date)s", date=wareki_date(issued)), st.body),
        Spacer(1, 4 * mm),
    ]
    data: list[list[object]] = [[paragraph(h, st.body) for h in (_("納期"), _("割合"), _("請求額（円）"))]]
    for b in bills:
        data.append(
            [
                paragraph(b.instalment.label, st.body),
                paragraph(f"{b.instalment.weight.numerator}/{b.instalment.weight.denominator}", st.right),
                paragraph(f"{b.amount:,}", st.right),
            ]
        )
    data.append(
        [
            paragraph(_("年度合計（承認済予算の負担額）"), st.body),
            "",
            paragraph(f"{sum(b.amount for b in bills):,}", st.right),
        ]
    )
    story.append(_table(data, (80, 30, 50)))
    story.append(Spacer(1, 4 * mm))
    story.append(
        paragraph(
            _(
                "各期の請求額の合計は承認済予算による年度の負担額に一致します（円未満の端数は最大剰余法で配分）。"
            ),
            st.small,
        )
    )
    return build_pdf(story, STATEMENT, title=f"{title} {first.member_name}", author=consortium)


def invoices_xlsx(bills: Sequence[Bill], *, year: int) -> bytes:
    """Every member's instalments of a year in one sheet (the secretariat's list of invoices)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("請求一覧")
    exports.append_row(
        sheet, [_("年度"), _("団体コード"), _("団体名"), _("期"), _("納期"), _("請求額（円）")]
    )
    for b in bills:
        exports.append_row(
            sheet, [year, b.member_code, b.member_name, b.instalment.number, b.instalment.label, b.amount]
        )
    return exports.workbook_bytes(book)


def settlement_pdf(s: Settlement, *, year: int, consortium: str, issued: dt.date) -> bytes:
    """精算書: item by item the budget and the actual share, then paid, owed and the refund or charge."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    st = STATEMENT.styles()
    title = _("%(year)s 負担金精算書", year=wareki_year(year))
    story: list[object] = [
        paragraph(title, st.title),
        Spacer(1, 4 * mm),
        paragraph(_("%(name)s 様（団体コード %(code)s）", name=s.member_name, code=s.member_code), st.body),
        paragraph(consortium, st.body),
        paragraph(_("作成日: %(date)s", date=wareki_date(issued)), st.body),
        Spacer(1, 4 * mm),
    ]
    heads = (_("費目"), _("概算（予算）負担額"), _("精算（実績）負担額"), _("差額"))
    data: list[list[object]] = [[paragraph(h, st.body) for h in heads]]
    for line in s.lines:
        data.append(
            [
                paragraph(line.item, st.body),
                paragraph(f"{line.budget:,}", st.right),
                paragraph(f"{line.actual:,}", st.right),
                paragraph(f"{line.difference:,}", st.right),
            ]
        )
    data.append(
        [
            paragraph(_("合計"), st.body),
            paragraph(f"{s.budget:,}", st.right),
            paragraph(f"{s.owed:,}", st.right),
            paragraph(f"{s.budget - s.owed:,}", st.right),
        ]
    )
    story.append(_table(data, (70, 35, 35, 30), emphasise_last=False))
    story.append(Spacer(1, 4 * mm))
    if s.balance > 0:
        result = _("還付額: %(amount)s 円", amount=f"{s.refund:,}")
    elif s.balance < 0:
        result = _("追加徴収額: %(amount)s 円", amount=f"{s.additional_charge:,}")
    else:
        result = _("過不足なし")
    summary: list[list[object]] = [
        [paragraph(_("納付済額"), st.body), paragraph(f"{s.paid:,}", st.right)],
        [paragraph(_("精算額（実績による負担額）"), st.body), paragraph(f"{s.owed:,}", st.right)],
        [paragraph(result, st.body), paragraph(f"{abs(s.balance):,}", st.right)],
    ]
    story.append(_table(summary, (105, 65)))
    return build_pdf(story, STATEMENT, title=f"{title} {s.member_name}", author=consortium)
