"""Which rate a vehicle is taxed at for a fiscal year, and why (the rule kept in the 課税台帳)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from modules.keitax.classes import BY_CODE
from tenant_core.japanese import fiscal_year_of, is_business_day

# 旧税率: 最初の新規検査が平成27年3月31日以前の軽三輪・軽四輪 (平成26年度の地方税法等改正法の附則;
# the law's number and article: not verified. The cut-off and the amounts were checked against the
# cities' published rate tables).
OLD_RATE_BEFORE = dt.date(2015, 4, 1)
# 重課: vehicles 13 years past their 最初の新規検査, from the fiscal year AFTER the one in which the 13
# years are reached (the cities' tables: 初度検査 平成24年4月-平成25年3月 -> 令和8年度から).
# 地方税法附則第30条第1項 is the usual citation: not verified.
HEAVY_AFTER_YEARS = 13


class Rule:
    standard = "standard"  # 標準税率・条例税率
    old = "old"  # 旧税率
    heavy = "heavy"  # 重課
    green = "green"  # 軽課（グリーン化特例）
    none = "none"  # not owned on the 賦課期日: no tax (a 更正 to zero)


@dataclass(frozen=True)
class Rated:
    rate: int
    rule: str


def levy_date(fiscal_year: int) -> dt.date:
    """賦課期日: 4月1日 of the fiscal year; whoever owns the vehicle on that day is taxed for the whole
    year (the 種別割's 賦課期日 article of 地方税法, 第463条の19 as usually cited: not verified)."""
    return dt.date(fiscal_year, 4, 1)


def rate_table(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["vehicle_class"]: r for r in rows}


def heavy_from(first_inspection: dt.date) -> int:
    """The first fiscal year of 重課: the one after the year of the month in which 13 years have passed
    (a vehicle first inspected in 2013-03 reaches 13 years in 2026-03, FY2025: 重課 from FY2026)."""
    year = first_inspection.year + HEAVY_AFTER_YEARS
    return fiscal_year_of(dt.date(year, first_inspection.month, 1)) + 1


def rate_for(
    table: dict[str, dict[str, Any]],
    vehicle_class: str,
    first_inspection: dt.date | None,
    acquired_on: dt.date,
    green: bool,
    fiscal_year: int,
) -> Rated:
    """The rate and the rule for one vehicle; ``KeyError`` for a class the table lacks."""
    row = table[vehicle_class]
    if BY_CODE[vehicle_class].inspected and first_inspection is not None:
        # 軽課 (グリーン化特例): a new electric vehicle (first inspected when acquired) acquired in the
        # previous fiscal year, for that one year only (the cities' notices: 初度検査 令和4年4月-令和5年3月 ->
        # 令和5年度分に限り). The article (地方税法附則第30条) is not verified.
        new_last_year = (
            fiscal_year_of(acquired_on) == fiscal_year - 1
            and fiscal_year_of(first_inspection) == fiscal_year - 1
        )
        if green and new_last_year and row.get("green"):
            return Rated(int(row["green"]), Rule.green)
        # Electric vehicles are outside the 重課 (附則第30条第1項: not verified).
        if not green and row.get("heavy") and heavy_from(first_inspection) <= fiscal_year:
            return Rated(int(row["heavy"]), Rule.heavy)
        if first_inspection < OLD_RATE_BEFORE and row.get("old"):
            return Rated(int(row["old"]), Rule.old)
    return Rated(int(row["standard"]), Rule.standard)


def after_reduction(rate: int, percent: int, unit: int) -> tuple[int, int]:
    """(減免額, 税額): the tax after a reduction of ``percent``, cut down to ``unit`` yen."""
    remaining = rate * (100 - percent) // 100
    amount = remaining - remaining % unit if unit > 1 else remaining
    return rate - amount, amount


def due_date(fiscal_year: int, month: int, day: int) -> dt.date:
    """納期限: the city's day, the month's last day at most, moved past a weekend or holiday
    (地方税法第20条の5第2項: not verified)."""
    last = calendar.monthrange(fiscal_year, month)[1]
    due = dt.date(fiscal_year, month, min(day, last))
    while not is_business_day(due):
        due += dt.timedelta(days=1)
    return due
