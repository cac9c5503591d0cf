"""Tenant resolution from the URL, the portal, the platform pages, health and metrics."""

import re

import sqlalchemy as sa

from tenant_core.extensions import get_db
from tenant_core.models import Tenant, TenantStatus
from tests import factories


def test_portal_lists_the_enabled_modules(client):
    fuji = client.get("/fuji/").get_data(as_text=True)
    fujinomiya = client.get("/fujinomiya/").get_data(as_text=True)
    assert "富士市" in fuji and 'data-module="inquiry"' in fuji
    assert "富士宮市" in fujinomiya and 'data-module="inquiry"' not in fujinomiya


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
    assert client.get("/fuji/").status_code == 200


def test_platform_page_lists_revision_size_and_status(client):
    page = client.get("/platform/").get_data(as_text=True)
    assert "t_fuji" in page and "t_fujinomiya" in page
    assert "t0001_notices" in page or "リビジョン" in page
    assert "KiB" in page and "稼働中" in page


def test_english_is_available(client):
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
    text = client.get("/metrics").get_data(as_text=True)
    assert 'tenant="fuji"' in text and 'tenant="fujinomiya"' in text
    assert "kyodo_request_duration_seconds_bucket" in text


def test_a_job_of_another_city_is_not_found(app, client):
    from tenant_core.jobs import enqueue
    from tenant_core.portal.services import publish_due_notices
    from tenant_core.tenancy import find_tenant

    with app.test_request_context("/fuji/"):
        from tenant_core.boundary import get_session

        session = get_session()
        job_id = enqueue(publish_due_notices, tenant=find_tenant("fuji"), session=session)
        session.commit()
    assert client.get(f"/fuji/jobs/{job_id}.json").status_code == 200
    assert client.get(f"/fujinomiya/jobs/{job_id}.json").status_code == 404


def test_pages_paginate_jobs(app, client):
    assert "バッチ処理の状況" in client.get("/fuji/jobs/?page=1").get_data(as_text=True)
    assert client.get("/fuji/jobs/?page=999").status_code == 200


def test_factory_tenant_goes_through_the_service(app, db_connection):
    # The factory must refuse what the service refuses: a code already in use.
    import pytest

    from tenant_core.provisioning import ProvisioningError

    with pytest.raises(ProvisioningError, match="222101"):
        factories.tenant(get_db(app), code="222101")
