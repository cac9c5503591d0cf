"""/metrics stays small as tenants grow: series grow with tenants plus endpoints, not their product."""

from tests.conftest import METRICS_TOKEN as TOKEN
from tests.conftest import sign_in


def _series(client):
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_series_per_additional_tenant_do_not_multiply_by_endpoint(fresh_app):
    app = fresh_app()
    probe = app.test_client()
    for slug in ("fuji", "fujinomiya"):
        staff = app.test_client()
        sign_in(staff, slug, "clerk")
        for path in (f"/{slug}/", f"/{slug}/jobs/", f"/{slug}/account/password"):
            assert staff.get(path).status_code == 200
        if slug == "fuji":
            before = len(_series(probe))
    added = len(_series(probe)) - before
    # A second city using the same three pages adds only its own tenant series (status classes and
    # latency buckets), never a set per endpoint.
    assert 0 < added < 20, added
    assert 'kyodo_requests_total{status="2xx",tenant="fujinomiya"}' in "\n".join(_series(probe))
