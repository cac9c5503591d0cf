"""Creating, updating, suspending and dropping tenants (the operator's services)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.codes import check_code, check_slug, schema_name
from tenant_core.db import Database, sqlite_tenant_file
from tenant_core.migrate import create_tenant_storage, drop_tenant_storage, provision_tenant_schema
from tenant_core.models import Consortium, Tenant, TenantStatus
from tenant_core.modules import check_module_names


class ProvisioningError(ValueError):
    """A tenant cannot be created or changed as asked; nothing was changed."""


@dataclass
class TenantSpec:
    slug: str
    name: str
    code: str
    consortium_slug: str
    consortium_name: str | None = None
    name_en: str | None = None
    population: int | None = None
    households: int | None = None
    population_as_of: dt.date | None = None
    modules: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_declaration(cls, data: dict[str, Any]) -> TenantSpec:
        pop = data.get("population") or {}
        return cls(
            slug=data["slug"],
            name=data["name"],
            name_en=data.get("name_en"),
            code=data["code"],
            consortium_slug=data["consortium"]["slug"],
            consortium_name=data["consortium"]["name"],
            population=pop.get("residents"),
            households=pop.get("households"),
            population_as_of=pop.get("as_of"),
            modules=tuple(data.get("modules") or ()),
            settings=dict(data.get("security") or {}),
        )

    def validate(self) -> None:
        try:
            check_slug(self.slug)
            check_code(self.code)
            check_slug(self.consortium_slug)
            check_module_names(self.modules)
        except ValueError as exc:
            raise ProvisioningError(str(exc)) from None
        for label, value in (("population", self.population), ("households", self.households)):
            if value is not None and value < 0:
                raise ProvisioningError(f"{label} must not be negative (got {value})")


def _consortium(session: Session, slug: str, name: str | None) -> Consortium:
    consortium = session.scalar(sa.select(Consortium).where(Consortium.slug == slug))
    if consortium is None:
        if not name:
            raise ProvisioningError(f"consortium {slug!r} does not exist; give its name to create it")
        consortium = Consortium(slug=slug, name=name)
        session.add(consortium)
        session.flush()
    elif name and consortium.name != name:
        consortium.name = name
    return consortium


def _apply(tenant: Tenant, spec: TenantSpec, consortium: Consortium) -> None:
    tenant.name = spec.name
    tenant.name_en = spec.name_en
    tenant.code = spec.code
    tenant.population = spec.population
    tenant.households = spec.households
    tenant.population_as_of = spec.population_as_of
    tenant.modules = list(spec.modules)
    tenant.settings = dict(spec.settings)
    tenant.consortium = consortium


def _write_parameters(session: Session, tenant: Tenant, spec: TenantSpec) -> None:
    """The declaration's [security] values and modules become the city's parameter values."""
    from tenant_core.params.services import apply_declaration

    apply_declaration(session, tenant.id, tenant.consortium_id, spec.settings, spec.modules)


def create_tenant(db: Database, spec: TenantSpec, extra_locations: tuple[Path, ...] = ()) -> Tenant:
    """Record a tenant and create its schema at head in one transaction; on failure nothing is left."""
    spec.validate()
    schema = schema_name(spec.slug)
    with db.session() as session:
        if session.scalar(sa.select(Tenant.id).where(Tenant.slug == spec.slug)):
            raise ProvisioningError(f"a tenant with slug {spec.slug!r} already exists")
        other = session.scalar(sa.select(Tenant).where(Tenant.code == spec.code))
        if other is not None:
            raise ProvisioningError(f"団体コード {spec.code} is already used by {other.slug} ({other.name})")
    if db.is_sqlite:
        # The tenant's file must exist before the connection attaches it at BEGIN.
        create_tenant_storage(db, schema)
    try:
        with db.connect(schema) as conn, conn.begin():
            if not db.is_sqlite:
                create_tenant_storage(db, schema, conn)
            # One connection for the record and the schema: they commit or vanish together.
            session = Session(bind=conn)
            tenant = Tenant(slug=spec.slug, status=TenantStatus.active)
            _apply(tenant, spec, _consortium(session, spec.consortium_slug, spec.consortium_name))
            session.add(tenant)
            session.flush()
            tenant.schema_revision = provision_tenant_schema(conn, schema, extra_locations)
            _write_parameters(session, tenant, spec)
            session.flush()
            session.expunge_all()
    except sa.exc.IntegrityError as exc:
        _discard_storage(db, schema)
        raise ProvisioningError(f"tenant {spec.slug!r} clashes with an existing one: {exc.orig}") from None
    except Exception:
        _discard_storage(db, schema)
        raise
    return tenant


def _discard_storage(db: Database, schema: str) -> None:
    if db.is_sqlite:  # PostgreSQL's CREATE SCHEMA rolled back with the transaction
        drop_tenant_storage(db, schema)


def sync_tenants(
    db: Database, specs: list[TenantSpec], extra_locations: tuple[Path, ...] = ()
) -> list[tuple[str, str]]:
    """Create missing tenants and update existing ones from their declarations."""
    for spec in specs:
        spec.validate()
    done: list[tuple[str, str]] = []
    for spec in specs:
        with db.session() as session:
            tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == spec.slug))
            if tenant is not None:
                clash = session.scalar(
                    sa.select(Tenant.slug).where(Tenant.code == spec.code, Tenant.id != tenant.id)
                )
                if clash:
                    raise ProvisioningError(f"団体コード {spec.code} is already used by {clash}")
                _apply(tenant, spec, _consortium(session, spec.consortium_slug, spec.consortium_name))
                session.flush()
                _write_parameters(session, tenant, spec)
                session.commit()
                db.tenants_changed()
                done.append((spec.slug, "updated"))
                continue
        create_tenant(db, spec, extra_locations)
        done.append((spec.slug, "created"))
    return done


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise ProvisioningError(f"no tenant with slug {slug!r}")
    return tenant


def set_status(db: Database, slug: str, status: TenantStatus) -> Tenant:
    with db.session() as session:
        tenant = get_tenant(session, slug)
        tenant.status = status
        session.commit()
        db.tenants_changed()  # every worker's copy of the city is stale from now on
        return tenant


def dump_tenant(db: Database, slug: str, dump_dir: Path) -> Path:
    """Write a copy of a tenant's schema before it is dropped: pg_dump on PostgreSQL, the file on SQLite."""
    dump_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    schema = schema_name(slug)
    if db.is_sqlite:
        target = dump_dir / f"{slug}-{stamp}.db"
        # SQLite's online backup, not a file copy: in WAL mode recent writes may still sit in the -wal file.
        with (
            closing(sqlite3.connect(sqlite_tenant_file(db.engine, schema))) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return target
    target = dump_dir / f"{slug}-{stamp}.sql"
    url = db.engine.url.set(drivername="postgresql")
    result = subprocess.run(
        ["pg_dump", "--schema", schema, "--file", str(target), url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ProvisioningError(f"pg_dump failed, nothing dropped: {result.stderr.strip()}")
    return target


def drop_tenant(
    db: Database,
    slug: str,
    dump_dir: Path,
    dump: Callable[[Database, str, Path], Path] = dump_tenant,
) -> Path:
    """Dump (the CLI passes the complete backup archive), then remove the tenant's schema and record."""
    schema = schema_name(slug)
    with db.session() as session:
        get_tenant(session, slug)  # a clear error for an unknown slug, before anything is written
    written = dump(db, slug, dump_dir)
    with db.connect() as conn, conn.begin():
        conn.execute(sa.delete(Tenant).where(Tenant.slug == slug))
        if not db.is_sqlite:
            drop_tenant_storage(db, schema, conn)
    db.tenants_changed()
    if db.is_sqlite:  # the file goes only once the record is gone for good
        drop_tenant_storage(db, schema)
    return written
