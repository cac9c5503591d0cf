"""Benchmark: a real tenant migration (a column and an index on ``notices``) across 1,000 schemas, --jobs 2.

Run from the project root as ``.venv/bin/python tests/bench/bench_migrate_real.py [--tenants N]``.
The migrations are written into temporary folders and handed over as extra version locations, the
way ``Settings(extra_tenant_migrations=...)`` does. After the headline run, a second migration compares
``jobs=1`` with ``jobs=2`` on equal subsets (alternating, so drift shows). Uses a database of its own
(``KYODO_BENCH_DATABASE_URL``, default .../kyodo_bench), dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import benchkit
import sqlalchemy as sa

from tenant_core.codes import schema_name
from tenant_core.extensions import get_db
from tenant_core.migrate import head_revision, migrate_tenants, upgrade_shared
from tenant_core.models import Tenant

MIGRATION = '''\
"""Benchmark-only migration: {what}.

Revision ID: {revision}
Revises: {down_revision}
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.add_column("notices", sa.Column("{column}", {type}, nullable=True), schema=schema)
    op.create_index("ix_notices_{column}", "notices", ["{column}"], schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_notices_{column}", table_name="notices", schema=schema)
    op.drop_column("notices", "{column}", schema=schema)
'''


def write_migration(folder: Path, revision: str, down_revision: str, column: str, type_: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = MIGRATION.format(
        what=f"add notices.{column} and its index",
        revision=revision,
        down_revision=down_revision,
        column=column,
        type=type_,
    )
    (folder / f"2099_01_01_0000_{revision}.py").write_text(textwrap.dedent(text))
    return folder


def fill_notices(db, slugs: list[str], per_tenant: int) -> None:
    """A few rows in every tenant's notices table, so that each index has something to build."""
    with db.connect() as conn, conn.begin():
        for slug in slugs:
            conn.exec_driver_sql(
                f'INSERT INTO "{schema_name(slug)}".notices (title, body, publish_on, published, created_at) '
                "SELECT 'お知らせ ' || g, '', DATE '2025-04-01' + g, mod(g, 2) = 0, now() "
                f"FROM generate_series(1, {int(per_tenant)}) AS g"
            )


def check(db, slugs: list[str], head: str, column: str) -> str:
    with db.connect() as conn:
        recorded = conn.execute(
            sa.select(sa.func.count())
            .select_from(Tenant)
            .where(Tenant.slug.in_(slugs), Tenant.schema_revision == head)
        ).scalar_one()
        columns = conn.execute(
            sa.text(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'notices' AND column_name = :c AND table_schema = ANY(:s)"
            ),
            {"c": column, "s": [schema_name(s) for s in slugs]},
        ).scalar_one()
        indexes = conn.execute(
            sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = :i AND schemaname = ANY(:s)"),
            {"i": f"ix_notices_{column}", "s": [schema_name(s) for s in slugs]},
        ).scalar_one()
    return f"{recorded} recorded at {head}, {columns} columns and {indexes} indexes present"


def run(db, slugs: list[str] | None, jobs: int, extra: tuple[Path, ...]) -> float:
    t0 = time.perf_counter()
    report = migrate_tenants(db, slugs, jobs=jobs, extra_locations=extra)
    elapsed = time.perf_counter() - t0
    if not report.ok or report.count("migrated") != len(report.outcomes):
        failed = report.failed[:3]
        raise SystemExit(f"migration failed for {len(report.failed)} schemas, e.g. {failed}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--subset", type=int, default=200, help="schemas per jobs=1 / jobs=2 comparison run")
    parser.add_argument("--notices", type=int, default=20, help="rows in each tenant's notices table")
    args = parser.parse_args()
    started = time.perf_counter()
    benchkit.header(f"real migration across {args.tenants} tenant schemas, jobs={args.jobs}")
    with benchkit.database() as url, benchkit.kyodo_app(url) as app, tempfile.TemporaryDirectory() as tmp:
        db = get_db(app)
        upgrade_shared(db)
        base = head_revision("tenant")
        first = write_migration(
            Path(tmp) / "first", "t9100_bench_add_column", base, "bench_flag", "sa.Integer()"
        )
        second = write_migration(
            Path(tmp) / "second",
            "t9101_bench_add_column",
            "t9100_bench_add_column",
            "bench_note",
            "sa.String(40)",
        )
        slugs = [benchkit.slug_for(i) for i in range(1, args.tenants + 1)]
        times = benchkit.create_tenants(db, range(1, args.tenants + 1), progress="creating")
        print(
            f"  created {args.tenants} tenants at {base}: {sum(times):.1f} s ({statistics.median(times) * 1e3:.1f} ms median)"
        )
        fill_notices(db, slugs, args.notices)

        # The headline: every schema from base to t9100, the way `kyodo tenants migrate --all --jobs 2` runs.
        total = run(db, None, args.jobs, (first,))
        print(
            f"  {base} -> t9100 (add column + index on notices, {args.notices} rows each), jobs={args.jobs}:"
        )
        print(
            f"    total {total:.2f} s for {args.tenants} schemas = {total / args.tenants * 1e3:.1f} ms per schema"
        )
        print(f"    ({total * args.jobs / args.tenants * 1e3:.1f} ms of worker time per schema)")
        print(f"    check: {check(db, slugs, 't9100_bench_add_column', 'bench_flag')}")

        # jobs=1 against jobs=2 on equal subsets, alternating (2, 1, 2, 1) so that drift shows.
        n = args.subset
        plan = [(2, 0), (1, 1), (2, 2), (1, 3)]
        if args.tenants < 4 * n:
            print(f"  (jobs comparison skipped: needs {4 * n} tenants)")
        else:
            both = (first, second)
            by_jobs: dict[int, list[float]] = {1: [], 2: []}
            print(f"  t9100 -> t9101 (another column + index) on subsets of {n} schemas:")
            for jobs, k in plan:
                subset = slugs[k * n : (k + 1) * n]
                elapsed = run(db, subset, jobs, both)
                by_jobs[jobs].append(elapsed)
                print(
                    f"    jobs={jobs} {subset[0]}..{subset[-1]}: {elapsed:.2f} s, {elapsed / n * 1e3:.1f} ms per schema"
                )
            one, two = statistics.fmean(by_jobs[1]), statistics.fmean(by_jobs[2])
            print(f"    ratio jobs=1 / jobs=2 (mean of two runs each): {one / two:.2f}")
            done = slugs[: 4 * n]
            print(f"    check: {check(db, done, 't9101_bench_add_column', 'bench_note')}")
    print(f"  whole script: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
