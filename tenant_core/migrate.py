"""Schema creation and Alembic migrations for the shared schema and every tenant schema."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenant_core.codes import schema_name
from tenant_core.db import SHARED, Database, SharedBase, TenantBase, make_engine, sqlite_tenant_file
from tenant_core.models import Tenant, TenantStatus

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic, and every module's models, are imported where a history is read or run, not with this
# module: the web app and most commands never migrate, and ``tenants migrate`` with nothing to do
# answers from ``declared_head`` and one query (see tenant_core/cli.py).
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
History = Literal["shared", "tenant"]


def alembic_config(history: History, extra_locations: Sequence[Path] = ()) -> Config:
    """An Alembic Config for one history, built in code: there is no alembic.ini to drift."""
    from alembic.config import Config

    from tenant_core import all_models  # noqa: F401 - the metadata complete, as the migrations compare to it

    cfg = Config()
    location = MIGRATIONS_DIR / history
    cfg.set_main_option("script_location", str(location))
    locations = [str(location / "versions"), *(str(p) for p in extra_locations)]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    cfg.attributes["metadata"] = SharedBase.metadata if history == "shared" else TenantBase.metadata
    return cfg


def head_revision(history: History, extra_locations: Sequence[Path] = ()) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(history, extra_locations)).get_current_head()
    if head is None:
        raise RuntimeError(f"the {history} migration history has no head revision")
    return head


def declared_head(history: History, extra_locations: Sequence[Path] = ()) -> str | None:
    """The head revision as the revision files declare it, read as text (``ast``), not imported.

    Only plain files are read: every ``*.py`` of the version folders assigning string literals (or
    None) to ``revision`` and ``down_revision``, no branch labels, no dependencies. Anything else, or a
    history without exactly one head, returns None: ask Alembic (``head_revision``).
    """
    import ast

    folders = [MIGRATIONS_DIR / history / "versions", *extra_locations]
    revisions: set[str] = set()
    parents: set[str] = set()
    for folder in folders:
        for path in Path(folder).glob("*.py"):
            if path.name.startswith("_"):
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                return None
            found: dict[str, Any] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name) and node.value is not None:
                            try:
                                found[target.id] = ast.literal_eval(node.value)
                            except ValueError:
                                found[target.id] = ...  # not a literal
            revision, down = found.get("revision"), found.get("down_revision", ...)
            if not isinstance(revision, str) or found.get("branch_labels") or found.get("depends_on"):
                return None
            if down is None:
                pass
            elif isinstance(down, str):
                parents.add(down)
            elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
                parents.update(down)
            else:
                return None
            revisions.add(revision)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _run(cfg: Config, connection: Connection, schema: str | None, action: str, revision: str) -> None:
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    from alembic import command

    getattr(command, action)(cfg, revision)


def shared_schema_name(db: Database) -> str | None:
    return None if db.is_sqlite else SHARED


def upgrade_shared(db: Database, revision: str = "head") -> None:
    """Bring the shared schema to ``revision`` in one transaction."""
    schema = shared_schema_name(db)
    with db.connect() as conn, conn.begin():
        if schema:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        _run(alembic_config("shared"), conn, schema, "upgrade", revision)


def create_tenant_storage(db: Database, schema: str, conn: Connection | None = None) -> None:
    """Create the empty schema (PostgreSQL, inside ``conn``'s transaction) or file (SQLite) of a tenant."""
    if conn is None:
        path = sqlite_tenant_file(db.engine, schema)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=False)
    else:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')


def provision_tenant_schema(conn: Connection, schema: str, extra_locations: Sequence[Path] = ()) -> str:
    """Create a new tenant's tables from the models and stamp them at head; return the revision.

    Creating from the models is one round of DDL instead of replaying every migration; a test
    proves both give the same schema. ``conn`` must be bound to ``schema``.
    """
    from tenant_core import all_models  # noqa: F401 - every module's tables, before create_all
    from tenant_core.audit import chain
    from tenant_core.audit.models import AccessLogHead

    head = head_revision("tenant", extra_locations)
    TenantBase.metadata.create_all(conn)
    conn.execute(sa.insert(AccessLogHead).values(**chain.head_row()))
    _run(alembic_config("tenant", extra_locations), conn, schema, "stamp", head)
    return head


def drop_tenant_storage(db: Database, schema: str, conn: Connection | None = None) -> None:
    """Remove a tenant's file (SQLite) or schema (PostgreSQL, inside ``conn``'s transaction)."""
    if conn is None:
        sqlite_tenant_file(db.engine, schema).unlink(missing_ok=True)
    else:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass
class TenantOutcome:
    slug: str
    before: str | None
    after: str | None
    status: Literal["migrated", "failed", "skipped"]
    error: str | None = None


@dataclass
class MigrationReport:
    head: str
    outcomes: list[TenantOutcome] = field(default_factory=list)
    queries_to_plan: int = 1

    @property
    def failed(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not any(o.status in ("failed", "skipped") for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def tenants_to_migrate(
    db: Database, slugs: Iterable[str] | None, head: str
) -> list[tuple[int, str, str | None]]:
    """One query: the tenants (all, or the named ones) whose recorded revision is not head."""
    query = sa.select(Tenant.id, Tenant.slug, Tenant.schema_revision).where(
        Tenant.status != TenantStatus.archived
    )
    if slugs is not None:
        query = query.where(Tenant.slug.in_(list(slugs)))
    with db.session() as session:
        rows = session.execute(query.order_by(Tenant.slug)).all()
    return [(r.id, r.slug, r.schema_revision) for r in rows if r.schema_revision != head]


def _migrate_one(
    db: Database,
    item: tuple[int, str, str | None],
    head: str,
    extra_locations: Sequence[Path],
    on_error: str,
    stop: Any,
) -> TenantOutcome:
    tenant_id, slug, before = item
    if stop.is_set():
        return TenantOutcome(slug, before, before, "skipped")
    schema = schema_name(slug)
    try:
        with db.connect(schema) as conn, conn.begin():
            _run(alembic_config("tenant", extra_locations), conn, schema, "upgrade", head)
            # Same transaction: the recorded revision can never disagree with the schema.
            conn.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(schema_revision=head))
    except Exception as exc:
        if on_error == "stop":
            stop.set()
        return TenantOutcome(slug, before, before, "failed", f"{type(exc).__name__}: {exc}".strip())
    return TenantOutcome(slug, before, head, "migrated")


# Alembic keeps its migration context in module globals, so parallel runs need processes, not
# threads. Each worker process opens its own engine once.
_worker: dict[str, Any] = {}


def _init_worker(url: str, stop: Any) -> None:
    _worker["db"] = Database(make_engine(url, pool_size=1))
    _worker["stop"] = stop


def _migrate_in_worker(
    item: tuple[int, str, str | None], head: str, extra_locations: Sequence[Path], on_error: str
) -> TenantOutcome:
    return _migrate_one(_worker["db"], item, head, extra_locations, on_error, _worker["stop"])


def migrate_tenants(
    db: Database,
    slugs: Iterable[str] | None = None,
    *,
    jobs: int = 1,
    on_error: Literal["continue", "stop"] = "continue",
    extra_locations: Sequence[Path] = (),
) -> MigrationReport:
    """Upgrade tenant schemas to head, each in its own transaction, ``jobs`` processes at a time.

    A failed schema keeps its old revision (its transaction rolls back, version table included).
    With ``on_error="stop"`` the tenants not yet started are skipped; a later run resumes them.
    """
    # Nothing to do is the common case (a deployment without a new revision): it is answered from the
    # revision files read as text, without Alembic; any doubt, and any work, goes through Alembic.
    declared = declared_head("tenant", extra_locations)
    if declared is not None and not tenants_to_migrate(db, slugs, declared):
        return MigrationReport(head=declared)
    head = head_revision("tenant", extra_locations)
    report = MigrationReport(head=head)
    pending = tenants_to_migrate(db, slugs, head)
    if not pending:
        return report
    if jobs <= 1 or len(pending) == 1:
        stop = threading.Event()  # shared by the whole run: the "stop" policy skips what follows a failure
        report.outcomes = [_migrate_one(db, i, head, extra_locations, on_error, stop) for i in pending]
        return report
    ctx = multiprocessing.get_context("fork")
    process_stop = ctx.Event()
    url = db.engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(pending)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(url, process_stop),
    ) as pool:
        futures = [pool.submit(_migrate_in_worker, i, head, extra_locations, on_error) for i in pending]
        report.outcomes = [f.result() for f in futures]
    return report
