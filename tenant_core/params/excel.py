"""The FIT&GAP comparison as an Excel workbook (openpyxl, through the export layer: no live formulas)."""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from tenant_core import exports
from tenant_core.i18n import request_lang
from tenant_core.params.comparison import Comparison

_DIFFERS = PatternFill("solid", fgColor="FDE8E8")
_HEADER = Font(bold=True)


def comparison_workbook(comparison: Comparison, title: str) -> bytes:
    """One sheet: a row per parameter, a column per city; the rows where cities differ are shaded."""
    lang = request_lang()
    wb = Workbook()
    ws = wb.active
    ws.title = "FIT&GAP"
    exports.append_row(ws, [title])
    ws["A1"].font = Font(bold=True, size=13)
    header = [
        _("キー"),
        _("項目"),
        _("単位"),
        _("既定値"),
        *[name for _id, _slug, name in comparison.tenants],
        _("団体差"),
    ]
    exports.append_row(ws, header)
    for cell in ws[2]:
        cell.font = _HEADER
    for p in comparison.params:
        differs = comparison.differs(p.key)
        row = [p.key, p.label(lang), str(p.unit or ""), p.display(p.parse(p.default), lang)]
        for tenant_id, _slug, _name in comparison.tenants:
            resolved = comparison.cells[(p.key, tenant_id)]
            source = _("（協議会）") if resolved.source == "consortium" else ""
            row.append(p.display(resolved.value, lang) + source)
        row.append(_("あり") if differs else "")
        exports.append_row(ws, row)
        if differs:
            for cell in ws[ws.max_row]:
                cell.fill = _DIFFERS
    for column, width in zip("ABCD", (34, 30, 8, 20), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "C3"
    return exports.workbook_bytes(wb)
