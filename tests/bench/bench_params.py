"""Benchmark: the parameter layer on PostgreSQL.

Run from the project root as ``.venv/bin/python tests/bench/bench_params.py [--rounds N]``. It creates
the database ``kyodo_bench_params`` (after ``KYODO_BENCH_DATABASE_URL``) and drops it at the end.

1. Reading 1,000 parameters in one request: 1,000 synthetic parameters are declared beside the real
   ones; the city has its own value for each (three versions of history, one scheduled) and the
   consortium a value for half of them. Measured: ``param()`` for all 1,000 keys inside one request
   context (the first call loads, the rest hit the request's cache), and the whole signed-in request
   ``GET /<slug>/api/params`` that resolves and serialises every parameter; both with their SQL
   statement counts.
2. Resolving one parameter for all 1,000 tenants at a past date: each tenant has five dated versions
   of ``certificates.fee.juminhyo`` (2015..2023) and the consortium one; ``params_for`` on 2018-06-01,
   against the naive way (one ``load_param_set`` per tenant) for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import time

import benchkit
import sqlalchemy as sa
from flask import Flask, g

from tenant_core.auth.services import create_user
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.models import Consortium, Tenant
from tenant_core.params import registry as registry_module
from tenant_core.params import services
from tenant_core.params.declare import Integer, Param
from tenant_core.params.models import ParamVersion
from tenant_core.params.registry import Registry, _collect
from tenant_core.tenancy import find_tenant

N_PARAMS = 1000
N_TENANTS = 1000
PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def declare_synthetic() -> list[str]:
    keys = [f"bench.p{i:04d}" for i in range(N_PARAMS)]
    extra = [Param(k, Integer(min=0, max=10**9), 0, f"試験 {k}", k) for k in keys]
    registry_module._registry = Registry([*_collect(), *extra])
    return keys


def prepare(app: Flask, keys: list[str]) -> Tenant:
    db = get_db(app)
    upgrade_shared(db)
    benchkit.create_tenants(db, [1])
    with db.session() as s:
        tenant = s.scalar(sa.select(Tenant).where(Tenant.slug == benchkit.slug_for(1)))
        create_user(s, tenant, "admin", "管理 花子", PASSWORD, ["city_admin"])
        consortium_id = tenant.consortium_id
        # The other 999 cities: shared rows only (resolution never touches a tenant schema).
        s.execute(
            sa.insert(Tenant),
            [
                {
                    "slug": benchkit.slug_for(i),
                    "name": f"ベンチ市{i}",
                    "code": benchkit.code_for(i),
                    "consortium_id": consortium_id,
                    "modules": ["residents"],
                    "settings": {},
                }
                for i in range(2, N_TENANTS + 1)
            ],
        )
        base = {"created_by": "bench", "reason": "bench", "reset": False, "cancelled": False}
        rows = []
        future = services.today() + dt.timedelta(days=90)
        for n, key in enumerate(keys):
            for year, value in ((2019, n), (2022, n + 1), (2024, n + 2)):
                rows.append(
                    {
                        **base,
                        "scope": "tenant",
                        "tenant_id": tenant.id,
                        "consortium_id": consortium_id,
                        "key": key,
                        "value": value,
                        "effective_from": dt.date(year, 4, 1),
                    }
                )
            rows.append(
                {
                    **base,
                    "scope": "tenant",
                    "tenant_id": tenant.id,
                    "consortium_id": consortium_id,
                    "key": key,
                    "value": n + 3,
                    "effective_from": future,
                }
            )
            if n % 2 == 0:
                rows.append(
                    {
                        **base,
                        "scope": "consortium",
                        "tenant_id": None,
                        "consortium_id": consortium_id,
                        "key": key,
                        "value": -1,
                        "effective_from": dt.date(2019, 4, 1),
                    }
                )
        tenant_ids = s.scalars(sa.select(Tenant.id)).all()
        for i, tid in enumerate(tenant_ids):
            for year in (2015, 2017, 2019, 2021, 2023):
                rows.append(
                    {
                        **base,
                        "scope": "tenant",
                        "tenant_id": tid,
                        "consortium_id": consortium_id,
                        "key": "certificates.fee.juminhyo",
                        "value": 200 + (year - 2015) * 10 + i % 7,
                        "effective_from": dt.date(year, 4, 1),
                    }
                )
        rows.append(
            {
                **base,
                "scope": "consortium",
                "tenant_id": None,
                "consortium_id": consortium_id,
                "key": "certificates.fee.juminhyo",
                "value": 300,
                "effective_from": dt.date(2010, 4, 1),
            }
        )
        s.execute(sa.insert(ParamVersion), rows)
        s.commit()
        print(
            f"  {len(rows):,} parameter versions, {len(tenant_ids):,} tenants in consortium {consortium_id}"
        )
        s.expunge(tenant)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE shared.param_versions")
        conn.commit()
    return tenant


def bench_param_calls(app: Flask, keys: list[str], slug: str, rounds: int) -> None:
    times, counts, loads = [], [], []
    engine = get_db(app).engine
    for _ in range(rounds):
        with app.test_request_context(f"/{slug}/"):
            g.tenant = find_tenant(slug)
            with benchkit.StatementCounter(engine) as counter:
                t0 = time.perf_counter()
                total = services.param(keys[0])
                t1 = time.perf_counter()
                total += sum(services.param(k) for k in keys[1:])
                times.append(time.perf_counter() - t0)
                loads.append(t1 - t0)
            counts.append(counter.count)
            g.pop("db_session").close()
        assert total > 0
    print(f"  param() x {len(keys)} in one request context: {benchkit.summary(times)}")
    print(f"    of which the first call, loading every version of the city: {benchkit.summary(loads)}")
    print(f"    SQL statements per request: {statistics.median(counts):.0f}")


def bench_request(app: Flask, slug: str, rounds: int) -> None:
    client = app.test_client()
    token = _CSRF.search(client.get(f"/{slug}/login").get_data(as_text=True)).group(1)
    response = client.post(
        f"/{slug}/login", data={"login": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    engine = get_db(app).engine
    times, counts, reads = [], [], []
    for _ in range(rounds):
        statements: list[str] = []

        def remember(*args: object, into: list[str] = statements) -> None:
            into.append(str(args[2]))

        sa.event.listen(engine, "before_cursor_execute", remember)
        t0 = time.perf_counter()
        response = client.get(f"/{slug}/api/params")
        times.append(time.perf_counter() - t0)
        sa.event.remove(engine, "before_cursor_execute", remember)
        assert response.status_code == 200
        counts.append(len(statements))
        reads.append(sum(1 for s in statements if "param_versions" in s))
    n = len(response.get_json()["params"])
    print(f"  GET /{slug}/api/params ({n} parameters resolved and serialised): {benchkit.summary(times)}")
    print(
        f"    SQL statements per request: {statistics.median(counts):.0f} in all "
        f"(sign-in check, tenant lookup, access log), of which reading param_versions: {statistics.median(reads):.0f}"
    )


def bench_many_tenants(app: Flask, rounds: int) -> None:
    db = get_db(app)
    on = dt.date(2018, 6, 1)
    with db.session() as s:
        ids = list(s.scalars(sa.select(Tenant.id)))
        consortium_id = s.scalar(sa.select(Consortium.id))
        times, counts = [], []
        for _ in range(rounds):
            with benchkit.StatementCounter(db.engine) as counter:
                t0 = time.perf_counter()
                result = services.params_for(s, ids, "certificates.fee.juminhyo", on=on)
                times.append(time.perf_counter() - t0)
            counts.append(counter.count)
        assert len(result) == len(ids) and all(r.source == "city" for r in result.values())
        print(
            f"  params_for({len(ids)} tenants, certificates.fee.juminhyo, on={on}): {benchkit.summary(times)}"
        )
        print(f"    SQL statements: {statistics.median(counts):.0f}")
        t0 = time.perf_counter()
        naive = {
            tid: services.load_param_set(s, tid, consortium_id).resolve("certificates.fee.juminhyo", on)
            for tid in ids
        }
        print(
            f"  for comparison, one load_param_set per tenant: {(time.perf_counter() - t0) * 1e3:.1f} ms, {len(ids)} queries"
        )
        assert {k: v.value for k, v in naive.items()} == {k: v.value for k, v in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    benchkit.header("bench_params")
    keys = declare_synthetic()
    with benchkit.database("_params") as url, benchkit.kyodo_app(url) as app:
        tenant = prepare(app, keys)
        print(f"1. reading {N_PARAMS} parameters in one request (plus {len(_collect())} declared ones)")
        bench_param_calls(app, keys, tenant.slug, args.rounds)
        bench_request(app, tenant.slug, args.rounds)
        print(f"2. one parameter for all {N_TENANTS} tenants at a past date")
        bench_many_tenants(app, args.rounds)


if __name__ == "__main__":
    main()
