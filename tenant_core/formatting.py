"""Formatting for every page, registered as Jinja filters: Japanese eras and percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from flask import Flask

from tenant_core.japanese import wareki_date, wareki_year


def percent(ratio: str | Decimal | Fraction | float, places: int = 1) -> str:
    """A ratio as a percentage rounded half-up (四捨五入): 0.571 -> '57.1%', -0.107837 at 2 -> '-10.78%'."""
    exact = (ratio if isinstance(ratio, Fraction) else Fraction(Decimal(str(ratio)))) * 100
    with localcontext() as ctx:
        ctx.prec = 60  # enough for any ratio of yen amounts, so that only the final rounding rounds
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
        return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def init_app(app: Flask) -> None:
    app.add_template_filter(wareki_year, "wareki_year")
    app.add_template_filter(wareki_date, "wareki_date")
    app.add_template_filter(percent, "percent")
