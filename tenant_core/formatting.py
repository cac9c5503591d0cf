"""Formatting for every page, registered as Jinja filters: dates, fiscal years and percentages.

Japanese pages write dates and fiscal years with the era, as the city's forms do (令和8年4月1日,
令和8年度); English pages write them the Western way (April 1, 2026; FY2026). Printed documents
(certificates, statements) call ``tenant_core.japanese`` directly: they are Japanese whatever the page.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from babel.dates import format_date
from flask import Flask
from flask_babel import gettext as _
from markupsafe import Markup

from tenant_core.i18n import request_lang
from tenant_core.japanese import wareki_date, wareki_year
from tenant_core.wareki import short_wareki, try_parse, understood


def page_date(day: dt.date | None) -> str:
    """A date as the page's language writes it; "" for none, the Western date before 明治."""
    if day is None:
        return ""
    if request_lang() == "en":
        return format_date(day, "long", locale="en")
    try:
        return wareki_date(day)
    except ValueError:
        return f"{day.year}年{day.month}月{day.day}日"


def page_fiscal_year(year: int) -> str:
    """A fiscal year (April to March) as the page's language names it: 令和8年度 or FY2026."""
    return f"FY{year}" if request_lang() == "en" else wareki_year(year)


# Japanese punctuation of the page templates and its Western counterpart on English pages.
WESTERN_MARKS = {"（": " (", "）": ")", "、": ", ", "・": " · ", "／": " / ", "〜": " – ", "　": " "}


def punct(mark: str) -> str:
    """A punctuation mark of the page as its language writes it: （ on Japanese pages, ( on English ones."""
    return WESTERN_MARKS.get(mark, mark) if request_lang() == "en" else mark


def paren(text: object) -> Markup:
    """``text`` in brackets as the page's language writes them; ``text`` is escaped unless it is markup."""
    return Markup("{}{}{}").format(punct("（"), text, punct("）"))


def wareki_understood(value: object) -> str:
    """What a date field echoes of the date it read: 「令和8年4月1日（2026年4月1日） と読みました」; on English
    pages the Western date and the era in JIS X 0301's letters (April 1, 2026 (R08.04.01)); '' for none."""
    day = try_parse(value)
    if day is None:
        return ""
    if request_lang() == "en":
        try:
            era = short_wareki(day)
        except ValueError:
            era = day.isoformat()
        return _("%(date)s と読みました", date=f"{format_date(day, 'long', locale='en')} ({era})")
    return _("%(date)s と読みました", date=understood(day))


def percent(ratio: str | Decimal | Fraction | float, places: int = 1) -> str:
    """A ratio as a percentage rounded half-up (四捨五入): 0.571 -> '57.1%', -0.107837 at 2 -> '-10.78%'."""
    exact = (ratio if isinstance(ratio, Fraction) else Fraction(Decimal(str(ratio)))) * 100
    with localcontext() as ctx:
        ctx.prec = 60  # enough for any ratio of yen amounts, so that only the final rounding rounds
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
        return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def init_app(app: Flask) -> None:
    app.add_template_filter(page_fiscal_year, "wareki_year")
    app.add_template_filter(page_date, "wareki_date")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(paren, "paren")
    app.add_template_global(punct, "punct")
    app.add_template_global(wareki_understood, "wareki_understood")
