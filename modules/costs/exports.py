"""Exports of a fiscal year's shares: CSV (UTF-8 with BOM for Excel), Excel, and the PDF 負担金算定書.

Each export carries the same explanation as the page: the basis values, the ratio, the rounding applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from modules.costs.fairness import Violation
from modules.costs.shares import ShareRow, YearResult
from tenant_core import exports
from tenant_core.japanese import wareki_date, wareki_year
from tenant_core.pdf import GOTHIC, Margins, PageSetup, build_pdf, paragraph

JST = ZoneInfo("Asia/Tokyo")
COLUMNS = (
    _l("年度"),
    _l("年度（和暦）"),
    _l("状態"),
    _l("版"),
    _l("費目"),
    _l("区分"),
    _l("按分対象/個別"),
    _l("費目金額（円）"),
    _l("按分ルール"),
    _l("団体コード"),
    _l("団体名"),
    _l("負担額（円）"),
    _l("按分率"),
    _l("説明"),
    "explanation",
)
# The statement's page: ゴシック throughout, small type, 15 mm margins (the shared set-up of tenant_core.pdf).
STATEMENT = PageSetup(
    font=GOTHIC,
    size=9,
    leading=12,
    small_size=7.5,
    small_leading=10,
    title_size=16,
    title_leading=22,
    margins=Margins.all(15),
)


def status_label(result: YearResult) -> str:
    if result.status == "superseded":
        return _("第%(number)s版（改定により失効）", number=result.revision)
    if result.approved:
        return _("承認済 第%(number)s版", number=result.revision)
    return _("案（未承認）")


def _header() -> list[str]:
    return [str(c) for c in COLUMNS]


def _row_values(result: YearResult, r: ShareRow) -> list[object]:
    return [
        result.year,
        wareki_year(result.year),
        status_label(result),
        result.revision or "",
        r.item_name,
        r.category_label,
        _("按分対象") if r.shared else _("個別"),
        r.item_amount,
        r.rule_name,
        r.member_code,
        r.member_name,
        r.amount,
        r.ratio,
        r.explanation_ja,
        r.explanation_en,
    ]


def _total_rows(result: YearResult) -> list[list[object]]:
    rows: list[list[object]] = []
    for code, name in result.members:
        total = sum(r.amount for r in result.rows if r.member_code == code)
        if total or any(r.member_code == code for r in result.rows):
            rows.append(
                [
                    result.year,
                    wareki_year(result.year),
                    status_label(result),
                    result.revision or "",
                    _("合計"),
                    "",
                    "",
                    "",
                    "",
                    code,
                    name,
                    total,
                    "",
                    "",
                    "",
                ]
            )
    return rows


def to_csv(result: YearResult) -> str:
    """The shares, then a total per member (UTF-8 with BOM; text that could be a formula neutralised)."""
    rows = [_row_values(result, r) for r in result.rows]
    return exports.csv_text(_header(), [*rows, *_total_rows(result)])


def to_xlsx(result: YearResult, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("負担額")
    exports.append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=13)
    exports.append_row(sheet, _header())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in result.rows:
        exports.append_row(sheet, _row_values(result, r))
    for row in sheet.iter_rows(min_row=3):
        row[7].number_format = row[11].number_format = "#,##0"
        row[13].alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip(
        "ABCDEFGHIJKLMNO", (8, 14, 16, 5, 30, 14, 10, 16, 28, 10, 12, 16, 8, 70, 50), strict=True
    ):
        sheet.column_dimensions[column].width = width
    totals = book.create_sheet(_("団体別合計"))
    exports.append_row(
        totals, [_("団体コード"), _("団体名"), _("按分対象（円）"), _("個別（円）"), _("合計（円）")]
    )
    for code, name in result.members:
        rows = [r for r in result.rows if r.member_code == code]
        if not rows:
            continue
        shared = sum(r.amount for r in rows if r.shared)
        own = sum(r.amount for r in rows if not r.shared)
        exports.append_row(totals, [code, name, shared, own, shared + own])
    for row in totals.iter_rows(min_row=2):
        for cell in row[2:]:
            cell.number_format = "#,##0"
    return exports.workbook_bytes(book)


def _pct(ratio: str) -> str:
    value = Decimal(ratio) * 100
    return f"{value.normalize():f}%"


def statement_pdf(
    result: YearResult,
    *,
    consortium: str,
    member_code: str,
    member_name: str,
    violations: Sequence[Violation] = (),
) -> bytes:
    """負担金算定書: one city's share of each item in a fiscal year, with ratio, reason and totals.

    The page set-up is the platform's (``tenant_core.pdf``); names typed by users are escaped there. Each
    share's reason is printed from ``explanation_ja`` whatever the page language.
    """
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    st = STATEMENT.styles()
    body, small, title_style, right = st.body, st.small, st.title, st.right

    rows = [r for r in result.rows if r.member_code == member_code]
    issued = dt.datetime.now(JST).date()
    title = _("%(year)s 負担金算定書", year=wareki_year(result.year))
    status = _("状態: %(status)s", status=status_label(result))
    if result.approved_at:
        approved_on = wareki_date(result.approved_at.replace(tzinfo=dt.UTC).astimezone(JST).date())
        status += _("（承認日 %(date)s）", date=approved_on)
    story = [
        paragraph(title, title_style),
        Spacer(1, 4 * mm),
        paragraph(_("%(name)s 様（団体コード %(code)s）", name=member_name, code=member_code), body),
        paragraph(f"{consortium}", body),
        paragraph(
            _(
                "対象年度: %(year)s（%(start)s年4月1日〜%(end)s年3月31日）",
                year=wareki_year(result.year),
                start=result.year,
                end=result.year + 1,
            ),
            body,
        ),
        paragraph(status, body),
        paragraph(_("作成日: %(date)s", date=wareki_date(issued)), body),
        Spacer(1, 5 * mm),
    ]
    if result.reason and result.revision and result.revision > 1:
        story.insert(6, paragraph(_("改定理由: %(reason)s", reason=result.reason), body))
    headings = (_("費目"), _("区分"), _("費目総額（円）"), _("按分率"), _("負担額（円）"))
    data = [[paragraph(h, body) for h in headings]]
    style = [
        ("FONT", (0, 0), (-1, -1), STATEMENT.font, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for r in rows:
        data.append(
            [
                paragraph(r.item_name, body),
                paragraph((_("按分対象") if r.shared else _("個別")) + "・" + r.category_label, body),
                paragraph(f"{r.item_amount:,}", right),
                paragraph(_pct(r.ratio), right),
                paragraph(f"{r.amount:,}", right),
            ]
        )
        basis = _("算定根拠: %(rule)s — %(explanation)s", rule=r.rule_name, explanation=r.explanation_ja)
        data.append([paragraph(basis, small), "", "", "", ""])
        style.append(("SPAN", (0, len(data) - 1), (-1, len(data) - 1)))
    shared = sum(r.amount for r in rows if r.shared)
    own = sum(r.amount for r in rows if not r.shared)
    for label, value in (
        (_("按分対象 小計"), shared),
        (_("個別 小計"), own),
        (_("負担金 合計"), shared + own),
    ):
        data.append([paragraph(label, body), "", "", "", paragraph(f"{value:,}", right)])
        style.append(("SPAN", (0, len(data) - 1), (3, len(data) - 1)))
    style.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#fff3cd")))
    table = Table(data, colWidths=[58 * mm, 30 * mm, 32 * mm, 20 * mm, 32 * mm], repeatRows=1)
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 5 * mm))
    story.append(
        paragraph(
            _(
                "按分率は構成団体の合意した按分ルールにより算定し、各費目の負担額の合計は費目総額に一致します"
                "（単位未満の端数は最大剰余法により配分）。"
            ),
            small,
        )
    )
    if violations:
        # The fairness check (公平性の検証): where this city pays more than its own way, say so with the numbers.
        story.append(Spacer(1, 3 * mm))
        story.append(paragraph(_("公平性の検証: 次の負担が単独または提携での費用を超えています。"), body))
        for v in violations:
            story.append(paragraph("・" + v.text_ja, small))
    return build_pdf(story, STATEMENT, title=f"{title} {member_name}", author=consortium)
