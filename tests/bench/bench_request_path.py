"""Benchmark: what tenancy costs on the request path, and how fast a command starts.

Run from the project root as ``.venv/bin/python tests/bench/bench_request_path.py [--tenants 1000]``.
On a database of its own (after ``KYODO_BENCH_DATABASE_URL``, default .../kyodo_bench, suffix ``_path``,
dropped at the end): the two demo cities (their residents, clerk accounts) and ``--tenants`` bench cities
``c0001...``, each with one notice. Then, in one run:

1. **Requests under gunicorn** (``ops/gunicorn.conf.py``, 2 *sync* workers for both apps, loopback only):

   - *floor*: a minimal Flask + SQLAlchemy app with no tenancy at all (defined below): one fixed schema,
     one row of its ``notices`` table. What a page costs without a tenant;
   - *minimal*: Kyodo's minimal tenant page (a route this file adds to the real app): the city from the
     URL, then one row of that city's ``notices``; not signed in;
   - *minimal pre-ping*: the same page on a third server whose pool pings every connection at checkout
     (``KYODO_DB_PRE_PING=1``), the former configuration;
   - *portal*: the city portal ``/fuji/``, signed in as a clerk;
   - *search API*: ``/fuji/residents/api/search?kana=...``, signed in;
   - *certificate*: GET the 住民票 request form, then POST it (a certificate issued), timed as a pair.

   Requests per second and p50/p99 at 1 and at 8 clients; kinds and the floor take turns, for
   ``--rounds`` rounds of ``--seconds`` each, so that the machine's drift hits them alike; the figures
   to compare are the ratios within the run (minimal / floor).
2. **Statements and pool checkouts per request** of each kind, through the app in this process.
3. **Worker memory**: RSS (and USS, what the worker does not share with the master and the other
   worker: ``preload_app`` in ``ops/gunicorn.conf.py``) of each gunicorn worker after a
   warm-up, then while the minimal page and the sign-in page of every bench city are served in turn
   (twice over), so that growth with the number of cities shows.
4. **Start-up**: ``kyodo --help`` and ``kyodo tenants migrate --all`` (nothing to do) against
   ``python -c "import flask, sqlalchemy"``, interleaved, ``--cli-runs`` times each.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MINIMAL = "/bench-minimal"
FLOOR_SCHEMA = "t_c0001"
CITY = "fuji"
KANA = ("サト", "スズ", "タカ", "タナ", "イト", "ワタ", "ヤマ", "ナカ")
KINDS = ("floor", "minimal", "minimal pre-ping", "portal", "search API", "certificate")
# Which server answers each kind: "minimal pre-ping" is the same page on a Kyodo whose pool tests every
# connection at checkout (KYODO_DB_PRE_PING=1), to weigh pre-ping against recycling and a retry.
SERVER = {"floor": "floor", "minimal pre-ping": "kyodo pre-ping"}
ANONYMOUS = ("floor", "minimal", "minimal pre-ping")
APP_MODULE = "tests.bench.bench_request_path"


# -- the two applications gunicorn serves (imported by gunicorn from this file) -------------------------


def floor_app() -> Any:
    """The floor: Flask and SQLAlchemy with no tenancy, the same query as the minimal tenant page."""
    import sqlalchemy as sa
    from flask import Flask
    from sqlalchemy.orm import Session

    engine = sa.create_engine(os.environ["KYODO_DATABASE_URL"], pool_size=8, max_overflow=10)
    notices = sa.Table(
        "notices",
        sa.MetaData(schema=FLOOR_SCHEMA),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200)),
    )
    query = sa.select(notices.c.title).order_by(notices.c.id).limit(1)
    app = Flask(__name__)

    @app.get("/<slug>" + MINIMAL)
    def minimal(slug: str) -> str:
        with Session(engine) as session:
            return session.execute(query).scalar_one_or_none() or "-"

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def add_minimal_page(app: Any) -> None:
    """Kyodo's minimal tenant page: the city from the URL, one row of its ``notices``, no sign-in."""
    import sqlalchemy as sa
    from flask import Blueprint

    from tenant_core.boundary import get_session
    from tenant_core.models import Notice
    from tenant_core.permissions import public

    query = sa.select(Notice.title).order_by(Notice.id).limit(1)
    bp = Blueprint("bench_minimal", __name__, url_prefix="/<tenant>")

    @bp.get(MINIMAL)
    @public
    def minimal() -> str:
        return get_session().execute(query).scalar_one_or_none() or "-"

    app.register_blueprint(bp)


def kyodo_app() -> Any:
    """The real Kyodo app (environment settings, as ``wsgi.py``) plus the minimal tenant page."""
    from tenant_core.app import create_app

    app = create_app()
    add_minimal_page(app)
    return app


# -- load --------------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
REQUEST = {
    "kind": "juminhyo",
    "scope": "person",
    "relationship": "y",
    "requester_name": "高橋　一郎",
    "requester_relation": "本人",
    "purpose": "勤務先に提出",
}


class Load(threading.Thread):
    """One client: one kind of request in a loop until ``stop`` (a keep-alive connection where offered)."""

    def __init__(self, port: int, kind: str, jar: Any, people: list[int], n: int, stop: float) -> None:
        super().__init__(daemon=True)
        self.port, self.kind, self.jar, self.people, self.n, self.stop = port, kind, jar, people, n, stop
        self.latencies: list[float] = []
        self.errors = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Connection": "keep-alive"}
        if self.jar is not None:
            headers["Cookie"] = self.jar.header()
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            if self.jar is not None:
                self.jar.update(response)
            return response.status, raw.decode(errors="replace"), response.headers.get("Location", "")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, "", ""

    def one(self, i: int) -> bool:
        if self.kind in ANONYMOUS:
            return self.send("GET", f"/c0001{MINIMAL}")[0] == 200
        if self.kind == "portal":
            return self.send("GET", f"/{CITY}/")[0] == 200
        if self.kind == "search API":
            kana = urllib.parse.quote(KANA[(i + self.n) % len(KANA)])
            return self.send("GET", f"/{CITY}/residents/api/search?kana={kana}")[0] == 200
        atena = self.people[(i * 7 + self.n) % len(self.people)]
        status, page, _ = self.send("GET", f"/{CITY}/certificates/new?atena={atena}")
        from bench_city_hall import issue_fields

        fields = issue_fields(page, f"/{CITY}/certificates/new") if status == 200 else {}
        if not fields:
            return False
        status, _, location = self.send(
            "POST", f"/{CITY}/certificates/new", {**fields, **REQUEST, "atena_no": str(atena)}
        )
        return status == 302 and "/certificates/" in location

    def run(self) -> None:
        i = 0
        while time.monotonic() < self.stop:
            t0 = time.perf_counter()
            ok = self.one(i)
            self.latencies.append(time.perf_counter() - t0)
            self.errors += not ok
            i += 1
        self.conn.close()


def load(port: int, kind: str, jars: list[Any], people: list[int], clients: int, seconds: float) -> Load:
    """``clients`` clients for ``seconds``; returns one Load holding every latency and error."""
    stop = time.monotonic() + seconds
    started = time.monotonic()
    threads = [
        Load(port, kind, jars[n % len(jars)] if jars else None, people, n, stop) for n in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = threads[0]
    total.latencies = [x for t in threads for x in t.latencies]
    total.errors = sum(t.errors for t in threads)
    total.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return total


# -- memory ------------------------------------------------------------------------------------------


def children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return sorted(found)


def memory(pid: int) -> tuple[float, float]:
    """RSS and USS (private pages: what the worker does not share with the master) in MiB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if ":" in line}
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return fields.get("Rss", 0) / 1024, uss / 1024


def memory_line(pids: list[int]) -> str:
    return ", ".join(f"RSS {r:.1f} MiB (USS {u:.1f})" for r, u in (memory(p) for p in pids))


def cycle(port: int, slugs: list[str], threads: int = 4) -> int:
    """The minimal page and the sign-in page of every city in ``slugs``; returns the errors."""
    errors = [0]
    parts = [slugs[i::threads] for i in range(threads)]

    def work(part: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for slug in part:
            for path, expect in ((f"/{slug}{MINIMAL}", 200), (f"/{slug}/login", 200)):
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    errors[0] += response.status != expect
                except (OSError, http.client.HTTPException):
                    errors[0] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    pool = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors[0]


# -- start-up ----------------------------------------------------------------------------------------


def cli_env(url: str, var_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYODO_")}
    env.update(
        KYODO_ENV="test",
        KYODO_DATABASE_URL=url,
        KYODO_REDIS_URL="",
        KYODO_SECRET_KEY="bench-secret",
        KYODO_VAR_DIR=var_dir,
        PYTHONPATH=str(ROOT),
    )
    return env


def start_up(url: str, runs: int) -> None:
    bindir = Path(sys.executable).parent
    commands: dict[str, list[str]] = {
        'python -c "import flask, sqlalchemy"': [sys.executable, "-c", "import flask, sqlalchemy"],
        "kyodo --help": [str(bindir / "kyodo"), "--help"],
        "kyodo tenants migrate --all": [str(bindir / "kyodo"), "tenants", "migrate", "--all"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-var-") as var_dir:
        env = cli_env(url, var_dir)
        for r in range(runs + 1):  # the first round warms the file cache and is not counted
            names = list(commands) if r % 2 == 0 else list(reversed(commands))
            for name in names:
                t0 = time.perf_counter()
                result = subprocess.run(commands[name], env=env, capture_output=True, text=True, check=False)
                elapsed = time.perf_counter() - t0
                if result.returncode != 0:
                    sys.exit(f"{name} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
                if r:
                    times[name].append(elapsed)
                if name.startswith("kyodo tenants") and r == 1:
                    print(f"    ({name}: {result.stdout.strip()[:100]})")
    bare = statistics.median(times['python -c "import flask, sqlalchemy"'])
    for name, values in times.items():
        med = statistics.median(values)
        print(
            f"  {name:<36} median {med:.3f} s, min {min(values):.3f} s, max {max(values):.3f} s "
            f"(n={len(values)}), {med / bare:.2f}x the bare import"
        )


# -- statements --------------------------------------------------------------------------------------


def count_statements(url: str, atena: int) -> None:
    from bench_city_hall import Counter, issue_fields

    from tenant_core.extensions import get_db
    from tests import factories
    from tests.bench.benchkit import kyodo_app as bench_app

    with bench_app(url) as app:
        add_minimal_page(app)
        client = app.test_client()
        token = CSRF.search(client.get(f"/{CITY}/login").get_data(as_text=True))
        assert token, "no CSRF token on the login page"
        data = {"login": "clerk00", "password": factories.PASSWORD, "csrf_token": token.group(1)}
        assert client.post(f"/{CITY}/login", data=data).status_code == 302
        anonymous = app.test_client()
        kana = urllib.parse.quote(KANA[0])
        gets = {
            "minimal": (anonymous, f"/c0002{MINIMAL}"),
            "portal": (client, f"/{CITY}/"),
            "search API": (client, f"/{CITY}/residents/api/search?kana={kana}"),
        }
        found: dict[str, dict[str, int]] = {}
        for _ in range(2):  # the second round counts: the first warms caches up
            for kind, (c, path) in gets.items():
                with Counter(get_db(app).engine) as counter:
                    response = c.get(path)
                assert response.status_code == 200, (kind, response.status_code)
                found[kind] = counter.counts
            page = client.get(f"/{CITY}/certificates/new?atena={atena}").get_data(as_text=True)
            fields = issue_fields(page, f"/{CITY}/certificates/new")
            with Counter(get_db(app).engine) as counter:
                response = client.post(
                    f"/{CITY}/certificates/new", data={**fields, **REQUEST, "atena_no": str(atena)}
                )
            assert response.status_code == 302, response.status_code
            found["certificate (POST)"] = counter.counts
    for kind, counts in found.items():
        print(f"  {kind:<20} " + ", ".join(f"{v} {k}" for k, v in counts.items()))


# -- set-up ------------------------------------------------------------------------------------------


def set_up(url: str, tenants: int, residents: int, clerks: int, *, reuse: bool = False) -> list[int]:
    import sqlalchemy as sa

    from modules.residents.demo import load_demo as load_residents_demo
    from modules.residents.models import Person, Status
    from tenant_core.extensions import get_db, get_settings
    from tenant_core.migrate import upgrade_shared
    from tenant_core.models import Notice
    from tenant_core.params.demo import load_demo as load_params_demo
    from tests import factories
    from tests.bench import benchkit

    with benchkit.kyodo_app(url) as app, app.app_context():
        db, settings = get_db(app), get_settings(app)
        if reuse and _already_set_up(db, tenants, clerks):
            print(f"  reusing the kept database: {tenants} bench cities already there")
            with db.session(f"t_{CITY}") as s:
                return list(s.scalars(sa.select(Person.atena_no).where(Person.status == Status.resident)))
        upgrade_shared(db)
        factories.demo_cities(db, settings)
        list(load_params_demo(db, settings, [CITY]))
        list(load_residents_demo(db, settings, [CITY], residents))
        for i in range(clerks):
            factories.user(
                db, CITY, f"clerk{i:02d}", factories.STAFF["clerk"][1], display_name=f"窓口 {i:02d}"
            )
        times = benchkit.create_tenants(db, range(1, tenants + 1), progress="bench cities")
        print(f"  {tenants} bench cities created in {sum(times):.1f} s")
        for i in range(1, tenants + 1):
            with db.session(f"t_{benchkit.slug_for(i)}") as s:
                s.add(
                    Notice(title=f"お知らせ {i}", body="", publish_on=sa.func.current_date(), published=True)
                )
                s.commit()
        with db.session(f"t_{CITY}") as s:
            return list(s.scalars(sa.select(Person.atena_no).where(Person.status == Status.resident)))


def _already_set_up(db: Any, tenants: int, clerks: int) -> bool:
    """A kept database holds the demo city, its clerks and exactly ``tenants`` bench cities."""
    import sqlalchemy as sa

    from tenant_core.auth.models import User
    from tenant_core.models import Tenant

    try:
        with db.session() as s:
            count = s.scalar(
                sa.select(sa.func.count()).select_from(Tenant).where(Tenant.slug.regexp_match("^c[0-9]{4}$"))
            )
            users = s.scalar(sa.select(sa.func.count()).select_from(User).where(User.login.like("clerk%")))
    except sa.exc.DBAPIError:  # an empty database: no shared schema yet
        return False
    return count == tenants and (users or 0) >= clerks


def sign_in_jars(port: int, clerks: int) -> list[Any]:
    from bench_city_hall import sign_in

    return [sign_in(port, CITY, f"clerk{n:02d}") for n in range(clerks)]


def stats(result: Load) -> str:
    from tests.bench.benchkit import percentile

    lat = result.latencies
    if not lat:
        return "no requests"
    return (
        f"{len(lat) / result.elapsed:7.1f} req/s  p50 {statistics.median(lat) * 1e3:6.1f} ms  "  # type: ignore[attr-defined]
        f"p99 {percentile(lat, 99) * 1e3:6.1f} ms  errors {result.errors}/{len(lat)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000, help="bench cities (memory, migrate --all)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one timed cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--cli-runs", type=int, default=7)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument(
        "--redis",
        default="",
        help="Redis URL for Kyodo's servers (its database is flushed): the cities' cache works only with Redis",
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="set up once in a database kept between runs (..._path_kept), reused while it has the cities",
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=["requests", "statements", "memory", "cli"])
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gunicorn_server import free_port, start_gunicorn

    from tests.bench import benchkit

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    benchkit.header(
        f"request path and start-up, code at {commit}, {args.tenants} bench cities, "
        f"Redis {args.redis or 'none'}"
    )
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    clerks = max(args.clients)
    started = time.perf_counter()
    with (
        benchkit.database("_path_kept" if args.keep_database else "_path", keep=args.keep_database) as url,
        tempfile.NamedTemporaryFile(prefix="kyodo-path-gunicorn-", suffix=".log") as log,
    ):
        people = set_up(url, args.tenants, args.residents, clerks, reuse=args.keep_database)
        sync = ("--worker-class", "sync", "--workers", "2")
        redis_env = {"KYODO_REDIS_URL": args.redis} if args.redis else {}
        if args.redis:
            from redis import Redis

            Redis.from_url(args.redis).flushdb()
        if "statements" not in args.skip:
            print("statements, pool checkouts and commits of one request (in process, second of two):")
            count_statements(url, people[0])
        servers = {}
        try:
            for name, app, env in (
                ("floor", f"{APP_MODULE}:floor_app()", {}),
                ("kyodo", f"{APP_MODULE}:kyodo_app()", redis_env),
                ("kyodo pre-ping", f"{APP_MODULE}:kyodo_app()", {**redis_env, "KYODO_DB_PRE_PING": "1"}),
            ):
                if name == "kyodo pre-ping" and "minimal pre-ping" not in args.kinds:
                    continue
                port = free_port()
                proc = start_gunicorn(ROOT, url, port, 2, log, app=app, extra_args=sync, extra_env=env)
                servers[name] = (port, proc)
            kyodo_port, kyodo_proc = servers["kyodo"]
            jars = sign_in_jars(kyodo_port, clerks)
            if "requests" not in args.skip:
                print(
                    f"requests under gunicorn, 2 sync workers each, {args.rounds} rounds of {args.seconds} s:"
                )
                for kind in args.kinds:  # warm-up: templates, pools, caches of both workers
                    port = servers[SERVER.get(kind, "kyodo")][0]
                    load(port, kind, [] if kind in ANONYMOUS else jars, people, 4, 1.0)
                for clients in args.clients:
                    results: dict[str, list[Load]] = {k: [] for k in args.kinds}
                    for r in range(args.rounds):
                        order = args.kinds if r % 2 == 0 else list(reversed(args.kinds))
                        for kind in order:
                            port = servers[SERVER.get(kind, "kyodo")][0]
                            results[kind].append(
                                load(
                                    port,
                                    kind,
                                    [] if kind in ANONYMOUS else jars,
                                    people,
                                    clients,
                                    args.seconds,
                                )
                            )
                    print(f"  {clients} client(s):")
                    rps: dict[str, list[float]] = {}
                    for kind, runs in results.items():
                        merged = runs[0]
                        merged.latencies = [x for run in runs for x in run.latencies]
                        merged.errors = sum(run.errors for run in runs)
                        rps[kind] = [len(run.latencies) / run.elapsed for run in runs]  # type: ignore[attr-defined]
                        merged.elapsed = sum(run.elapsed for run in runs)  # type: ignore[attr-defined]
                        print(f"    {kind:<12} {stats(merged)}")
                    for kind in ("minimal", "minimal pre-ping"):
                        if "floor" in rps and kind in rps:
                            pairs = [m / f for m, f in zip(rps[kind], rps["floor"], strict=True)]
                            print(
                                f"    {kind} / floor, req/s per round: {' '.join(f'{p:.2f}' for p in pairs)}"
                                f" (median {statistics.median(pairs):.2f})"
                            )
            if "memory" not in args.skip:
                if "requests" in args.skip:  # every page once in each worker, as the timed runs would
                    for kind in args.kinds:
                        if kind != "floor":
                            load(kyodo_port, kind, [] if kind in ANONYMOUS else jars, people, 4, 2.0)
                workers = children(kyodo_proc.pid)  # after the warm-up: every worker has been forked
                master = memory(kyodo_proc.pid)
                print(
                    f"kyodo worker memory (2 sync workers; pid {' '.join(map(str, workers))}; "
                    f"the master {master[0]:.1f} MiB):"
                )
                print(f"  after the warm-up:            {memory_line(workers)}")
                slugs = [benchkit.slug_for(i) for i in range(1, args.tenants + 1)]
                steps = sorted({min(100, len(slugs)), len(slugs)})
                done = 0
                for step in steps:
                    errors = cycle(kyodo_port, slugs[done:step])
                    done = step
                    print(f"  after {step:>5} cities:          {memory_line(workers)}  ({errors} errors)")
                errors = cycle(kyodo_port, slugs)
                print(f"  after all of them once more: {memory_line(workers)}  ({errors} errors)")
                floor_workers = children(servers["floor"][1].pid)
                print(f"  floor's workers, for scale:   {memory_line(floor_workers)}")
        finally:
            for _port, proc in servers.values():
                proc.terminate()
                proc.wait(timeout=30)
        if "cli" not in args.skip:
            print(f"start-up, {args.tenants + 2} cities in the database, interleaved runs:")
            start_up(url, args.cli_runs)
    print(f"whole script: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
