"""The ``kyodo`` command line: a Flask CLI group for the operator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from tenant_core.extensions import get_db, get_settings

if TYPE_CHECKING:
    from tenant_core.models import Tenant, TenantStatus

# Imports of the application's parts happen inside the commands: ``kyodo --help`` (and a typo) must
# not pay for the models, the configuration's validation or the modules (tests/core/test_start_up.py).


# The core's commands that need the database and the modules' models, never a page: their app is built
# without blueprints (no view, form or export library imported). The others (run, routes, shell, the
# worker and the jobs commands, whose jobs run inline without Redis and may build pages' links, the
# modules' own commands) get the whole app.
COMMANDS_WITHOUT_PAGES = frozenset({"tenants", "audit", "users"})


def _command_name() -> str | None:
    """The top-level command being run (``tenants`` for ``kyodo tenants migrate``), if any."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    return ctx.info_name if ctx is not None and ctx.parent is not None else None


def _create_app() -> Flask:
    from tenant_core.app import create_app
    from tenant_core.config import ConfigError

    try:
        return create_app(pages=_command_name() not in COMMANDS_WITHOUT_PAGES)
    except ConfigError as exc:
        click.echo(f"kyodo: {exc}", err=True)
        sys.exit(2)


class KyodoGroup(FlaskGroup):
    """Flask's command group, without the start-up work a command does not need.

    Listing the commands (``kyodo --help``) builds no app: the app adds no commands of its own
    (``app.cli``), so Flask's search for them would only import every module. Commands from other
    packages' ``flask.commands`` entry points are not offered: scanning every installed package for
    them costs a quarter of a second at each start. The parameter and module commands are imported
    when they run; ``--help`` reads their name and summary from their source (``_declared``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_plugin_commands = True  # see above: no entry-point scan
        self.lazy: dict[str, tuple[str, str, str]] = {}  # name -> (owner, spec, summary)

    def add_lazy(self, owner: str, spec: str) -> None:
        """A command declared at ``spec`` (``package.module:attribute``), imported when it is used."""
        declared = _declared(spec)
        if declared is None:  # not statically readable: import it now (a failure names the module)
            from tenant_core.modules import import_part

            self.add_command(import_part(owner, spec))
            return
        name, summary = declared
        self.lazy[name] = (owner, spec, summary)

    def _load(self, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            from tenant_core.modules import ModuleLoadError, import_part

            owner, spec, _summary = self.lazy[name]
            command = import_part(owner, spec)
            if command.name != name:
                raise ModuleLoadError(f"module {owner!r}: {spec} is named {command.name!r}, not {name!r}")
            self.add_command(command)
        return self.commands.get(name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is not None and command.hidden:
                continue
            summary = command.get_short_help_str(formatter.width - 6 - 20) if command else self.lazy[name][2]
            rows.append((name, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _declared(spec: str) -> tuple[str, str] | None:
    """The name and summary of the click command or group at ``spec``, read from its source file.

    Only the plain form ``@click.group("name")`` / ``@click.command("name", help=...)`` on a function
    is read; anything else returns None and the command is imported instead.
    """
    import ast
    import importlib.util

    path, _, attr = spec.partition(":")
    try:
        found = importlib.util.find_spec(path)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        return None
    try:
        with open(found.origin, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name == attr):
            continue
        for decorator in node.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.value.id == "click"
                and decorator.func.attr in ("group", "command")
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str)
            ):
                continue
            summary = ast.get_docstring(node) or ""
            for keyword in decorator.keywords:
                if keyword.arg in ("help", "short_help") and isinstance(keyword.value, ast.Constant):
                    summary = str(keyword.value.value)
            first = summary.strip().splitlines()[0] if summary.strip() else ""
            return decorator.args[0].value, first
    return None


@click.group(cls=KyodoGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """Kyodo: one shared application for the cities of a joint municipal cloud."""


def _fail(message: str) -> NoReturn:
    click.echo(f"エラー / error: {message}", err=True)
    sys.exit(1)


@main.command("init")
@click.option("--demo", is_flag=True, help="Also provision the demo cities declared under tenants/.")
@with_appcontext
def init_command(demo: bool) -> None:
    """Create or upgrade the shared schema; with --demo, provision the declared demo cities."""
    from tenant_core.demo import load_demo
    from tenant_core.migrate import upgrade_shared

    db = get_db()
    upgrade_shared(db)
    click.echo(f"shared schema ready ({db.engine.url.render_as_string(hide_password=True)})")
    if demo:
        for line in load_demo(db, get_settings()):
            click.echo(line)


@main.group("tenants")
def tenants() -> None:
    """Create, list, migrate, suspend, sync and drop tenants (cities)."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Japanese name, e.g. 富士市")
@click.option("--name-en", default=None)
@click.option("--code", required=True, help="全国地方公共団体コード, 6 digits with check digit")
@click.option("--consortium", "consortium_slug", required=True, help="slug of the consortium (協議会)")
@click.option("--consortium-name", default=None, help="name of the consortium, if it is new")
@click.option("--population", type=click.IntRange(min=0), default=None)
@click.option("--households", type=click.IntRange(min=0), default=None)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="reference date")
@click.option("--module", "modules", multiple=True, help="enable a module (repeatable)")
@with_appcontext
def tenants_create(slug: str, **opts: Any) -> None:
    """Create a tenant and its schema at the current revision."""
    from tenant_core.provisioning import ProvisioningError, TenantSpec, create_tenant

    as_of = opts.pop("as_of")
    spec = TenantSpec(
        slug=slug,
        population_as_of=as_of.date() if as_of else None,
        **{**opts, "modules": tuple(opts["modules"])},
    )
    try:
        tenant = create_tenant(get_db(), spec, tuple(get_settings().extra_tenant_migrations))
    except ProvisioningError as exc:
        _fail(str(exc))
    click.echo(f"created {tenant.slug} ({tenant.name}, {tenant.code}) in schema {tenant.schema}")


def _tenant_dict(t: Tenant) -> dict[str, Any]:
    return {
        "slug": t.slug,
        "name": t.name,
        "name_en": t.name_en,
        "code": t.code,
        "status": str(t.status),
        "consortium": t.consortium.slug,
        "population": t.population,
        "households": t.households,
        "population_as_of": t.population_as_of.isoformat() if t.population_as_of else None,
        "modules": list(t.modules or []),
        "schema": t.schema,
        "schema_revision": t.schema_revision,
    }


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
def tenants_list(as_json: bool) -> None:
    """List the tenants."""
    from sqlalchemy.orm import selectinload

    from tenant_core.models import Tenant

    with get_db().session() as session:
        rows = session.scalars(
            sa.select(Tenant).options(selectinload(Tenant.consortium)).order_by(Tenant.slug)
        ).all()
        data = [_tenant_dict(t) for t in rows]
    if as_json:
        echo_json(data)
        return
    for t in data:
        click.echo(
            f"{t['slug']:<20} {t['code']}  {t['status']:<10} {t['schema_revision'] or '-':<16} {t['name']}"
        )


@tenants.command("show")
@click.argument("slug")
@with_appcontext
def tenants_show(slug: str) -> None:
    """Show one tenant."""
    from tenant_core.provisioning import ProvisioningError, get_tenant

    with get_db().session() as session:
        try:
            echo_json(_tenant_dict(get_tenant(session, slug)))
        except ProvisioningError as exc:
            _fail(str(exc))


@tenants.command("migrate", with_appcontext=False)  # the app is built only when there is work
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="migrate every tenant")
@click.option("--jobs", type=click.IntRange(min=1, max=64), default=1, show_default=True)
@click.option(
    "--on-error",
    type=click.Choice(["continue", "stop"]),
    default="continue",
    show_default=True,
    help="after a failure, go on with the other tenants or skip those not yet started",
)
@click.pass_context
def tenants_migrate(ctx: click.Context, slugs: tuple[str, ...], all_: bool, jobs: int, on_error: str) -> None:
    """Upgrade tenant schemas to the newest revision, each in its own transaction."""
    if not all_ and not slugs:
        _fail("name the tenants to migrate, or pass --all")
    if all_ and slugs:
        _fail("give either --all or slugs, not both")
    head = _nothing_to_migrate(None if all_ else slugs)
    if head is not None:
        click.echo(f"nothing to do: every tenant is at {head}")
        return
    with ctx.ensure_object(ScriptInfo).load_app().app_context():
        _migrate(slugs, all_, jobs, on_error)


def _nothing_to_migrate(slugs: tuple[str, ...] | None) -> str | None:
    """The head, when every tenant named (or every tenant) is already at it; else None.

    Asked before the app is built: a deployment without a new revision runs this command on every
    start, and the answer needs only the settings, the revision files read as text and one query,
    not the modules' models, the app or the access log's key check (nothing is written).
    """
    from tenant_core.config import ConfigError, load_settings
    from tenant_core.db import Database, make_engine
    from tenant_core.migrate import declared_head, tenants_to_migrate

    try:
        settings = load_settings()
    except ConfigError:
        return None  # the app's own start-up says what is wrong
    head = declared_head("tenant", tuple(settings.extra_tenant_migrations))
    if head is None:
        return None
    db = Database(make_engine(settings.resolved_database_url, pool_size=1))
    try:
        pending = tenants_to_migrate(db, slugs, head)
    except sa.exc.DBAPIError:
        return None  # no shared schema yet, or another problem the full path reports
    finally:
        db.engine.dispose()
    return head if not pending else None


def _migrate(slugs: tuple[str, ...], all_: bool, jobs: int, on_error: str) -> None:
    from tenant_core.migrate import migrate_tenants

    report = migrate_tenants(
        get_db(),
        None if all_ else slugs,
        jobs=jobs,
        on_error=on_error,  # type: ignore[arg-type]
        extra_locations=tuple(get_settings().extra_tenant_migrations),
    )
    if not report.outcomes:
        click.echo(f"nothing to do: every tenant is at {report.head}")
        return
    for o in report.outcomes:
        line = f"{o.status:<9} {o.slug:<20} {o.before or '-'} -> {o.after or '-'}"
        click.echo(line + (f"  {o.error}" if o.error else ""))
    click.echo(
        f"{report.count('migrated')} migrated, {report.count('failed')} failed, "
        f"{report.count('skipped')} skipped (head {report.head})"
    )
    if not report.ok:
        click.echo("failed tenants keep their old revision; fix the cause and run again to resume", err=True)
        sys.exit(1)


def _set_status(slug: str, status: TenantStatus) -> None:
    from tenant_core.provisioning import ProvisioningError, set_status

    try:
        set_status(get_db(), slug, status)
    except ProvisioningError as exc:
        _fail(str(exc))
    click.echo(f"{slug}: {status}")


@tenants.command("suspend")
@click.argument("slug")
@with_appcontext
def tenants_suspend(slug: str) -> None:
    """Suspend a tenant: its pages answer with a suspension notice, its jobs are refused."""
    from tenant_core.models import TenantStatus

    _set_status(slug, TenantStatus.suspended)


@tenants.command("resume")
@click.argument("slug")
@with_appcontext
def tenants_resume(slug: str) -> None:
    """Make a suspended tenant active again."""
    from tenant_core.models import TenantStatus

    _set_status(slug, TenantStatus.active)


@tenants.command("sync")
@with_appcontext
def tenants_sync() -> None:
    """Create or update tenants from tenants/*/tenant.toml (all files are validated first)."""
    from tenant_core.declarations import DeclarationError, load_declarations
    from tenant_core.provisioning import ProvisioningError, TenantSpec, sync_tenants

    settings = get_settings()
    try:
        specs = [TenantSpec.from_declaration(d) for d in load_declarations(settings.tenants_dir)]
        for slug, action in sync_tenants(get_db(), specs, tuple(settings.extra_tenant_migrations)):
            click.echo(f"{action:<8} {slug}")
    except (DeclarationError, ProvisioningError) as exc:
        _fail(str(exc))


@tenants.command("drop")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def tenants_drop(slug: str, yes: bool, key_file: Path | None) -> None:
    """Drop a tenant's schema and record, after writing its complete backup archive under var/dumps/."""
    from tenant_core.backup.archive import BackupError, new_archive_path, write_backup
    from tenant_core.provisioning import ProvisioningError, drop_tenant

    key = _backup_key(key_file)
    if not yes and not click.confirm(f"{slug} のデータをすべて削除します (drop all data of {slug})?"):
        _fail("not confirmed; nothing dropped")
    db, dump_dir = get_db(), get_settings().var_dir / "dumps"

    def archive(_db: Any, _slug: str, _dir: Path) -> Path:
        _seal(_slug)
        try:
            return write_backup(db, slug, new_archive_path(dump_dir, slug), key).path
        except BackupError as exc:
            raise ProvisioningError(f"the backup failed, nothing dropped: {exc}") from None

    try:
        dump = drop_tenant(db, slug, dump_dir, dump=archive)
    except ProvisioningError as exc:
        _fail(str(exc))
    click.echo(
        f"dropped {slug}; backup archive written to {dump} (bring it back with `kyodo tenants restore`)"
    )


def _backup_key(key_file: Path | None) -> bytes:
    from flask import current_app

    from tenant_core.backup.crypto import BackupKeyError, load_key

    try:
        return load_key(key_file, get_settings().backup_key, current_app.config.get("SECRET_KEY"))
    except BackupKeyError as exc:
        _fail(str(exc))


def _seal(slug: str) -> None:
    """Seal what waits in the city's log, so that the archive's chain is complete."""
    from tenant_core.audit.services import seal_chain

    try:
        seal_chain(_tenant_ref(slug)[0])
    except Exception as exc:  # the backup still goes ahead; verify reports what was left unsealed
        click.echo(f"warning: sealing the log of {slug} failed: {exc}", err=True)


@tenants.command("backup")
@click.argument("slug", required=False)
@click.option("--all", "all_", is_flag=True, help="every city, one archive each (--out is a folder)")
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="archive file (or folder with --all)"
)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def tenants_backup(slug: str | None, all_: bool, out: Path | None, key_file: Path | None) -> None:
    """Write a city's complete encrypted backup: its schema, its shared rows, revisions and checksums."""
    from tenant_core.backup.archive import BackupError, new_archive_path, write_backup
    from tenant_core.models import Tenant, utcnow

    if all_ == bool(slug):
        _fail("name one city, or pass --all")
    key = _backup_key(key_file)
    db = get_db()
    if all_:
        folder = out or get_settings().resolved_backup_dir
        with db.session() as session:
            slugs = list(session.scalars(sa.select(Tenant.slug).order_by(Tenant.slug)))
        targets = [(s, new_archive_path(folder, s)) for s in slugs]
    else:
        assert slug is not None
        target = out or get_settings().resolved_backup_dir
        targets = [(slug, new_archive_path(target, slug) if target.is_dir() or not out else target)]
    failed = False
    for city, path in targets:
        tenant_id = _tenant_ref(city)[0].id
        _seal(city)
        started = utcnow()
        try:
            result = write_backup(db, city, path, key)
        except (BackupError, OSError) as exc:  # OSError: the target cannot be written (disk, folder)
            click.echo(f"エラー / error: {city}: {exc}", err=True)
            _record_backup(tenant_id, started, None, str(exc))
            failed = True
            continue
        _record_backup(tenant_id, started, result, None)
        rows = sum(result.rows.values())
        click.echo(f"{city}: {result.path} ({result.size:,} bytes, {rows:,} rows, {result.seconds:.1f} s)")
    if failed:
        sys.exit(1)


def _record_backup(tenant_id: int, started: Any, result: Any, error: str | None) -> None:
    """The job record a nightly backup leaves, for this manual one (the status reads them alike)."""
    from tenant_core.backup.schedule import record_manual_backup

    with get_db().session() as session:
        record_manual_backup(session, tenant_id, started, result, error, by=_cli_operator())
        session.commit()


@tenants.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_slug", default=None, help="restore under this slug instead of the archive's")
@click.option("--to-database", "to_database", default=None, help="restore into this database instead")
@click.option("--yes", is_flag=True, help="replace an existing city of that slug (it is backed up first)")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def tenants_restore(
    archive: Path, as_slug: str | None, to_database: str | None, yes: bool, key_file: Path | None
) -> None:
    """Restore a city from its archive; refuses a damaged archive, a wrong key or a newer revision."""
    import tempfile

    from tenant_core.backup.archive import BackupError, open_archive
    from tenant_core.backup.restore import restore_archive
    from tenant_core.db import Database, make_engine
    from tenant_core.migrate import upgrade_shared

    key = _backup_key(key_file)
    settings = get_settings()
    db = get_db()
    if to_database:
        if not to_database.startswith(("sqlite:", "postgresql")):
            _fail("--to-database must start with sqlite:/// or postgresql+psycopg://")
        if to_database.startswith("postgresql:"):
            to_database = "postgresql+psycopg:" + to_database[len("postgresql:") :]
        db = Database(make_engine(to_database, pool_size=1))
        upgrade_shared(db)
    try:
        with tempfile.TemporaryDirectory(prefix="kyodo-restore-") as tmp:
            opened = open_archive(archive, key, Path(tmp))
            result = restore_archive(
                db,
                opened,
                as_slug=as_slug,
                replace=yes,
                dump_dir=settings.var_dir / "dumps",
                key=key,
                extra_locations=tuple(settings.extra_tenant_migrations),
                operator=_cli_operator(),
            )
    except BackupError as exc:
        _fail(f"{exc}; nothing changed")
    finally:
        if to_database:
            db.engine.dispose()
    rows = sum(result.rows.values())
    click.echo(f"restored {result.slug} from {archive}: {rows:,} rows in {result.seconds:.1f} s")
    for note in result.notes:
        click.echo(f"  {note}")


@main.group("backup")
def backup() -> None:
    """Backup keys and the nightly schedule."""


@backup.command("nightly")
@click.option("--force", is_flag=True, help="also on a day the city offices are closed")
@with_appcontext
def backup_nightly(force: bool) -> None:
    """Record tonight's backup job of every city now (what the scheduler does each business day)."""
    from tenant_core.backup.schedule import enqueue_backups

    with get_db().session() as session:
        ids = enqueue_backups(session, force=force)
        session.commit()
    if not ids:
        click.echo("not a business day: nothing enqueued (--force to back up anyway)")
        return
    click.echo(f"{len(ids)} backup jobs recorded (see `kyodo jobs list` or /platform/jobs/)")


@backup.command("scheduler")
@with_appcontext
def backup_scheduler() -> None:
    """Run rq's cron scheduler: the nightly backups and the modules' scheduled work (one per installation)."""
    from tenant_core.backup.schedule import cron_expression, run_scheduler, scheduled_work

    settings = get_settings()
    if not settings.redis_url:
        _fail("the scheduler needs KYODO_REDIS_URL (jobs run on rq workers)")
    click.echo(
        f"nightly backups at {settings.backup_at} Japan time (cron {cron_expression(settings.backup_at)!r})"
    )
    try:
        work = scheduled_work()
    except ValueError as exc:
        _fail(str(exc))
    for module, func, cron in work:
        click.echo(f"{module}: {func.__module__}.{func.__qualname__} (cron {cron!r}, local time)")
    run_scheduler(settings.redis_url, settings.backup_at)


@backup.command("status")
@with_appcontext
def backup_status_command() -> None:
    """Each city's last backup: ok, failed, missed (none since the last business evening) or running."""
    from tenant_core.backup.schedule import backup_status
    from tenant_core.models import Tenant

    with get_db().session() as session:
        tenants = list(session.scalars(sa.select(Tenant).order_by(Tenant.slug)))
        found = backup_status(session, [t.id for t in tenants], get_settings().backup_at)
    bad = False
    for tenant in tenants:
        status = found[tenant.id]
        when = f"{status.last_ok_at:%Y-%m-%d %H:%M} UTC" if status.last_ok_at else "-"
        click.echo(
            f"{tenant.slug:<20} {status.state:<8} last ok {when}"
            + (f"  {status.error}" if status.error else "")
        )
        bad = bad or status.state in ("failed", "missed")
    if bad:
        sys.exit(1)


@main.group("bcp")
def bcp() -> None:
    """The emergency counter (緊急窓口): snapshot a city, serve it read-only, merge back what it issued."""


@bcp.command("snapshot")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--from-archive",
    "archive",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="build from this backup archive instead of the live database",
)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def bcp_snapshot(slug: str, out: Path | None, archive: Path | None, key_file: Path | None) -> None:
    """Build the encrypted, self-contained package of one city for the emergency counter."""
    from tenant_core.backup.archive import BackupError
    from tenant_core.bcp.package import build_snapshot

    key = _backup_key(key_file)
    if archive is None:
        _tenant_ref(slug)
        _seal(slug)
    target = out or get_settings().resolved_backup_dir / slug / f"{slug}.kyodo-bcp"
    try:
        path = build_snapshot(get_db(), slug, target, key, archive)
    except BackupError as exc:
        _fail(f"{exc}; nothing written")
    click.echo(f"{slug}: emergency package {path} ({path.stat().st_size:,} bytes)")


@bcp.command("serve", with_appcontext=False)
@click.argument("package", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
def bcp_serve(package: Path, host: str, port: int, key_file: Path | None) -> None:
    """Serve a package in emergency mode (sign in, search, 個人状況照会, certificates; nothing else)."""
    import tempfile

    from werkzeug.serving import run_simple

    from tenant_core.backup.archive import BackupError
    from tenant_core.backup.crypto import BackupKeyError, load_key
    from tenant_core.bcp.serve import close, emergency_app
    from tenant_core.config import ConfigError, load_settings

    settings = load_settings()
    try:
        key = load_key(key_file, settings.backup_key, settings.secret_key)
    except BackupKeyError as exc:
        _fail(str(exc))
    run_dir = Path(tempfile.mkdtemp(prefix="kyodo-bcp-"))
    try:
        app = emergency_app(package, key, run_dir, base=settings)
    except (BackupError, ConfigError) as exc:
        _fail(str(exc))
    manifest = app.extensions["kyodo.bcp_manifest"]
    click.echo(
        f"緊急窓口: {manifest['name']} as of {manifest['as_of']} on http://{host}:{port}/{manifest['slug']}/"
    )
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        close(app, package, key, run_dir)
        click.echo(f"what was issued is kept, encrypted, in {package}: `kyodo bcp merge` brings it back")


@bcp.command("merge")
@click.argument("package", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def bcp_merge(package: Path, key_file: Path | None) -> None:
    """Bring what the emergency counter issued back into the main register (once per package)."""
    from tenant_core.backup.archive import BackupError
    from tenant_core.bcp.merge import merge_package

    key = _backup_key(key_file)
    try:
        result = merge_package(get_db(), package, key, _cli_operator())
    except BackupError as exc:
        _fail(f"{exc}; nothing changed")
    for name, count in result.added.items():
        skipped = result.skipped.get(name)
        click.echo(
            f"{result.slug}: {name}: {count} added" + (f", {skipped} already there" if skipped else "")
        )


@backup.command("keygen", with_appcontext=False)
def backup_keygen() -> None:
    """Print a new random backup key (keep it off the database server, e.g. in KYODO_BACKUP_KEY)."""
    from tenant_core.backup.crypto import generate_key

    click.echo(generate_key())


@main.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue to listen on (repeatable); default: all")
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
@with_appcontext
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an rq worker for background jobs."""
    from flask import current_app

    from tenant_core.jobs import QUEUES, JobError, run_worker

    try:
        run_worker(current_app._get_current_object(), list(queues or QUEUES), burst=burst)  # type: ignore[attr-defined]
    except JobError as exc:
        _fail(str(exc))


@main.group("jobs")
def jobs() -> None:
    """Look after background jobs: list, retry, cancel, mark failed, reap and sweep."""


def _job_line(record: Any, stale: set[str]) -> str:
    slug = record.tenant.slug if record.tenant else "-"
    state = f"{record.state}{' (stale)' if record.id in stale else ''}"
    line = f"{record.id}  {slug:<14} {state:<16} {record.progress:>3}%  try {record.attempts}  {record.title}"
    problem = record.dispatch_error or (record.error.splitlines()[0] if record.error else "")
    return line + (f"\n    {problem}" if problem and record.state != "finished" else "")


@jobs.command("list")
@click.option("--state", type=click.Choice(["queued", "started", "finished", "failed", "canceled"]))
@click.option("--tenant", "tenant_slug", default=None, help="only this city's jobs")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
def jobs_list(state: str | None, tenant_slug: str | None, limit: int, as_json: bool) -> None:
    """List jobs, newest first; a started job with no sign of life is marked stale."""
    from tenant_core.jobs.actions import list_jobs, stale_ids
    from tenant_core.models import JobState

    with get_db().session() as session:
        rows = list_jobs(
            session, state=JobState(state) if state else None, tenant_slug=tenant_slug, limit=limit
        )
        stale = stale_ids(rows, get_settings().jobs_stale_seconds)
        if as_json:
            echo_json(
                [
                    {
                        "id": r.id,
                        "tenant": r.tenant.slug if r.tenant else None,
                        "state": str(r.state),
                        "stale": r.id in stale,
                        "title": r.title,
                        "progress": r.progress,
                        "attempts": r.attempts,
                        "idempotent": r.idempotent,
                        "checkpoint": r.progress_state,
                        "dispatch_error": r.dispatch_error,
                        "error": r.error,
                        "created_at": r.created_at.isoformat(),
                    }
                    for r in rows
                ]
            )
            return
        for r in rows:
            click.echo(_job_line(r, stale))
        if not rows:
            click.echo("no jobs")


def _job_action(job_id: str, action: str, reason: str = "") -> None:
    import getpass

    from tenant_core.audit import services as audit
    from tenant_core.jobs.actions import JobAction, JobActionError, apply, find_job

    operator = f"cli:{getpass.getuser()}"
    with get_db().session() as session:
        try:
            record = find_job(session, job_id)
            apply(session, record, JobAction(action), operator, reason)
        except JobActionError as exc:
            _fail(str(exc))
        job_id, state = record.id, str(record.state)
        session.commit()  # a retry is dispatched here
    audit.record(
        "change",
        screen="cli.jobs",
        target=f"job:{job_id}",
        detail=f"{action}" + (f": {reason}" if reason else ""),
        operator=operator,
    )
    click.echo(f"{job_id}: {state}")


@jobs.command("retry")
@click.argument("job_id")
@with_appcontext
def jobs_retry(job_id: str) -> None:
    """Queue a failed or canceled job again (it resumes from its checkpoint)."""
    _job_action(job_id, "retry")


@jobs.command("cancel")
@click.argument("job_id")
@with_appcontext
def jobs_cancel(job_id: str) -> None:
    """Cancel a queued or running job."""
    _job_action(job_id, "cancel")


@jobs.command("fail")
@click.argument("job_id")
@click.option("--reason", required=True, help="why, for the record")
@with_appcontext
def jobs_fail(job_id: str, reason: str) -> None:
    """Mark a queued or stuck job failed, with a reason."""
    _job_action(job_id, "fail", reason)


def _echo_report(report: Any) -> None:
    for job_id, reason in report.reaped:
        again = " (queued again)" if job_id in report.requeued else ""
        click.echo(f"reaped     {job_id}: {reason}{again}")
    for job_id in report.dispatched:
        click.echo(f"dispatched {job_id}")
    for job_id in report.dispatch_failed:
        click.echo(f"not dispatched {job_id}: rq unreachable, still queued")
    if not (report.reaped or report.dispatched or report.dispatch_failed):
        click.echo("nothing to do")


@jobs.command("reap")
@with_appcontext
def jobs_reap() -> None:
    """Mark failed every run that died, was lost or overran; queue idempotent ones again."""
    from tenant_core.jobs.maintenance import reap

    _echo_report(reap())


@jobs.command("sweep")
@click.option(
    "--grace", type=click.IntRange(min=0), default=None, help="seconds a queued job may wait unknown to rq"
)
@with_appcontext
def jobs_sweep(grace: int | None) -> None:
    """Dispatch again the queued jobs that never reached rq (Redis was down) or that rq lost."""
    from tenant_core.jobs.maintenance import sweep

    report = sweep(grace_seconds=grace)
    _echo_report(report)
    if report.dispatch_failed:
        sys.exit(1)


@main.group("audit")
def audit() -> None:
    """Check and maintain the access logs (操作ログ)."""


def _tenant_ref(slug: str):
    from tenant_core.models import Tenant
    from tenant_core.tenancy import TenantRef

    with get_db().session() as session:
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            _fail(f"no tenant with slug {slug!r}")
        return TenantRef.from_row(tenant), tenant.settings


def _all_tenant_refs() -> list[Any]:
    from tenant_core.audit.services import live_tenants

    return live_tenants()


def _cli_operator() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli:unknown"


def _read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")


@audit.command("verify")
@click.argument("slug", required=False)
@click.option("--platform", is_flag=True, help="verify the platform operators' log instead")
@click.option(
    "--checkpoint", "checkpoint_file", default=None, help="a signed checkpoint file to hold the log against"
)
@click.option(
    "--public-key", "public_key_file", default=None, help="the public key that signed the checkpoint file"
)
@with_appcontext
def audit_verify(
    slug: str | None, platform: bool, checkpoint_file: str | None, public_key_file: str | None
) -> None:
    """Walk a log chain, hold it against the platform's checkpoints, and report the first gap or broken link."""
    from tenant_core.audit.services import read_signed_checkpoint, verify_chain

    if not slug and not platform:
        _fail("name a city, or pass --platform")
    signed = None
    if checkpoint_file:
        if not public_key_file:
            _fail("--checkpoint needs --public-key")
        try:
            document = json.loads(_read_file(checkpoint_file, "checkpoint file"))
            signed = read_signed_checkpoint(document, _read_file(public_key_file, "public key"))
        except (ValueError, TypeError) as exc:
            _fail(str(exc))
    tenant = None if platform or not slug else _tenant_ref(slug)[0]
    with get_db().session(tenant.schema if tenant else None) as session:
        result = verify_chain(session, tenant, signed)
    name = tenant.slug if tenant else "platform"
    if result.ok:
        pending = f", {result.unsealed} not sealed yet" if result.unsealed else ""
        click.echo(f"{name}: chain intact, {result.checked} entries verified{pending}")
        return
    where = f"entry {result.first_bad_seq}" if result.first_bad_seq is not None else "an unsealed entry"
    click.echo(f"{name}: BROKEN at {where}: {result.problem} ({result.checked} verified before it)")
    sys.exit(1)


@audit.command("purge")
@click.argument("slug")
@with_appcontext
def audit_purge(slug: str) -> None:
    """Delete entries older than the city's retention period, recorded in the platform chain."""
    from tenant_core.audit.services import purge_expired
    from tenant_core.auth.services import policy_for_tenant
    from tenant_core.models import Tenant

    tenant, _ = _tenant_ref(slug)
    with get_db().session() as session:
        years = policy_for_tenant(session.get(Tenant, tenant.id)).audit_retention_years
    with get_db().session(tenant.schema) as session:
        removed = purge_expired(session, years, tenant=tenant, operator=_cli_operator())
        session.commit()
    click.echo(f"{slug}: {removed} entries older than {years} years removed")


@audit.command("seal")
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="seal every city's log and the platform's")
@with_appcontext
def audit_seal(slugs: tuple[str, ...], all_: bool) -> None:
    """Chain the entries that wait for the sealer (requests seal their own; this catches the rest)."""
    from tenant_core.audit.services import seal_all, seal_chain

    if all_ == bool(slugs):
        _fail("name the cities, or pass --all")
    if all_:
        done = seal_all(_all_tenant_refs())
    else:
        done = [(slug, seal_chain(_tenant_ref(slug)[0])) for slug in slugs]
    for name, result in done:
        if result is not None:
            rejected = f", {len(result.rejected)} refused (bad mac)" if result.rejected else ""
            click.echo(f"{name}: {result.sealed} sealed, head at seq {result.last_seq}{rejected}")


@audit.command("checkpoint")
@click.option("--all", "all_", is_flag=True, required=True, help="every city (the only mode)")
@click.option(
    "--out", "out", default=None, help="write the signed checkpoint here (default: standard output)"
)
@click.option(
    "--signing-key-file",
    envvar="KYODO_AUDIT_SIGNING_KEY_FILE",
    required=True,
    help="Ed25519 private key (PEM); default from KYODO_AUDIT_SIGNING_KEY_FILE",
)
@with_appcontext
def audit_checkpoint(all_: bool, out: str | None, signing_key_file: str) -> None:
    """Seal every log, record each city's head in the platform chain, and sign the list of heads."""
    from tenant_core.audit.services import signed_checkpoint

    try:
        document = signed_checkpoint(_all_tenant_refs(), _read_file(signing_key_file, "signing key"))
    except ValueError as exc:
        _fail(str(exc))
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"{len(document['payload']['chains'])} chain heads signed into {out}")
    else:
        click.echo(text)


@audit.command("keygen")
@click.option(
    "--private",
    "private_file",
    required=True,
    help="where to write the private key (keep it off the database machine)",
)
@click.option("--public", "public_file", required=True, help="where to write the public key")
def audit_keygen(private_file: str, public_file: str) -> None:
    """Make an Ed25519 key pair for signing checkpoint files."""
    import os

    from tenant_core.audit.services import keypair

    private, public = keypair()
    try:
        fd = os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _fail(f"{private_file} exists; not overwritten")
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    with open(public_file, "wb") as handle:
        handle.write(public)
    click.echo(f"private key {private_file} (mode 600), public key {public_file}")


@audit.command("rekey", with_appcontext=False)
@click.option("--old-key-file", required=True, help="a file holding the previous KYODO_SECRET_KEY")
@click.pass_context
def audit_rekey(ctx: click.Context, old_key_file: str) -> None:
    """Re-anchor every chain under the current KYODO_SECRET_KEY, after verifying it with the old one."""
    from flask.cli import ScriptInfo

    from tenant_core.audit.services import RekeyError, key_check_skipped, rekey

    old = _read_file(old_key_file, "old key file").decode().strip()
    with key_check_skipped():
        app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        if old == app.config["SECRET_KEY"]:
            _fail("the old key is the current key; nothing to do")
        try:
            for line in rekey(old, _all_tenant_refs(), _cli_operator()):
                click.echo(line)
        except RekeyError as exc:
            _fail(f"{exc}; chains listed above were re-anchored, the others are unchanged")


@main.group("users")
def users() -> None:
    """Create staff accounts from the command line (the first administrator of a city)."""


@users.command("create")
@click.argument("slug")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="氏名")
@click.option("--role", "roles", multiple=True, required=True, help="role name (repeatable), e.g. city_admin")
@click.password_option(prompt="パスワード / password")
@with_appcontext
def users_create(slug: str, login: str, display_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff account of city SLUG (use `platform` for a platform operator)."""
    from tenant_core.auth.services import AccountError, create_user
    from tenant_core.models import Tenant

    with get_db().session() as session:
        tenant = None
        if slug != "platform":
            tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                _fail(f"no tenant with slug {slug!r}")
        try:
            user = create_user(session, tenant, login, display_name, password, list(roles))
        except AccountError as exc:
            _fail(str(exc))
        session.commit()
        click.echo(f"created {user.operator_id} with roles {', '.join(user.role_names)}")


def _add_module_commands() -> None:
    """The parameter commands, then each installed module's own commands (manifest ``commands``)."""
    from tenant_core.modules import iter_modules

    group: KyodoGroup = main
    group.add_lazy("params", "tenant_core.params.cli:params")
    for info in iter_modules():
        for spec in info.commands:
            group.add_lazy(info.name, spec)


_add_module_commands()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
