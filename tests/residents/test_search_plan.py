"""The searches are served by their indexes, on PostgreSQL and on SQLite (checked with EXPLAIN)."""

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents.bulk import load_residents
from modules.residents.models import Person
from modules.residents.search import SearchQuery, conditions
from tenant_core.extensions import get_db


def _plan(session, query: SearchQuery) -> str:
    conn = session.connection()
    stmt = sa.select(Person.id).where(*conditions(session, query)).order_by(Person.kana_key).limit(20)
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    sql = sql.replace("tenant.persons", '"t_fuji".persons')  # what the translate map does at execution
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql('ANALYZE "t_fuji".persons')
        return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
    return "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (SearchQuery(kana="タカハシイ"), "ix_persons_kana_key"),
        (SearchQuery(name="高橋一"), "ix_persons_name_key"),
        (SearchQuery(address="吉原１丁目"), "ix_persons_address_key"),
        (SearchQuery(birth_date=dt.date(1970, 5, 3)), "ix_persons_birth_date"),
    ],
)
def test_each_search_uses_its_index(app, residents, query, index):
    load_residents(get_db(app), app.config["SECRET_KEY"], "fuji", 3000, batch_people=3000)
    with residents.session("fuji") as session:
        plan = _plan(session, query)
    assert index in plan, plan
