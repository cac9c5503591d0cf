"""One city's complete backup archive: writing it, reading it back and checking it.

The archive is an encrypted tar (``crypto.py``) of:

- ``manifest.json``: the city, when and by which version of Kyodo it was made, both schema revisions,
  the row count and SHA-256 of every other member;
- ``tenant/<table>.jsonl.gz``: every table of the city's schema, read in one consistent snapshot;
- ``shared/<table>.jsonl.gz``: the city's rows of the shared schema (``plan.py``), its consortium, and
  the platform log's records of its audit chain (checkpoints, purges, re-keys).

Rows are written in a portable form (JSON lines, typed values tagged) rather than as pg_dump output:
the same archive restores onto PostgreSQL or SQLite, under another slug (a schema name cannot be
changed inside a pg_dump), into a schema built at the archive's revision and then migrated forward,
and becomes the emergency counter's SQLite package.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenant_core.audit.models import PlatformAccessLog
from tenant_core.backup import crypto
from tenant_core.backup.plan import CONSORTIA, TENANTS, shared_plan
from tenant_core.codes import schema_name
from tenant_core.db import Database, SharedBase
from tenant_core.migrate import head_revision

FORMAT = 1
BATCH = 5000
MANIFEST = "manifest.json"
ANCHORS = "platform_access_log"
CONSORTIUM_PARAMS = "shared/consortium_param_versions.jsonl.gz"
SKIP_TENANT_TABLES = {"alembic_version"}  # the revision is in the manifest; a restore stamps it


class BackupError(ValueError):
    """A backup cannot be written or an archive cannot be restored as asked; nothing was changed."""


class ArchiveKeyRefused(BackupError):
    """The archive was written with another backup key (or the key is unusable)."""


class ArchiveDamaged(BackupError):
    """The archive was altered, cut short, or is not an archive: its content fails its checks."""


def project_version() -> str:
    try:
        return importlib_metadata.version("kyodo-jichitai")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


# -- values ------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A column value in JSON; the types JSON lacks are tagged so that they come back as they were."""
    if isinstance(value, dt.datetime):
        return {"$t": "dt", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$t": "d", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": "t", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$t": "n", "v": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$t": "b", "v": base64.b64encode(bytes(value)).decode()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 2 and "$t" in value and "v" in value:
        tag, raw = value["$t"], value["v"]
        if tag == "dt":
            return dt.datetime.fromisoformat(raw)
        if tag == "d":
            return dt.date.fromisoformat(raw)
        if tag == "t":
            return dt.time.fromisoformat(raw)
        if tag == "n":
            return Decimal(raw)
        if tag == "b":
            return base64.b64decode(raw)
    return value


# -- writing -----------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    slug: str
    size: int
    sha256: str
    rows: dict[str, int]
    seconds: float


def _write_rows(path: Path, columns: list[str], rows: Iterator[Any]) -> int:
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write(json.dumps({"columns": columns}, ensure_ascii=False) + "\n")
        for row in rows:
            out.write(json.dumps([encode(v) for v in row], ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def _ordered(table: sa.Table) -> sa.Select[Any]:
    query = sa.select(*table.columns)
    pk = list(table.primary_key.columns)
    return query.order_by(*pk) if pk else query


def _stream(conn: Connection, query: sa.Select[Any]) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    yield from result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reflect_tenant(conn: Connection, schema: str) -> list[sa.Table]:
    """The tables of one tenant schema as they are in the database, parents before children."""
    meta = sa.MetaData()
    meta.reflect(conn, schema=schema)
    return [t for t in meta.sorted_tables if t.name not in SKIP_TENANT_TABLES]


def _shared_query(entry: Any, tenant_id: int, picked: dict[str, sa.Select[Any]]) -> sa.Select[Any]:
    table = entry.table
    if entry.column is None:
        return _ordered(table).where(table.c.id == tenant_id)
    if entry.parent == TENANTS:
        return _ordered(table).where(table.c[entry.column] == tenant_id)
    parent = SharedBase.metadata.tables[f"shared.{entry.parent}"]
    parent_pk = next(iter(parent.primary_key.columns))
    ids = picked[entry.parent].with_only_columns(parent_pk).order_by(None)
    return _ordered(table).where(table.c[entry.column].in_(ids))


def collect(db: Database, slug: str, staging: Path) -> dict[str, Any]:
    """Write every member of one city's archive into ``staging``; return the manifest."""
    from tenant_core.models import Tenant

    schema = schema_name(slug)
    conn_cm = db.connect(schema)
    with conn_cm as conn:
        if not db.is_sqlite:
            # One snapshot for the shared rows and the schema: a write between them cannot split them.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            tenant = conn.execute(sa.select(Tenant.__table__).where(Tenant.slug == slug)).mappings().first()
            if tenant is None:
                raise BackupError(f"no tenant with slug {slug!r}")
            shared_rev = conn.scalar(_alembic_version(db))
            tenant_rev = conn.scalar(sa.text(f'SELECT version_num FROM "{schema}".alembic_version'))
            members: dict[str, dict[str, Any]] = {}
            (staging / "tenant").mkdir()
            (staging / "shared").mkdir()

            def add(name: str, columns: list[str], rows: Iterator[Any]) -> None:
                path = staging / name
                count = _write_rows(path, columns, rows)
                members[name] = {"rows": count, "sha256": _sha256(path), "columns": columns}

            tenant_tables = []
            for table in reflect_tenant(conn, schema):
                tenant_tables.append(table.name)
                add(
                    f"tenant/{table.name}.jsonl.gz",
                    [c.name for c in table.columns],
                    _stream(conn, _ordered(table)),
                )
            picked: dict[str, sa.Select[Any]] = {}
            shared_tables = []
            for entry in shared_plan(SharedBase.metadata):
                query = _shared_query(entry, tenant["id"], picked)
                picked[entry.name] = query
                shared_tables.append(entry.name)
                add(
                    f"shared/{entry.name}.jsonl.gz",
                    [c.name for c in entry.table.columns],
                    _stream(conn, query),
                )
            consortia = SharedBase.metadata.tables[f"shared.{CONSORTIA}"]
            add(
                f"shared/{CONSORTIA}.jsonl.gz",
                [c.name for c in consortia.columns],
                _stream(conn, _ordered(consortia).where(consortia.c.id == tenant["consortium_id"])),
            )
            # The consortium's own parameter values: a restore into a database without the consortium
            # needs them for the city's parameters to resolve as they did (restored only then).
            params = SharedBase.metadata.tables["shared.param_versions"]
            add(
                CONSORTIUM_PARAMS,
                [c.name for c in params.columns],
                _stream(
                    conn,
                    _ordered(params).where(
                        params.c.consortium_id == tenant["consortium_id"], params.c.tenant_id.is_(None)
                    ),
                ),
            )
            log = PlatformAccessLog.__table__
            add(
                f"shared/{ANCHORS}.jsonl.gz",
                [c.name for c in log.columns],
                _stream(conn, _ordered(log).where(log.c.target == chain_name_for(slug))),  # type: ignore[arg-type]
            )
    return {
        "format": FORMAT,
        "kind": "kyodo-tenant-backup",
        "slug": slug,
        "name": tenant["name"],
        "code": tenant["code"],
        "made_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "kyodo_version": project_version(),
        "dialect": db.engine.dialect.name,
        "shared_revision": shared_rev,
        "tenant_revision": tenant_rev,
        "tenant_tables": tenant_tables,
        "shared_tables": shared_tables,
        "members": members,
    }


def chain_name_for(slug: str) -> str:
    """The audit chain's name of a city (as ``audit.services.chain_name`` gives it for a TenantRef)."""
    return f"tenant:{slug}"


def _alembic_version(db: Database) -> sa.TextClause:
    table = "alembic_version" if db.is_sqlite else '"shared".alembic_version'
    return sa.text(f"SELECT version_num FROM {table}")


def write_backup(db: Database, slug: str, out: Path, key: bytes) -> BackupResult:
    """Write one city's encrypted archive to ``out`` (atomically: a partial file never has its name)."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kyodo-backup-", dir=out.parent) as tmp:
        staging = Path(tmp) / "content"
        staging.mkdir()
        manifest = collect(db, slug, staging)
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        plain = Path(tmp) / "archive.tar"
        with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(staging / MANIFEST, arcname=MANIFEST)
            for name in manifest["members"]:
                tar.add(staging / name, arcname=name)
        crypto.encrypt_to(plain, out, key)
    rows = {name: m["rows"] for name, m in manifest["members"].items()}
    return BackupResult(out, slug, out.stat().st_size, _sha256(out), rows, time.perf_counter() - started)


def archive_name(slug: str, when: dt.datetime | None = None) -> str:
    stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{slug}-{stamp}.kyodo-backup"


def new_archive_path(folder: Path, slug: str, when: dt.datetime | None = None) -> Path:
    """A path in ``folder`` that no archive has yet: two archives of one second never overwrite each other."""
    name = archive_name(slug, when)
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / name.replace(".kyodo-backup", f"-{n}.kyodo-backup")
    return path


# -- reading -----------------------------------------------------------------------------------------


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


@dataclass
class OpenedArchive:
    folder: Path
    manifest: dict[str, Any]
    sha256: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return str(self.manifest["slug"])

    def rows(self, name: str) -> tuple[list[str], Iterator[list[Any]]]:
        handle = gzip.open(self.folder / name, "rt", encoding="utf-8")  # noqa: SIM115 - closed by rows()
        columns = json.loads(handle.readline())["columns"]

        def rows() -> Iterator[list[Any]]:
            with handle:
                for line in handle:
                    yield [decode(v) for v in json.loads(line)]

        return columns, rows()


def open_archive(path: Path, key: bytes, into: Path) -> OpenedArchive:
    """Decrypt and unpack an archive into ``into`` and check every member; BackupError if anything fails."""
    try:
        source = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    try:
        with source:
            reader = io.BufferedReader(_ChunkReader(crypto.decrypt_chunks(source, key)), buffer_size=1 << 20)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if not member.isfile() or not _safe_name(member.name):
                        raise BackupError(f"the archive holds an unexpected entry {member.name!r}")
                    tar.extract(member, into, filter="data")
            reader.read()  # the rest, so that a missing last chunk is noticed
    except crypto.BackupKeyError as exc:
        raise ArchiveKeyRefused(str(exc)) from None
    except crypto.ArchiveCorrupt as exc:
        raise ArchiveDamaged(str(exc)) from None
    except tarfile.TarError as exc:
        raise ArchiveDamaged(f"the archive's content is damaged: {exc}") from None
    manifest_path = into / MANIFEST
    if not manifest_path.exists():
        raise ArchiveDamaged("the archive has no manifest")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("kind") != "kyodo-tenant-backup" or manifest.get("format") != FORMAT:
        raise BackupError(
            f"not a city backup of a format this version reads (format {manifest.get('format')})"
        )
    for name, member in manifest["members"].items():
        if not _safe_name(name):
            raise BackupError(f"the manifest names an unexpected file {name!r}")
        target = into / name
        if not target.exists():
            raise ArchiveDamaged(f"the archive lacks {name}, which its manifest lists")
        if _sha256(target) != member["sha256"]:
            raise ArchiveDamaged(
                f"{name} does not match its checksum in the manifest: the archive was altered"
            )
    return OpenedArchive(into, manifest)


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        (
            name == MANIFEST
            or (len(parts) == 2 and parts[0] in ("tenant", "shared") and parts[1].endswith(".jsonl.gz"))
        )
        and ".." not in parts
        and not name.startswith("/")
    )


def check_revisions(opened: OpenedArchive, extra_locations: tuple[Path, ...] = ()) -> list[str]:
    """Refuse an archive written by a newer Kyodo; say what will be migrated forward."""
    from alembic.script import ScriptDirectory

    from tenant_core.migrate import alembic_config

    notes = []
    for history, key in (("shared", "shared_revision"), ("tenant", "tenant_revision")):
        revision = opened.manifest.get(key)
        script = ScriptDirectory.from_config(alembic_config(history, extra_locations))  # type: ignore[arg-type]
        head = head_revision(history, extra_locations)  # type: ignore[arg-type]
        try:
            known = revision is not None and script.get_revision(revision) is not None
        except Exception:
            known = False
        if not known:
            raise BackupError(
                f"the archive's {history} schema revision {revision} is unknown to this version of Kyodo "
                f"(it was written by a newer one, {opened.manifest.get('kyodo_version')}): upgrade Kyodo first"
            )
        if revision != head:
            notes.append(f"{history} schema {revision} -> {head} (migrated forward)")
    return notes
