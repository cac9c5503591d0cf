"""Benchmark: request overhead of tenant resolution, a portal page with 2 tenants versus 1,000 tenants.

Run from the project root as ``.venv/bin/python tests/bench/bench_tenant_requests.py [--requests N]``.
Two apps side by side in one process, each on a database of its own (``<name>_t2`` and ``<name>_t1000``
after ``KYODO_BENCH_DATABASE_URL``, default .../kyodo_bench), both dropped at the end. Requests go
through ``app.test_client()`` (no network), in alternating rounds so that drift hits both alike:

- the portal page ``/c0002/`` of a signed-in city administrator (same tenant, same data in both);
- ``/<slug>/`` without sign-in, cycling through every tenant (the tenant lookup, then a redirect);
- ``/healthz`` (no tenant) as the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import re
import statistics
import time

import benchkit
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tenant_core.auth.services import create_user
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.models import Notice, Tenant

TARGET = benchkit.slug_for(2)
PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def prepare(app: Flask, tenants: int) -> None:
    db = get_db(app)
    upgrade_shared(db)
    times = benchkit.create_tenants(db, range(1, tenants + 1), progress=f"{tenants}-tenant app")
    print(
        f"  {tenants}-tenant app: created in {sum(times):.1f} s ({statistics.median(times) * 1e3:.1f} ms median)"
    )
    with db.session() as session:
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == TARGET))
        create_user(session, tenant, "admin", "管理 花子", PASSWORD, ["city_admin"])
        session.commit()
    with db.session(f"t_{TARGET}") as session:
        for i in range(5):
            session.add(
                Notice(title=f"お知らせ {i}", body="本文", publish_on=dt.date(2025, 4, 1 + i), published=True)
            )
        session.commit()


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = _CSRF.search(client.get(f"/{TARGET}/login").get_data(as_text=True)).group(1)
    response = client.post(
        f"/{TARGET}/login", data={"login": "admin", "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code}")
    page = client.get(f"/{TARGET}/")
    if page.status_code != 200 or "お知らせ 4" not in page.get_data(as_text=True):
        raise SystemExit(f"portal page not as expected: {page.status_code}")
    return client


def timings(client: FlaskClient, paths: list[str], expect: int) -> list[float]:
    result = []
    for path in paths:
        t0 = time.perf_counter()
        response = client.get(path)
        result.append(time.perf_counter() - t0)
        if response.status_code != expect:
            raise SystemExit(f"GET {path}: {response.status_code}, expected {expect}")
    return result


def statements(app: Flask, client: FlaskClient, path: str) -> str:
    """SQL statements / pool checkouts (each a pre-ping round trip) of one request."""
    with benchkit.StatementCounter(get_db(app).engine) as counter:
        client.get(path)
    return f"{counter.count}/{counter.checkouts}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs=2, default=[2, 1000], metavar=("FEW", "MANY"))
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per app and kind")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    few, many = args.tenants
    per_round = args.requests // args.rounds
    started = time.perf_counter()
    benchkit.header(
        f"tenant resolution: portal page with {few} vs {many} tenants, {args.requests} requests each"
    )
    with (
        benchkit.database(f"_t{few}") as url_few,
        benchkit.database(f"_t{many}") as url_many,
        benchkit.kyodo_app(url_few) as app_few,
        benchkit.kyodo_app(url_many) as app_many,
    ):
        apps = {few: app_few, many: app_many}
        for n, app in apps.items():
            prepare(app, n)
        users = {n: signed_in(app) for n, app in apps.items()}
        anonymous = {n: app.test_client() for n, app in apps.items()}
        turn = {n: itertools.count() for n in apps}  # the rotation goes on across rounds
        kinds = {
            "portal page, signed in": (users, lambda n: [f"/{TARGET}/"] * per_round, 200),
            "/<slug>/ not signed in, every tenant in turn": (
                anonymous,
                lambda n: [f"/{benchkit.slug_for(1 + next(turn[n]) % n)}/" for _ in range(per_round)],
                302,
            ),
            "/healthz (no tenant)": (anonymous, lambda n: ["/healthz"] * per_round, 200),
        }
        for n, app in apps.items():
            counts = ", ".join(
                f"{kind.split(',')[0].split(' ')[0]} {statements(app, clients[n], paths(n)[0])}"
                for kind, (clients, paths, _expect) in kinds.items()
            )
            print(f"  SQL statements/connection checkouts per request, {n} tenants: {counts}")
        results: dict[str, dict[int, list[float]]] = {kind: {few: [], many: []} for kind in kinds}
        for kind, (clients, paths, expect) in kinds.items():
            for n in apps:  # warm-up
                timings(clients[n], paths(n), expect)
            for r in range(args.rounds):
                order = (few, many) if r % 2 == 0 else (many, few)
                for n in order:
                    results[kind][n].extend(timings(clients[n], paths(n), expect))
        for kind, by_n in results.items():
            print(f"  {kind}:")
            for n, values in by_n.items():
                print(f"    {n:>5} tenants: {benchkit.summary(values)}")
            median = statistics.median(by_n[many]) / statistics.median(by_n[few])
            p95 = benchkit.percentile(by_n[many], 95) / benchkit.percentile(by_n[few], 95)
            print(f"    ratio {many}/{few} tenants: median {median:.2f}, p95 {p95:.2f}")
        for n in apps:
            portal = statistics.median(results["portal page, signed in"][n])
            health = statistics.median(results["/healthz (no tenant)"][n])
            print(f"  portal page minus /healthz, {n} tenants: {(portal - health) * 1e3:.2f} ms (median)")
        # Metrics are labelled by tenant: after every tenant has been seen, /metrics grows with them.
        for n, app in apps.items():
            client = app.test_client()
            scrape = [benchkit.timed(lambda client=client: client.get("/metrics")) for _ in range(20)]
            body = client.get("/metrics").get_data()
            series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
            print(
                f"  /metrics after the run, {n} tenants: {len(body) / 1024:.0f} KiB, {series} series, "
                f"median {statistics.median(scrape) * 1e3:.1f} ms per scrape"
            )
    print(f"  whole script: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
