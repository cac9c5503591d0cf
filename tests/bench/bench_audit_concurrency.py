"""Audited requests of one city under concurrency, against an unaudited page, under gunicorn on PostgreSQL.

Starts gunicorn (``ops/gunicorn.conf.py``, ``KYODO_WORKERS`` workers, default 4) on a fresh database
with the two demo cities, signs in one clerk session per client, and runs for ``--seconds`` each:

- the audited resident search API of 富士市 (``/fuji/residents/api/search?kana=...``) at 1 and at 32 clients,
- the unaudited ``/healthz`` at 1 and at 32 clients,

printing requests/s, p50/p99 latency, errors, the throughput ratio 32/1 of each, and during each 32-client
run the number of ``pg_stat_activity`` samples (every 100 ms) of this database's backends waiting on a lock.
Clients are stdlib threads with one keep-alive connection each, on the loopback only. Nothing is asserted.

    .venv/bin/python tests/bench/bench_audit_concurrency.py [--seconds 30] [--clients 32]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(os.environ.get("KYODO_BENCH_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from gunicorn_server import HEALTH, HOST, free_port, start_gunicorn  # noqa: E402  (this folder, not ROOT)

from tenant_core.extensions import get_db, get_settings  # noqa: E402
from tenant_core.migrate import upgrade_shared  # noqa: E402
from tests import factories  # noqa: E402
from tests.bench.benchkit import database, kyodo_app, percentile  # noqa: E402

SEARCH = "/fuji/residents/api/search?kana=%E3%82%BF%E3%83%8A%E3%82%AB"  # タナカ
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def sign_in(port: int) -> str:
    """A clerk's signed-in session cookie, through the real login form."""
    jar: SimpleCookie = SimpleCookie()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/fuji/login")
    response = conn.getresponse()
    for value in response.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    match = CSRF.search(response.read().decode())
    assert match, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"login": "clerk", "password": factories.PASSWORD, "csrf_token": match.group(1)}
    )
    cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items())
    conn.request(
        "POST",
        "/fuji/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in failed: {response.status}")
    for value in response.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    conn.close()
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def run(port: int, path: str, cookies: list[str], seconds: float) -> dict[str, float]:
    latencies: list[list[float]] = [[] for _ in cookies]
    errors = [0] * len(cookies)
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        headers = {"Cookie": cookies[n], "Connection": "keep-alive"}
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            latencies[n].append(time.perf_counter() - t0)
            if not ok:
                errors[n] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(cookies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    every = [x for per in latencies for x in per]
    return {
        "rps": len(every) / elapsed,
        "p50": statistics.median(every) * 1e3,
        "p99": percentile(every, 99) * 1e3,
        "errors": float(sum(errors)),
        "requests": float(len(every)),
    }


class LockSampler(threading.Thread):
    """Samples pg_stat_activity every 100 ms: this database's backends, and those waiting on a lock."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, pool_size=1)
        self.database = sa.engine.make_url(url).database
        self.stop = threading.Event()
        self.samples = self.backends = self.waiting = 0
        self.waits: dict[str, int] = {}

    def run(self) -> None:
        query = sa.text(
            "SELECT wait_event_type, wait_event, query FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                rows = conn.execute(query, {"db": self.database}).all()
                conn.commit()
                self.samples += 1
                self.backends += len(rows)
                for row in rows:
                    if row.wait_event_type == "Lock":
                        self.waiting += 1
                        what = f"{row.wait_event}: {' '.join((row.query or '').split())[:70]}"
                        self.waits[what] = self.waits.get(what, 0) + 1
                time.sleep(0.1)
        self.engine.dispose()


def line(label: str, r: dict[str, float]) -> str:
    return (
        f"  {label:<34} {r['rps']:8.1f} req/s   p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms   "
        f"errors {int(r['errors'])} of {int(r['requests'])}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KYODO_WORKERS", 4)))
    args = parser.parse_args()
    print(
        f"code under test: {ROOT}; gunicorn workers {args.workers} x 4 threads; {args.seconds:.0f} s per run"
    )
    with database("_audit") as url, contextlib.ExitStack() as stack:
        with kyodo_app(url) as app, app.app_context():
            upgrade_shared(get_db(app))
            factories.demo_cities(get_db(app), get_settings(app))
        port = free_port()
        log = stack.enter_context(tempfile.NamedTemporaryFile(prefix="kyodo-audit-gunicorn-", suffix=".log"))
        proc = start_gunicorn(ROOT, url, port, args.workers, log)
        try:
            cookies = [sign_in(port) for _ in range(args.clients)]
            results = {}
            for path, label in ((SEARCH, "audited search API"), (HEALTH, "unaudited /healthz")):
                run(port, path, cookies[:4], 2)  # warm every worker up
                results[(label, 1)] = run(port, path, cookies[:1], args.seconds)
                print(line(f"{label}, 1 client", results[(label, 1)]), flush=True)
                sampler = LockSampler(url)
                sampler.start()
                results[(label, args.clients)] = run(port, path, cookies, args.seconds)
                sampler.stop.set()
                sampler.join()
                print(line(f"{label}, {args.clients} clients", results[(label, args.clients)]), flush=True)
                ratio = results[(label, args.clients)]["rps"] / results[(label, 1)]["rps"]
                print(
                    f"    throughput ratio {args.clients}/1: {ratio:.2f}; pg_stat_activity: {sampler.samples} samples, "
                    f"{sampler.backends} active backends seen, {sampler.waiting} waiting on a lock",
                    flush=True,
                )
                for what, count in sorted(sampler.waits.items(), key=lambda kv: -kv[1])[:3]:
                    print(f"      {count:5d} x {what}")
            with kyodo_app(url) as app, app.app_context(), get_db(app).session("t_fuji") as s:
                total = s.scalar(sa.text('SELECT count(*) FROM "t_fuji".access_log'))
                columns = {
                    c["name"] for c in sa.inspect(s.connection()).get_columns("access_log", schema="t_fuji")
                }
                unsealed = (
                    s.scalar(sa.text('SELECT count(*) FROM "t_fuji".access_log WHERE seq IS NULL'))
                    if "mac" in columns
                    else 0
                )
            print(f"  access log of fuji: {total} entries, {unsealed} not sealed at the end")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
