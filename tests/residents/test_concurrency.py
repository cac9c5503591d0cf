"""Two staff on one record: a stale form is refused (409) and the history stays one chain.

The page tests run on SQLite and PostgreSQL: both clerks open the form (each gets the same version),
then both send it. The PostgreSQL tests at the end use two real connections interleaved
deterministically: the second waits on the first one's row lock until the first commits.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from modules.residents import services
from modules.residents.models import EventKind, Person, ResidentEvent, Status
from modules.residents.mynumber import Vault
from tenant_core.concurrency import ConflictError
from tenant_core.extensions import get_db
from tests.conftest import form_fields, sign_in
from tests.interleave import interleave, require_postgres
from tests.residents.conftest import TAKAHASHI

D = dt.date
CONFLICT = "他の職員が変更しました"


def _family(residents) -> tuple[int, int]:
    head = residents.add("fuji", effective_on=D(2001, 4, 1))
    hh = residents.household_no("fuji", head)
    wife = residents.add(
        "fuji",
        hh,
        given_name="花子",
        given_kana="ハナコ",
        sex="female",
        relationship="妻",
        effective_on=D(2010, 1, 1),
    )
    return head, wife


def _events(session, atena_no: int) -> list[ResidentEvent]:
    return services.events_of(session, services.get_person(session, atena_no))


def assert_chain(events: list[ResidentEvent]) -> None:
    """Each event's "before" equals what the events before it left in those fields."""
    state: dict[str, Any] = {}
    for event in events:
        for key, value in (event.before or {}).items():
            assert state.get(key) == value, (event.kind, key, state.get(key), value)
        state |= event.after


def test_two_clerks_relocating_one_household_at_once(staff_client, residents):
    head, wife = _family(residents)
    clerk, admin = staff_client("fuji", "clerk"), staff_client("fuji", "admin")
    path = f"/fuji/residents/{head}/events/relocation"
    first, second = form_fields(clerk, path), form_fields(admin, path)
    assert first["version"] == second["version"]
    won = clerk.post(path, data={**first, "effective_on": "2015-07-01", "town": "今泉", "banchi": "3-4"})
    lost = admin.post(path, data={**second, "effective_on": "2015-08-01", "town": "中央町", "banchi": "1-1"})
    assert won.status_code == 302
    page = lost.get_data(as_text=True)
    assert lost.status_code == 409 and CONFLICT in page
    assert "今泉３－４" in page and f'href="{path}"' in page  # the current state, and the way back
    with residents.session("fuji") as s:
        for atena_no in (head, wife):
            events = _events(s, atena_no)
            assert [e.kind for e in events].count(EventKind.relocation) == 1
            assert_chain(events)
            assert services.get_person(s, atena_no).town == "今泉"
    # Reloading gives the current version, and the second clerk's move then goes through.
    again = admin.post(
        path,
        data={**form_fields(admin, path), "effective_on": "2015-08-01", "town": "中央町", "banchi": "1-1"},
    )
    assert again.status_code == 302
    with residents.session("fuji") as s:
        events = _events(s, head)
        assert events[-1].before["town"] == "今泉" and events[-1].after["town"] == "中央町"
        assert_chain(events)


def test_move_out_and_death_of_one_person_at_once(staff_client, residents):
    _head, wife = _family(residents)
    clerk, admin = staff_client("fuji", "clerk"), staff_client("fuji", "admin")
    out_path, death_path = f"/fuji/residents/{wife}/events/move_out", f"/fuji/residents/{wife}/events/death"
    out_form, death_form = form_fields(clerk, out_path), form_fields(admin, death_path)
    won = clerk.post(out_path, data={**out_form, "effective_on": "2020-01-01", "confirm": "y"})
    lost = admin.post(death_path, data={**death_form, "effective_on": "2020-01-02", "confirm": "y"})
    assert won.status_code == 302
    assert lost.status_code == 409 and CONFLICT in lost.get_data(as_text=True)
    with residents.session("fuji") as s:
        person = services.get_person(s, wife)
        assert person.status == Status.moved_out
        events = _events(s, wife)
        assert [e.kind for e in events] == [EventKind.move_in, EventKind.move_out]
        assert_chain(events)


def test_a_stale_form_changes_nothing(app, staff_client, residents):
    head, _wife = _family(residents)
    clerk = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{head}/events/correction"
    stale = form_fields(clerk, path)
    with residents.session("fuji") as s:  # another clerk corrects the name meanwhile
        person = services.get_person(s, head)
        services.correct(
            s, residents.vault("fuji"), person, D(2012, 1, 1), {"given_name": "一朗"}, by="test:other"
        )
    with residents.session("fuji") as s:
        before = (len(_events(s, head)), services.get_person(s, head).version)
    response = clerk.post(path, data={**stale, "effective_on": "2013-01-01", "family_kana": "タカバシ"})
    assert response.status_code == 409 and "一朗" in response.get_data(as_text=True)
    with residents.session("fuji") as s:
        person = services.get_person(s, head)
        assert (len(_events(s, head)), person.version) == before and person.family_kana == "タカハシ"


def test_a_form_without_its_version_is_refused(staff_client, residents):
    head, _wife = _family(residents)
    clerk = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{head}/events/relocation"
    fields = {k: v for k, v in form_fields(clerk, path).items() if k != "version"}
    response = clerk.post(
        path, data={**fields, "effective_on": "2015-07-01", "town": "今泉", "banchi": "3-4"}
    )
    assert response.status_code == 409
    with residents.session("fuji") as s:
        assert services.get_person(s, head).town == "吉原"


def test_another_citys_person_with_any_version_is_not_found(staff_client, residents):
    other = residents.add("fujinomiya", family_name="宮本", family_kana="ミヤモト")
    clerk = staff_client("fuji", "clerk")
    fields = form_fields(clerk, "/fuji/residents/new")
    for version in ("1", "2", ""):
        response = clerk.post(
            f"/fuji/residents/{other}/events/relocation",
            data={**fields, "version": version, "effective_on": "2015-07-01", "town": "今泉", "banchi": "1"},
        )
        assert response.status_code == 404 and "宮本" not in response.get_data(as_text=True)
    with residents.session("fujinomiya") as s:
        assert services.get_person(s, other).town == "吉原"


def test_a_change_without_a_version_sees_what_was_committed_before_it(residents):
    """A service called without a form (no version) still records the true "before" under the lock."""
    head, _wife = _family(residents)
    with residents.session("fuji") as reader:
        stale = services.get_person(reader, head)  # loaded before the other change
        with residents.session("fuji") as s:
            services.relocate(
                s, services.get_person(s, head), D(2015, 7, 1), {"town": "今泉", "banchi": "3-4"}, by="a"
            )
        services.relocate(reader, stale, D(2016, 1, 1), {"town": "中央町", "banchi": "1"}, by="b")
    with residents.session("fuji") as s:
        assert_chain(_events(s, head))


# --- PostgreSQL: two real connections, the second waiting on the first one's lock ---------------------


@pytest.fixture
def pg_app(backend, fresh_app) -> Flask:
    require_postgres(backend)
    return fresh_app(demo=True)


def _arrive(app: Flask, **values: Any) -> int:
    with app.app_context(), get_db(app).session("t_fuji") as s:
        vault = Vault.for_city(app.config["SECRET_KEY"], "fuji")
        household = values.pop("household_no", None)
        data = {**TAKAHASHI, **values}
        person = services.register_arrival(s, vault, data, by="test", household_no=household)
        s.commit()
        return person.atena_no


def test_postgres_parallel_relocations_take_turns(pg_app):
    head = _arrive(pg_app)
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        version = services.get_person(s, head).version

    def move(town: str, day: dt.date):
        def run(s):
            person = services.get_person(s, head)
            return services.relocate(s, person, day, {"town": town, "banchi": "1"}, by=town, version=version)

        return run

    first, second = interleave(pg_app, move("今泉", D(2015, 7, 1)), move("中央町", D(2015, 8, 1)))
    assert isinstance(second, ConflictError) and first[0].after["town"] == "今泉"
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        events = _events(s, head)
        assert [e.kind for e in events].count(EventKind.relocation) == 1
        assert_chain(events)


def test_postgres_parallel_relocations_without_versions_form_a_chain(pg_app):
    head = _arrive(pg_app)

    def move(town: str, day: dt.date):
        return lambda s: services.relocate(
            s, services.get_person(s, head), day, {"town": town, "banchi": "1"}, by=town
        )

    interleave(pg_app, move("今泉", D(2015, 7, 1)), move("中央町", D(2015, 8, 1)))
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        events = _events(s, head)
        assert [e.after.get("town") for e in events][-2:] == ["今泉", "中央町"]
        assert events[-1].before["town"] == "今泉"
        assert_chain(events)


def test_postgres_move_out_and_death_at_once(pg_app):
    head = _arrive(pg_app)
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        version = services.get_person(s, head).version

    _first, second = interleave(
        pg_app,
        lambda s: services.move_out(s, services.get_person(s, head), D(2020, 1, 1), by="a", version=version),
        lambda s: services.record_death(
            s, services.get_person(s, head), D(2020, 1, 2), by="b", version=version
        ),
    )
    assert isinstance(second, ConflictError)
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        person = s.scalar(sa.select(Person).where(Person.atena_no == head))
        assert person.status == Status.moved_out
        assert [e.kind for e in _events(s, head)] == [EventKind.move_in, EventKind.move_out]


def test_postgres_two_clerks_post_at_the_same_moment(pg_app):
    """Threads against the app: both clerks open the form, meet at a barrier, then send it together."""
    head = _arrive(pg_app)
    path = f"/fuji/residents/{head}/events/relocation"
    clients = []
    for login in ("clerk", "admin"):
        client = pg_app.test_client()
        assert sign_in(client, "fuji", login).status_code == 302
        clients.append((client, form_fields(client, path)))
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(client, fields, town: str) -> None:
        barrier.wait()
        data = {**fields, "effective_on": "2015-07-01", "town": town, "banchi": "1"}
        statuses.append(client.post(path, data=data).status_code)

    threads = [
        threading.Thread(target=send, args=(client, fields, town))
        for (client, fields), town in zip(clients, ("今泉", "中央町"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 409]
    with pg_app.app_context(), get_db(pg_app).session("t_fuji") as s:
        events = _events(s, head)
        assert [e.kind for e in events].count(EventKind.relocation) == 1
        assert_chain(events)
