"""Helpers shared by the tenancy benchmarks (not a benchmark itself: ``make bench`` runs bench_*.py only).

Every benchmark makes PostgreSQL databases of its own, named after the database of
``KYODO_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/kyodo_bench``),
and drops them again, also when it fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tenant_core.app import create_app
from tenant_core.codes import code_check_digit
from tenant_core.config import PROJECT_ROOT, load_settings
from tenant_core.db import Database
from tenant_core.extensions import get_db
from tenant_core.provisioning import TenantSpec, create_tenant

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/kyodo_bench"
CONSORTIUM = ("bench", "ベンチマーク協議会")


def bench_url(suffix: str = "") -> str:
    """The benchmark database's URL, with ``suffix`` appended to the database name."""
    url = sa.engine.make_url(os.environ.get("KYODO_BENCH_DATABASE_URL", DEFAULT_URL))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith("postgresql"):
        sys.exit("KYODO_BENCH_DATABASE_URL must be a PostgreSQL URL (postgresql+psycopg://...)")
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit in this process, so that ``finally`` still drops the databases."""
    main_pid = os.getpid()

    def handler(signum: int, _frame: object) -> None:
        if os.getpid() == main_pid:  # forked migration workers keep a plain exit
            raise SystemExit(128 + signum)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def database(suffix: str = "", *, keep: bool = False) -> Iterator[str]:
    """A fresh, empty database for the length of the block; dropped afterwards whatever happens.

    ``keep``: a database of that name left by an earlier run is used as it is, and kept afterwards
    (for repeated runs of a benchmark whose set-up takes minutes; the caller checks what is there).
    """
    _exit_on_sigterm()
    url = bench_url(suffix)
    name = sa.engine.make_url(url).database
    admin = _admin_engine(url)
    if keep:
        with admin.connect() as conn:
            exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        yield url
        return
    _drop(admin, name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        _drop(admin, name)
        admin.dispose()


@contextlib.contextmanager
def kyodo_app(url: str, extra_tenant_migrations: Iterable[Path] = ()) -> Iterator[Flask]:
    """The real application on ``url`` (jobs inline, no Redis), its engine disposed at the end."""
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-var-") as var_dir:
        settings = load_settings(
            env="test",
            var_dir=Path(var_dir),
            tenants_dir=PROJECT_ROOT / "tenants",
            database_url=url,
            redis_url=None,
            secret_key="bench-secret",
            metrics_allow="127.0.0.1/32",  # the test client's address: the benchmark scrapes /metrics
            extra_tenant_migrations=list(extra_tenant_migrations),
        )
        app = create_app(settings)
        try:
            yield app
        finally:
            get_db(app).engine.dispose()


def code_for(i: int) -> str:
    """A distinct, well-formed 団体コード for tenant number ``i`` (1..9999)."""
    first_five = f"2{i:04d}"
    return first_five + str(code_check_digit(first_five))


def slug_for(i: int) -> str:
    return f"c{i:04d}"


def spec_for(i: int) -> TenantSpec:
    return TenantSpec(
        slug=slug_for(i),
        name=f"ベンチ市{i}",
        code=code_for(i),
        consortium_slug=CONSORTIUM[0],
        consortium_name=CONSORTIUM[1],
        population=10_000 + i,
        households=4_000 + i,
        population_as_of=dt.date(2025, 4, 1),
        modules=("residents",),
    )


def create_tenants(
    db: Database,
    numbers: Iterable[int],
    extra_locations: tuple[Path, ...] = (),
    progress: str | None = None,
) -> list[float]:
    """Create tenants c<i> through the provisioning service; return the seconds each one took."""
    numbers = list(numbers)
    times: list[float] = []
    started = time.perf_counter()
    block = 0
    for n, i in enumerate(numbers, start=1):
        t0 = time.perf_counter()
        create_tenant(db, spec_for(i), extra_locations)
        times.append(time.perf_counter() - t0)
        if progress and (n % 250 == 0 or n == len(numbers)):
            print(
                f"    {progress}: {n}/{len(numbers)} tenants, {time.perf_counter() - started:.1f} s "
                f"(median of the last {n - block}: {statistics.median(times[block:]) * 1e3:.1f} ms)",
                flush=True,
            )
            block = n
    return times


def timed(func: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    func()
    return time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float], unit: str = "ms", scale: float = 1e3) -> str:
    """median / p95 / mean / min / max of timings in seconds, shown in ``unit``."""
    return (
        f"median {statistics.median(values) * scale:.2f} {unit}, p95 {percentile(values, 95) * scale:.2f} {unit}, "
        f"mean {statistics.fmean(values) * scale:.2f} {unit}, min {min(values) * scale:.2f} {unit}, "
        f"max {max(values) * scale:.2f} {unit} (n={len(values)})"
    )


class StatementCounter:
    """Counts the SQL statements an engine sends, and its pool checkouts, while the counter is active.

    Checkouts matter on PostgreSQL: the engine has ``pool_pre_ping``, one extra round trip each.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0
        self.checkouts = 0

    def _on_execute(self, *_args: object) -> None:
        self.count += 1

    def _on_checkout(self, *_args: object) -> None:
        self.checkouts += 1

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._on_execute)
        sa.event.listen(self.engine.pool, "checkout", self._on_checkout)
        return self

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._on_execute)
        sa.event.remove(self.engine.pool, "checkout", self._on_checkout)


def header(title: str) -> None:
    print(f"{title}  ({dt.datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} CPUs)")
