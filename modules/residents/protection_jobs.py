"""The daily reminder of 支援措置 ending within a month, and the command a timer runs to raise it.

``kyodo protection remind --all`` (or named cities), run once a day from cron or a systemd timer,
enqueues ``raise_expiring`` for each city with the resident register. The job writes a published
portal notice (お知らせ) that says only how many measures end soon and where the list is: no name,
no number, nothing that tells staff without the permission who is protected. One notice per city
and day: a second run the same day finds it and adds nothing (the job is idempotent).
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from modules.residents import protection
from tenant_core.extensions import get_db
from tenant_core.japanese import japan_today
from tenant_core.jobs import JobContext, enqueue, job
from tenant_core.models import Notice, Tenant
from tenant_core.tenancy import find_tenant

NOTICE_TITLE = "終了が近い支援措置があります（{day}）"


@job(idempotent=True)
def raise_expiring(ctx: JobContext) -> dict[str, int]:
    """Job: post today's notice when 支援措置 end within ``EXPIRY_WINDOW_DAYS``; returns the count."""
    today = japan_today()
    count = len(protection.expiring(ctx.session, today))
    title = NOTICE_TITLE.format(day=today.isoformat())
    exists = ctx.session.scalar(sa.select(Notice.id).where(Notice.title == title))
    posted = 0
    if count and exists is None:
        ctx.session.add(
            Notice(
                title=title,
                body=(
                    f"{protection.EXPIRY_WINDOW_DAYS}日以内に終了予定日を迎える支援措置が{count}件あります。"
                    "支援措置担当は「住民記録 › 終了が近い支援措置」で確認し、申出者に延長の意向を確認してください。"
                ),
                publish_on=today,
                published=True,
            )
        )
        ctx.session.flush()
        posted = 1
    return {"expiring": count, "notice": posted}


@click.group("protection")
def protection_cli() -> None:
    """支援措置 (support measures) of the resident register."""


@protection_cli.command("remind")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_cities", is_flag=True, help="every active city with the resident register")
@with_appcontext
def remind(slugs: tuple[str, ...], all_cities: bool) -> None:
    """Enqueue today's reminder of measures ending within a month (run daily from a timer)."""
    if not slugs and not all_cities:
        click.echo("エラー / error: 団体を指定するか --all を付けてください (name cities or --all)", err=True)
        sys.exit(2)
    db = get_db()
    with db.session() as session:
        if all_cities:
            rows = session.scalars(sa.select(Tenant).order_by(Tenant.slug)).all()
            slugs = tuple(t.slug for t in rows if "residents" in (t.modules or []) and t.status == "active")
        for slug in slugs:
            tenant = find_tenant(slug)
            if tenant is None:
                click.echo(f"エラー / error: 団体 {slug} は登録されていません (unknown tenant)", err=True)
                sys.exit(1)
            job_id = enqueue(
                raise_expiring, tenant=tenant, session=session, title="支援措置の終了予定 / expiring measures"
            )
            click.echo(f"{slug}: {job_id}")
        session.commit()
