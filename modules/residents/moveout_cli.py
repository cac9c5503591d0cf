"""``kyodo residents confirm-due-move-outs``: record the 転出 of every notice whose 転出予定日 has come.

Run it daily (a timer, cron) a little after midnight, Japan time: 施行令第8条 removes the person on the
転出予定日 without another act (see ``moveouts.py``). Each city is its own transaction.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tenant_core.extensions import get_db
from tenant_core.models import Tenant, TenantStatus


@click.group("residents")
def residents() -> None:
    """The resident register's routine tasks."""


@residents.command("confirm-due-move-outs")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="every active city")
@with_appcontext
def confirm_due_move_outs(slugs: tuple[str, ...], all_: bool) -> None:
    """Confirm the 転出届 whose 転出予定日 is today or earlier, in SLUGS (or --all)."""
    from modules.residents.moveouts import confirm_due

    if not slugs and not all_:
        click.echo(
            "エラー / error: 団体を指定するか --all を付けてください (name a tenant or --all)", err=True
        )
        sys.exit(2)
    db = get_db()
    with db.session() as session:
        query = sa.select(Tenant.slug).where(Tenant.status == TenantStatus.active)
        known = list(session.scalars(query if all_ else query.where(Tenant.slug.in_(slugs))))
    unknown = sorted(set(slugs) - set(known))
    if unknown:
        click.echo(
            f"エラー / error: 団体 {', '.join(unknown)} は登録されていません (unknown tenant)", err=True
        )
        sys.exit(1)
    failed = False
    for slug in known:
        with db.session(f"t_{slug}") as session:
            done, refused = confirm_due(session)
            session.commit()
        click.echo(f"{slug}: {done} 件の転出を確定 / confirmed")
        for line in refused:
            failed = True
            click.echo(f"  {slug}: {line}", err=True)
    sys.exit(1 if failed else 0)
