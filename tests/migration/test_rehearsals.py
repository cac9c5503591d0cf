"""移行テスト: each run recorded; the criteria shown met or not; the cut-over refused until they are."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from modules.migration import rehearsals
from modules.migration.importing import MigrationRefused
from modules.migration.models import MigrationRun
from modules.residents.models import Person
from tests.migration.conftest import family


def _run(migrator, run_id: int) -> MigrationRun:
    with migrator.session("fujinomiya") as s:
        return s.get_one(MigrationRun, run_id)


def test_run_is_recorded(migrator):
    path = migrator.file(family())
    outcome = migrator.run("fujinomiya", path, control={"persons": 7, "households": 5})
    run = _run(migrator, outcome.run_id)
    assert run.mode == "rehearsal" and run.state == "done" and run.by == "test:migrator"
    assert len(run.sha256) == 64 and run.rows_read == 7 and run.error_count == 0 and run.duration_s > 0


def test_cutover_refused_before_criteria_are_met(migrator):
    path = migrator.file(family())
    with pytest.raises(MigrationRefused, match=r"移行テストがありません|完了基準"):
        migrator.run("fujinomiya", path, cutover=True)
    rehearsal = migrator.run("fujinomiya", path, control={"persons": 7, "households": 6})
    with migrator.session("fujinomiya") as s:
        run = s.get_one(MigrationRun, rehearsal.run_id)
        met = {c.label: c.met for c in rehearsals.criteria(run)}
        assert met["エラー0件"] and not met["件数が旧システムの管理件数と一致（households）"]
        assert not met["抽出した住民の項目別照合"]
    with pytest.raises(MigrationRefused, match="households"):
        migrator.run("fujinomiya", path, cutover=True)
    with migrator.session("fujinomiya") as s:
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(MigrationRun).where(MigrationRun.mode == "cutover")
            )
            == 0
        )


def test_cutover_allowed_once_the_last_rehearsal_met_every_criterion(migrator):
    path = migrator.file(family())
    rehearsal = migrator.run("fujinomiya", path, control={"persons": 7, "households": 5})
    with migrator.session("fujinomiya") as s:
        run = s.get_one(MigrationRun, rehearsal.run_id)
        with pytest.raises(MigrationRefused):
            rehearsals.sign_off(s, run, "係長 富士")  # nothing compared yet
        assert rehearsals.compare_sample(s, run, path, 5, migrator.tmp / "sample.csv") == 0
        rehearsals.sign_off(s, run, "係長 富士")
        s.commit()
        assert rehearsals.all_met(run)
    outcome = migrator.run("fujinomiya", path, cutover=True)
    assert _run(migrator, outcome.run_id).mode == "cutover" and outcome.unchanged == 7


def test_sample_finds_a_difference(migrator):
    path = migrator.file(family())
    rehearsal = migrator.run("fujinomiya", path)
    with migrator.session("fujinomiya") as s:
        s.execute(sa.update(Person).where(Person.atena_no == 100001).values(banchi="1番地"))
        run = s.get_one(MigrationRun, rehearsal.run_id)
        assert rehearsals.compare_sample(s, run, path, 7, migrator.tmp / "sample.csv") == 1
        assert "不一致" in (migrator.tmp / "sample.csv").read_text(encoding="utf-8-sig")


def test_operator_override_is_recorded(migrator):
    path = migrator.file(family())
    outcome = migrator.run(
        "fujinomiya", path, cutover=True, override_reason="旧システム停止のため本日移行（課長承認）"
    )
    run = _run(migrator, outcome.run_id)
    assert run.mode == "cutover" and run.override_reason.startswith("旧システム停止")


def test_runs_and_overrides_are_in_the_access_log(migrator, app):
    from tests.seals.conftest import log

    path = migrator.file(family())
    outcome = migrator.run("fujinomiya", path, cutover=True, override_reason="課長承認")
    entries = [(e.screen, e.target, e.outcome, e.operator) for e in log(app, "fujinomiya")]
    assert ("migrate", "migration:cutover:-", "override", "test:migrator") in entries
    assert ("migrate.import", f"migration:run:{outcome.run_id}", "ok", "test:migrator") in entries
    assert not any(
        e[1] and e[1].startswith("migration:") for e in [(x.screen, x.target) for x in log(app, "fuji")]
    )
