"""Configuration as code: kyodo params export / import [--dry-run], all or nothing."""

import datetime as dt

import sqlalchemy as sa

from tenant_core.cli import main
from tenant_core.extensions import get_db
from tenant_core.params import resolution, tomlfile
from tenant_core.params.models import ParamVersion
from tests.params.conftest import city, set_param


def _run(app, *args):
    return app.test_cli_runner().invoke(main, list(args), catch_exceptions=False)


def _count(app):
    with get_db(app).session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(ParamVersion))


def test_export_then_import_round_trips(app, demo_params, tmp_path):
    later = resolution.today() + dt.timedelta(days=60)
    set_param(app, "fujinomiya", "certificates.fee.inkan", 400, effective_from=later, reason="条例改正")
    target = tmp_path / "params.toml"
    result = _run(app, "params", "export", "fujinomiya", "--output", str(target))
    assert result.exit_code == 0, result.output
    data = tomlfile.read(target)
    assert data["values"]["certificates.fee.juminhyo"] == 350
    assert data["values"]["certificates.mayor_title"] == "富士宮市長"
    assert data["values"]["core.session_idle_minutes"] == 20
    assert data["scheduled"][0]["effective_from"] == later and data["scheduled"][0]["value"] == 400
    before = _count(app)
    result = _run(app, "params", "import", "fujinomiya", "--file", str(target))
    assert result.exit_code == 0 and "nothing to change" in result.output
    assert _count(app) == before


def test_dry_run_shows_the_diff_and_changes_nothing(app, demo_params, tmp_path):
    path = tmp_path / "params.toml"
    path.write_text(
        '[values]\n"certificates.fee.juminhyo" = 320\n"certificates.honseki_default" = "print"\n',
        encoding="utf-8",
    )
    before = _count(app)
    result = _run(app, "params", "import", "fuji", "--file", str(path), "--dry-run")
    assert result.exit_code == 0
    assert "certificates.fee.juminhyo" in result.output and "300円 -> 320円" in result.output
    assert "dry run" in result.output and _count(app) == before
    result = _run(app, "params", "import", "fuji", "--file", str(path))
    assert result.exit_code == 0 and _count(app) == before + 2


def test_a_bad_file_names_each_problem_and_changes_nothing(app, demo_params, tmp_path):
    path = tmp_path / "params.toml"
    path.write_text(
        '[values]\n"certificates.fee.juminhyo" = 320\n"certificates.fee.jumin" = 1\n'
        '"certificates.honseki_default" = "always"\n'
        '"certificates.offices" = [{ "name" = "本庁舎", "address" = "富士市", "phone" = "x" }]\n'
        '[[scheduled]]\nkey = "certificates.fee.inkan"\nvalue = 500\neffective_from = 2020-04-01\n',
        encoding="utf-8",
    )
    before = _count(app)
    result = _run(app, "params", "import", "fuji", "--file", str(path))
    assert result.exit_code == 2
    out = result.output
    assert "certificates.fee.jumin: 未定義のパラメータです" in out
    assert "certificates.honseki_default: 選択肢にない値" in out
    assert "1行目の「電話番号」" in out and "今日以前" in out and "nothing changed" in out
    assert _count(app) == before
    fuji = city(app, "fuji")
    with get_db(app).session() as s:
        assert (
            resolution.load_param_set(s, fuji.id, fuji.consortium_id).value("certificates.fee.juminhyo")
            == 300
        )


def test_prune_resets_values_the_file_does_not_list(app, demo_params, tmp_path):
    path = tmp_path / "params.toml"
    path.write_text('[values]\n"certificates.fee.juminhyo" = 300\n', encoding="utf-8")
    result = _run(app, "params", "import", "fuji", "--file", str(path), "--prune", "--dry-run")
    assert "reset    certificates.mayor_title" in result.output
    assert "reset    core.session_idle_minutes" in result.output


def test_an_unknown_city_is_refused(app, db_connection):
    result = _run(app, "params", "import", "numazu")
    assert result.exit_code != 0


def test_another_citys_file_cannot_reach_fuji_through_the_fujinomiya_url(staff_client):
    assert staff_client("fujinomiya", "admin").get("/fuji/api/params").status_code == 403
