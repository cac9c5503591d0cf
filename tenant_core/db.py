"""Engines, declarative bases and tenant-bound sessions.

Shared tables live in the schema ``shared``; tenant tables are declared once under the placeholder
schema ``tenant`` and every session maps it to ``t_<slug>`` with ``schema_translate_map``. Nothing
ever sets ``search_path``: state on a pooled connection would outlive the request that set it.

On SQLite the shared tables live in the main file and each tenant in its own file, attached under
its schema name for the duration of a checkout and detached again when the connection returns to
the pool.
"""

from __future__ import annotations

import os
import select
import sqlite3
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session

SHARED = "shared"
TENANT = "tenant"  # placeholder, never a real schema: an unbound tenant query fails loudly

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SharedBase(DeclarativeBase):
    """Tables of the shared schema: tenants, consortia, users, parameters, costs, jobs."""

    metadata = sa.MetaData(schema=SHARED, naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Tables that every tenant schema holds; declared once, bound per session."""

    metadata = sa.MetaData(schema=TENANT, naming_convention=NAMING_CONVENTION)


def translate_map(engine: Engine, tenant_schema: str | None) -> dict[str, str | None]:
    """The schema_translate_map for a session of one tenant (or of no tenant)."""
    mapping: dict[str, str | None] = {}
    if engine.dialect.name == "sqlite":
        mapping[SHARED] = None  # the shared tables are the main database file
    if tenant_schema is not None:
        mapping[TENANT] = tenant_schema
    return mapping


def sqlite_tenant_dir(engine: Engine) -> Path:
    """Folder that holds one SQLite file per tenant, beside the main file."""
    main = Path(engine.url.database or "kyodo.db")
    return main.with_name(main.stem + "-tenants")


def sqlite_tenant_file(engine: Engine, schema: str) -> Path:
    return sqlite_tenant_dir(engine) / f"{schema}.db"


def _sqlite3(conn: Connection) -> sqlite3.Connection:
    """The driver's own connection under a SQLAlchemy connection (ATTACH must run on it directly)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError("not a SQLite connection")
    return raw


def _attached(dbapi_conn: Any) -> set[str]:
    return {row[1] for row in dbapi_conn.execute("PRAGMA database_list").fetchall()}


def _install_sqlite_events(engine: Engine) -> None:
    """Real transactions (so DDL and savepoints roll back) and per-checkout tenant attachment."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy: pysqlite's own implicit BEGIN skips DDL.
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        _tune_sqlite(dbapi_conn, "main")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # ATTACH is refused inside a transaction, so it happens here, just before BEGIN.
        schemas = conn.get_execution_options().get("schema_translate_map") or {}
        dbapi_conn = _sqlite3(conn)
        present = _attached(dbapi_conn)
        for schema in {s for s in schemas.values() if s and s != SHARED}:
            if schema not in present:
                path = sqlite_tenant_file(engine, schema)
                if not path.exists():
                    raise sa.exc.InvalidRequestError(f"no database file for tenant schema {schema}")
                dbapi_conn.execute("ATTACH DATABASE ? AS " + _quote(schema), (str(path),))
                _tune_sqlite(dbapi_conn, schema)
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, _record: Any) -> None:
        # A pooled connection returns with no tenant attached: the next checkout starts clean.
        for name in _attached(dbapi_conn) - {"main", "temp"}:
            dbapi_conn.execute("DETACH DATABASE " + _quote(name))


# Writers wait for each other (up to this long) instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _tune_sqlite(dbapi_conn: Any, schema: str) -> None:
    """WAL (readers never wait for a writer, nor a writer for readers) and a busy timeout.

    The journal mode belongs to each file, so every attached tenant file gets it too; an in-memory
    database keeps its own mode.
    """
    dbapi_conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    dbapi_conn.execute(f"PRAGMA {_quote(schema)}.journal_mode=WAL")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _dispose_after_fork() -> None:
    # A forked rq work horse must not reuse the parent's sockets (CKAN and SQLAlchemy both advise this).
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def close_pooled_connections() -> None:
    """Close every pooled connection of this process: gunicorn's master calls it after building the app
    (``preload_app``), which it never uses for a request, so that it holds no PostgreSQL backend."""
    for engine in list(_ENGINES):
        engine.dispose()


# A pooled PostgreSQL connection is replaced after this long, before a firewall or the server's idle
# timeout can cut it; one cut anyway is replaced when a request's first statement finds it dead
# (``boundary.first_statement``). That replaces a "SELECT 1" round trip at every checkout.
POOL_RECYCLE_SECONDS = 1800


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse, at checkout, a pooled connection the server has closed, without a round trip.

    An idle connection has nothing to read (this app never LISTENs), so a socket that is readable holds
    the server's goodbye (a terminated backend, a restart) or its end of file: the pool discards it and
    checks out another. A request whose city comes from the worker's copy (``tenancy``) runs its page's
    own statement first, which ``boundary.first_statement`` cannot repeat. A connection cut silently
    (a firewall) is not seen here: the recycling above bounds that.
    """
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # psycopg raises once the connection is closed
        raise sa.exc.DisconnectionError("connection closed") from None
    readable, _, _ = select.select([fd], [], [], 0)
    if readable:
        raise sa.exc.DisconnectionError("the server closed the pooled connection")


def make_engine(url: str, pool_size: int = 5, pre_ping: bool = False) -> Engine:
    """Create the application's engine for PostgreSQL or SQLite.

    ``pre_ping`` tests every connection at checkout (a round trip each); off by default, see above.
    """
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=0 if pool_size == 1 else 10,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _install_sqlite_events(engine)
        sqlite_tenant_dir(engine).mkdir(parents=True, exist_ok=True)
    else:
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=0 if pool_size == 1 else 10,
            pool_pre_ping=pre_ping,
            pool_recycle=POOL_RECYCLE_SECONDS,
        )
        if not pre_ping:
            event.listen(engine, "checkout", _closed_by_server)
    _ENGINES.add(engine)
    return engine


class Database:
    """The engine of one app and the way to open a session bound to a tenant."""

    # Per-schema engines kept for reuse: a worker that serves every city must not keep one per city
    # for its whole life (they are cheap to make again).
    BOUND_KEPT = 32

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bound: OrderedDict[str | None, Engine] = OrderedDict()
        # Tests set this to one connection inside an outer transaction that they roll back.
        self.test_connection: Connection | None = None
        # In a request, the request's own connection once its session is done (``boundary``): the
        # access-log writes and sealing after the commit reuse it instead of checking out another.
        self.idle_request_connection: Any = lambda: None
        # Called after a commit that changed a row of ``tenants``: the app sets it to tell every
        # worker's cache of cities (``tenancy``) that its copies are stale. Nothing without a cache.
        self.tenants_changed: Callable[[], None] = lambda: None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def bind_for(self, tenant_schema: str | None) -> Engine:
        bound = self._bound.get(tenant_schema)
        if bound is None:
            bound = self.engine.execution_options(
                schema_translate_map=translate_map(self.engine, tenant_schema)
            )
            self._bound[tenant_schema] = bound
            if len(self._bound) > self.BOUND_KEPT:
                self._bound.popitem(last=False)
        else:
            self._bound.move_to_end(tenant_schema)
        return bound

    def bind_connection(self, connection: Connection, tenant_schema: str | None) -> Connection:
        """Point ``connection``'s tenant tables at ``tenant_schema`` (in place; it returns the connection).

        On SQLite the tenant's file is attached when the connection's next transaction begins.
        """
        return connection.execution_options(schema_translate_map=translate_map(self.engine, tenant_schema))

    def session(self, tenant_schema: str | None = None) -> Session:
        """A new session whose tenant tables resolve to ``tenant_schema`` (or to nothing)."""
        if self.test_connection is not None:
            self.test_connection.execution_options(
                schema_translate_map=translate_map(self.engine, tenant_schema)
            )
            return Session(
                bind=self.test_connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
        idle = self.idle_request_connection()
        if idle is not None:
            return Session(bind=self.bind_connection(idle, tenant_schema), expire_on_commit=False)
        return Session(bind=self.bind_for(tenant_schema), expire_on_commit=False)

    def attach_for_tests(self, connection: Connection, schemas: list[str]) -> None:
        """SQLite only: attach tenant files up front on a connection that tests keep in one transaction."""
        if self.is_sqlite:
            dbapi_conn = _sqlite3(connection)
            for schema in schemas:
                path = sqlite_tenant_file(self.engine, schema)
                dbapi_conn.execute("ATTACH DATABASE ? AS " + _quote(schema), (str(path),))
                _tune_sqlite(dbapi_conn, schema)

    def connect(self, tenant_schema: str | None = None) -> Connection:
        """A connection bound to one tenant, for migrations and provisioning."""
        return self.bind_for(tenant_schema).connect()
