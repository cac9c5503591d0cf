"""Benchmark: the monthly usage collection (``kyodo costs collect-usage``) for N cities on PostgreSQL.

Run from the project root as ``.venv/bin/python tests/bench/bench_costs_usage.py [--cities 1000]``.
Uses a database of its own (benchkit), dropped at the end. Each city has the residents and certificates
modules (their counters run) and a few access-log entries and one job in the month measured; the
collection is run twice: the first inserts every count, the second refreshes them (the monthly re-run).
Prints the time, the SQL statements and the pool checkouts, in all and per city.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import benchkit
import sqlalchemy as sa

from modules.costs import usage
from modules.costs.usage_models import UsageCount
from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.models import JobRecord, JobState, Tenant

YEAR, MONTH = 2026, 4


def seed(db, cities: int) -> None:
    """Every city: the certificates module on, five access-log entries (one a print) and one job."""
    at = dt.datetime(YEAR, MONTH, 10, 3, 0)
    with db.session() as shared:
        tenants = list(shared.scalars(sa.select(Tenant).order_by(Tenant.id)))
        for t in tenants:
            t.modules = ["residents", "seals", "certificates"]
            shared.add(
                JobRecord(
                    tenant_id=t.id,
                    func="bench:nothing",
                    state=JobState.finished,
                    started_at=at,
                    ended_at=at + dt.timedelta(seconds=42),
                )
            )
        shared.commit()
    for t in tenants:
        with db.session(f"t_{t.slug}") as s:
            for i, function in enumerate(("login", "view", "search", "view", "print")):
                s.add(AccessLog(operator=f"staff{i % 2}", function=function, at=at + dt.timedelta(minutes=i)))
            s.commit()


def collect_once(db) -> tuple[float, int, int, usage.Collected]:
    with benchkit.StatementCounter(db.engine) as counter:
        t0 = time.perf_counter()
        with db.session() as shared:
            summary = usage.collect(db, shared, YEAR, MONTH)
            shared.commit()
        elapsed = time.perf_counter() - t0
    return elapsed, counter.count, counter.checkouts, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=1000)
    args = parser.parse_args()
    benchkit.header(f"costs collect-usage: {args.cities} cities, one month, PostgreSQL")
    with benchkit.database() as url, benchkit.kyodo_app(url) as app:
        db = get_db(app)
        upgrade_shared(db)
        t0 = time.perf_counter()
        benchkit.create_tenants(db, range(1, args.cities + 1), progress="provisioning")
        print(f"  provisioning: {time.perf_counter() - t0:.1f} s (not part of the figure)")
        seed(db, args.cities)
        for label in ("first collection (inserts)", "second collection (refresh)"):
            elapsed, statements, checkouts, summary = collect_once(db)
            n = summary.tenants
            print(
                f"  {label}: {elapsed:.2f} s for {n} cities ({elapsed / n * 1e3:.2f} ms per city), "
                f"{statements} SQL statements ({statements / n:.1f} per city), {checkouts} pool checkouts, "
                f"{summary.counts} counts"
            )
        with db.session() as shared:
            stored = shared.scalar(sa.select(sa.func.count()).select_from(UsageCount))
            certificates = shared.scalar(
                sa.select(sa.func.sum(UsageCount.value)).where(UsageCount.counter == "printed")
            )
        print(f"  stored counts: {stored}; printed documents over all cities: {certificates}")


if __name__ == "__main__":
    main()
