"""Batches applied two at a time and committed in the file's order (pipeline.py), and an import
through it on a database of its own (two connections on PostgreSQL, one after another on SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from modules.migration.models import MigrationRun
from modules.migration.pipeline import InOrder, Stopped, Turns
from modules.residents.models import Household, Person, ResidentEvent
from tests.migration.conftest import Migrator, person


class Boom(Exception):
    pass


def _recorder(slow: set[int], failing: frozenset[int] = frozenset()):
    """An ``apply`` that prepares (slowly for the batches in ``slow``), then commits in its turn."""
    committed: list[int] = []
    lock = threading.Lock()

    def apply(k: int, batch: str, turns: Turns) -> str:
        if k in slow:
            time.sleep(0.05)  # a later batch is ready first and must still wait for this one
        if k in failing:
            raise Boom(batch)
        turns.wait(k)
        with lock:
            committed.append(k)
        return batch.upper()

    return apply, committed


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_batches_commit_and_are_reported_in_order(in_flight):
    apply, committed = _recorder(slow={0, 3})
    reported: list[tuple[int, str]] = []
    InOrder(apply, lambda k, b, r: reported.append((k, r)), in_flight=in_flight).run(
        f"b{i}" for i in range(6)
    )
    assert committed == list(range(6))
    assert reported == [(i, f"B{i}") for i in range(6)]


def test_a_failed_batch_stops_every_later_one():
    apply, committed = _recorder(slow={2}, failing=frozenset({2}))
    reported: list[int] = []
    with pytest.raises(Boom):
        InOrder(apply, lambda k, b, r: reported.append(k), in_flight=2).run(f"b{i}" for i in range(6))
    assert committed == [0, 1] and reported == [0, 1]


def test_a_report_that_raises_stops_the_batch_in_flight():
    apply, committed = _recorder(slow=set())

    def report(k: int, batch: str, result: str) -> None:
        if k == 1:
            raise Boom("stop here")

    with pytest.raises(Boom):
        InOrder(apply, report, in_flight=2).run(f"b{i}" for i in range(6))
    assert committed == [0, 1]  # batch 2 was ready but never had its turn


def test_a_stopped_turn_raises():
    turns = Turns()
    turns.stop()
    with pytest.raises(Stopped):
        turns.wait(3)


def _households_across_batches() -> list[dict[str, str]]:
    """Six households of four, the head last in some: with batches of three every household spans two."""
    rows = []
    for h in range(6):
        members = [
            person(
                宛名番号=str(300000 + 4 * h + m),
                世帯番号=str(700000 + h),
                続柄="子",
                名="次郎",
                名_フリガナ="ジロウ",
            )
            for m in range(4)
        ]
        head = 3 if h % 2 else 0
        members[head].update(続柄="世帯主", 名="太郎", 名_フリガナ="タロウ")
        rows += members
    return rows


@pytest.fixture
def own_database(fresh_app, tmp_path, backend, monkeypatch) -> Iterator[Migrator]:
    """A city on a database of its own (committed, no test connection): PostgreSQL applies two
    batches at a time there, SQLite one after another; checked, so that the tests test that."""
    used: list[int] = []
    original = InOrder.__init__

    def recording(self, apply, report, in_flight=2):  # type: ignore[no-untyped-def]
        original(self, apply, report, in_flight)
        used.append(self.in_flight)

    monkeypatch.setattr(InOrder, "__init__", recording)
    yield Migrator(fresh_app(), tmp_path)
    assert used and set(used) == {2 if backend == "postgres" else 1}


def test_households_that_span_batches_in_flight_get_their_heads(own_database):
    migrator = own_database
    path = migrator.file(_households_across_batches())
    outcome = migrator.run("fujinomiya", path, batch=3)
    assert outcome.applied and outcome.added == 24
    with migrator.session("fujinomiya") as s:
        households = s.scalars(sa.select(Household).where(Household.household_no >= 700000)).all()
        assert len(households) == 6
        for household in households:
            head = s.get(Person, household.head_person_id)
            assert head.household_id == household.id and head.relationship == "世帯主"
        run = s.get(MigrationRun, outcome.run_id)
        assert run.state == "done" and run.applied_through == 1 + 24  # the header, then one line per person
        count = s.scalar(
            sa.select(sa.func.count())
            .select_from(ResidentEvent)
            .join(Person, Person.id == ResidentEvent.person_id)
            .where(Person.atena_no >= 300000)
        )
        assert count == 24
    again = migrator.run("fujinomiya", path, batch=3)
    assert again.added == 0 and again.corrected == 0 and again.unchanged == 24


def test_an_import_stopped_after_a_batch_has_nothing_of_a_later_one(own_database):
    migrator = own_database
    path = migrator.file(_households_across_batches())
    run = migrator.stopped_after("fujinomiya", path, done=9, batch=3)
    assert run.state == "applying" and run.added == 9
    assert run.applied_through == 1 + 9  # the header, then nine persons
    with migrator.session("fujinomiya") as s:
        atena = s.scalars(sa.select(Person.atena_no).where(Person.atena_no >= 300000)).all()
        assert sorted(atena) == list(range(300000, 300009))
    resumed = migrator.run("fujinomiya", path, batch=3)
    assert resumed.run_id == run.id and resumed.added == 24
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.atena_no >= 300000)) == 24
        heads = s.scalars(sa.select(Household.head_person_id).where(Household.household_no >= 700000)).all()
        assert len(heads) == 6 and None not in heads
