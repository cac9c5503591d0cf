"""The emergency package: one city restored onto SQLite (the embedded default), encrypted at rest.

It is built from a city archive (the newest backup, or one written from the live database for the
purpose) by the same restore that recovers a city, so the package holds everything the archive does:
residents, households, seals, the certificates register, 支援措置, the city's parameters (and its
consortium's) and its staff accounts. The manifest records the snapshot's date and, for the tables
whose rows ``merge`` brings back, the largest id at the snapshot.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tenant_core.backup import crypto
from tenant_core.backup.archive import BackupError, _ChunkReader, open_archive, reflect_tenant, write_backup
from tenant_core.backup.restore import restore_archive
from tenant_core.codes import schema_name
from tenant_core.db import Database, make_engine
from tenant_core.migrate import upgrade_shared

JST = ZoneInfo("Asia/Tokyo")
MANIFEST = "bcp-manifest.json"
MAIN = "kyodo.db"
TENANTS_DIR = "kyodo-tenants"


def merged_tables() -> list[str]:
    """The city's tables whose rows written in emergency mode go back: the access log and the modules'."""
    from tenant_core.modules import iter_modules

    names = ["access_log"]
    for info in iter_modules():
        names.extend(t for t in info.emergency_records if t not in names)
    return names


def build_snapshot(db: Database, slug: str, out: Path, key: bytes, archive: Path | None = None) -> Path:
    """Write the encrypted emergency package of ``slug`` (from ``archive``, or from the live database)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kyodo-bcp-", dir=out.parent) as tmp:
        work = Path(tmp)
        if archive is None:
            archive = write_backup(db, slug, work / "live.kyodo-backup", key).path
        opened = open_archive(archive, key, work / "archive")
        if opened.slug != slug:
            raise BackupError(f"the archive is of {opened.slug}, not of {slug}")
        content = work / "content"
        content.mkdir()
        snapshot = Database(make_engine(f"sqlite:///{content / MAIN}", pool_size=1))
        try:
            upgrade_shared(snapshot)
            restore_archive(
                snapshot, opened, dump_dir=work / "dumps", key=key, operator="platform:bcp-snapshot"
            )
            schema = schema_name(slug)
            with snapshot.connect(schema) as conn, conn.begin():
                tables = {t.name: t for t in reflect_tenant(conn, schema)}
                max_ids = {}
                for name in merged_tables():
                    table = tables.get(name)
                    if table is not None and "id" in table.c:
                        max_ids[name] = conn.scalar(sa.select(sa.func.max(table.c.id))) or 0
        finally:
            snapshot.engine.dispose()
        made_at = dt.datetime.fromisoformat(opened.manifest["made_at"]).replace(tzinfo=dt.UTC)
        manifest = {
            "kind": "kyodo-bcp",
            "format": 1,
            "package_id": str(uuid.uuid4()),
            "slug": slug,
            "name": opened.manifest["name"],
            "code": opened.manifest["code"],
            "made_at": opened.manifest["made_at"],
            "as_of": made_at.astimezone(JST).date().isoformat(),
            "kyodo_version": opened.manifest["kyodo_version"],
            "max_ids": max_ids,
        }
        (content / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        seal_package(content, out, key)
    return out


def _members(folder: Path) -> list[str]:
    names = [MANIFEST, MAIN]
    names += [f"{TENANTS_DIR}/{p.name}" for p in sorted((folder / TENANTS_DIR).glob("t_*.db"))]
    return names


def seal_package(folder: Path, out: Path, key: bytes) -> None:
    """Encrypt the package's folder into ``out`` (atomically; the SQLite files must be closed).

    The tar is compressed (fast level: SQLite pages shrink to about a third) and spooled through a
    temporary file beside ``out``, never held in memory.
    """
    with tempfile.TemporaryDirectory(prefix=".kyodo-bcp-seal-", dir=out.parent) as tmp:
        plain = Path(tmp) / "package.tar.gz"
        with tarfile.open(plain, mode="w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
            for name in _members(folder):
                tar.add(folder / name, arcname=name)
        crypto.encrypt_to(plain, out, key)


def open_package(package: Path, key: bytes, into: Path) -> dict[str, Any]:
    """Decrypt a package into ``into`` (a private folder); its manifest, or BackupError."""
    into.mkdir(parents=True, exist_ok=True)
    into.chmod(0o700)
    try:
        with package.open("rb") as source:
            reader = io.BufferedReader(_ChunkReader(crypto.decrypt_chunks(source, key)), buffer_size=1 << 20)
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:
                for member in tar:
                    parts = member.name.split("/")
                    ok = member.name in (MANIFEST, MAIN) or (
                        len(parts) == 2
                        and parts[0] == TENANTS_DIR
                        and parts[1].endswith(".db")
                        and ".." not in parts
                    )
                    if not member.isfile() or not ok:
                        raise BackupError(f"the package holds an unexpected entry {member.name!r}")
                    tar.extract(member, into, filter="data")
            reader.read()
    except OSError as exc:
        raise BackupError(f"cannot read {package}: {exc.strerror}") from None
    except (crypto.ArchiveCorrupt, crypto.BackupKeyError) as exc:
        raise BackupError(str(exc)) from None
    except tarfile.TarError as exc:
        raise BackupError(f"the package's content is damaged: {exc}") from None
    manifest_path = into / MANIFEST
    if not manifest_path.exists():
        raise BackupError("not an emergency package (no manifest)")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("kind") != "kyodo-bcp":
        raise BackupError("not an emergency package")
    return manifest
