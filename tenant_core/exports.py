"""The one export layer: every CSV and Excel file the application writes goes through here.

Text that a spreadsheet would read as a formula (OWASP "CSV Injection": a cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) is neutralised by prefixing a single quote, in CSV and xlsx alike; the
full-width ``＝ ＋ － ＠`` are treated the same, since Japanese spreadsheet software may take them for the
ASCII ones. Numbers stay numbers: a negative amount written as a number is fine, the *text* ``-5`` typed by
a user is neutralised. CSV is UTF-8 with a BOM so that Excel opens it in Japanese.

    body = exports.csv_text(header, rows)               # str, BOM first
    sheet = book.active; exports.append_row(sheet, row)  # openpyxl, each cell neutralised
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# What openpyxl refuses in a cell (C0 controls but tab, LF and CR): dropped rather than failing the export.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Number = int | float | Decimal


def neutralise(text: str) -> str:
    """Text that cannot start a formula: ``'`` prefixed where a spreadsheet would evaluate it."""
    if text.startswith(FORMULA_STARTS) or text.lstrip(" \u3000").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def cell(value: Any) -> Any:
    """A value fit for a cell: numbers, dates and None as they are, everything else as neutralised text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Number | dt.date | dt.datetime | dt.time):
        return value
    return neutralise(str(value))


def csv_row(values: Iterable[Any]) -> list[Any]:
    return ["" if v is None else cell(v) for v in values]


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document: BOM, the header, then the rows, every cell neutralised."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
    return out.getvalue()


def xlsx_cell(value: Any) -> Any:
    value = cell(value)
    if isinstance(value, str):
        value = _ILLEGAL_IN_XLSX.sub("", value)
    return value


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """``sheet.append`` with every cell neutralised (an openpyxl worksheet)."""
    sheet.append([xlsx_cell(v) for v in values])


def workbook_bytes(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
