"""Benchmark: an allocation of 13 fiscal years x 10 members x 200 items stored in the database.

Prints the time to compute (preview every year), to approve (compute and store the shares) and to render the
finance pages (the overview over 13 years, one year's statement, all members' shares of one year).
Run as ``python tests/bench/bench_costs_pages.py [--runs N]``; SQLite in a temporary folder by default, or
PostgreSQL with ``KYODO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyodo_bench`` (the
database is created and dropped).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa

from modules.costs.computing import compute
from modules.costs.editing import add_member, add_rule, approve, create_year, save_basis
from modules.costs.lookups import fiscal_years, load_year
from modules.costs.models import Category, CostItem, RevisionShare
from tenant_core.app import create_app
from tenant_core.config import PROJECT_ROOT, load_settings
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.models import Tenant
from tests import factories

YEARS, MEMBERS, ITEMS = 13, 10, 200
FIRST_YEAR = 2016
RULES = (
    ("均等割", {"method": "equal", "unit": 1000}, "network"),
    ("人口割", {"method": "proportional", "basis": "population"}, "licences"),
    (
        "均等割20%＋人口割80%",
        {
            "method": "mixed",
            "unit": 1000,
            "parts": [
                {"weight": "0.2", "method": "equal"},
                {"weight": "0.8", "method": "proportional", "basis": "population"},
            ],
        },
        "operation",
    ),
    ("実績割", {"method": "proportional", "basis": "usage"}, "data_centre"),
    ("世帯割", {"method": "proportional", "basis": "households"}, "joint_build"),
    ("人口の0.5乗割", {"method": "power", "basis": "population", "exponent": "0.5", "unit": 1000}, "other"),
)


def build(db, rng: random.Random) -> int:
    with db.session() as s:
        fuji, fujinomiya = (
            s.scalar(sa.select(Tenant).where(Tenant.slug == slug)) for slug in ("fuji", "fujinomiya")
        )
        cid = fuji.consortium_id
        members = [
            add_member(s, cid, code=t.code, name=t.name, joined_year=FIRST_YEAR, tenant_id=t.id)
            for t in (fuji, fujinomiya)
        ]
        for i in range(MEMBERS - 2):
            first_five = f"{30 + i:02d}{100 + i:03d}"
            code = factories.valid_code(first_five)
            members.append(add_member(s, cid, code=code, name=f"団体{i}", joined_year=FIRST_YEAR))
        categories = [c.value for c in Category]
        for y in range(YEARS):
            fy = create_year(s, cid, FIRST_YEAR + y)
            for m in members:
                population = rng.randint(20_000, 300_000)
                save_basis(
                    s,
                    fy,
                    m,
                    population=population,
                    households=population * 10 // 23,
                    as_of=None,
                    usage=rng.randint(1_000, 90_000),
                    standalone=rng.randint(300, 5_000) * 1_000_000,
                )
            for name, spec, category in RULES:
                add_rule(s, fy, name=name, spec=spec, category=category)
            for n in range(ITEMS):
                own = n % 20 == 19  # one item in twenty is one member's own
                s.add(
                    CostItem(
                        fiscal_year_id=fy.id,
                        name=f"費目{n:03d}",
                        category=categories[n % len(categories)],
                        amount=rng.randint(1_000, 90_000) * 1_000,
                        shared=not own,
                        owner_id=members[n % MEMBERS].id if own else None,
                        position=n,
                    )
                )
            s.flush()
        s.commit()
        return cid


def timed(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("KYODO_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        pg_name = None
        if url:
            from tests.conftest import create_pg_database

            pg_name = f"kyodo_bench_costs_{os.getpid()}"
            url = create_pg_database(pg_name)
        settings = load_settings(
            env="test",
            var_dir=Path(tmp),
            tenants_dir=PROJECT_ROOT / "tenants",
            database_url=url,
            secret_key="bench",
        )
        app = create_app(settings)
        app.config["TESTING"] = True
        try:
            with app.app_context():
                db = get_db(app)
                upgrade_shared(db)
                factories.demo_cities(db, settings)
                start = time.perf_counter()
                cid = build(db, random.Random(7))
                print(f"backend: {db.engine.dialect.name}; {YEARS} years x {MEMBERS} members x {ITEMS} items")
                print(f"store the data:                         {time.perf_counter() - start:8.3f} s")

                def preview_all() -> None:
                    with db.session() as s:
                        for fy in fiscal_years(s, cid):
                            compute(s, load_year(s, fy.id))

                print(f"compute all 13 years (preview, median): {timed(preview_all, args.runs):8.3f} s")
                start = time.perf_counter()
                with db.session() as s:
                    for fy in fiscal_years(s, cid):
                        approve(s, load_year(s, fy.id), "bench")
                    s.commit()
                print(f"approve all 13 years (compute + store): {time.perf_counter() - start:8.3f} s")
                with db.session() as s:
                    shares = s.scalar(sa.select(sa.func.count()).select_from(RevisionShare))
                print(f"stored shares:                          {shares:8d}")

            client = app.test_client()
            factories_response = client.get("/fuji/login")
            assert factories_response.status_code == 200
            from tests.conftest import sign_in

            assert sign_in(client, "fuji", "finance").status_code == 302
            last = FIRST_YEAR + YEARS - 1
            for label, path in (
                ("finance overview (13 years)", "/fuji/costs/"),
                ("one year, own city's shares", f"/fuji/costs/{last}/"),
                ("one year, all members", f"/fuji/costs/{last}/?scope=all"),
                ("one year beside another rule", f"/fuji/costs/{last}/?compare=population"),
            ):

                def get(path: str = path) -> None:
                    response = client.get(path)
                    assert response.status_code == 200, response.status_code

                print(f"render {label:<32} {timed(get, args.runs):8.3f} s")
        finally:
            get_db(app).engine.dispose()
            if pg_name:
                from tests.conftest import drop_pg_database

                drop_pg_database(pg_name)


if __name__ == "__main__":
    main()
