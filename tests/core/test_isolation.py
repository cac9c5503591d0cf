"""Two cities, the same table, a sentinel row each: no request or pooled connection sees the other's."""

import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.models import Notice
from tests import factories
from tests.conftest import sign_in


def _with_sentinels(fresh_app):
    app = fresh_app()
    db = get_db(app)
    factories.notice(db, "fuji", "SENTINEL-FUJI-SHI")
    factories.notice(db, "fujinomiya", "SENTINEL-FUJINOMIYA-SHI")
    return app, db


def test_a_thousand_alternating_requests_each_see_their_own_sentinel(fresh_app):
    app, _ = _with_sentinels(fresh_app)
    clients = {slug: app.test_client() for slug in ("fuji", "fujinomiya")}
    for slug, client in clients.items():
        assert sign_in(client, slug, "clerk").status_code == 302
    for i in range(1000):
        own, other = ("fuji", "fujinomiya") if i % 2 == 0 else ("fujinomiya", "fuji")
        page = clients[own].get(f"/{own}/").get_data(as_text=True)
        assert f"SENTINEL-{own.upper()}-SHI" in page
        assert f"SENTINEL-{other.upper()}-SHI" not in page


def test_one_pooled_connection_carries_nothing_from_one_city_to_the_next(fresh_app):
    _app, db = _with_sentinels(fresh_app)
    seen = []
    for slug in ("fuji", "fujinomiya", "fuji"):
        with db.session(f"t_{slug}") as session:
            titles = session.scalars(sa.select(Notice.title).where(Notice.title.like("SENTINEL-%"))).all()
            conn = session.connection()
            seen.append(id(conn.connection.dbapi_connection))
            if db.is_sqlite:
                attached = {r[1] for r in conn.exec_driver_sql("PRAGMA database_list")}
                assert attached - {"temp"} == {"main", f"t_{slug}"}
            else:
                # Nothing in the session state points at a tenant: the map alone chooses the schema.
                assert conn.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'
        assert titles == [f"SENTINEL-{slug.upper()}-SHI"]
    assert len(set(seen)) == 1, "pool_size=1 must hand out the same connection each time"
    db.engine.dispose()


def test_a_session_without_a_tenant_cannot_reach_tenant_tables(fresh_app):
    _, db = _with_sentinels(fresh_app)
    with db.session() as session:
        try:
            session.scalars(sa.select(Notice.title)).all()
        except sa.exc.DBAPIError:
            session.rollback()
        else:
            raise AssertionError("an unbound session read a tenant table")
