"""Change history: every change a version with who, when, why; past dates refused; pending cancellable."""

import datetime as dt

import pytest
import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.params import changes, resolution
from tenant_core.params.changes import Actor, ParamError
from tenant_core.params.models import ParamVersion
from tests.params.conftest import city, set_param

TODAY = resolution.today()


def _versions(app, key):
    with get_db(app).session() as s:
        return s.scalars(
            sa.select(ParamVersion).where(ParamVersion.key == key).order_by(ParamVersion.id)
        ).all()


@pytest.mark.parametrize(
    ("raw", "kw", "message"),
    [
        ("三百円", {}, "円単位の整数"),
        (-10, {}, "0円以上"),
        (300, {"reason": "  "}, "変更理由を入力してください"),
        (300, {"effective_from": TODAY - dt.timedelta(days=1)}, "過去の日付"),
    ],
)
def test_a_bad_change_names_the_key_and_changes_nothing(app, db_connection, raw, kw, message):
    before = _versions(app, "certificates.fee.juminhyo")
    with pytest.raises(ParamError) as caught:
        set_param(app, "fuji", "certificates.fee.juminhyo", raw, **kw)
    assert "certificates.fee.juminhyo" in str(caught.value) and message in str(caught.value)
    assert _versions(app, "certificates.fee.juminhyo") == before


def test_rules_on_who_and_when(app, db_connection):
    with pytest.raises(ParamError, match="団体の管理者では変更できません"):
        set_param(app, "fuji", "core.modules_enabled", ["residents"])
    with pytest.raises(ParamError, match="即日適用のみ"):
        set_param(app, "fuji", "core.session_idle_minutes", 25, effective_from=TODAY + dt.timedelta(days=3))
    with pytest.raises(ParamError, match="選択肢にない値"):
        set_param(app, "fuji", "certificates.honseki_default", "always")


def test_history_keeps_every_version_and_a_revert_is_a_new_one(app, db_connection):
    fuji = city(app, "fuji")
    key = "certificates.mayor_title"
    set_param(app, "fuji", key, "富士市長", reason="初期設定", legal_basis="富士市事務決裁規程")
    set_param(app, "fuji", key, "富士市長職務代理者", reason="職務代理")
    set_param(app, "fuji", key, None, reset=True, reason="代理終了")
    with get_db(app).session() as s:
        versions = changes.history(s, key, fuji.id, fuji.consortium_id)
        ps = resolution.load_param_set(s, fuji.id, fuji.consortium_id)
    assert [v.reason for v in versions] == ["代理終了", "職務代理", "初期設定"]
    assert versions[-1].legal_basis == "富士市事務決裁規程" and versions[-1].created_by == "fuji:admin"
    assert versions[0].reset and ps.resolve(key).source == "default"


def test_a_scheduled_change_is_pending_and_can_be_cancelled_before_its_date(app, db_connection):
    fuji = city(app, "fuji")
    april = TODAY + dt.timedelta(days=40)
    version_id = set_param(app, "fuji", "certificates.fee.inkan", 400, effective_from=april)
    with get_db(app).session() as s:
        ps = resolution.load_param_set(s, fuji.id, fuji.consortium_id)
        assert [r.id for r in ps.pending("certificates.fee.inkan")] == [version_id]
        version = changes.version_of(s, version_id, fuji.id, fuji.consortium_id)
        with pytest.raises(ParamError, match="取消理由"):
            changes.cancel(s, version, Actor("fuji:admin"), "")
        changes.cancel(s, version, Actor("fuji:admin"), "議会で否決")
        s.commit()
    with get_db(app).session() as s:
        ps = resolution.load_param_set(s, fuji.id, fuji.consortium_id)
        assert ps.pending("certificates.fee.inkan") == [] and ps.value("certificates.fee.inkan", april) == 300
        version = s.get(ParamVersion, version_id)
        assert version.cancelled and version.cancel_reason == "議会で否決"
        with pytest.raises(ParamError, match="既に取り消されています"):
            changes.cancel(s, version, Actor("fuji:admin"), "x")
    # Once its date has come, a change is history: it cannot be cancelled.
    other = set_param(app, "fuji", "certificates.fee.inkan", 450, effective_from=april)
    with get_db(app).session() as s, pytest.raises(ParamError, match="適用開始日を迎えた"):
        changes.cancel(s, s.get(ParamVersion, other), Actor("fuji:admin"), "x", on=april)


def test_another_citys_version_is_not_found(app, db_connection):
    nomiya_version = set_param(app, "fujinomiya", "certificates.fee.inkan", 350)
    fuji = city(app, "fuji")
    with get_db(app).session() as s:
        assert changes.version_of(s, nomiya_version, fuji.id, fuji.consortium_id) is None
