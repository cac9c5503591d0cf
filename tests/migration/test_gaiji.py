"""外字: the city's table maps a cp932 file's private-use characters; unmapped ones are errors; the
way back to cp932 reduces (MJ 縮退) or maps back, the choice recorded; one city's table is its own."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from modules.migration import gaiji
from modules.migration.exporting import DatabaseSource, export
from modules.migration.models import GaijiEntry
from modules.residents.models import Person
from modules.residents.public import Vault
from tests.migration.conftest import csv_bytes, family

# What cp932 gives for the first bytes of the user-defined area (F040, F041): U+E000, U+E001.
USER_DEFINED_1 = b"\xf0\x40"
USER_DEFINED_2 = b"\xf0\x41"


def _cp932_with_gaiji(gaiji_bytes: bytes) -> bytes:
    rows = family()
    rows[0]["氏"] = "GAIJI士"
    return csv_bytes(rows, "cp932").replace(b"GAIJI", gaiji_bytes)


def test_cp932_file_with_mapped_gaiji(migrator):
    with migrator.session("fujinomiya") as s:
        gaiji.set_entry(s, 0xE000, "\u9ad9", "はしごだか", "test")  # 髙
        s.commit()
    outcome = migrator.run("fujinomiya", migrator.file(_cp932_with_gaiji(USER_DEFINED_1)))
    assert outcome.problems == [] and outcome.applied
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.family_name).where(Person.atena_no == 100001)) == "髙士"


def test_ivs_sequence_mapped(migrator):
    with migrator.session("fujinomiya") as s:
        gaiji.set_entry(s, 0xE000, "\u845b\U000e0100", "葛 (IVS)", "test")
        s.commit()
    outcome = migrator.run("fujinomiya", migrator.file(_cp932_with_gaiji(USER_DEFINED_1)))
    assert outcome.problems == []
    with migrator.session("fujinomiya") as s:
        assert (
            s.scalar(sa.select(Person.family_name).where(Person.atena_no == 100001)) == "\u845b\U000e0100士"
        )


def test_cp932_file_with_unmapped_gaiji(migrator):
    with migrator.session("fujinomiya") as s:
        gaiji.set_entry(s, 0xE000, "\u9ad9", "", "test")
        s.commit()
    outcome = migrator.run("fujinomiya", migrator.file(_cp932_with_gaiji(USER_DEFINED_2)))
    assert not outcome.applied
    problem, household = outcome.problems  # the row, and its household left out whole
    assert (problem.line, problem.column) == (2, "氏") and "U+E001" in problem.rule
    assert (household.line, household.column) == (2, "世帯番号")
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100001)) is None


def test_gaiji_table_is_per_city(migrator):
    """An import for one city reads and writes only its own schema and 外字 table."""
    with migrator.session("fuji") as s:
        gaiji.set_entry(s, 0xE000, "\u9ad9", "", "test")
        s.commit()
    outcome = migrator.run("fujinomiya", migrator.file(_cp932_with_gaiji(USER_DEFINED_1)))
    assert any("U+E000" in p.rule for p in outcome.problems)  # fuji's entry is not fujinomiya's
    with migrator.session("fujinomiya") as s:
        gaiji.set_entry(s, 0xE000, "\u9ad9", "", "test")
        s.commit()
    with migrator.session("fuji") as s:
        fuji_before = s.scalar(sa.select(sa.func.count()).select_from(Person))
    assert migrator.run("fujinomiya", migrator.file(_cp932_with_gaiji(USER_DEFINED_1))).applied
    with migrator.session("fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == fuji_before
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100001)) is None
        assert [e.code_point for e in s.scalars(sa.select(GaijiEntry))] == [0xE000]


def test_csv_import_all_or_nothing(migrator):
    with migrator.session("fujinomiya") as s:
        count, problems = gaiji.import_csv(
            s, "私用領域コード,文字,備考\nU+E000,髙,はしご\nU+E001,﨑,たつさき\n".encode(), "t"
        )
        assert (count, problems) == (2, [])
        count, problems = gaiji.import_csv(s, "U+E002,吉,\n0041,A,\nU+E003,,\n".encode(), "t")
        assert count == 0 and [p[:3] for p in problems] == ["2行目", "3行目"]
        assert s.get(GaijiEntry, 0xE002) is None
        assert "U+E001,﨑,たつさき" in gaiji.export_csv(s)


@pytest.mark.parametrize("back", [False, True])
def test_cp932_export_reduces_or_maps_back(migrator, app, back):
    with migrator.session("fujinomiya") as s:
        gaiji.set_entry(s, 0xE005, "\u9ad9", "", "test")  # 髙 is outside JIS X 0208 but in cp932 (IBM ext.)
        gaiji.set_entry(s, 0xE006, "\U00020bb7", "つちよし", "test")  # 𠮷: outside cp932
        s.commit()
    rows = family()
    rows[0]["氏"] = "\U00020bb7田"
    migrator.run("fujinomiya", migrator.file(rows))
    out = migrator.tmp / f"out{back}"
    with migrator.session("fujinomiya") as s:
        done = export(
            DatabaseSource(s, Vault.for_city(app.config["SECRET_KEY"], "fujinomiya")),
            out,
            slug="fujinomiya",
            encoding="cp932",
            gaiji_back=back,
        )
    assert done.reductions >= 1
    text = (out / "residents_fujinomiya.csv").read_bytes().decode("cp932")
    choices = list(
        csv.reader(io.StringIO((out / "reductions_fujinomiya.csv").read_text(encoding="utf-8-sig")))
    )
    if back:
        assert "\ue006田" in text and choices[1][1:] == ["氏", "\U00020bb7田", "\ue006田", "外字コード"]
    else:
        assert "吉田" in text and choices[1][1:] == ["氏", "\U00020bb7田", "吉田", "縮退"]
