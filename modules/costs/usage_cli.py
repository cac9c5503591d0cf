"""`kyodo costs collect-usage`: measure a month's usage of every active city (or those named) and store it.

The platform's scheduler runs it monthly (modules/costs/usage_schedule.py, on the 1st for the month
before, one job per city); running it again for a month refreshes the
measured figures and keeps the corrected ones.
"""

from __future__ import annotations

import re
import sys

import click
from flask.cli import with_appcontext

from tenant_core.extensions import get_db


def _previous_month() -> tuple[int, int]:
    from modules.costs.usage_schedule import previous_month
    from tenant_core.japanese import japan_today

    return previous_month(japan_today())


@click.command("collect-usage")
@click.argument("slugs", nargs=-1)
@click.option("--month", "month_text", help="YYYY-MM (default: the month before, Japan time)")
@with_appcontext
def collect_usage_command(slugs: tuple[str, ...], month_text: str | None) -> None:
    """Measure one month's usage per city (certificates, prints, jobs, storage, staff, requests, records)."""
    from modules.costs.errors import CostError
    from modules.costs.usage import collect

    if month_text is None:
        year, month = _previous_month()
    else:
        found = re.fullmatch(r"(\d{4})-(\d{1,2})", month_text)
        if not found:
            click.echo(f"エラー / error: --month {month_text!r} は YYYY-MM で指定してください", err=True)
            sys.exit(2)
        year, month = int(found[1]), int(found[2])
    db = get_db()
    with db.session() as shared:
        try:
            summary = collect(db, shared, year, month, slugs or None)
        except CostError as err:
            click.echo(f"エラー / error: {err}", err=True)
            sys.exit(2)
        if slugs and summary.tenants != len(set(slugs)):
            click.echo("エラー / error: 登録されていない団体があります (unknown tenant)", err=True)
            sys.exit(1)
        shared.commit()
    click.echo(
        f"{year}-{month:02d}: {summary.tenants} 団体, {summary.counts} 件の計数"
        f"（訂正済みを保持 {summary.kept_revised} 件） / cities, counts, corrected kept"
    )
