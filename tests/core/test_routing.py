"""Tenant resolution from the URL, the portal, the platform pages, health and metrics."""

import re

import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.migrate import head_revision
from tenant_core.models import Tenant, TenantStatus
from tests import factories
from tests.conftest import METRICS_TOKEN, sign_in


def test_portal_lists_the_modules_enabled_for_the_city_and_opened_by_the_roles(staff_client):
    fuji = staff_client("fuji", "clerk").get("/fuji/").get_data(as_text=True)
    fujinomiya = staff_client("fujinomiya", "clerk").get("/fujinomiya/").get_data(as_text=True)
    finance = staff_client("fuji", "finance").get("/fuji/").get_data(as_text=True)
    assert "富士市" in fuji and 'data-module="inquiry"' in fuji and 'data-module="costs"' not in fuji
    # 富士宮市 has not enabled 個人状況照会: the same roles do not show it there.
    assert "富士宮市" in fujinomiya and 'data-module="inquiry"' not in fujinomiya
    assert 'data-module="costs"' in finance and 'data-module="residents"' not in finance


def test_unknown_slug_is_404_without_touching_tenant_schemas(app, client):
    statements = []
    engine = get_db(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/numazu/").status_code == 404
        assert client.get('/x"; DROP SCHEMA shared/').status_code == 404
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert statements, "the slug lookup itself is expected"
    assert not any(re.search(r"\bt_[a-z]", s) for s in statements), statements


def test_malformed_slug_makes_no_query(app, client):
    statements = []
    engine = get_db(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/Fuji%22;DROP/").status_code == 404
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_suspended_tenant_shows_a_clear_page(app, client):
    with get_db(app).session() as s:
        s.execute(sa.update(Tenant).where(Tenant.slug == "fujinomiya").values(status=TenantStatus.suspended))
        s.commit()
    response = client.get("/fujinomiya/")
    assert response.status_code == 403
    assert "利用停止中" in response.get_data(as_text=True)
    assert client.get("/fuji/login").status_code == 200  # the other city is unaffected


def test_platform_page_lists_revision_size_and_status(client):
    assert sign_in(client, None, "operator").status_code == 302
    page = client.get("/platform/").get_data(as_text=True)
    assert "t_fuji" in page and "t_fujinomiya" in page
    assert head_revision("tenant") in page
    assert "KiB" in page and "稼働中" in page


def test_english_is_available(staff_client):
    client = staff_client("fuji", "clerk")
    page = client.get("/fuji/?lang=en").get_data(as_text=True)
    assert "Business portal" in page
    assert "Business portal" in client.get("/fuji/").get_data(as_text=True)  # the choice is remembered


def test_healthz_reports_the_database(client):
    body = client.get("/healthz").get_json()
    assert body["checks"]["database"] == "ok"
    assert body["status"] == "ok"


def test_metrics_are_labelled_by_tenant(client):
    client.get("/fuji/")
    client.get("/fujinomiya/")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(as_text=True)
    assert 'tenant="fuji"' in text and 'tenant="fujinomiya"' in text
    assert 'kyodo_request_duration_seconds_count{tenant="fuji"}' in text  # per city: a count and a sum
    assert "kyodo_endpoint_duration_seconds_bucket" in text  # the distribution, per endpoint


def test_a_job_of_another_city_is_not_found(app, staff_client):
    from tenant_core.jobs import enqueue
    from tenant_core.portal.services import publish_due_notices
    from tenant_core.tenancy import find_tenant

    with app.test_request_context("/fuji/"):
        from tenant_core.boundary import get_session

        session = get_session()
        job_id = enqueue(publish_due_notices, tenant=find_tenant("fuji"), session=session)
        session.commit()
    assert staff_client("fuji", "clerk").get(f"/fuji/jobs/{job_id}.json").status_code == 200
    assert staff_client("fujinomiya", "clerk").get(f"/fujinomiya/jobs/{job_id}.json").status_code == 404


def test_pages_paginate_jobs(staff_client):
    client = staff_client("fuji", "clerk")
    assert "バッチ処理の状況" in client.get("/fuji/jobs/?page=1").get_data(as_text=True)
    assert client.get("/fuji/jobs/?page=999").status_code == 200


def test_factory_tenant_goes_through_the_service(app, db_connection):
    # The factory must refuse what the service refuses: a code already in use.
    import pytest

    from tenant_core.provisioning import ProvisioningError

    with pytest.raises(ProvisioningError, match="222101"):
        factories.tenant(get_db(app), code="222101")
