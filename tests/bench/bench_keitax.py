"""Benchmark: 軽自動車税 賦課 over many vehicles, and a mass print run of many 納税通知書, on PostgreSQL.

Run from the project root as ``.venv/bin/python tests/bench/bench_keitax.py [--vehicles 100000]
[--notices 160298] [--box 2000]``. It creates the database ``<bench>_keitax`` (server of
``KYODO_BENCH_DATABASE_URL``) and drops it at the end, also on failure.

1. 賦課: ``--vehicles`` vehicles of every 車種区分 (loaded by one bulk insert, not timed), assessed by
   the job as a city would run it (inline, one process): time, statements, and a rerun (no change).
2. Print run: ``--notices`` 納税通知書 (160,298 = the households of both demo cities): the run made
   (sorted and numbered in the database), then every box drawn by the job and the 発送簿 written.
   Time, pages per second, peak memory (resident set, sampled) and the output's size on disk.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import resource
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from flask import g

from modules.keitax import tasks
from modules.keitax.classes import CODES
from modules.keitax.models import Assessment, Vehicle
from modules.keitax.notices import NOTICE
from tenant_core.extensions import get_db, get_settings
from tenant_core.jobs import enqueue
from tenant_core.migrate import upgrade_shared
from tenant_core.models import JobRecord
from tenant_core.printing import services as printing
from tenant_core.printing import tasks as printing_tasks
from tenant_core.printing.models import PrintRun
from tenant_core.provisioning import create_tenant
from tenant_core.tenancy import find_tenant
from tests.bench.benchkit import StatementCounter, database, kyodo_app, spec_for

TOWNS = [
    "吉原",
    "今泉",
    "伝法",
    "中央町",
    "本町",
    "永田町",
    "青島町",
    "米之宮町",
    "松岡",
    "岩本",
    "厚原",
    "大渕",
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


class PeakMemory(threading.Thread):
    """Samples the resident set every 0.2 s (ru_maxrss would include the set-up's peak)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.stopped = 0.0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> PeakMemory:
        self.peak = _rss_mb()
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.join()


def _vehicles(session: sa.orm.Session, count: int) -> None:
    rng = random.Random(15)
    rows = []
    for i in range(count):
        cls = CODES[i % len(CODES)]
        first = dt.date(rng.randint(2005, 2025), rng.randint(1, 12), 1)
        inspected = cls.startswith("light_3") or cls.startswith("light_4")
        rows.append(
            {
                "plate_no": f"富士 {i}",
                "vehicle_class": cls,
                "first_inspection": first if inspected else None,
                "green": inspected and i % 20 == 0,
                "owner_atena_no": 1 + i // 2,
                "user_atena_no": None,
                "acquired_on": first,
                "scrapped_on": None,
                "version": 1,
            }
        )
        if len(rows) == 10_000:
            session.execute(sa.insert(Vehicle), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Vehicle), rows)
    session.commit()


def _subjects(count: int):
    rng = random.Random(160298)
    for i in range(count):
        town = TOWNS[rng.randrange(len(TOWNS))]
        yield printing.Subject(
            key=f"22210120270{i:09d}",
            name=f"納税 者{i}",
            postcode=f"417-{rng.randrange(100):04d}",
            address=f"静岡県富士市{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
            address_after_town=f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
            payload={
                "city": "富士市",
                "year": 2027,
                "atena_no": i + 1,
                "plate": f"富士 あ {i % 10000:04d}",
                "class": "light_4_pass_private",
                "class_label": "軽四輪 乗用 自家用",
                "year_text": "令和9年度",
                "due_text": "令和9年5月31日",
                "rule": "standard",
                "rate": 10800,
                "reduction": 0,
                "amount": 10800,
                "nofu_no": f"22210120270{i:09d}",
                "due_on": "2027-05-31",
                "correction": False,
            },
        )


def _run_job(app, slug: str, func, *args) -> JobRecord:  # type: ignore[no-untyped-def]
    db = get_db(app)
    with app.test_request_context(f"/{slug}/"):
        g.tenant = find_tenant(slug)
        with db.session(g.tenant.schema) as s:
            job_id = enqueue(func, *args, tenant=g.tenant, session=s, title="bench")
            s.commit()  # inline: the job runs here
    with db.session() as s:
        record = s.get(JobRecord, job_id)
        s.expunge(record)
        return record


def _descendants(pids: set[int]) -> set[int]:
    """The processes under ``pids`` (rq forks a work horse per job)."""
    found = set(pids)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid in found:
                found.add(int(entry.name))
    return found


def _rss_of(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def _with_workers(app, url: str, slug: str, schema: str, run_id: int, count: int, memory: PeakMemory):  # type: ignore[no-untyped-def]
    """Queue the run's parts on Redis and let ``count`` real worker processes draw them."""
    import subprocess
    import sys

    from redis import Redis
    from rq import Queue

    from tenant_core.jobs import core as jobs_core

    redis_url = os.environ.get("KYODO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    Redis.from_url(redis_url).flushdb()
    var_dir = str(get_settings(app).var_dir)
    t1 = time.perf_counter()
    queued: list[str] = []
    original = jobs_core.try_dispatch

    def collect(job_id: str, **_kw: object) -> bool:  # the records go to Redis below, not inline
        queued.append(job_id)
        return True

    jobs_core.try_dispatch = collect  # type: ignore[assignment]
    try:
        with app.test_request_context(f"/{slug}/"):
            g.tenant = find_tenant(slug)
            with get_db(app).session(schema) as s:
                printing_tasks.start(s, s.get(PrintRun, run_id), g.tenant, count)
                s.commit()
    finally:
        jobs_core.try_dispatch = original  # type: ignore[assignment]
    for job_id in queued:
        Queue("bulk", connection=Redis.from_url(redis_url)).enqueue(
            jobs_core.run_job, job_id, job_id=job_id, job_timeout=4 * 3600
        )
    env = {
        **os.environ,
        "KYODO_DATABASE_URL": url,
        "KYODO_REDIS_URL": redis_url,
        "KYODO_VAR_DIR": var_dir,
        "KYODO_SECRET_KEY": "bench-secret",
        "KYODO_ENV": "test",
    }
    kyodo = os.path.join(os.path.dirname(sys.executable), "kyodo")
    procs = [
        subprocess.Popen(
            [kyodo, "worker", "--queue", "bulk", "--burst"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    peak_each = 0.0
    while any(p.poll() is None for p in procs):
        for pid in _descendants({p.pid for p in procs}):
            peak_each = max(peak_each, _rss_of(pid))
        time.sleep(0.5)
    drawn = time.perf_counter() - t1
    print(f"  {count} worker processes: peak RSS of one worker process {peak_each:,.0f} MB", flush=True)
    return drawn, queued[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=160_298)
    parser.add_argument("--box", type=int, default=2000)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="draw the run with this many real rq worker processes (Redis of KYODO_BENCH_REDIS_URL); 0: inline",
    )
    args = parser.parse_args()
    with database("_keitax") as url, kyodo_app(url) as app, app.app_context():
        db = get_db(app)
        upgrade_shared(db)
        spec = spec_for(1)
        spec = spec.__class__(**{**spec.__dict__, "modules": ("residents", "atena", "keitax")})
        create_tenant(db, spec)
        slug = spec.slug
        schema = f"t_{slug}"
        with db.session(schema) as s:
            t0 = time.perf_counter()
            _vehicles(s, args.vehicles)
            print(
                f"set-up: {args.vehicles:,} vehicles inserted in {time.perf_counter() - t0:.1f} s", flush=True
            )
        year = 2027
        with StatementCounter(db.engine) as counter:
            t0 = time.perf_counter()
            record = _run_job(app, slug, tasks.assess_year, year, "bench")
            elapsed = time.perf_counter() - t0
        print(
            f"賦課 of {args.vehicles:,} vehicles: {elapsed:.1f} s ({args.vehicles / elapsed:,.0f} vehicles/s), "
            f"{counter.count:,} statements, result {record.result}, state {record.state}",
            flush=True,
        )
        with StatementCounter(db.engine) as counter:
            t0 = time.perf_counter()
            record = _run_job(app, slug, tasks.assess_year, year, "bench")
            elapsed = time.perf_counter() - t0
        print(
            f"rerun (nothing changed): {elapsed:.1f} s, {counter.count:,} statements, result {record.result}"
        )
        with db.session(schema) as s:
            rows = s.scalar(sa.select(sa.func.count()).select_from(Assessment))
        print(f"課税台帳 rows: {rows:,}", flush=True)

        # 2. The print run.
        with PeakMemory() as memory:
            t0 = time.perf_counter()
            with app.test_request_context(f"/{slug}/"):
                g.tenant = find_tenant(slug)
                with db.session(schema) as s:
                    run = printing.create_run(
                        s,
                        NOTICE.code,
                        _subjects(args.notices),
                        title="bench",
                        by="bench",
                        box_sheets=args.box,
                        barcode=True,
                    )
                    run_id, boxes = run.id, run.boxes
                    s.commit()
            made = time.perf_counter() - t0
            print(
                f"run made (sorted, 通番 given): {args.notices:,} documents in {made:.1f} s, {boxes} boxes",
                flush=True,
            )
            if args.workers:
                drawn, job_id = _with_workers(app, url, slug, schema, run_id, args.workers, memory)
            t1 = time.perf_counter()
            profile = (
                cProfile.Profile() if os.environ.get("KYODO_BENCH_PROFILE") and not args.workers else None
            )
            if profile:
                profile.enable()
            if not args.workers:
                with app.test_request_context(f"/{slug}/"):
                    g.tenant = find_tenant(slug)
                    with db.session(schema) as s:
                        job_id = printing_tasks.start(s, s.get(PrintRun, run_id), g.tenant, 1)[0]
                        s.commit()
                drawn = time.perf_counter() - t1
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        with db.session() as s:
            state = s.get(JobRecord, job_id).state
        folder = Path(get_settings(app).var_dir) / "cities" / slug / "printing" / f"run-{run_id:06d}"
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            f"print run: job {state}; drawn in {drawn:.1f} s = {args.notices / drawn:,.0f} pages/s; "
            f"total {made + drawn:.1f} s; peak RSS {memory.peak:,.0f} MB; output {size / 2**20:,.1f} MB "
            f"({size / args.notices / 1024:.1f} KB a page, {len(list(folder.glob('box-*.pdf')))} box files + 発送簿)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
