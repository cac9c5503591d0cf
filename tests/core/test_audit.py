"""The access log: what it records, the hash chain and its verification, the viewer and its export."""

import datetime as dt
import threading

import sqlalchemy as sa

from tenant_core.audit import services as audit
from tenant_core.audit.models import AccessLog, PlatformAccessLog
from tenant_core.cli import main
from tenant_core.extensions import get_db
from tenant_core.tenancy import find_tenant
from tests.conftest import sign_in


def _entries(db, slug):
    with db.session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.seq)))


def test_a_sign_in_records_who_when_where_and_what(app, client):
    sign_in(client, "fuji", "clerk")
    entry = _entries(get_db(app), "fuji")[-1]
    assert entry.operator == "222101:clerk" and entry.function == "login" and entry.outcome == "ok"
    assert entry.address == "127.0.0.1" and entry.user_agent and entry.screen == "auth.login"
    assert entry.mynumber_shown is False and len(entry.hash) == 64


def test_search_shape_keeps_no_personal_data():
    shape = audit.search_shape({"kana": "ヤマダ", "birth_date": "1980-01-01", "address": ""}, results=120)
    assert shape == {"birth_date": "str:10", "kana": "str:3", "results": 120}
    assert "ヤマダ" not in str(shape)


def _cli_verify(app, slug):
    return app.test_cli_runner().invoke(main, ["audit", "verify", slug])


def test_editing_one_row_is_named_by_verify(fresh_app):
    app = fresh_app()
    client = app.test_client()
    for _ in range(3):
        sign_in(client, "fuji", "clerk")
    result = _cli_verify(app, "fuji")
    assert result.exit_code == 0 and "3 entries verified" in result.output
    with get_db(app).connect("t_fuji") as conn, conn.begin():
        conn.execute(sa.update(AccessLog).where(AccessLog.seq == 2).values(address="10.9.9.9"))
    result = _cli_verify(app, "fuji")
    assert result.exit_code == 1 and "BROKEN at entry 2" in result.output and "altered" in result.output
    assert _cli_verify(app, "fujinomiya").exit_code == 0  # the other city's chain is its own


def test_deleting_or_truncating_rows_is_detected(fresh_app):
    app = fresh_app()
    client = app.test_client()
    for _ in range(4):
        sign_in(client, "fuji", "clerk")
    db = get_db(app)
    with db.connect("t_fuji") as conn, conn.begin():
        conn.execute(sa.delete(AccessLog).where(AccessLog.seq == 4))
    result = _cli_verify(app, "fuji")
    assert result.exit_code == 1 and "after 3 were removed" in result.output
    with db.connect("t_fuji") as conn, conn.begin():
        conn.execute(sa.delete(AccessLog).where(AccessLog.seq == 2))
    assert "entry 2 is missing" in _cli_verify(app, "fuji").output


def test_concurrent_writers_keep_one_chain(fresh_app):
    app = fresh_app()
    tenant = None
    with app.app_context():
        tenant = find_tenant("fuji")

    def write(n):
        with app.app_context():  # outside a request each entry is written at once, as jobs do
            for i in range(10):
                audit.record("view", target=f"person:{n}-{i}", tenant=tenant)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = _entries(get_db(app), "fuji")
    assert [e.seq for e in entries] == list(range(1, 41))
    assert _cli_verify(app, "fuji").exit_code == 0


def test_purge_keeps_the_rest_verifiable(fresh_app):
    app = fresh_app()
    client = app.test_client()
    for _ in range(3):
        sign_in(client, "fuji", "clerk")
    db = get_db(app)
    # Backdating rows breaks their hashes, so purge the backdated ones and check the rest still verifies.
    with db.connect("t_fuji") as conn, conn.begin():
        conn.execute(sa.update(AccessLog).where(AccessLog.seq <= 2).values(at=dt.datetime(2015, 1, 1)))
    result = app.test_cli_runner().invoke(main, ["audit", "purge", "fuji"])
    assert result.exit_code == 0 and "2 entries older than 5 years removed" in result.output
    result = _cli_verify(app, "fuji")
    assert result.exit_code == 0 and "1 entries verified" in result.output


def test_platform_sign_ins_go_to_the_platform_chain(fresh_app):
    app = fresh_app()
    sign_in(app.test_client(), None, "operator")
    with get_db(app).session() as s:
        entry = s.scalars(sa.select(PlatformAccessLog)).one()
    assert entry.operator == "platform:operator"
    assert app.test_cli_runner().invoke(main, ["audit", "verify", "--platform"]).exit_code == 0


def test_viewer_filters_flags_and_export_is_itself_logged(app, staff_client):
    staff_client("fuji", "clerk")
    sign_in(app.test_client(), "fuji", "clerk", password="wrong-password-x")
    admin = staff_client("fuji", "admin")
    page = admin.get("/fuji/admin/audit/?function=login").get_data(as_text=True)
    assert "222101:clerk" in page and "ログイン失敗" in page
    only_admin = admin.get("/fuji/admin/audit/?operator=222101:admin&function=login").get_data(as_text=True)
    assert "222101:admin" in only_admin and "222101:clerk" not in only_admin
    csv_response = admin.get("/fuji/admin/audit/export.csv?function=login")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    body = csv_response.get_data(as_text=True)
    assert body.startswith("\ufeffseq,日時(JST),操作者") and "ログイン失敗" in body
    last = _entries(get_db(app), "fuji")[-1]
    assert last.function == "export" and last.screen == "audit_log.csv" and last.operator == "222101:admin"


def test_night_and_holiday_flags():
    night = AccessLog(at=dt.datetime(2026, 11, 23, 14, 30), function="view", search_shape=None, outcome="ok")
    assert "夜間" in audit.flags(night)  # 23:30 in Japan
    assert "休日" in audit.flags(night)  # 勤労感謝の日
    weekday = AccessLog(
        at=dt.datetime(2026, 11, 24, 1, 0), function="search", search_shape={"results": 250}, outcome="ok"
    )
    assert audit.flags(weekday) == ["大量検索"]


def test_finance_cannot_read_the_log(staff_client):
    assert staff_client("fuji", "finance").get("/fuji/admin/audit/").status_code == 403
