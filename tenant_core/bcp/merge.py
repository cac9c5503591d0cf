"""Bringing the emergency counter's records back into the main register (``kyodo bcp merge``).

One transaction on the main database: the rows each module listed (``emergency_records``) that are
new since the snapshot are added with ids of the main database, unless a row with the same unique
key is already there; counter tables keep the larger value of their emergency counters; the access
log entries written at the counter join the city's chain (re-sealed there, marked 緊急窓口); and the
platform chain records the merge with the package's id. A package already merged is refused.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tenant_core.audit import chain
from tenant_core.audit.models import AccessLog, AccessLogHead, PlatformAccessLog
from tenant_core.backup.archive import BackupError, chain_name_for, reflect_tenant
from tenant_core.bcp.package import MAIN, merged_tables, open_package
from tenant_core.codes import schema_name
from tenant_core.db import Database, make_engine
from tenant_core.models import Tenant

MERGE_FUNCTION = "bcp_merge"


@dataclass
class MergeResult:
    slug: str
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)


def _is_counter(table: sa.Table) -> bool:
    return {c.name for c in table.columns} == {"name", "value"}


def merge_package(db: Database, package: Path, key: bytes, operator: str = "platform:kyodo") -> MergeResult:
    from tenant_core.audit import services

    with tempfile.TemporaryDirectory(prefix="kyodo-bcp-merge-") as tmp:
        folder = Path(tmp)
        manifest = open_package(package, key, folder)
        slug = manifest["slug"]
        schema = schema_name(slug)
        with db.session() as session:
            tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                raise BackupError(f"no city {slug!r} in this database to merge into")
            if tenant.code != manifest["code"]:
                raise BackupError(
                    f"the package is of 団体コード {manifest['code']}, the city here is {tenant.code}"
                )
            done = session.scalar(
                sa.select(PlatformAccessLog.id).where(
                    PlatformAccessLog.function == MERGE_FUNCTION,
                    PlatformAccessLog.target == chain_name_for(slug),
                    PlatformAccessLog.detail.contains(manifest["package_id"]),
                )
            )
            if done is not None:
                raise BackupError("this package was merged already")
        source = Database(make_engine(f"sqlite:///{folder / MAIN}", pool_size=1))
        result = MergeResult(slug)
        try:
            with source.connect(schema) as src, src.begin(), db.connect(schema) as dst, dst.begin():
                src_tables = {t.name: t for t in reflect_tenant(src, schema)}
                dst_tables = {t.name: t for t in reflect_tenant(dst, schema)}
                max_ids = manifest.get("max_ids", {})
                for name in merged_tables():
                    if name == "access_log" or name not in src_tables or name not in dst_tables:
                        continue
                    added, skipped = _merge_table(
                        src, dst, src_tables[name], dst_tables[name], max_ids.get(name)
                    )
                    result.added[name], result.skipped[name] = added, skipped
                session = Session(bind=dst)
                result.added["access_log"] = _merge_log(session, src, src_tables["access_log"], max_ids, slug)
                services.platform_record(
                    session,
                    MERGE_FUNCTION,
                    chain_name_for(slug),
                    {"package": manifest["package_id"], "as_of": manifest["as_of"], "added": result.added},
                    operator,
                )
                session.flush()
                session.close()
        finally:
            source.engine.dispose()
    return result


def _merge_table(
    src: Connection, dst: Connection, source: sa.Table, target: sa.Table, max_id: int | None
) -> tuple[int, int]:
    if _is_counter(target):
        added = 0
        for row in src.execute(sa.select(source).where(source.c.name.like("%:emergency"))).mappings():
            current = dst.scalar(sa.select(target.c.value).where(target.c.name == row["name"]))
            if current is None:
                dst.execute(target.insert().values(name=row["name"], value=row["value"]))
                added += 1
            elif row["value"] > current:
                dst.execute(target.update().where(target.c.name == row["name"]).values(value=row["value"]))
                added += 1
        return added, 0
    if "id" not in source.c:
        return 0, 0
    query = sa.select(source).order_by(source.c.id)
    if max_id is not None:
        query = query.where(source.c.id > max_id)
    uniques = [
        [c.name for c in constraint.columns]
        for constraint in target.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    uniques += [[c.name for c in index.columns] for index in target.indexes if index.unique]
    added = skipped = 0
    for row in src.execute(query).mappings():
        data = {k: v for k, v in row.items() if k in target.c and k != "id"}
        if any(
            dst.scalar(
                sa.select(sa.func.count()).select_from(target).where(*(target.c[c] == data[c] for c in cols))
            )
            for cols in uniques
            if all(data.get(c) is not None for c in cols)
        ):
            skipped += 1
            continue
        dst.execute(target.insert().values(**data))
        added += 1
    return added, skipped


def _merge_log(
    session: Session, src: Connection, source: sa.Table, max_ids: dict[str, Any], slug: str
) -> int:
    """The counter's access log entries join the city's chain, each marked as written there."""
    from tenant_core.audit import services

    key = services._key(chain_name_for(slug))
    query = sa.select(source).order_by(source.c.id)
    if max_ids.get("access_log") is not None:
        query = query.where(source.c.id > max_ids["access_log"])
    count = 0
    for row in src.execute(query).mappings():
        # The entry's own fields as the chain hashes them; its detail says where it was made.
        values = {f: row[f] for f in chain.ENTRY_FIELDS if f != "detail"}
        values["detail"] = ("緊急窓口: " + (row["detail"] or ""))[:500]
        session.add(chain.new_entry(AccessLog, key, values))
        count += 1
    session.flush()
    chain.seal(session, AccessLog, AccessLogHead, key)
    return count
