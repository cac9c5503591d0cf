"""``kyodo demo residents SLUG --count N``: synthetic residents in bulk, with progress."""

from __future__ import annotations

import sys
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from tenant_core.extensions import get_db
from tenant_core.models import Tenant


@click.group("demo")
def demo() -> None:
    """Demo data for the business modules."""


@demo.command("residents")
@click.argument("slug")
@click.option("--count", type=click.IntRange(min=1, max=5_000_000), default=300, show_default=True)
@click.option("--batch", type=click.IntRange(min=100, max=100_000), default=5000, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True, help="same seed, same people")
@with_appcontext
def residents(slug: str, count: int, batch: int, seed: int) -> None:
    """Add COUNT synthetic residents (households, names with カナ, addresses in the city) to SLUG."""
    from modules.residents.bulk import load_residents

    db = get_db()
    with db.session() as session:
        exists = session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
    if exists is None:
        click.echo(f"エラー / error: 団体 {slug} は登録されていません (unknown tenant)", err=True)
        sys.exit(1)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        click.echo(f"  {done:>9,} / {total:,}  {done / elapsed:,.0f} 人/秒")

    added = load_residents(
        db, current_app.config["SECRET_KEY"], slug, count, batch_people=batch, seed=seed, progress=progress
    )
    elapsed = time.perf_counter() - started
    click.echo(f"{slug}: {added:,} residents added in {elapsed:.1f} s ({added / elapsed:,.0f} rows/s)")
