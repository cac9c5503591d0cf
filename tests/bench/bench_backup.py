"""Backup, restore and the emergency counter for one large city on PostgreSQL.

Loads 富士市 with 254,203 synthetic residents (the residents bulk loader: households, first events,
encrypted 個人番号), then measures: the encrypted archive (time, size), its restore into a fresh
database (the RTO of this recovery layer), the emergency counter's snapshot (time, size) and the
search latency of the emergency server (p95, through the HTTP pages). Prints figures; asserts none.

    .venv/bin/python tests/bench/bench_backup.py [--residents N] [--queries N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from modules.residents.bulk import load_residents
from modules.residents.models import Person
from tenant_core.app import create_app
from tenant_core.backup.archive import open_archive, write_backup
from tenant_core.backup.crypto import generate_key, parse_key
from tenant_core.backup.restore import restore_archive
from tenant_core.config import PROJECT_ROOT, Settings, load_settings
from tenant_core.declarations import load_declarations
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.provisioning import TenantSpec, sync_tenants
from tests.bench.benchkit import database

FUJI = 254_203
PASSWORD = "bench-password-2026"


def _settings(url: str, var_dir: Path, key: str) -> Settings:
    return load_settings(
        env="test",
        var_dir=var_dir,
        tenants_dir=PROJECT_ROOT / "tenants",
        database_url=url,
        redis_url=None,
        secret_key="bench-secret",
        backup_key=key,
    )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=FUJI)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    key = generate_key()
    with database("_backup") as url, database("_restore") as fresh_url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = create_app(_settings(url, folder / "var", key))
        db = get_db(app)
        with app.app_context():
            upgrade_shared(db)
            specs = [TenantSpec.from_declaration(d) for d in load_declarations(PROJECT_ROOT / "tenants")]
            sync_tenants(db, [s for s in specs if s.slug == "fuji"])
            started = time.perf_counter()
            added = load_residents(db, app.config["SECRET_KEY"], "fuji", args.residents)
            print(
                f"富士市: {added:,} residents loaded in {time.perf_counter() - started:,.0f} s (bulk loader)"
            )
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            with db.connect("t_fuji") as conn:
                schema_bytes = conn.scalar(
                    sa.text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 't_fuji'"
                    )
                )
            print(f"  schema t_fuji on disk: {_mb(int(schema_bytes or 0))} (tables and indexes)")

            archive = folder / "fuji.kyodo-backup"
            result = write_backup(db, "fuji", archive, parse_key(key))
            rows = sum(result.rows.values())
            print(
                f"backup:  {result.seconds:6.1f} s, {_mb(result.size)} encrypted archive, {rows:,} rows "
                f"({rows / result.seconds:,.0f} rows/s)"
            )

            fresh = create_app(_settings(fresh_url, folder / "var2", key))
            with fresh.app_context():
                fresh_db = get_db(fresh)
                upgrade_shared(fresh_db)
                started = time.perf_counter()
                with tempfile.TemporaryDirectory(dir=folder) as unpack:
                    opened = open_archive(archive, parse_key(key), Path(unpack))
                    opened_at = time.perf_counter() - started
                    restored = restore_archive(
                        fresh_db, opened, dump_dir=folder / "dumps", key=parse_key(key)
                    )
                total = time.perf_counter() - started
                print(
                    f"restore: {total:6.1f} s into a fresh database (decrypt and check {opened_at:.1f} s, "
                    f"load and index {restored.seconds:.1f} s): the RTO of one city from its archive"
                )
                with fresh_db.session("t_fuji") as s:
                    count = s.scalar(sa.select(sa.func.count()).select_from(Person))
                print(f"  restored residents: {count:,}")
                fresh_db.engine.dispose()

            bench_bcp(app, folder, key, args.queries)
        db.engine.dispose()
    return 0


def bench_bcp(app, folder: Path, key: str, queries: int) -> None:
    from tenant_core.auth.services import create_user
    from tenant_core.bcp.package import build_snapshot
    from tenant_core.bcp.serve import emergency_app
    from tenant_core.models import Tenant
    from tests.conftest import csrf_token

    db = get_db(app)
    with db.session() as s:  # a clerk to sign in at the counter
        tenant = s.scalar(sa.select(Tenant).where(Tenant.slug == "fuji"))
        create_user(s, tenant, "clerk", "窓口 太郎", PASSWORD, ["residents.viewer", "certificates.editor"])
        s.commit()
    started = time.perf_counter()
    package = build_snapshot(db, "fuji", folder / "fuji.kyodo-bcp", parse_key(key))
    elapsed = time.perf_counter() - started
    print(
        f"snapshot: {elapsed:6.1f} s (from the live database: archive, then restore onto SQLite), "
        f"{_mb(package.stat().st_size)} encrypted package"
    )
    with db.session("t_fuji") as s:
        sample = s.execute(
            sa.select(Person.family_kana, Person.given_kana).order_by(sa.func.random()).limit(queries)
        ).all()
    rng = random.Random(7)
    terms = [r.family_kana + r.given_kana[: rng.randint(1, 2)] for r in sample]
    started = time.perf_counter()
    emergency = emergency_app(
        package, parse_key(key), folder / "bcp-run", base=app.extensions["kyodo.settings"]
    )
    print(f"  emergency server ready in {time.perf_counter() - started:.1f} s (decrypt and open)")
    client = emergency.test_client()
    token = csrf_token(client, "/fuji/login")
    signed = client.post("/fuji/login", data={"login": "clerk", "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302, signed.status_code
    times = []
    for term in terms:
        t0 = time.perf_counter()
        response = client.get("/fuji/residents/", query_string={"kana": term})
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
    print(
        f"emergency search (HTTP page, カナ prefix, {len(times)} queries, SQLite): "
        f"p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95(times) * 1000:.1f} ms"
    )
    get_db(emergency).engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
