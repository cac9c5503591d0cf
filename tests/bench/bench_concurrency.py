"""Benchmark: what the row locks of the register cost, alone and with two clerks on one household (PostgreSQL).

Run from the project root as ``.venv/bin/python tests/bench/bench_concurrency.py [--moves N]``. It creates
the database ``kyodo_bench_concurrency`` (server of ``KYODO_BENCH_DATABASE_URL``) and drops it at the end.

1. One clerk: N 転居 of a household of four, each in its own transaction (as a request): time and SQL
   statements per 転居, of which the locks (household, member ids, members).
2. Two clerks at once, N 転居 each of the same household, without versions (each takes its turn on the
   household's lock and records the true "before"): wall time, and a check that the history is one chain.
3. Two clerks at once, each sending the version it read just before: how many are refused as stale (409).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa

from modules.residents import services
from modules.residents.models import Household, Person, ResidentEvent
from modules.residents.mynumber import Vault
from tenant_core.concurrency import ConflictError
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.provisioning import create_tenant
from tests.bench.benchkit import (
    StatementCounter,
    database,
    header,
    kyodo_app,
    slug_for,
    spec_for,
    summary,
)

BASE = {
    "family_name": "高橋",
    "given_name": "一郎",
    "family_kana": "タカハシ",
    "given_kana": "イチロウ",
    "birth_date": dt.date(1970, 5, 3),
    "sex": "male",
    "relationship": "世帯主",
    "town": "吉原",
    "banchi": "1",
    "katagaki": "",
    "effective_on": dt.date(2001, 4, 1),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=200)
    moves = parser.parse_args().moves
    header("Two staff on one record: row locks of the resident register")
    with database("_concurrency") as url, kyodo_app(url) as app, app.app_context():
        db = get_db(app)
        upgrade_shared(db)
        create_tenant(db, spec_for(1))
        schema = f"t_{slug_for(1)}"
        vault = Vault.for_city("bench-secret", slug_for(1))
        with db.session(schema) as s:
            head = services.register_arrival(s, vault, BASE, by="bench")
            hh = s.get_one(Household, head.household_id).household_no
            for name in ("花子", "次郎", "三郎"):
                data = BASE | {
                    "given_name": name,
                    "given_kana": "ハナコ",
                    "relationship": "子",
                    "town": "",
                    "age_confirmed": True,
                }
                services.register_arrival(s, vault, data, by="bench", household_no=hh)
            s.commit()
            head_id = head.id

        numbers = iter(range(1, 100 * moves))
        lock = threading.Lock()

        def move(who: str, *, with_version: bool, on: dt.date) -> bool:
            with lock:
                banchi = str(next(numbers))  # a new address every time
            with db.session(schema) as s:
                person = s.get_one(Person, head_id)
                version = person.version if with_version else None
                address = {"town": f"{who}町", "banchi": banchi}
                try:
                    services.relocate(s, person, on, address, by=who, version=version)
                except ConflictError:
                    s.rollback()
                    return False
                s.commit()
                return True

        times, statements = [], []
        for i in range(moves):
            with StatementCounter(db.engine) as counter:
                t0 = time.perf_counter()
                move("one", with_version=True, on=dt.date(2002, 1, 1) + dt.timedelta(days=i))
                times.append(time.perf_counter() - t0)
            statements.append(counter.count)
        print(f"1. one clerk, {moves} 転居 of a household of 4: {summary(times)}")
        print(
            f"   SQL statements per 転居: median {statistics.median(statements):.0f} (3 of them take the locks)"
        )

        def race(with_version: bool) -> tuple[float, list[bool]]:
            results: list[bool] = []
            barrier = threading.Barrier(2)

            def clerk(who: str) -> None:
                barrier.wait()
                for _ in range(moves):  # one 異動日 for all: the order is the order of the locks
                    ok = move(who, with_version=with_version, on=dt.date(2020, 1, 1))
                    with lock:
                        results.append(ok)

            threads = [threading.Thread(target=clerk, args=(w,)) for w in ("a", "b")]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return time.perf_counter() - t0, results

        wall, results = race(with_version=False)
        print(
            f"2. two clerks at once, {moves} 転居 each, no version: {wall:.2f} s, {len(results) / wall:.0f} 転居/s"
        )
        wall, results = race(with_version=True)
        refused = results.count(False)
        print(
            f"3. two clerks at once, {moves} each, version read just before: {wall:.2f} s, "
            f"{refused} of {len(results)} refused as stale (409)"
        )
        with db.session(schema) as s:
            events = list(
                s.scalars(
                    sa.select(ResidentEvent)
                    .where(ResidentEvent.person_id == head_id)
                    .order_by(ResidentEvent.effective_on, ResidentEvent.id)
                )
            )
        state: dict = {}
        broken = 0
        for e in events:
            broken += any(state.get(k) != v for k, v in (e.before or {}).items())
            state |= e.after
        print(
            f"   history of the head: {len(events)} events, {broken} whose 'before' is not the previous 'after'"
        )


if __name__ == "__main__":
    main()
