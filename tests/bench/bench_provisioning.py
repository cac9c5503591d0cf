"""Benchmark: seconds per tenant to create and stamp a schema on PostgreSQL (100 tenants by default).

Run from the project root as ``.venv/bin/python tests/bench/bench_provisioning.py [--tenants N]``.
Uses a database of its own (``KYODO_BENCH_DATABASE_URL``, default .../kyodo_bench), dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time

import benchkit
import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.migrate import head_revision, upgrade_shared
from tenant_core.models import Tenant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    benchkit.header(f"provisioning: {args.tenants} tenants through create_tenant, PostgreSQL")
    with benchkit.database() as url, benchkit.kyodo_app(url) as app:
        db = get_db(app)
        shared = benchkit.timed(lambda: upgrade_shared(db))
        print(f"  shared schema upgrade (empty database): {shared:.3f} s")
        head = head_revision("tenant")
        times = benchkit.create_tenants(db, range(1, args.tenants + 1))
        with db.session() as session:
            stamped = session.scalar(
                sa.select(sa.func.count()).select_from(Tenant).where(Tenant.schema_revision == head)
            )
        with db.connect() as conn:
            schemas = conn.execute(
                sa.text("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 't\\_c%'")
            ).scalar_one()
        print(
            f"  created {len(times)} tenants in {sum(times):.2f} s; {stamped} recorded at {head}, {schemas} schemas"
        )
        print(f"  per tenant: {benchkit.summary(times)}")
        tenth = max(1, len(times) // 10)
        first, last = statistics.median(times[:tenth]), statistics.median(times[-tenth:])
        print(
            f"  first {tenth} vs last {tenth}: median {first * 1e3:.1f} ms vs {last * 1e3:.1f} ms "
            f"(ratio last/first {last / first:.2f})"
        )
        # A fixed part of every creation: Alembic reads the version scripts (and env.py) from disk,
        # once for head_revision() and once more inside the stamp command.
        loads = [benchkit.timed(lambda: head_revision("tenant")) for _ in range(20)]
        print(
            f"  of which reading the tenant script directory once (head_revision): "
            f"median {statistics.median(loads) * 1e3:.2f} ms"
        )
    print(f"  whole script: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
