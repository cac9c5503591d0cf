"""Every bad input of the issue: in the report with its line and column; nothing applied on a dry run,
nothing at all on a real run without --accept-partial."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa

from modules.migration import layout
from modules.migration.models import MigrationRun
from modules.residents.models import Person
from modules.seals.models import SealRegistration
from tests.migration.conftest import csv_bytes, family


def _count(migrator, slug: str = "fujinomiya") -> int:
    with migrator.session(slug) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.atena_no >= 100000)) or 0


def _where(outcome) -> set[tuple[int, str]]:
    return {(p.line, p.column) for p in outcome.problems}


def _nothing_applied(migrator, path, **kw) -> None:
    """Dry run and real run both leave the register as it was; the report file lists the problems."""
    before = _count(migrator)
    dry = migrator.run("fujinomiya", path, dry_run=True, **kw)
    real = migrator.run("fujinomiya", path, **kw)
    assert dry.problems and real.problems and not real.applied
    assert _count(migrator) == before
    with migrator.session("fujinomiya") as s:
        assert s.get(MigrationRun, real.run_id).state == "refused"
    report = real.report_files[0].read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["ファイル", "行", "列", "値", "違反した規則"] and len(rows) == len(real.problems) + 1


def _run(migrator, rows):
    path = migrator.file(rows)
    _nothing_applied(migrator, path)
    return migrator.run("fujinomiya", path, dry_run=True)


def test_file_in_neither_encoding(migrator):
    data = csv_bytes(family(), "utf-8") + b"\xff\xfe\x80broken\r\n"
    path = migrator.file(data)
    _nothing_applied(migrator, path)
    [problem] = migrator.run("fujinomiya", path, dry_run=True).problems
    assert problem.line == 9 and "文字コード" in problem.rule and "1バイト目" in problem.rule


def test_told_encoding_that_does_not_fit(migrator):
    path = migrator.file(csv_bytes(family(), "cp932"))
    outcome = migrator.run("fujinomiya", path, dry_run=True, encoding="utf-8")
    assert outcome.problems[0].line == 1 and "1バイト目" in outcome.problems[0].rule
    assert "文字コードが utf-8 ではありません" in outcome.problems[0].rule


def test_header_missing_a_required_column(migrator):
    header = tuple(h for h in layout.PERSON_HEADER if h != "生年月日")
    path = migrator.file(csv_bytes(family(), header=header))
    _nothing_applied(migrator, path)
    outcome = migrator.run("fujinomiya", path, dry_run=True)
    assert _where(outcome) == {(1, "生年月日")}


def test_unknown_code_value(migrator):
    rows = family()
    rows[0]["性別"] = "9"
    rows[2]["続柄"] = "いとこ"
    outcome = _run(migrator, rows)
    assert {(2, "性別"), (4, "続柄")} <= _where(outcome)
    assert any("コード値" in p.rule for p in outcome.problems)


def test_duplicate_atena(migrator):
    rows = family()
    rows[4]["宛名番号"] = "100001"
    outcome = _run(migrator, rows)
    assert (6, "宛名番号") in _where(outcome)
    assert any("2行目と同じ" in p.rule for p in outcome.problems)


def test_household_with_two_heads_or_none(migrator):
    rows = family()
    rows[1]["続柄"] = "世帯主"  # two heads in 500001
    rows[3]["続柄"] = "子"  # none in 500002
    outcome = _run(migrator, rows)
    assert {(2, "続柄"), (3, "続柄"), (5, "続柄")} <= _where(outcome)
    assert outcome.summary["rows_valid"] == 3  # the two households are rejected whole


def test_member_at_another_address(migrator):
    rows = family()
    rows[2]["番地"] = "1番地"
    outcome = _run(migrator, rows)
    assert (4, "町字") in _where(outcome)


def test_bad_check_digits(migrator):
    rows = family()
    rows[0]["住民票コード"] = "12345678900"
    rows[0]["個人番号"] = "123456789010"
    outcome = _run(migrator, rows)
    assert {(2, "住民票コード"), (2, "個人番号")} <= _where(outcome)


def test_dates_and_kana(migrator):
    rows = family()
    rows[0]["生年月日"] = "19700231"
    rows[1]["名_フリガナ"] = "Hanako"
    rows[4]["消除年月日"] = "19990101"  # before 住民となった年月日
    outcome = _run(migrator, rows)
    assert {(2, "生年月日"), (3, "名_フリガナ"), (6, "消除年月日")} <= _where(outcome)


def test_unmapped_gaiji(migrator):
    rows = family()
    rows[0]["氏"] = "\ue001士"
    outcome = _run(migrator, rows)
    assert (2, "氏") in _where(outcome)
    assert any("U+E001" in p.rule for p in outcome.problems)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(out, "PNG")
    return out.getvalue()


def _seals(migrator, rows: list[list[str]], images: dict[str, bytes]):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(layout.SEAL_HEADER)
    writer.writerows(rows)
    seals = migrator.tmp / "seals.csv"
    seals.write_text(out.getvalue(), encoding="utf-8")
    archive = migrator.tmp / "images.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in images.items():
            z.writestr(name, data)
    return seals, archive


def test_seal_whose_person_is_missing_and_image_not_an_image(migrator):
    seals, archive = _seals(
        migrator,
        [
            ["S001", "100001", "20100101", "1", "", "a.png"],
            ["S002", "999999", "20100101", "1", "", ""],
            ["S003", "100002", "20100101", "1", "", "b.png"],
        ],
        {"a.png": _png(), "b.png": b"this is not an image at all"},
    )
    path = migrator.file(family())
    _nothing_applied(migrator, path, seals=seals, images=archive)
    outcome = migrator.run("fujinomiya", path, seals=seals, images=archive, dry_run=True)
    where = {(p.file, p.line, p.column) for p in outcome.problems}
    assert where == {("seals.csv", 3, "宛名番号"), ("seals.csv", 4, "印影ファイル")}
    assert outcome.summary["seals_valid"] == 1
    with migrator.session("fujinomiya") as s:
        assert (
            s.scalar(sa.select(SealRegistration.id).where(SealRegistration.registration_no == "S001")) is None
        )


def test_accept_partial_applies_only_good_rows(migrator):
    rows = family()
    rows[4]["生年月日"] = "bad"
    seals, archive = _seals(
        migrator,
        [
            ["S001", "100001", "20100101", "1", "", "a.png"],
            ["S002", "100003", "20100101", "2", "20150101", ""],
        ],
        {"a.png": _png()},
    )
    outcome = migrator.run(
        "fujinomiya", migrator.file(rows), accept_partial=True, seals=seals, images=archive
    )
    assert outcome.applied and outcome.added == 6 and outcome.seals_added == 2
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100005)) is None
        reg = s.scalar(sa.select(SealRegistration).where(SealRegistration.registration_no == "S001"))
        assert reg.image_mime == "image/png" and reg.atena_no == 100001


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_encodings_detected(migrator, encoding):
    outcome = migrator.run("fujinomiya", migrator.file(csv_bytes(family(), encoding)), dry_run=True)
    assert outcome.problems == [] and outcome.summary["rows_valid"] == 7
    with migrator.session("fujinomiya") as s:
        assert s.get(MigrationRun, outcome.run_id).encoding == encoding


def test_half_width_kana_accepted(migrator):
    rows = family()
    rows[0]["氏_フリガナ"] = "ﾌｼﾞ"
    outcome = migrator.run("fujinomiya", migrator.file(rows))
    assert outcome.problems == []
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.family_kana).where(Person.atena_no == 100001)) == "フジ"


def test_partial_import_takes_a_household_whole_or_not_at_all(migrator):
    rows = family()
    rows[2]["生年月日"] = "20051345"  # the child of household 500001
    outcome = migrator.run("fujinomiya", migrator.file(rows), accept_partial=True)
    assert (2, "世帯番号") in _where(outcome) and (4, "生年月日") in _where(outcome)
    assert outcome.added == 4  # the three of 500001 are left out together
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100001)) is None
