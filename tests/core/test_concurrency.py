"""The shared conflict: version columns refuse a stale flush, and the app answers it with a 409."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from modules.residents.models import Household, Person
from modules.seals.models import SealRegistration
from tenant_core.concurrency import ConflictError, check_version, parse_version
from tenant_core.extensions import get_db


@pytest.mark.parametrize("model", [Person, Household, SealRegistration])
def test_every_edited_tenant_table_is_versioned(model):
    assert model.__mapper__.version_id_col is model.__table__.c.version


def test_the_cost_tables_are_versioned():
    from modules.costs.models import CostItem, FiscalYear

    for model in (FiscalYear, CostItem):
        assert model.__mapper__.version_id_col is model.__table__.c.version


def test_a_stale_flush_is_refused(app, db_connection):
    db = get_db(app)
    from tests.residents.conftest import Residents

    atena = Residents(app).add("fuji")
    with db.session("t_fuji") as session:
        mine = session.scalar(sa.select(Person).where(Person.atena_no == atena))
        # Another transaction's change, as the database sees it (the session's copy stays as it was read).
        session.execute(
            sa.update(Person)
            .where(Person.id == mine.id)
            .values(katagaki="コーポ富士101", version=Person.version + 1)
            .execution_options(synchronize_session=False)
        )
        mine.katagaki = "別の方書"
        with pytest.raises(StaleDataError):
            session.flush()


def test_a_conflict_is_a_japanese_page_or_json(app, db_connection):
    with app.test_request_context("/fuji/residents/1/events/relocation", method="POST"):
        response = app.make_response(app.handle_user_exception(StaleDataError("UPDATE matched 0 rows")))
        page = response.get_data(as_text=True)
        assert response.status_code == 409 and "他の職員が変更しました" in page
        assert 'href="/fuji/residents/1/events/relocation"' in page
    with app.test_request_context("/fuji/api/params/x", method="POST", json={}):
        response = app.make_response(app.handle_user_exception(ConflictError()))
        assert response.status_code == 409 and response.get_json()["error"] == "conflict"
        assert "他の職員が変更しました" in response.get_json()["message"]


class _Row:
    version = 3


def test_versions_sent_back_are_checked():
    assert [parse_version(v) for v in ("3", ' "3" ', 'W/"3"', "", None, "x", "0", True)] == [
        3,
        3,
        3,
        None,
        None,
        None,
        None,
        None,
    ]
    check_version(_Row(), 3)
    check_version(_Row(), None, required=False)
    for stale in (2, None):
        with pytest.raises(ConflictError):
            check_version(_Row(), stale)
