"""The security edges of sign-in and of the request: guessing slows the guesser, not the owner;
cities behind one address keep their own budgets; a dead Redis does not stop sign-in; proxies;
refusals in the city's log; request size; /metrics for the operator only; SQLite without locks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from tenant_core.audit.models import AccessLog
from tenant_core.auth.models import User, UserSession
from tenant_core.auth.throttle import ACCOUNT_LOCK_FAILURES
from tenant_core.extensions import get_db
from tenant_core.models import Tenant
from tests import factories
from tests.conftest import METRICS_TOKEN, csrf_token, post, sign_in

ATTACKER = {"REMOTE_ADDR": "198.51.100.66"}
OWNER = {"REMOTE_ADDR": "192.0.2.10"}
NAT = {"REMOTE_ADDR": "203.0.113.1"}


def _log(app, slug):
    with get_db(app).session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.seq)))


def _user(app, slug, login):
    with get_db(app).session() as s:
        return s.scalar(sa.select(User).join(Tenant).where(Tenant.slug == slug, User.login == login))


def _client(app, environ):
    client = app.test_client()
    client.environ_base.update(environ)
    return client


def test_forty_wrong_passwords_from_one_address_do_not_lock_out_the_owner(app, client):
    attacker = _client(app, ATTACKER)
    codes = [
        sign_in(attacker, "fuji", "clerk", password=f"guess-number-{i:03d}").status_code for i in range(40)
    ]
    assert 302 not in codes
    # The guesser is held back: even the right password from its address is refused...
    refused = sign_in(_client(app, ATTACKER), "fuji", "clerk")
    assert refused.status_code in (200, 429) and "正しくありません" not in refused.get_data(as_text=True)
    # ...but the owner, from their own desk, signs in.
    assert sign_in(_client(app, OWNER), "fuji", "clerk").status_code == 302
    user = _user(app, "fuji", "clerk")
    assert user.locked_until is None and user.failed_logins == 0  # a success clears the count
    outcomes = [e.outcome for e in _log(app, "fuji") if e.function == "login"]
    assert "locked" in outcomes and outcomes[-1] == "ok"
    held_back = [e for e in _log(app, "fuji") if e.outcome == "locked"]
    assert all(e.address == ATTACKER["REMOTE_ADDR"] for e in held_back)


def test_two_cities_behind_one_address_keep_their_own_budgets(app, client):
    shared_nat = _client(app, NAT)
    for i in range(35):  # past the 30 of KYODO_LOGIN_RATE_LIMIT
        sign_in(shared_nat, "fujinomiya", f"nobody{i}", password="wrong-password-x")
    assert sign_in(shared_nat, "fujinomiya", "clerk").status_code == 429
    assert sign_in(_client(app, NAT), "fuji", "admin").status_code == 302
    refusals = [e for e in _log(app, "fujinomiya") if e.detail == "too many attempts from this address"]
    assert refusals and refusals[-1].address == NAT["REMOTE_ADDR"]


def test_city_and_platform_sign_in_each_count_once(fresh_app):
    app = fresh_app(login_rate_limit="3 per minute")
    client = _client(app, NAT)
    codes = [sign_in(client, None, f"nobody{i}", password="wrong-password-x").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]  # three attempts, three counted: not six, not unlimited
    assert sign_in(_client(app, NAT), "fuji", "clerk").status_code == 302


def test_the_account_lock_needs_many_addresses_and_the_administrator_lifts_it(app, client):
    with get_db(app).session() as s:
        s.execute(
            sa.update(User)
            .where(User.id == _user(app, "fuji", "clerk").id)
            .values(failed_logins=ACCOUNT_LOCK_FAILURES - 1)
        )
        s.commit()
    sign_in(_client(app, ATTACKER), "fuji", "clerk", password="one-more-wrong-guess")
    assert _user(app, "fuji", "clerk").locked_until is not None
    assert "ロック" in sign_in(_client(app, OWNER), "fuji", "clerk").get_data(as_text=True)
    assert "account locked" in _log(app, "fuji")[-1].detail

    admin = _client(app, OWNER)
    sign_in(admin, "fuji", "admin")
    page = f"/fuji/admin/users/{_user(app, 'fuji', 'clerk').id}"
    assert "ロックを解除する" in admin.get(page).get_data(as_text=True)
    assert post(admin, f"{page}/unlock", page, {}).status_code == 302  # not confirmed: nothing happens
    assert _user(app, "fuji", "clerk").locked_until is not None
    assert post(admin, f"{page}/unlock", page, {"unlock-confirm": "y"}).status_code == 302
    assert _user(app, "fuji", "clerk").locked_until is None
    assert "lock lifted by administrator" in _log(app, "fuji")[-1].detail
    assert sign_in(_client(app, OWNER), "fuji", "clerk").status_code == 302


def test_another_citys_administrator_cannot_unlock(app, staff_client):
    clerk_id = _user(app, "fuji", "clerk").id
    with get_db(app).session() as s:
        s.execute(sa.update(User).where(User.id == clerk_id).values(locked_until=dt.datetime(9999, 12, 31)))
        s.commit()
    other = staff_client("fujinomiya", "admin")
    form_page = "/fujinomiya/admin/users/"
    assert (
        post(
            other, f"/fujinomiya/admin/users/{clerk_id}/unlock", form_page, {"unlock-confirm": "y"}
        ).status_code
        == 404
    )
    assert other.post(f"/fuji/admin/users/{clerk_id}/unlock").status_code == 403
    assert _user(app, "fuji", "clerk").is_locked
    assert "ロック" in sign_in(app.test_client(), "fuji", "clerk").get_data(as_text=True)


def test_sign_in_works_with_redis_unreachable(fresh_app, caplog):
    app = fresh_app(redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    client = app.test_client()
    assert sign_in(client, "fuji", "clerk", password="wrong-password-x").status_code == 200
    assert sign_in(client, "fuji", "clerk").status_code == 302
    assert sign_in(app.test_client(), None, "operator").status_code == 302
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert 1 <= len(warnings) <= 2  # once by the rate limiter, once by the failure counts


@pytest.mark.parametrize("trusted, expected", [(1, "203.0.113.77"), (0, "10.0.0.5")])
def test_the_log_records_the_client_behind_a_trusted_proxy(fresh_app, trusted, expected):
    app = fresh_app(trusted_proxies=trusted)
    client = _client(app, {"REMOTE_ADDR": "10.0.0.5"})
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.77"
    sign_in(client, "fuji", "clerk", password="wrong-password-x")
    assert _log(app, "fuji")[-1].address == expected


def test_a_cross_city_post_without_csrf_token_is_logged_in_the_target_city(app, staff_client):
    client = staff_client("fuji", "clerk")
    before = len(_log(app, "fujinomiya"))
    assert client.post("/fujinomiya/logout").status_code == 403
    entries = _log(app, "fujinomiya")[before:]
    assert [e.outcome for e in entries] == ["refused"]
    assert "CSRF" in entries[0].detail and entries[0].operator == "222101:clerk"


def test_a_body_over_the_limit_is_refused_with_a_japanese_page(app, client):
    token = csrf_token(client, "/fuji/login")
    big = "x" * (9 * 1024 * 1024)
    response = client.post("/fuji/login", data={"csrf_token": token, "login": "clerk", "password": big})
    assert response.status_code == 413
    assert "送信されたデータが大きすぎます（上限 8 MB）" in response.get_data(as_text=True)
    assert _log(app, "fuji")[-1].detail == "request body larger than the limit"


def test_metrics_answer_only_to_the_operator(app, client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_metrics_answer_to_an_allowed_network(fresh_app):
    app = fresh_app(metrics_allow="10.1.0.0/16, 192.0.2.9")
    assert _client(app, {"REMOTE_ADDR": "10.1.2.3"}).get("/metrics").status_code == 200
    assert _client(app, {"REMOTE_ADDR": "192.0.2.9"}).get("/metrics").status_code == 200
    assert _client(app, {"REMOTE_ADDR": "10.2.0.1"}).get("/metrics").status_code == 404


def test_a_bad_metrics_network_stops_the_start():
    from tenant_core.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="KYODO_METRICS_ALLOW"):
        load_settings(metrics_allow="10.0.0.0/33")


def test_every_response_carries_a_request_id(client):
    first = client.get("/fuji/login").headers["X-Request-Id"]
    assert len(first) >= 16 and first != client.get("/fuji/login").headers["X-Request-Id"]
    kept = client.get("/fuji/login", headers={"X-Request-Id": "nginx-0123456789abcdef"})
    assert kept.headers["X-Request-Id"] == "nginx-0123456789abcdef"
    forged = client.get("/fuji/login", headers={"X-Request-Id": "<script> or a name 佐藤"})
    assert forged.headers["X-Request-Id"].isalnum()


def test_static_files_neither_read_nor_touch_the_session(fresh_app):
    app = fresh_app()
    client = app.test_client()
    sign_in(client, "fuji", "clerk")
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=5)
    with get_db(app).session() as s:
        s.execute(sa.update(UserSession).values(last_seen_at=old))
        s.commit()
    assert client.get("/static/kyodo.css").status_code == 200
    with get_db(app).session() as s:
        assert s.scalar(sa.select(UserSession.last_seen_at)) == old
    assert client.get("/fuji/").status_code == 200
    with get_db(app).session() as s:
        touched = s.scalar(sa.select(UserSession.last_seen_at))
    assert touched > old
    assert client.get("/fuji/").status_code == 200  # within the minute: not written again
    with get_db(app).session() as s:
        assert s.scalar(sa.select(UserSession.last_seen_at)) == touched


def test_parallel_requests_of_one_signed_in_user_never_meet_a_locked_database(fresh_app, backend, caplog):
    if backend != "sqlite":
        pytest.skip("the embedded default's locks")
    app = fresh_app()
    with get_db(app).engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    signed_in = app.test_client()
    sign_in(signed_in, "fuji", "clerk")
    cookie = signed_in.get_cookie("kyodo_session")
    assert cookie is not None
    statuses: list[int] = []
    errors: list[BaseException] = []
    static = [
        p for p in ("kyodo.css", "kyodo.js") if app.test_client().get(f"/static/{p}").status_code == 200
    ] or ["kyodo.css"]

    def browse(i: int) -> None:
        c = app.test_client()
        c.set_cookie("kyodo_session", cookie.value)
        try:
            for n in range(6):
                # A page and its assets, as a browser asks for them, with the idle clock due to tick.
                path = "/fuji/" if (i + n) % 3 == 0 else f"/static/{static[n % len(static)]}"
                if n == 3:
                    with get_db(app).session() as s:
                        s.execute(
                            sa.update(UserSession).values(
                                last_seen_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                - dt.timedelta(minutes=2)
                            )
                        )
                        s.commit()
                statuses.append(c.get(path).status_code)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert statuses and set(statuses) == {200}
    assert "database is locked" not in caplog.text


def test_user_directory_has_the_unlock_only_when_locked(app, staff_client):
    admin = staff_client("fuji", "admin")
    factories.user(get_db(app), "fuji", "plain", ["residents.viewer"])
    page = admin.get(f"/fuji/admin/users/{_user(app, 'fuji', 'plain').id}").get_data(as_text=True)
    assert "ロックを解除する" not in page
