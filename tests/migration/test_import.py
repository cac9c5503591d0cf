"""Importing a layout file: the happy path, the history it implies, re-imports and corrections."""

from __future__ import annotations

import sqlalchemy as sa

from modules.migration.models import MigrationRun, PersonExtra
from modules.residents.models import EventKind, Household, Person, ResidentEvent
from tests.migration.conftest import family, person


def _events(s, atena: int) -> list[ResidentEvent]:
    pid = s.scalar(sa.select(Person.id).where(Person.atena_no == atena))
    return list(
        s.scalars(sa.select(ResidentEvent).where(ResidentEvent.person_id == pid).order_by(ResidentEvent.id))
    )


def test_dry_run_reports_and_writes_nothing(migrator):
    path = migrator.file(family())
    outcome = migrator.run("fujinomiya", path, dry_run=True)
    assert outcome.problems == [] and not outcome.applied
    s = outcome.summary
    assert (s["rows_read"], s["rows_valid"], s["rows_rejected"], s["households"]) == (7, 7, 0, 5)
    assert s["by_status"] == {"住民": 4, "転出": 1, "死亡": 1, "職権消除": 1}
    assert s["by_citizenship"] == {"日本人住民": 6, "外国人住民": 1}
    assert all(p.exists() for p in outcome.report_files)
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100001)) is None
        assert s.get(MigrationRun, outcome.run_id).state == "validated"


def test_import_gives_the_history_the_file_implies(migrator):
    outcome = migrator.run("fujinomiya", migrator.file(family()))
    assert outcome.applied and outcome.added == 7
    with migrator.session("fujinomiya") as s:
        head = s.scalar(sa.select(Person).where(Person.atena_no == 100001))
        assert head.full_name == "富士\u3000太郎" and head.juminhyo_code == "12345678903"
        assert (head.address_since.isoformat(), head.notified_on.isoformat()) == ("2000-04-01", "2000-04-10")
        assert head.previous_address == "静岡県富士宮市宮町1番1号"
        assert s.get(PersonExtra, 100001).items == {"postal_code": "417-0061"}
        household = s.get(Household, head.household_id)
        assert household.household_no == 500001 and household.head_person_id == head.id
        [entered] = _events(s, 100001)
        assert entered.kind == EventKind.move_in and entered.effective_on.isoformat() == "2000-04-01"
        [born] = _events(s, 100003)
        assert born.kind == EventKind.birth
        moved = _events(s, 100005)
        assert [e.kind for e in moved] == ["move_in", "move_out"] and moved[
            1
        ].effective_on.isoformat() == "2020-03-01"
        died = _events(s, 100006)
        assert [e.kind for e in died] == ["move_in", "death"]
        struck = _events(s, 100007)
        assert struck[1].note.startswith("職権消除")
        foreigner = s.scalar(sa.select(Person).where(Person.atena_no == 100004))
        assert foreigner.citizenship == "foreign" and foreigner.foreign_category == "mid_long_term"
        assert foreigner.honseki is None and foreigner.card_number == "AB12345678CD"
        assert s.get(PersonExtra, 100007).items == {"status": "4", "last_reason": "職権消除"}


def test_reimport_changes_nothing(migrator):
    path = migrator.file(family())
    migrator.run("fujinomiya", path)
    with migrator.session("fujinomiya") as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(ResidentEvent))
        versions = dict(s.execute(sa.select(Person.atena_no, Person.version)).all())
        households = dict(s.execute(sa.select(Household.id, Household.version)).all())
    again = migrator.run("fujinomiya", path)
    assert (again.added, again.corrected, again.unchanged) == (0, 0, 7)
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ResidentEvent)) == before
        assert dict(s.execute(sa.select(Person.atena_no, Person.version)).all()) == versions
        assert dict(s.execute(sa.select(Household.id, Household.version)).all()) == households


def test_one_changed_field_is_one_correction_event(migrator):
    migrator.run("fujinomiya", migrator.file(family()))
    rows = family()
    rows[1] = person(
        宛名番号="100002", 続柄="妻", 名="花子", 名_フリガナ="ハナコ", 性別="2", 生年月日="19720203"
    )
    path = migrator.file(rows, name="residents_fix.csv")
    outcome = migrator.run("fujinomiya", path)
    assert (outcome.added, outcome.corrected, outcome.unchanged) == (0, 1, 6)
    with migrator.session("fujinomiya") as s:
        events = _events(s, 100002)
        assert [e.kind for e in events] == ["move_in", "correction"]
        fix = events[-1]
        assert fix.before == {"birth_date": "1972-02-02"} and fix.after == {"birth_date": "1972-02-03"}
        assert "residents_fix.csv" in fix.note


def test_killed_import_resumes_to_the_same_result(migrator):
    rows = [
        person(宛名番号=str(200000 + i), 世帯番号=str(600000 + i), 名_フリガナ="タロウ") for i in range(25)
    ]
    path = migrator.file(rows)
    run = migrator.stopped_after("fujinomiya", path, done=10, batch=5)
    assert run.state == "applying" and run.added == 10
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.atena_no >= 200000)) == 10
    resumed = migrator.run("fujinomiya", path, batch=5)
    assert resumed.run_id == run.id and resumed.added == 25
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.atena_no >= 200000)) == 25
        ids = s.scalars(sa.select(Person.id).where(Person.atena_no >= 200000)).all()
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(ResidentEvent).where(ResidentEvent.person_id.in_(ids))
            )
            == 25
        )
        assert s.get(MigrationRun, run.id).state == "done"
