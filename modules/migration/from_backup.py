"""The 72-hour hand-over from a city's backup, for when the database is down.

The city's archive (the newest in the backup folder, or the one named) is opened and checked (key,
checksum of every part, schema revisions), restored by the core's restore into a throw-away SQLite
database in a private temporary folder, and read there by the same ``DatabaseSource`` as a hand-over
from the live database: the files are the same. Nothing here opens the main database; the 個人番号 are
read with the city's vault, which needs only the application's secret (the restore refuses an
archive whose access log that secret did not seal, so a wrong secret cannot hand over empty numbers).

Refusals are ``HandoverRefused`` with the operator's message; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from modules.migration import exporting
from modules.residents.public import Vault
from tenant_core.backup.archive import (
    ArchiveDamaged,
    ArchiveKeyRefused,
    BackupError,
    OpenedArchive,
    open_archive,
)
from tenant_core.backup.restore import restore_archive
from tenant_core.backup.schedule import city_archives
from tenant_core.codes import is_valid_slug, schema_name
from tenant_core.db import Database, make_engine
from tenant_core.migrate import upgrade_shared

OPERATOR = "platform:kyodo-handover"


class HandoverRefused(Exception):
    """The hand-over from a backup cannot be made; ``str()`` is the operator's message (Japanese)."""


@dataclass(frozen=True)
class BackupUsed:
    """The archive a hand-over came from, as its manifest names it."""

    path: Path
    sha256: str
    made_at: dt.datetime  # UTC, naive, as the archive's own (authenticated) manifest has it
    kyodo_version: str
    tenant_revision: str

    def facts(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "made_at": self.made_at.isoformat(timespec="seconds") + "Z",
            "kyodo_version": self.kyodo_version,
            "tenant_revision": self.tenant_revision,
        }


def pick_archive(backup_dir: Path, slug: str, named: Path | None) -> tuple[Path, list[Path]]:
    """The archive to read (``named``, or the newest of ``slug``) and the older ones, newest first."""
    if named is not None:
        if not named.is_file():
            raise HandoverRefused(_("エラー: バックアップファイル %(file)s がありません。", file=named))
        return named, []
    found = city_archives(backup_dir, slug)
    if not found:
        raise HandoverRefused(
            _(
                "エラー: %(slug)s のバックアップが %(folder)s にありません。"
                "バックアップファイルを --backup で指定してください。",
                slug=slug,
                folder=backup_dir,
            )
        )
    return found[0], found[1:]


def _refusal(exc: BackupError, archive: Path, older: list[Path]) -> HandoverRefused:
    if isinstance(exc, ArchiveKeyRefused):
        message = _(
            "エラー: バックアップの鍵が違います。%(file)s は別の鍵で暗号化されています"
            "（KYODO_BACKUP_KEY または --key-file を確認してください）。",
            file=archive.name,
        )
    elif isinstance(exc, ArchiveDamaged):
        message = _(
            "エラー: バックアップ %(file)s は壊れているか、改ざんされています（%(detail)s）。",
            file=archive.name,
            detail=exc,
        )
    else:
        message = _(
            "エラー: バックアップ %(file)s から復元できません（%(detail)s）。", file=archive.name, detail=exc
        )
    if older:
        message += "\n" + _(
            "一つ前のバックアップから引き渡すには --backup %(older)s を指定してください。", older=older[0]
        )
    return HandoverRefused(message)


@contextmanager
def restored_source(
    archive: Path,
    slug: str,
    *,
    key: bytes,
    secret: str,
    work: Path,
    extra_locations: tuple[Path, ...] = (),
) -> Iterator[tuple[exporting.DatabaseSource, OpenedArchive]]:
    """The register of ``slug`` from ``archive``, restored into a SQLite database under ``work``.

    BackupError when the archive cannot be read or restored, HandoverRefused when it is another city's.
    """
    opened = open_archive(archive, key, work / "archive")
    if opened.slug != slug:
        raise HandoverRefused(
            _(
                "エラー: バックアップ %(file)s は %(other)s のもので、%(slug)s のものではありません。",
                file=archive.name,
                other=opened.slug,
                slug=slug,
            )
        )
    db = Database(make_engine(f"sqlite:///{work / 'db' / 'kyodo.db'}", pool_size=1))
    try:
        upgrade_shared(db)
        # The restore checks the revisions (an archive of a newer Kyodo is refused, an older one is
        # migrated forward) and seals the city's log under this installation's secret.
        restore_archive(
            db, opened, dump_dir=work / "dumps", key=key, extra_locations=extra_locations, operator=OPERATOR
        )
        with db.session(schema_name(slug)) as session:
            yield exporting.DatabaseSource(session, Vault.for_city(secret, slug)), opened
    finally:
        db.engine.dispose()


def handover_from_backup(
    slug: str,
    out: Path,
    *,
    key: bytes,
    secret: str,
    backup_dir: Path,
    archive: Path | None = None,
    encoding: str = "utf-8",
    extra_locations: tuple[Path, ...] = (),
) -> tuple[Path, BackupUsed]:
    """Write the hand-over of ``slug`` from its newest backup (or ``archive``); the manifest and the archive.

    The temporary folder (the decrypted archive and the restored database: personal data) is made
    beside ``out``, on the disk the operator chose for the hand-over, readable by its owner only, and
    removed afterwards, whatever happens.
    """
    if not is_valid_slug(slug):
        raise HandoverRefused(_("エラー: %(slug)s は団体の識別名として正しくありません。", slug=slug))
    chosen, older = pick_archive(backup_dir, slug, archive)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            tempfile.TemporaryDirectory(prefix=".kyodo-handover-", dir=out.parent) as tmp,
            restored_source(
                chosen, slug, key=key, secret=secret, work=Path(tmp), extra_locations=extra_locations
            ) as (source, opened),
        ):
            used = BackupUsed(
                path=chosen,
                sha256=exporting.sha256_file(chosen),
                made_at=dt.datetime.fromisoformat(opened.manifest["made_at"]),
                kyodo_version=str(opened.manifest.get("kyodo_version", "")),
                tenant_revision=str(opened.manifest.get("tenant_revision", "")),
            )
            manifest = exporting.handover(
                source, out, slug=slug, origin="backup", encoding=encoding, backup=used.facts()
            )
    except BackupError as exc:
        raise _refusal(exc, chosen, older) from None
    return manifest, used
