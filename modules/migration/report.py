"""The report of a run: one row per problem (line, column, value, rule broken, in Japanese) as CSV and
Excel, through the one export layer, and the summary beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modules.migration.reading import Problem
from tenant_core import exports

HEADER = ("ファイル", "行", "列", "値", "違反した規則")
SUMMARY_LABELS = {
    "rows_read": "読み込んだ行数",
    "rows_valid": "正常な行数",
    "rows_rejected": "除外した行数",
    "households": "世帯数",
    "seals_read": "印鑑登録（読み込み）",
    "seals_valid": "印鑑登録（正常）",
    "seals_rejected": "印鑑登録（除外）",
    "errors": "問題の件数",
}


def _row(p: Problem) -> list[Any]:
    return [p.file, p.line, p.column, p.value, p.rule]


def summary_rows(summary: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [[label, summary.get(key, 0)] for key, label in SUMMARY_LABELS.items()]
    for label, n in summary.get("by_status", {}).items():
        out.append([f"状態: {label}", n])
    for label, n in summary.get("by_citizenship", {}).items():
        out.append([f"住民種別: {label}", n])
    return out


def write(directory: Path, stem: str, problems: list[Problem], summary: dict[str, Any]) -> list[Path]:
    """``<stem>_report.csv``, ``<stem>_report.xlsx`` and ``<stem>_summary.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"{stem}_report.csv"
    csv_path.write_text(exports.csv_text(HEADER, (_row(p) for p in problems)), encoding="utf-8", newline="")
    from openpyxl import Workbook  # only when a report is written, not at start-up

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "問題一覧"
    exports.append_row(sheet, HEADER)
    for p in problems:
        exports.append_row(sheet, _row(p))
    totals = book.create_sheet("集計")
    exports.append_row(totals, ("項目", "件数"))
    for row in summary_rows(summary):
        exports.append_row(totals, row)
    xlsx_path = directory / f"{stem}_report.xlsx"
    xlsx_path.write_bytes(exports.workbook_bytes(book))
    json_path = directory / f"{stem}_summary.json"
    json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return [csv_path, xlsx_path, json_path]
