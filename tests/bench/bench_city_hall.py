"""A busy city hall: clerks of both demo cities at once, mixing page views, searches and certificates.

Starts gunicorn (``ops/gunicorn.conf.py``, ``KYODO_WORKERS`` workers, default 4) on a fresh PostgreSQL
database with the two demo cities and their demo residents (``--residents`` per city), gives each
client a clerk account of its own (half the clients in 富士市, half in 富士宮市, each city's own
accounts), signs them in through the login form, warms up, then runs all clients for ``--seconds``.
Each client loops over

- the city's portal page (``/<city>/``),
- the resident search page with a カナ prefix (``/<city>/residents/?kana=...``),
- the JSON search API with a カナ prefix (``/<city>/residents/api/search?kana=...``),
- a resident's page (``/<city>/residents/<atena>``),
- every 5th iteration a 住民票の写し: GET the request form for a resident of the city
  (``/<city>/certificates/new?atena=...``), then POST it back with the form's hidden fields (CSRF
  token and whatever else the form carries) and the request's fields; a 302 to the issuance page
  counts as success (the redirect is not followed).

It prints requests/s, p50/p99 latency and errors, overall and per kind of request; what the
``pg_stat_activity`` samples (every 100 ms) of this database's active backends were waiting on; the CPU
seconds per request of the gunicorn workers and of the PostgreSQL backends (from /proc); transactions
and rows per request (``pg_stat_database``); and, before the load, the statements, pool checkouts and
commits of one request of each kind sent through the app in this process.
Clients are stdlib threads with one keep-alive connection each, on the loopback only. Nothing is asserted.

The code under test is this checkout, or the one named by ``KYODO_BENCH_ROOT`` (its app, its
migrations, its ``tests.factories`` and ``tests.bench.benchkit``, its gunicorn settings), so that an
older checkout can be measured by the same script:

    .venv/bin/python tests/bench/bench_city_hall.py [--seconds 60] [--clients 32]
    KYODO_BENCH_ROOT=/tmp/older-checkout .venv/bin/python tests/bench/bench_city_hall.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(os.environ.get("KYODO_BENCH_ROOT", Path(__file__).resolve().parents[2])).resolve()
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from gunicorn_server import HOST, free_port, start_gunicorn  # noqa: E402  (this folder, not ROOT)

from modules.residents.demo import load_demo as load_residents_demo  # noqa: E402
from modules.residents.models import Person, Status  # noqa: E402
from tenant_core.extensions import get_db, get_settings  # noqa: E402
from tenant_core.migrate import upgrade_shared  # noqa: E402
from tenant_core.params.demo import load_demo as load_params_demo  # noqa: E402
from tests import factories  # noqa: E402
from tests.bench.benchkit import database, kyodo_app, percentile  # noqa: E402

CITIES = ("fuji", "fujinomiya")
KANA = ("サト", "スズ", "タカ", "タナ", "イト", "ワタ", "ヤマ", "ナカ", "コバ", "カト", "ヨシ", "イノ")
KINDS = ("portal", "search page", "search API", "person page", "certificate form", "certificate issue")
CERTIFICATE_EVERY = 5
REQUEST = {
    "kind": "juminhyo",
    "scope": "person",
    "relationship": "y",
    "requester_name": "高橋　一郎",
    "requester_relation": "本人",
    "purpose": "勤務先に提出",
}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]*)"')
ACTION = re.compile(r'action="([^"]*)"')


class Jar:
    """The cookies of one client, updated from every response as a browser would."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def update(self, response: http.client.HTTPResponse) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(value)
            for key, morsel in parsed.items():
                if (morsel["expires"] and "1970" in morsel["expires"]) or morsel["max-age"] == "0":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def sign_in(port: int, slug: str, login: str) -> Jar:
    """A clerk's signed-in session, through the city's real login form."""
    jar = Jar()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", f"/{slug}/login")
    response = conn.getresponse()
    jar.update(response)
    match = CSRF.search(response.read().decode())
    assert match, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"login": login, "password": factories.PASSWORD, "csrf_token": match.group(1)}
    )
    conn.request(
        "POST",
        f"/{slug}/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar.header()},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in of {login} in {slug} failed: {response.status}")
    jar.update(response)
    conn.close()
    return jar


def issue_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to ``action`` (or has no action), as a browser sends them."""
    for attributes, body in FORM.findall(page):
        target = ACTION.search(attributes)
        if target and urllib.parse.urlsplit(target.group(1)).path != action:
            continue
        fields = {}
        for tag in HIDDEN.findall(body):
            name, value = NAME.search(tag), VALUE.search(tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
        if "csrf_token" in fields:
            return fields
    return {}


class Client(threading.Thread):
    """One clerk at a counter: a bounded loop of the mix until ``stop``, one keep-alive connection."""

    def __init__(self, n: int, port: int, slug: str, jar: Jar, people: list[int], stop: float) -> None:
        super().__init__(daemon=True)
        self.port, self.slug, self.jar, self.people, self.stop = port, slug, jar, people, stop
        self.rng = random.Random(n)
        self.latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.errors: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.statuses: dict[tuple[str, int], int] = {}
        self.hidden_fields: set[str] = set()
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(self, kind: str, method: str, path: str, body: dict[str, str] | None = None) -> str:
        headers = {"Cookie": self.jar.header(), "Connection": "keep-alive"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        text, status = "", 0
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
            self.jar.update(response)
            if method == "POST":
                location = urllib.parse.urlsplit(response.headers.get("Location", "")).path
                ok = status == 302 and bool(
                    re.fullmatch(rf"/{self.slug}/certificates/[0-9]+-[0-9]+", location)
                )
            else:
                ok = status == 200
            if ok and kind == "certificate form":
                text = raw.decode()
        except (OSError, http.client.HTTPException):
            ok = False
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        self.latencies[kind].append(time.perf_counter() - t0)
        if not ok:
            self.errors[kind] += 1
            self.statuses[(kind, status)] = self.statuses.get((kind, status), 0) + 1
        return text

    def run(self) -> None:
        base = f"/{self.slug}"
        iteration = 0
        while time.monotonic() < self.stop:
            iteration += 1
            kana = urllib.parse.quote(self.rng.choice(KANA))
            self.request("portal", "GET", f"{base}/")
            self.request("search page", "GET", f"{base}/residents/?kana={kana}")
            self.request("search API", "GET", f"{base}/residents/api/search?kana={kana}")
            self.request("person page", "GET", f"{base}/residents/{self.rng.choice(self.people)}")
            if iteration % CERTIFICATE_EVERY == 0 and time.monotonic() < self.stop:
                atena = self.rng.choice(self.people)
                page = self.request("certificate form", "GET", f"{base}/certificates/new?atena={atena}")
                fields = issue_fields(page, f"{base}/certificates/new") if page else {}
                if fields:
                    self.hidden_fields.update(fields)
                    self.request(
                        "certificate issue",
                        "POST",
                        f"{base}/certificates/new",
                        {**fields, **REQUEST, "atena_no": str(atena)},
                    )
                elif page:
                    self.errors["certificate issue"] += 1  # a form without a token cannot be posted
        self.conn.close()


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity every 100 ms: this database's active backends and what they wait on."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, pool_size=1)
        self.database = sa.engine.make_url(url).database
        self.stop = threading.Event()
        self.samples = self.backends = 0
        self.events: dict[str, int] = {}
        self.locks: dict[str, int] = {}

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
                    event = (
                        f"{row.wait_event_type}:{row.wait_event}" if row.wait_event_type else "CPU (no wait)"
                    )
                    self.events[event] = self.events.get(event, 0) + 1
                    if row.wait_event_type == "Lock":
                        what = f"{row.wait_event}: {' '.join((row.query or '').split())[:70]}"
                        self.locks[what] = self.locks.get(what, 0) + 1
                time.sleep(0.1)
        self.engine.dispose()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (those still alive), from /proc."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def backends(url: str) -> list[int]:
    """The PostgreSQL backends serving this database now (the pools are open after the warm-up)."""
    engine = sa.create_engine(url, pool_size=1)
    with engine.connect() as conn:
        pids = list(
            conn.scalars(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": sa.engine.make_url(url).database},
            )
        )
    engine.dispose()
    return pids


def db_counters(url: str) -> dict[str, int]:
    """This database's transaction and row counters (pg_stat_database), to take differences of."""
    engine = sa.create_engine(url, pool_size=1)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_fetched "
                "FROM pg_stat_database WHERE datname = :db"
            ),
            {"db": sa.engine.make_url(url).database},
        ).one()
    engine.dispose()
    return dict(row._mapping)


def run(
    port: int, sessions: list[tuple[str, Jar]], people: dict[str, list[int]], seconds: float
) -> list[Client]:
    stop = time.monotonic() + seconds
    clients = [Client(n, port, slug, jar, people[slug], stop) for n, (slug, jar) in enumerate(sessions)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    return clients


def stats(latencies: list[float], errors: int, elapsed: float) -> str:
    if not latencies:
        return "no requests"
    return (
        f"{len(latencies) / elapsed:8.1f} req/s   p50 {statistics.median(latencies) * 1e3:7.1f} ms   "
        f"p99 {percentile(latencies, 99) * 1e3:7.1f} ms   errors {errors} of {len(latencies)}"
    )


class Counter:
    """SQL statements, pool checkouts and commits an engine sees while active (as benchkit's StatementCounter)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.counts = {"statements": 0, "checkouts": 0, "commits": 0}

    def _count(self, what: str) -> Callable[..., None]:
        def listener(*_args: object) -> None:
            self.counts[what] += 1

        return listener

    def __enter__(self) -> Counter:
        self.listeners = [
            (self.engine, "before_cursor_execute", self._count("statements")),
            (self.engine.pool, "checkout", self._count("checkouts")),
            (self.engine, "commit", self._count("commits")),
        ]
        for target, name, fn in self.listeners:
            sa.event.listen(target, name, fn)
        return self

    def __exit__(self, *_exc: object) -> None:
        for target, name, fn in self.listeners:
            sa.event.remove(target, name, fn)


def count_statements(url: str, slug: str, atena: int) -> dict[str, dict[str, int]]:
    """One request of each kind through the app in this process (test client): what it sends to PostgreSQL."""
    found: dict[str, dict[str, int]] = {}
    with kyodo_app(url) as app:
        client = app.test_client()
        page = client.get(f"/{slug}/login").get_data(as_text=True)
        token = CSRF.search(page)
        assert token, "no CSRF token on the login page"
        data = {"login": "clerk", "password": factories.PASSWORD, "csrf_token": token.group(1)}
        assert client.post(f"/{slug}/login", data=data).status_code == 302
        kana = urllib.parse.quote(KANA[0])
        gets = {
            "portal": f"/{slug}/",
            "search page": f"/{slug}/residents/?kana={kana}",
            "search API": f"/{slug}/residents/api/search?kana={kana}",
            "person page": f"/{slug}/residents/{atena}",
            "certificate form": f"/{slug}/certificates/new?atena={atena}",
        }
        for _ in range(2):  # the second round counts: the first warms caches up
            for kind, path in gets.items():
                with Counter(get_db(app).engine) as counter:
                    response = client.get(path)
                assert response.status_code == 200, (kind, response.status_code)
                found[kind] = counter.counts
            fields = issue_fields(response.get_data(as_text=True), f"/{slug}/certificates/new")
            with Counter(get_db(app).engine) as counter:
                response = client.post(
                    f"/{slug}/certificates/new", data={**fields, **REQUEST, "atena_no": str(atena)}
                )
            assert response.status_code == 302, response.status_code
            found["certificate issue"] = counter.counts
    return found


def set_up(url: str, residents: int, per_city: int) -> dict[str, list[int]]:
    """Both demo cities, their params and residents, ``per_city`` clerk accounts each; the residents' 宛名番号."""
    clerk_roles = factories.STAFF["clerk"][1]
    people: dict[str, list[int]] = {}
    with kyodo_app(url) as app, app.app_context():
        db, settings = get_db(app), get_settings(app)
        upgrade_shared(db)
        factories.demo_cities(db, settings)
        list(load_params_demo(db, settings, list(CITIES)))
        list(load_residents_demo(db, settings, list(CITIES), residents))
        for slug in CITIES:
            for i in range(per_city):
                factories.user(db, slug, f"clerk{i:02d}", clerk_roles, display_name=f"窓口 {i:02d}")
            with db.session(f"t_{slug}") as s:
                people[slug] = list(
                    s.scalars(sa.select(Person.atena_no).where(Person.status == Status.resident))
                )
    return people


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--residents", type=int, default=300, help="demo residents per city")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KYODO_WORKERS", 4)))
    args = parser.parse_args()
    if not Path(factories.__file__).resolve().is_relative_to(ROOT):
        raise SystemExit(f"tests.factories comes from {factories.__file__}, not from {ROOT}")
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"code under test: {ROOT} ({commit or 'not a git checkout'}); gunicorn workers {args.workers} x 4 threads; "
        f"{args.clients} clients for {args.seconds:.0f} s; {os.cpu_count()} CPUs",
        flush=True,
    )
    print(f"  load average before set-up: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    per_city = (args.clients + len(CITIES) - 1) // len(CITIES)
    with (
        database("_hall") as url,
        tempfile.NamedTemporaryFile(prefix="kyodo-hall-gunicorn-", suffix=".log") as log,
    ):
        people = set_up(url, args.residents, per_city)
        print("  residents: " + ", ".join(f"{slug} {len(p)}" for slug, p in people.items()), flush=True)
        print("  one request of each kind, in this process, as sent to PostgreSQL:")
        for kind, counts in count_statements(url, CITIES[0], people[CITIES[0]][0]).items():
            print(f"    {kind:<20} " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        port = free_port()
        proc = start_gunicorn(ROOT, url, port, args.workers, log)
        try:
            sessions = [
                (
                    CITIES[n % len(CITIES)],
                    sign_in(port, CITIES[n % len(CITIES)], f"clerk{n // len(CITIES):02d}"),
                )
                for n in range(args.clients)
            ]
            run(port, sessions, people, args.warmup)  # every worker warmed up (templates, fonts, pools)
            print(f"  load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            workers, pg = children(proc.pid), backends(url)
            counters0 = db_counters(url)
            log.flush()
            log_size = Path(log.name).stat().st_size
            sampler = WaitSampler(url)
            sampler.start()
            cpu0 = (cpu_seconds(workers), cpu_seconds(pg), time.process_time())
            started = time.monotonic()
            clients = run(port, sessions, people, args.seconds)
            elapsed = time.monotonic() - started
            cpu1 = (cpu_seconds(workers), cpu_seconds(pg), time.process_time())
            sampler.stop.set()
            sampler.join()
            time.sleep(11)  # idle backends report to pg_stat_database within 10 s (PGSTAT_IDLE_INTERVAL)
            counters = {k: v - counters0[k] for k, v in db_counters(url).items()}
            print(f"  load average at the end:   {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            every: list[float] = []
            for kind in KINDS:
                latencies = [x for c in clients for x in c.latencies[kind]]
                every += latencies
                print(f"  {kind:<20} {stats(latencies, sum(c.errors[kind] for c in clients), elapsed)}")
            total_errors = sum(sum(c.errors.values()) for c in clients)
            print(f"  {'overall':<20} {stats(every, total_errors, elapsed)}")
            app_cpu, pg_cpu, bench_cpu = (b - a for a, b in zip(cpu0, cpu1, strict=True))
            print(
                f"  CPU during the run: gunicorn workers {app_cpu:.1f} s ({app_cpu / len(every) * 1e3:.2f} ms "
                f"per request), PostgreSQL backends {pg_cpu:.1f} s ({pg_cpu / len(every) * 1e3:.2f} ms per "
                f"request, {len(pg)} backends), these clients {bench_cpu:.1f} s, of {elapsed * (os.cpu_count() or 1):.0f} "
                f"CPU-seconds of the machine"
            )
            print(
                "  PostgreSQL per request: "
                + ", ".join(f"{v / len(every):.2f} {k}" for k, v in counters.items())
                + " (the samplers' own queries included)"
            )
            issued = len([x for c in clients for x in c.latencies["certificate issue"]])
            print(
                f"  iterations of the mix: {sum(len(c.latencies['portal']) for c in clients)}; "
                f"certificates posted: {issued}"
            )
            statuses: dict[tuple[str, int], int] = {}
            for c in clients:
                for key, count in c.statuses.items():
                    statuses[key] = statuses.get(key, 0) + count
            for (kind, status), count in sorted(statuses.items()):
                print(f"    error: {count} x {kind} answered {status or 'nothing (connection error)'}")
            hidden = sorted(set().union(*(c.hidden_fields for c in clients)))
            log.flush()
            print(
                f"  gunicorn's stderr (the app's own log): {(Path(log.name).stat().st_size - log_size) / len(every):.0f} bytes per request"
            )
            print(f"  hidden fields posted with the certificate request: {', '.join(hidden)}")
            print(
                f"  pg_stat_activity: {sampler.samples} samples, {sampler.backends} active backends seen "
                f"({sampler.backends / max(1, sampler.samples):.2f} per sample); what they were doing:"
            )
            for event, count in sorted(sampler.events.items(), key=lambda kv: -kv[1])[:8]:
                print(f"    {count:6d} x {event}")
            for what, count in sorted(sampler.locks.items(), key=lambda kv: -kv[1])[:3]:
                print(f"    lock wait {count:5d} x {what}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        with kyodo_app(url) as app, app.app_context():
            for slug in CITIES:
                with get_db(app).session(f"t_{slug}") as s:
                    logged = s.scalar(sa.text(f'SELECT count(*) FROM "t_{slug}".access_log'))
                    issuances = s.scalar(sa.text(f'SELECT count(*) FROM "t_{slug}".certificate_issuances'))
                print(f"  {slug}: {logged} access log entries, {issuances} certificates in the register")
    return 0


if __name__ == "__main__":
    sys.exit(main())
