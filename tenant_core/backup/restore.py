"""Restoring one city from its archive, into the same database or a fresh one, under its slug or another.

Everything that can refuse is checked before anything changes: the archive (key, checksums,
truncation), its revisions (an archive from a newer Kyodo is refused), the slug (an existing city is
replaced only when the operator confirmed it, and a backup of it is written first) and the 団体コード.
The schema is built at the archive's revision, filled, then migrated forward; the shared rows are
inserted with new ids where the database gives ids, and their references follow. On PostgreSQL the
whole restore, including the removal of the city it replaces, is one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tenant_core.audit import chain
from tenant_core.audit.models import AccessLog, AccessLogHead
from tenant_core.backup.archive import (
    ANCHORS,
    BATCH,
    CONSORTIUM_PARAMS,
    BackupError,
    OpenedArchive,
    chain_name_for,
    check_revisions,
    new_archive_path,
    reflect_tenant,
    write_backup,
)
from tenant_core.backup.plan import CONSORTIA, TENANTS, shared_plan
from tenant_core.codes import check_slug, schema_name
from tenant_core.db import Database, SharedBase, TenantBase
from tenant_core.migrate import (
    _run,
    alembic_config,
    create_tenant_storage,
    drop_tenant_storage,
    head_revision,
)
from tenant_core.models import Tenant


@dataclass
class RestoreResult:
    slug: str
    tenant_id: int
    replaced_backup: Path | None
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def plan_restore(
    db: Database, opened: OpenedArchive, as_slug: str | None, replace: bool
) -> tuple[str, bool, list[str]]:
    """The target slug, whether a city is replaced, and notes; BackupError before any change."""
    slug = as_slug or opened.slug
    try:
        check_slug(slug)
    except ValueError as exc:
        raise BackupError(str(exc)) from None
    notes = check_revisions(opened)
    code = opened.manifest["code"]
    with db.session() as session:
        existing = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        holder = session.scalar(sa.select(Tenant).where(Tenant.code == code))
        if existing is not None and not replace:
            what = "its backup" if slug == opened.slug else f"the backup of {opened.slug}"
            raise BackupError(
                f"a city with slug {slug!r} exists ({existing.name}); restoring {what} replaces it: "
                "confirm with --yes (a backup of the city it replaces is written first)"
            )
        if holder is not None and holder.slug != slug:
            raise BackupError(
                f"団体コード {code} is used by {holder.slug} ({holder.name}); "
                f"restore it --as {holder.slug} to replace that city, or drop it first"
            )
    return slug, existing is not None, notes


def restore_archive(
    db: Database,
    opened: OpenedArchive,
    *,
    as_slug: str | None = None,
    replace: bool = False,
    dump_dir: Path,
    key: bytes,
    extra_locations: tuple[Path, ...] = (),
    operator: str = "platform:kyodo",
) -> RestoreResult:
    started = time.perf_counter()
    slug, exists, notes = plan_restore(db, opened, as_slug, replace)
    schema = schema_name(slug)
    replaced_backup = None
    if exists:
        replaced_backup = write_backup(db, slug, new_archive_path(dump_dir, slug), key).path
        if db.is_sqlite:
            # A SQLite city is a file: the old one goes before the new one is made (its backup is written).
            _remove_city(db, slug, None)
    if db.is_sqlite:
        create_tenant_storage(db, schema)
    try:
        with db.connect(schema) as conn, conn.begin():
            if not db.is_sqlite:
                if exists:
                    _remove_city(db, slug, conn)
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            rows = _restore_schema(conn, schema, opened, extra_locations)
            tenant_id = _restore_shared(conn, opened, slug, extra_locations, rows)
            session = Session(bind=conn)
            notes.append(_anchor_log(session, opened, slug, operator))
            if slug != opened.slug:
                notes.extend(_rekey_modules(session, opened.slug, slug))
            _check_module_keys(session, slug)
            session.flush()
            session.close()
    except Exception:
        if db.is_sqlite:
            drop_tenant_storage(db, schema)
        raise
    if exists:
        notes.append(f"the city it replaced was backed up to {replaced_backup}")
    return RestoreResult(slug, tenant_id, replaced_backup, rows, notes, time.perf_counter() - started)


def _rekey_modules(session: Session, old_slug: str, new_slug: str) -> list[str]:
    """Each installed module re-encrypts what it keyed by the slug (the core never knows what that is).

    Inside the restore's transaction: a module that fails undoes the whole restore.
    """
    from tenant_core.modules import import_part, iter_modules

    notes = []
    for info in iter_modules():
        if not info.rekey:
            continue
        found = import_part(info, info.rekey)(session, old_slug, new_slug)
        session.flush()
        if found:
            counts = ", ".join(f"{k} {v}" for k, v in dict(found).items())
            notes.append(f"{info.name}: re-encrypted under {new_slug}'s key ({counts})")
    return notes


def _check_module_keys(session: Session, slug: str) -> None:
    """Each installed module's check that what it encrypted opens with this secret (``key_check``);
    a reason undoes the restore."""
    from tenant_core.modules import import_part, iter_modules

    for info in iter_modules():
        if info.key_check:
            reason = import_part(info, info.key_check)(session, slug)
            if reason:
                raise BackupError(f"{info.name}: {reason}")


def _remove_city(db: Database, slug: str, conn: Connection | None) -> None:
    schema = schema_name(slug)
    if conn is None:
        with db.connect() as own, own.begin():
            own.execute(sa.delete(Tenant).where(Tenant.slug == slug))
        drop_tenant_storage(db, schema)
        return
    conn.execute(sa.delete(Tenant).where(Tenant.slug == slug))
    drop_tenant_storage(db, schema, conn)


# -- the city's schema -------------------------------------------------------------------------------


def _restore_schema(
    conn: Connection, schema: str, opened: OpenedArchive, extra_locations: tuple[Path, ...]
) -> dict[str, int]:
    revision = opened.manifest["tenant_revision"]
    head = head_revision("tenant", extra_locations)
    cfg = alembic_config("tenant", extra_locations)
    if revision == head:
        TenantBase.metadata.create_all(conn)
        _run(cfg, conn, schema, "stamp", head)
    else:
        # The schema as it was when the archive was written; its rows fit it, then it moves forward.
        _run(cfg, conn, schema, "upgrade", revision)
    tables = {t.name: t for t in reflect_tenant(conn, schema)}
    for table in reversed(list(tables.values())):
        conn.execute(table.delete())  # rows a migration seeded (the chain head) come from the archive
    counts: dict[str, int] = {}
    for name in opened.manifest["tenant_tables"]:
        table = tables.get(name)
        if table is None:
            raise BackupError(f"the archive's table {name} does not exist at revision {revision}")
        counts[f"tenant/{name}"] = _insert_rows(conn, table, opened, f"tenant/{name}.jsonl.gz")
    if revision != head:
        _run(alembic_config("tenant", extra_locations), conn, schema, "upgrade", head)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, schema)
    return counts


def _insert_rows(conn: Connection, table: sa.Table, opened: OpenedArchive, member: str) -> int:
    columns, rows = opened.rows(member)
    keep = [i for i, c in enumerate(columns) if c in table.c]
    names = [columns[i] for i in keep]
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append({names[j]: row[i] for j, i in enumerate(keep)})
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, schema: str) -> None:
    """Rows came with their ids: each serial's sequence continues after the largest one."""
    for table in reflect_tenant(conn, schema):
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        qualified = f'"{schema}"."{table.name}"'
        sequence = conn.scalar(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": pk[0].name}
        )
        if sequence:
            top = conn.scalar(sa.select(sa.func.max(table.c[pk[0].name])))
            conn.execute(
                sa.text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )


# -- the city's rows of the shared schema ------------------------------------------------------------


def _restore_shared(
    conn: Connection,
    opened: OpenedArchive,
    slug: str,
    extra_locations: tuple[Path, ...],
    counts: dict[str, int],
) -> int:
    tables = {t.name: t for t in SharedBase.metadata.tables.values()}
    plan = {entry.name: entry for entry in shared_plan(SharedBase.metadata)}
    maps: dict[str, dict[Any, Any]] = {CONSORTIA: {}}
    consortia = tables[CONSORTIA]
    columns, rows = opened.rows(f"shared/{CONSORTIA}.jsonl.gz")
    created = False
    for values in rows:
        old = dict(zip(columns, values, strict=True))
        found = conn.scalar(sa.select(consortia.c.id).where(consortia.c.slug == old["slug"]))
        if found is None:
            data = {k: v for k, v in old.items() if k in consortia.c and k != "id"}
            found, created = _insert(conn, consortia, data), True
        maps[CONSORTIA][old["id"]] = found
    if created and CONSORTIUM_PARAMS in opened.manifest["members"]:
        # A consortium new to this database brings its own parameter values, as the city saw them.
        params = tables["param_versions"]
        columns, rows = opened.rows(CONSORTIUM_PARAMS)
        for values in rows:
            data = {c: v for c, v in zip(columns, values, strict=True) if c in params.c and c != "id"}
            _follow_references(params, data, maps)
            conn.execute(params.insert().values(**data))
    head = head_revision("tenant", extra_locations)
    tenant_id: int | None = None
    for name in opened.manifest["shared_tables"]:
        table = tables.get(name)
        if table is None:
            raise BackupError(f"the archive holds rows of a shared table {name} this version does not have")
        entry = plan.get(name)
        columns, rows = opened.rows(f"shared/{name}.jsonl.gz")
        pk = list(table.primary_key.columns)
        serial = len(pk) == 1 and isinstance(pk[0].type, sa.Integer)
        maps.setdefault(name, {})
        count = 0
        for values in rows:
            data = {c: v for c, v in zip(columns, values, strict=True) if c in table.c}
            old_id = data.get(pk[0].name) if len(pk) == 1 else None
            _follow_references(table, data, maps)
            if name == TENANTS:
                data.update(slug=slug, schema_revision=head)
            if entry is not None and entry.outlives and entry.column is not None:
                existing = _surviving_row(conn, table, data, entry.column)
                if existing is not None:
                    conn.execute(
                        table.update()
                        .where(table.c[pk[0].name] == existing)
                        .values({entry.column: data[entry.column]})
                    )
                    maps[name][old_id] = existing
                    count += 1
                    continue
            if serial:
                data.pop(pk[0].name, None)
                new_id = _insert(conn, table, data)
                maps[name][old_id] = new_id
            else:
                if len(pk) == 1 and isinstance(pk[0].type, sa.String) and old_id is not None:
                    taken = conn.scalar(sa.select(pk[0]).where(pk[0] == old_id))
                    if taken is not None:  # a copy beside the original: its job ids are already used
                        data[pk[0].name] = str(uuid.uuid4())
                    maps[name][old_id] = data[pk[0].name]
                conn.execute(table.insert().values(**data))
            count += 1
        counts[f"shared/{name}"] = count
        if name == TENANTS:
            tenant_id = next(iter(maps[TENANTS].values()), None)
    if tenant_id is None:
        raise BackupError("the archive holds no tenant record")
    return int(tenant_id)


def _insert(conn: Connection, table: sa.Table, data: dict[str, Any]) -> Any:
    key = conn.execute(table.insert().values(**data)).inserted_primary_key
    if key is None:
        raise BackupError(f"no id given to the new row of {table.name}")
    return key[0]


def _follow_references(table: sa.Table, data: dict[str, Any], maps: dict[str, dict[Any, Any]]) -> None:
    for column in table.columns:
        value = data.get(column.name)
        if value is None:
            continue
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if target not in maps:
                raise BackupError(
                    f"{table.name}.{column.name} refers to {target}, which a city's backup does not carry"
                )
            if value not in maps[target]:
                raise BackupError(
                    f"{table.name}.{column.name} refers to a row of {target} missing from the archive"
                )
            data[column.name] = maps[target][value]


def _surviving_row(conn: Connection, table: sa.Table, data: dict[str, Any], tenant_column: str | None) -> Any:
    """The row that stayed behind when the city went (same natural key, no city), if any."""
    pk = next(iter(table.primary_key.columns))
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        names = [c.name for c in constraint.columns]
        if any(data.get(n) is None for n in names):
            continue
        query = sa.select(pk).where(*(table.c[n] == data[n] for n in names))
        if tenant_column:
            query = query.where(
                sa.or_(table.c[tenant_column].is_(None), table.c[tenant_column] == data.get(tenant_column))
            )
        found = conn.scalar(query)
        if found is not None:
            return found
    return None


# -- the access log ------------------------------------------------------------------------------------


def _anchor_log(session: Session, opened: OpenedArchive, slug: str, operator: str) -> str:
    """Seal the restored chain (under its new name if the slug changed) and record the restore.

    The platform chain's record of the restore is where `kyodo audit verify` starts holding the
    restored log against the platform: entries the city wrote after the backup are gone, and the
    record says so, rather than the log looking cut.
    """
    from tenant_core.audit import services

    old_name, new_name = chain_name_for(opened.slug), chain_name_for(slug)
    new_key = services._key(new_name)
    head = chain.lock_head(session, AccessLogHead, skip_locked=False)
    message = "access log restored"
    if old_name != new_name:
        old_key = services._key(old_name)
        result = chain.verify(session, AccessLog, AccessLogHead, old_key, grace=dt.timedelta(days=36500))
        if not result.ok:
            raise BackupError(f"the archive's access log does not verify: {result.problem}")
        previous, count = head.base_hash, 0
        for entry in session.scalars(
            sa.select(AccessLog).where(AccessLog.seq.is_not(None)).order_by(AccessLog.seq)
        ):
            entry.prev_hash = previous
            entry.hash = previous = chain.digest(new_key, previous, chain.values_of(entry))
            count += 1
        for entry in session.scalars(sa.select(AccessLog).where(AccessLog.seq.is_(None))):
            entry.mac = chain.entry_mac(new_key, chain.values_of(entry))
        head.last_hash, head.key_check = previous, chain.key_fingerprint(new_key)
        session.flush()
        message = f"access log of {opened.slug} re-anchored as {slug} ({count} entries)"
    try:
        chain.seal(session, AccessLog, AccessLogHead, new_key, head=head)
    except chain.KeyMismatch:
        raise BackupError(
            "the archive's access log was sealed under another KYODO_SECRET_KEY: restore it on an "
            "installation with the same secret (then `kyodo audit rekey` can move it to a new one)"
        ) from None
    anchors = opened.rows(f"shared/{ANCHORS}.jsonl.gz")
    facts = {
        "seq": head.last_seq,
        "hash": head.last_hash,
        "base_seq": head.base_seq,
        "base_hash": head.base_hash,
        "from": opened.slug,
        "archive_made_at": opened.manifest["made_at"],
        "archive_anchors": sum(1 for _ in anchors[1]),
    }
    services.platform_record(session, "restore", new_name, facts, operator)
    head.checkpoint_seq = head.last_seq
    head.checkpoint_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return message
