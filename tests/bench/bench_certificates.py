"""Benchmark: 証明書交付 on PostgreSQL: certificates issued per second, with and without the PDF.

Run from the project root as ``.venv/bin/python tests/bench/bench_certificates.py [--residents 500]
[--count 500]``. It creates the database ``kyodo_bench_certs`` (on the server of
``KYODO_BENCH_DATABASE_URL``, default postgresql+psycopg://postgres@127.0.0.1:5432/...) and drops it
at the end, also on failure. Each certificate is one transaction, as one request would be: the
city's parameters resolved (one query), the person and household read, the number reserved, the
register row written, and (first run) the PDF drawn and hashed. One process, one connection.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import g

from modules.certificates import services
from modules.certificates.models import Issuance
from modules.residents.bulk import load_residents
from modules.residents.models import Person, Status
from modules.residents.mynumber import Vault
from tenant_core.app import create_app
from tenant_core.auth.current import CurrentUser
from tenant_core.config import PROJECT_ROOT, Settings, load_settings
from tenant_core.declarations import load_declarations
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.models import Tenant
from tenant_core.params.demo import load_demo
from tenant_core.provisioning import TenantSpec, sync_tenants
from tenant_core.tenancy import TenantRef

DB_NAME = "kyodo_bench_certs"
CLERK = CurrentUser(
    1,
    "clerk",
    "窓口 太郎",
    None,
    "bench:clerk",
    (),
    frozenset({"certificates.edit", "residents.view_mynumber"}),
    "bench",
    False,
)
REQUESTER = services.Requester("請求 太郎", "本人", "勤務先に提出")


def _urls() -> tuple[str, str]:
    base = sa.engine.make_url(
        os.environ.get("KYODO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/kyodo_bench")
    )
    if not base.drivername.startswith("postgresql"):
        sys.exit("KYODO_BENCH_DATABASE_URL must be a PostgreSQL URL")
    base = base.set(drivername="postgresql+psycopg")
    return (
        base.set(database=DB_NAME).render_as_string(hide_password=False),
        base.set(database="postgres").render_as_string(hide_password=False),
    )


def _drop(admin: sa.Engine) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    url, admin_url = _urls()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    _drop(admin)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{DB_NAME}"')
    try:
        with tempfile.TemporaryDirectory(prefix="kyodo-bench-var-") as var_dir:
            settings = load_settings(
                env="test",
                var_dir=Path(var_dir),
                tenants_dir=PROJECT_ROOT / "tenants",
                database_url=url,
                redis_url=None,
                secret_key="bench-secret",
            )
            app = create_app(settings)
            try:
                return run(app, settings, args.residents, args.count)
            finally:
                get_db(app).engine.dispose()
    finally:
        _drop(admin)
        admin.dispose()


def _issue_many(
    app, tenant: TenantRef, people: list[int], count: int, *, render: bool, scope: str
) -> list[float]:
    db, vault = get_db(app), Vault.for_city(app.config["SECRET_KEY"], tenant.slug)
    rng = random.Random(11)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with app.test_request_context(f"/{tenant.slug}/certificates/new", method="POST"):
            g.tenant = tenant
            session = db.session(tenant.schema)
            g.db_session = session
            try:
                services.issue_juminhyo(
                    session,
                    tenant,
                    rng.choice(people),
                    services.JuminhyoOptions(scope=scope),
                    REQUESTER,
                    CLERK,
                    vault=vault,
                    render=render,
                )
                session.commit()
            finally:
                g.pop("db_session", None)
                session.close()
        times.append(time.perf_counter() - started)
    return times


def _line(label: str, times: list[float]) -> None:
    total = sum(times)
    print(
        f"  {label:<44} {len(times) / total:8.1f} certificates/s   median {statistics.median(times) * 1e3:6.2f} ms"
        f"   max {max(times) * 1e3:6.2f} ms"
    )


def run(app, settings: Settings, residents: int, count: int) -> int:
    db = get_db(app)
    upgrade_shared(db)
    sync_tenants(db, [TenantSpec.from_declaration(d) for d in load_declarations(PROJECT_ROOT / "tenants")])
    list(load_demo(db, settings, ["fuji"]))
    load_residents(db, app.config["SECRET_KEY"], "fuji", residents)
    with db.session() as s:
        tenant = TenantRef.from_row(s.scalar(sa.select(Tenant).where(Tenant.slug == "fuji")))
    with db.session(tenant.schema) as s:
        people = list(s.scalars(sa.select(Person.atena_no).where(Person.status == Status.resident)))
    print(
        f"富士市: {len(people):,} residents; {count} certificates per run, one transaction each (PostgreSQL)"
    )
    _issue_many(app, tenant, people, 20, render=True, scope="person")  # warm-up (fonts, caches)
    _line(
        "住民票の写し (個人), with the PDF",
        _issue_many(app, tenant, people, count, render=True, scope="person"),
    )
    _line(
        "住民票の写し (世帯全員), with the PDF",
        _issue_many(app, tenant, people, count, render=True, scope="household"),
    )
    _line(
        "住民票の写し (個人), register only (no PDF)",
        _issue_many(app, tenant, people, count, render=False, scope="person"),
    )
    with db.session(tenant.schema) as s:
        rows = list(s.scalars(sa.select(Issuance).order_by(Issuance.id).limit(count)))
        times = []
        for row in rows:
            started = time.perf_counter()
            services.render_pdf(row)
            times.append(time.perf_counter() - started)
        issued = s.scalar(sa.select(sa.func.count()).select_from(Issuance))
    _line("PDF alone (render_pdf from the register)", times)
    print(f"  register rows: {issued:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
