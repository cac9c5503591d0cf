"""``kyodo migrate``: import (dry run, real, refused), status with the criteria, sample and sign-off."""

from __future__ import annotations

import sqlalchemy as sa

from modules.residents.models import Person
from tenant_core.cli import main
from tests.migration.conftest import family


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, ["migrate", *args])


def test_import_status_sample_signoff_cutover(app, migrator, tmp_path):
    path = migrator.file(family())
    reports = str(tmp_path / "reports")
    dry = _invoke(app, "import", "fujinomiya", "--persons", str(path), "--dry-run", "--report-dir", reports)
    assert dry.exit_code == 0, dry.output
    assert "正常 7" in dry.output and "dry run" in dry.output
    refused = _invoke(
        app, "import", "fujinomiya", "--persons", str(path), "--cutover", "--report-dir", reports
    )
    assert refused.exit_code == 3 and "本番移行はできません" in refused.output
    real = _invoke(
        app,
        "import",
        "fujinomiya",
        "--persons",
        str(path),
        "--report-dir",
        reports,
        "--control-persons",
        "7",
        "--control-households",
        "5",
        "--by",
        "移行担当 山田",
    )
    assert real.exit_code == 0 and "追加 7" in real.output, real.output
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.atena_no >= 100000)) == 7
    status = _invoke(app, "status", "fujinomiya")
    assert "[達成] エラー0件" in status.output and "[未達] 抽出した住民の項目別照合" in status.output
    run_id = status.output.split("直近の移行テスト run ")[1].split(":")[0]
    sample = _invoke(app, "sample", "fujinomiya", "--run", run_id, "--persons", str(path), "--size", "7")
    assert sample.exit_code == 0 and "不一致 0項目" in sample.output
    assert _invoke(app, "signoff", "fujinomiya", "--run", run_id, "--by", "係長").exit_code == 0
    status = _invoke(app, "status", "fujinomiya")
    assert "[未達]" not in status.output
    cutover = _invoke(
        app, "import", "fujinomiya", "--persons", str(path), "--cutover", "--report-dir", reports
    )
    assert cutover.exit_code == 0 and "変更なし 7" in cutover.output


def test_import_with_problems_exits_2_and_applies_nothing(app, migrator, tmp_path):
    rows = family()
    rows[0]["性別"] = "x"
    path = migrator.file(rows)
    result = _invoke(app, "import", "fujinomiya", "--persons", str(path), "--report-dir", str(tmp_path))
    assert result.exit_code == 2 and "何も反映していません" in result.output
    with migrator.session("fujinomiya") as s:
        assert s.scalar(sa.select(Person.id).where(Person.atena_no == 100002)) is None
    report = next(tmp_path.glob("run*_report.csv")).read_text(encoding="utf-8-sig")
    assert "2,性別,x,コード値が定義にありません" in report


def test_gaiji_cli_and_unknown_city(app, migrator, tmp_path):
    table = tmp_path / "gaiji.csv"
    table.write_text("私用領域コード,文字,備考\nU+E000,髙,\n", encoding="utf-8")
    assert _invoke(app, "gaiji", "import", "fuji", str(table)).exit_code == 0
    assert "U+E000,髙" in _invoke(app, "gaiji", "export", "fuji").output
    assert "U+E000" not in _invoke(app, "gaiji", "export", "fujinomiya").output
    assert _invoke(app, "import", "numazu", "--persons", str(table)).exit_code == 1
