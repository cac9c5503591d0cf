"""Checking a file in worker processes: the same problems, summary and rows as checking it here."""

from __future__ import annotations

import sqlalchemy as sa

from modules.migration import parallel
from modules.residents.models import Person, ResidentEvent
from tests.migration.conftest import family, person


def _rows() -> list[dict[str, str]]:
    """Good households, and problems on both sides of chunk boundaries (chunks of 3 rows below)."""
    rows = family()
    rows += [
        person(宛名番号=str(200000 + i), 世帯番号=str(600000 + i), 名_フリガナ="たろう") for i in range(7)
    ]
    rows += [
        person(宛名番号="100002", 世帯番号="700001"),  # 宛名番号 given twice (line 2 of the file's family)
        person(宛名番号="300001", 世帯番号="700002", 生年月日="19701332"),  # no such date
        person(宛名番号="300002", 世帯番号="700003", 続柄="妻"),  # a household without its head
        person(宛名番号="300003", 世帯番号="700004"),
        person(宛名番号="300004", 世帯番号="700004", 続柄="子", 町字="今泉"),  # at another address
        person(宛名番号="300005", 世帯番号="700005", 個人番号="123456789010"),  # bad check digit
        person(宛名番号="300006", 世帯番号="700006", 氏="\ue123"),  # 外字 not in the city's table
        person(宛名番号="300007", 世帯番号="700007", 性別="9"),
    ]
    return rows


def test_workers_find_what_this_process_finds(migrator, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 3)
    path = migrator.file(_rows())
    here = migrator.run("fujinomiya", path, dry_run=True, workers=0)
    there = migrator.run("fujinomiya", path, dry_run=True, workers=2)
    assert len({p.line for p in here.problems}) >= 7  # in several chunks
    assert there.problems == here.problems  # the same, in the same order
    assert there.summary == here.summary
    assert here.summary["rows_read"] == len(_rows())


def test_an_import_checked_in_workers_writes_the_same_register(migrator, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 3)
    path = migrator.file(_rows())
    outcome = migrator.run("fujinomiya", path, accept_partial=True, workers=2, batch=4)
    assert outcome.applied and outcome.added == outcome.summary["rows_valid"] > 7
    with migrator.session("fujinomiya") as s:
        atena = set(s.scalars(sa.select(Person.atena_no)))
        assert 100001 in atena and 200006 in atena and 300001 not in atena and 300003 not in atena
        assert s.scalar(sa.select(sa.func.count()).select_from(ResidentEvent)) == outcome.added + 3
    again = migrator.run("fujinomiya", path, accept_partial=True, workers=0)
    assert (again.added, again.corrected, again.unchanged) == (0, 0, outcome.added)
