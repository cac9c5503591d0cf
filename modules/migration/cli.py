"""``kyodo migrate ...``: import (with a dry run), rehearsal criteria, sample sign-off, export, hand-over,
and the 外字 table of a city."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import click
from flask import current_app, has_app_context
from flask.cli import ScriptInfo, with_appcontext
from flask_babel import gettext as _

from modules.residents.public import Vault
from tenant_core.extensions import get_db, get_settings
from tenant_core.japanese import jst
from tenant_core.tenancy import find_tenant


def _city(slug: str) -> str:
    tenant = find_tenant(slug)
    if tenant is None:
        click.echo(f"エラー / error: 団体 {slug} は登録されていません (unknown tenant)", err=True)
        sys.exit(1)
    return f"t_{tenant.slug}"


def _by(by: str | None) -> str:
    return by or f"kyodo-cli:{getpass.getuser()}"


def _vault(slug: str) -> Vault:
    return Vault.for_city(current_app.config["SECRET_KEY"], slug)


@click.group("migrate")
def migrate() -> None:
    """Data migration: import from an old system, rehearsals, export and hand-over (layout residents-v1)."""


@migrate.command("import")
@click.argument("slug")
@click.option(
    "--persons", "persons", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--seals", "seals", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seal-images", "images", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and report only; nothing is written to the register")
@click.option("--encoding", type=click.Choice(["cp932", "utf-8"]), help="detected when not given")
@click.option(
    "--accept-partial", is_flag=True, help="apply the rows without problems even if others have some"
)
@click.option(
    "--cutover", is_flag=True, help="the real cut-over: refused until the last rehearsal met the criteria"
)
@click.option("--override-reason", default="", help="apply the cut-over anyway (logged with this reason)")
@click.option("--control-persons", type=int, help="the old system's count of persons (control total)")
@click.option("--control-households", type=int, help="the old system's count of households")
@click.option("--control-seals", type=int, help="the old system's count of seal registrations")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--batch", type=click.IntRange(min=10, max=100_000), default=5000, show_default=True)
@click.option("--by", help="who runs it (recorded); the system user by default")
@with_appcontext
def import_command(
    slug: str,
    persons: Path,
    seals: Path | None,
    images: Path | None,
    dry_run: bool,
    encoding: str | None,
    accept_partial: bool,
    cutover: bool,
    override_reason: str,
    control_persons: int | None,
    control_households: int | None,
    control_seals: int | None,
    report_dir: Path | None,
    batch: int,
    by: str | None,
) -> None:
    """Check PERSONS (and SEALS) for SLUG, write the report, then apply unless --dry-run."""
    from modules.migration.importing import MigrationRefused, Options, run_import

    _city(slug)
    control = {
        k: v
        for k, v in (
            ("persons", control_persons),
            ("households", control_households),
            ("seals", control_seals),
        )
        if v is not None
    }
    opts = Options(
        persons=persons,
        by=_by(by),
        seals=seals,
        images=images,
        encoding=encoding,
        dry_run=dry_run,
        accept_partial=accept_partial,
        cutover=cutover,
        override_reason=override_reason,
        control=control,
        report_dir=report_dir or get_settings().var_dir / "migration" / slug,
        batch=batch,
    )
    started = time.perf_counter()

    def progress(percent: int, message: str) -> None:
        click.echo(f"  {percent:>3}%  {message}")

    try:
        outcome = run_import(get_db(), slug, _vault(slug), opts, progress)
    except MigrationRefused as exc:
        click.echo(f"拒否 / refused: {exc}", err=True)
        sys.exit(3)
    s = outcome.summary
    click.echo(
        f"実行番号 run {outcome.run_id}: 読込 {s['rows_read']:,} 正常 {s['rows_valid']:,} 除外 {s['rows_rejected']:,}"
    )
    click.echo(
        f"  世帯 {s.get('households', 0):,}  状態 {s.get('by_status', {})}  住民種別 {s.get('by_citizenship', {})}"
    )
    if opts.seals:
        click.echo(
            f"  印鑑登録 読込 {s['seals_read']:,} 正常 {s['seals_valid']:,} 除外 {s['seals_rejected']:,}"
        )
    click.echo(f"  問題 {len(outcome.problems):,}件  報告: {', '.join(str(p) for p in outcome.report_files)}")
    if outcome.applied:
        click.echo(
            f"  反映: 追加 {outcome.added:,} 修正 {outcome.corrected:,} 変更なし {outcome.unchanged:,}"
            f" 印鑑 {outcome.seals_added:,}  ({time.perf_counter() - started:.1f} s)"
        )
    elif not dry_run and outcome.problems:
        click.echo(
            "問題があるため何も反映していません（--accept-partial で正常な行だけ反映できます）。", err=True
        )
        sys.exit(2)
    else:
        click.echo(f"  検査のみ（dry run）: 何も反映していません ({time.perf_counter() - started:.1f} s)")


@migrate.command("status")
@click.argument("slug")
@with_appcontext
def status_command(slug: str) -> None:
    """The runs of SLUG and whether the last rehearsal meets the completion criteria."""
    from modules.migration import rehearsals

    with get_db().session(_city(slug)) as session:
        for run in rehearsals.runs(session):
            click.echo(
                f"run {run.id} {run.mode:9} {run.state:10} {run.file_name} sha256:{run.sha256[:12]} "
                f"rows {run.rows_read}/{run.rows_valid} errors {run.error_count} {run.duration_s:.1f}s by {run.by}"
            )
        last = rehearsals.last_rehearsal(session)
        if last is None:
            click.echo("移行テストの記録がありません。本番移行はできません。")
            return
        click.echo(f"直近の移行テスト run {last.id}:")
        for c in rehearsals.criteria(last):
            click.echo(f"  [{'達成' if c.met else '未達'}] {c.label}: {c.detail}")


@migrate.command("sample")
@click.argument("slug")
@click.option("--run", "run_id", type=int, required=True)
@click.option("--persons", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--size", type=click.IntRange(min=1, max=100_000), default=100, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def sample_command(slug: str, run_id: int, persons: Path, size: int, out: Path | None) -> None:
    """Compare SIZE persons of the rehearsal's file with the register, item by item."""
    from modules.migration import rehearsals
    from modules.migration.models import MigrationRun

    out = out or get_settings().var_dir / "migration" / slug / f"run{run_id}_sample.csv"
    with get_db().session(_city(slug)) as session:
        run = session.get(MigrationRun, run_id)
        if run is None or run.mode != "rehearsal":
            click.echo("エラー: その番号の移行テストはありません。", err=True)
            sys.exit(1)
        try:
            differ = rehearsals.compare_sample(session, run, persons, size, out)
        except rehearsals.MigrationRefused as exc:
            click.echo(f"拒否 / refused: {exc}", err=True)
            sys.exit(3)
        session.commit()
    click.echo(f"{size}人を照合: 不一致 {differ}項目。照合表: {out}")


@migrate.command("signoff")
@click.argument("slug")
@click.option("--run", "run_id", type=int, required=True)
@click.option("--by", required=True, help="the person who checked the comparison")
@with_appcontext
def signoff_command(slug: str, run_id: int, by: str) -> None:
    """Sign off the sample comparison of a rehearsal."""
    from modules.migration import rehearsals
    from modules.migration.models import MigrationRun

    with get_db().session(_city(slug)) as session:
        run = session.get(MigrationRun, run_id)
        if run is None:
            click.echo("エラー: その番号の実行はありません。", err=True)
            sys.exit(1)
        try:
            rehearsals.sign_off(session, run, by)
        except rehearsals.MigrationRefused as exc:
            click.echo(f"拒否 / refused: {exc}", err=True)
            sys.exit(3)
        session.commit()
    click.echo(f"run {run_id}: 承認 {by}")


def _as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD") from None


@migrate.command("export")
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True)
@click.option("--as-of", "as_of", help="the state at the end of this date (YYYY-MM-DD)")
@click.option("--gaiji-back", is_flag=True, help="cp932: map characters back to the city's private-use codes")
@with_appcontext
def export_command(slug: str, out: Path, encoding: str, as_of: str | None, gaiji_back: bool) -> None:
    """Write SLUG's register (除票 included) and seals in the exchange layout."""
    from modules.migration.exporting import DatabaseSource, export

    day = _as_of(as_of)
    started = time.perf_counter()
    with get_db().session(_city(slug)) as session:
        done = export(
            DatabaseSource(session, _vault(slug)),
            out,
            slug=slug,
            encoding=encoding,
            as_of=day,
            gaiji_back=gaiji_back,
        )
    click.echo(
        f"{slug}: {done.persons:,} persons, {done.seals:,} seals, {done.reductions:,} reduced values "
        f"→ {out} ({time.perf_counter() - started:.1f} s)"
    )


@migrate.command("handover")
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True)
@click.option(
    "--from-backup", is_flag=True, help="read the city's latest backup, not the database (when it is down)"
)
@click.option(
    "--backup",
    "archive",
    type=click.Path(dir_okay=False, path_type=Path),
    help="read this backup archive instead of the latest (implies --from-backup)",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the backup key (else KYODO_BACKUP_KEY), with --from-backup",
)
@click.pass_context
def handover_command(
    ctx: click.Context,
    slug: str,
    out: Path | None,
    encoding: str,
    from_backup: bool,
    archive: Path | None,
    key_file: Path | None,
) -> None:
    """Every resident's data in the layout plus a manifest with checksums (the 72-hour hand-over)."""
    from modules.migration import exporting

    from_backup = from_backup or archive is not None
    with _app_context(ctx, database=not from_backup):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = out or get_settings().var_dir / "handover" / slug / stamp
        if from_backup:
            _handover_from_backup(slug, out, encoding, archive, key_file)
            return
        with get_db().session(_city(slug)) as session:
            source = exporting.DatabaseSource(session, _vault(slug))
            manifest = exporting.handover(source, out, slug=slug, origin="database", encoding=encoding)
        click.echo(f"{slug}: hand-over written, manifest {manifest}")


def _app_context(ctx: click.Context, *, database: bool) -> AbstractContextManager[Any]:
    """The app's context, as ``with_appcontext`` gives it; without the database when it may be down.

    Every command's app checks at start-up that the secret sealed the platform's access log: one query,
    which waits as long as an unreachable database makes it wait. A hand-over from a backup never opens
    the database, so its app is built without that check; the restore checks the secret against the
    archive's own sealed log instead (tests/migration/test_handover_backup.py proves that no
    connection is attempted).
    """
    from tenant_core.audit.keycheck import key_check_skipped

    if has_app_context():
        return nullcontext()
    info = ctx.ensure_object(ScriptInfo)
    if database:
        return info.load_app().app_context()
    with key_check_skipped():
        return info.load_app().app_context()


def _handover_from_backup(
    slug: str, out: Path, encoding: str, archive: Path | None, key_file: Path | None
) -> None:
    from modules.migration.from_backup import HandoverRefused, handover_from_backup
    from tenant_core.backup.crypto import BackupKeyError, load_key

    settings = get_settings()
    secret = current_app.config["SECRET_KEY"]
    try:
        key = load_key(key_file, settings.backup_key, secret)
    except BackupKeyError as exc:
        click.echo(
            _(
                "エラー: バックアップの鍵を読めません（%(detail)s）。"
                "KYODO_BACKUP_KEY を設定するか --key-file を指定してください。",
                detail=exc,
            ),
            err=True,
        )
        sys.exit(4)
    try:
        manifest, used = handover_from_backup(
            slug,
            out,
            key=key,
            secret=secret,
            backup_dir=settings.resolved_backup_dir,
            archive=archive,
            encoding=encoding,
            extra_locations=tuple(settings.extra_tenant_migrations),
        )
    except HandoverRefused as exc:
        click.echo(str(exc), err=True)
        sys.exit(4)
    hours = (dt.datetime.now(dt.UTC) - used.made_at.replace(tzinfo=dt.UTC)).total_seconds() / 3600
    click.echo(
        _(
            "%(slug)s: バックアップ %(file)s（日本時間 %(made)s 作成、%(hours).1f 時間前）から"
            "引渡しデータを書き出しました。manifest %(manifest)s",
            slug=slug,
            file=used.path.name,
            made=jst(used.made_at),
            hours=hours,
            manifest=manifest,
        )
    )


@migrate.group("gaiji")
def gaiji_group() -> None:
    """The city's 外字 table (private-use code → character)."""


@gaiji_group.command("import")
@click.argument("slug")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", help="who imports it (recorded)")
@with_appcontext
def gaiji_import(slug: str, csv_file: Path, by: str | None) -> None:
    """Load CSV_FILE (私用領域コード, 文字, 備考) into SLUG's 外字 table: all rows or none."""
    from modules.migration import gaiji

    with get_db().session(_city(slug)) as session:
        count, problems = gaiji.import_csv(session, csv_file.read_bytes(), _by(by))
        if problems:
            for p in problems:
                click.echo(p, err=True)
            sys.exit(2)
        session.commit()
    click.echo(f"{slug}: 外字 {count}件を登録しました。")


@gaiji_group.command("export")
@click.argument("slug")
@with_appcontext
def gaiji_export(slug: str) -> None:
    """Print SLUG's 外字 table as CSV."""
    from modules.migration import gaiji

    with get_db().session(_city(slug)) as session:
        click.echo(gaiji.export_csv(session), nl=False)
