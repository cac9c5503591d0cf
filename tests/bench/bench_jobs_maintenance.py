"""Benchmark: what the job outbox costs: enqueue with Redis up and down, and one reaper + sweeper round.

Run from the project root as ``.venv/bin/python tests/bench/bench_jobs_maintenance.py [--records 2000]``.
PostgreSQL (``KYODO_BENCH_DATABASE_URL``, a database of its own, dropped at the end) and Redis
(``KYODO_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/12``, flushed first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import benchkit
import sqlalchemy as sa
from redis import Redis

from tenant_core.extensions import get_db
from tenant_core.jobs import enqueue
from tenant_core.jobs.maintenance import reap, sweep
from tenant_core.migrate import upgrade_shared
from tenant_core.models import JobRecord, JobState, Tenant, utcnow

REDIS_URL = os.environ.get("KYODO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CLOSED = "redis://127.0.0.1:6390/0"


def noop(ctx) -> None:  # never run: the benchmark only enqueues
    return None


def enqueue_times(app, tenant, n: int) -> list[float]:
    times = []
    with app.app_context():
        db = get_db(app)
        for _ in range(n):
            t0 = time.perf_counter()
            with db.session() as s:
                enqueue(noop, tenant=tenant, session=s)
                s.commit()
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000, help="queued and started records for the round")
    parser.add_argument("--enqueues", type=int, default=200)
    args = parser.parse_args()
    Redis.from_url(REDIS_URL).flushdb()
    with benchkit.database("_jobs") as url, benchkit.kyodo_app(url) as app:
        db = get_db(app)
        with app.app_context():
            upgrade_shared(db)
        benchkit.create_tenants(db, [1])
        with db.session() as s:
            tenant = s.scalar(sa.select(Tenant))
        benchkit.header("enqueue + commit, one job each")
        for label, url_ in (("Redis up", REDIS_URL), ("Redis down (closed port)", CLOSED)):
            app.extensions["kyodo.redis"] = Redis.from_url(url_, socket_connect_timeout=2, socket_timeout=5)
            times = enqueue_times(app, tenant, args.enqueues)
            print(f"  {label}: {benchkit.summary(times)}")
        with db.session() as s:
            pending = s.scalar(sa.select(sa.func.count()).where(JobRecord.dispatch_error.is_not(None)))
        print(f"  records left queued with a dispatch error: {pending}")

        app.extensions["kyodo.redis"] = Redis.from_url(REDIS_URL)
        with db.session() as s:  # in flight: half queued in rq's eyes, half started with a fresh heartbeat
            now = utcnow()
            s.add_all(
                JobRecord(
                    tenant_id=tenant.id,
                    func="bench:noop",
                    args=[],
                    state=JobState.started if i % 2 else JobState.queued,
                    started_at=now if i % 2 else None,
                    heartbeat_at=now if i % 2 else None,
                    attempts=1 if i % 2 else 0,
                )
                for i in range(args.records)
            )
            s.commit()
        with app.app_context():
            benchkit.header(f"one maintenance round, {args.records + args.enqueues * 2} records in flight")
            rounds = []
            for _ in range(3):
                t0 = time.perf_counter()
                reaped = reap()
                rounds.append(time.perf_counter() - t0)
            print(f"  reap ({len(reaped.reaped)} to reap): median {statistics.median(rounds) * 1e3:.0f} ms")
            with benchkit.StatementCounter(db.engine) as counter:
                t0 = time.perf_counter()
                swept = sweep(grace_seconds=0)
                sweep_time = time.perf_counter() - t0
            print(
                f"  sweep (re-dispatch {len(swept.dispatched)} records): {sweep_time * 1e3:.0f} ms, "
                f"{counter.count} statements"
            )
            t0 = time.perf_counter()
            again = sweep(grace_seconds=0)
            print(
                f"  sweep again (nothing to do: {len(again.dispatched)}): {(time.perf_counter() - t0) * 1e3:.0f} ms"
            )
    Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
