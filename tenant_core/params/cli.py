"""``kyodo params``: export and import a city's values as tenants/<slug>/params.toml, and show them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant
from tenant_core.params import files, resolution, tomlfile
from tenant_core.params.changes import Actor, ParamError
from tenant_core.params.registry import registry


def _fail(message: str, status: int = 1) -> NoReturn:
    click.echo(f"エラー / error: {message}", err=True)
    sys.exit(status)


def _tenant(session, slug: str) -> Tenant:
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        _fail(f"no tenant with slug {slug!r}")
    return tenant


def params_path(slug: str) -> Path:
    return get_settings().tenants_dir / slug / "params.toml"


@click.group("params")
def params() -> None:
    """Parameters of each city: show, export to and import from tenants/<slug>/params.toml."""


@params.command("show")
@click.argument("slug")
@click.option("--module", default=None, help="only this module's parameters (core, certificates ...)")
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="resolve on this date"
)
@with_appcontext
def show(slug: str, module: str | None, on: dt.datetime | None) -> None:
    """Each parameter's value for the city and where it comes from."""
    with get_db().session() as session:
        tenant = _tenant(session, slug)
        ps = resolution.load_param_set(session, tenant.id, tenant.consortium_id)
    day = on.date() if on else None
    for line in resolution.overview(ps, module, day):
        p = line.param
        click.echo(f"{p.key:<34} {p.display(line.resolved.value):<30} ({line.resolved.source})")


@params.command("export")
@click.argument("slug")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="default: tenants/<slug>/params.toml",
)
@with_appcontext
def export(slug: str, output: Path | None) -> None:
    """Write the city's own values (and its scheduled changes) to tenants/<slug>/params.toml."""
    with get_db().session() as session:
        tenant = _tenant(session, slug)
        data = files.export_city(session, tenant.id, tenant.consortium_id)
        header = (
            f"{tenant.name} ({slug}): the city's own parameter values, written by `kyodo params export {slug}`.\n"
            "Parameters not listed follow the consortium's value or the default. "
            f"Apply with `kyodo params import {slug}`."
        )
    target = output or params_path(slug)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(tomlfile.dumps(data, header), encoding="utf-8")
    click.echo(
        f"{slug}: {len(data['values'])} values, {len(data['scheduled'])} scheduled changes written to {target}"
    )


@params.command("import")
@click.argument("slug")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="default: tenants/<slug>/params.toml",
)
@click.option("--dry-run", is_flag=True, help="validate and show the changes; change nothing")
@click.option("--prune", is_flag=True, help="also remove the city's own values that the file does not list")
@click.option("--reason", default=None, help="reason recorded with each change (default: the file name)")
@with_appcontext
def import_(slug: str, path: Path | None, dry_run: bool, prune: bool, reason: str | None) -> None:
    """Validate every value of the file, show the changes, then apply all of them or none."""
    source = path or params_path(slug)
    try:
        data = tomlfile.read(source)
    except ParamError as exc:
        _fail(str(exc), 2)
    with get_db().session() as session:
        tenant = _tenant(session, slug)
        try:
            plan = files.plan_import(session, tenant.id, tenant.consortium_id, data, prune=prune)
        except ParamError as exc:
            for key, messages in exc.problems.items():
                for message in messages:
                    click.echo(f"  {key}: {message}", err=True)
            _fail(f"{source}: {sum(len(m) for m in exc.problems.values())} problem(s); nothing changed", 2)
        for item in plan:
            arrow = (
                f"{item.old} -> {item.new}"
                if item.kind != "schedule"
                else f"-> {item.new} from {item.effective_from}"
            )
            click.echo(f"{item.kind:<8} {item.key:<34} {arrow}")
        if not plan:
            click.echo(f"{slug}: nothing to change")
            return
        if dry_run:
            click.echo(f"{slug}: {len(plan)} change(s) would be made (dry run: nothing changed)")
            return
        files.apply_import(
            session,
            tenant.id,
            tenant.consortium_id,
            plan,
            Actor.platform("kyodo-cli"),
            reason or f"{source.name} の取込",
        )
        session.commit()
    click.echo(f"{slug}: {len(plan)} change(s) applied")


@params.command("keys")
def keys() -> None:
    """List every declared parameter (the registry is checked as it loads)."""
    for p in registry():
        click.echo(f"{p.key:<34} {p.type.name:<12} {p.label_ja}")
