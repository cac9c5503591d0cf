"""Japanese calendar formatting: era years (和暦) for dates and fiscal years (年度, April to March)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from tenant_core.wareki import ERAS as _ERA_TABLE
from tenant_core.wareki import era_of as _era_of

# (first day, name) of each era, newest first: the one era table is tenant_core.wareki.ERAS.
ERAS: tuple[tuple[dt.date, str], ...] = tuple((e.start, e.name) for e in _ERA_TABLE)


def era_of(day: dt.date) -> tuple[str, int]:
    """(era name, year of the era) of a date, e.g. (令和, 1) for 2019-05-01 and (平成, 31) for 2019-04-30."""
    era, year = _era_of(day)
    return era.name, year


def _year_text(number: int) -> str:
    return "元" if number == 1 else str(number)


def wareki_date(day: dt.date) -> str:
    """'令和8年4月1日' for 2026-04-01; '令和元年5月1日' for 2019-05-01, '平成31年4月30日' the day before."""
    name, year = era_of(day)
    return f"{name}{_year_text(year)}年{day.month}月{day.day}日"


def wareki_year(fiscal_year: int) -> str:
    """The fiscal year that begins in April of ``fiscal_year`` with its era: wareki_year(2026) -> '令和8年度'.

    A fiscal year takes the era in force on 1 May of its first calendar year: FY2019, which began on
    平成31年4月1日, is 令和元年度 as the government names it, and FY1988 stays 昭和63年度 although 平成
    began during its last quarter.
    """
    name, year = era_of(dt.date(fiscal_year, 5, 1))
    return f"{name}{_year_text(year)}年度"


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year (the calendar year in which its April falls) that contains ``day``."""
    return day.year if day.month >= 4 else day.year - 1


JST = dt.timezone(dt.timedelta(hours=9), "JST")


def japan_today() -> dt.date:
    """Today's date in Japan, whatever the server's clock zone: between midnight and 9 a.m. in Japan
    the UTC date is still yesterday, and a 転入 dated today would be refused as being in the future."""
    return dt.datetime.now(JST).date()


def jst(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored timestamp (naive UTC) as Japan time for the screen; '-' when there is none."""
    if moment is None:
        return "-"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(JST).strftime(fmt)


@cache
def _holidays() -> Any:
    """Japan's national holidays, loaded on first use: the package is slow to import and most
    processes never need it."""
    import holidays

    return holidays.Japan(language="ja")


def is_holiday(day: dt.date) -> bool:
    """A Saturday, a Sunday or a national holiday (国民の祝日に関する法律)."""
    return day.weekday() >= 5 or day in _holidays()


def is_business_day(day: dt.date) -> bool:
    """A day the city offices open: not a Saturday, Sunday or national holiday, nor 29 December to 3
    January (地方自治法第4条の2第1項, the days a municipality's offices are closed; the same days
    地方税法第20条の5第2項 moves a tax's due date past)."""
    if is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))
