"""Two administrators on one parameter: a change recorded after the form (or the API client) read the
value makes the second change a 409, instead of silently superseding a value its author never saw."""

import datetime as dt

from tenant_core.params import resolution
from tests.conftest import csrf_token, form_fields
from tests.params.conftest import set_param

PATH = "/fuji/admin/params/certificates.fee.juminhyo/edit"
API = "/fuji/api/params/certificates.fee.juminhyo"


def _history(client) -> list[dict]:
    return client.get(f"{API}/history").get_json()["versions"]


def test_a_stale_edit_form_is_refused_and_changes_nothing(staff_client, demo_params):
    first, second = staff_client("fuji", "admin"), staff_client("fuji", "admin")
    seen_first, seen_second = form_fields(first, PATH), form_fields(second, PATH)
    assert seen_first["version"] == seen_second["version"]
    data = {"scope": "city", "reason": "手数料条例改正"}
    assert first.post(PATH, data={**seen_first, **data, "value": "400"}).status_code == 302
    before = _history(first)
    late = second.post(PATH, data={**seen_second, **data, "value": "500"})
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and "他の職員が変更しました" in page and f'href="{PATH}"' in page
    assert _history(first) == before and first.get(API).get_json()["value"] == 400
    # Shown again, the form carries the new version and the change goes through.
    assert second.post(PATH, data={**form_fields(second, PATH), **data, "value": "500"}).status_code == 302
    assert first.get(API).get_json()["value"] == 500


def test_an_edit_form_without_its_version_is_refused(staff_client, demo_params):
    client = staff_client("fuji", "admin")
    fields = {k: v for k, v in form_fields(client, PATH).items() if k != "version"}
    late = client.post(PATH, data={**fields, "scope": "city", "reason": "改正", "value": "400"})
    assert late.status_code == 409 and client.get(API).get_json()["value"] == 300


def test_the_api_refuses_a_stale_version_and_accepts_none(app, staff_client, demo_params):
    client = staff_client("fuji", "admin")
    headers = {"X-CSRFToken": csrf_token(client, "/fuji/admin/params/")}
    etag = client.get(API).headers["ETag"]
    set_param(app, "fuji", "certificates.fee.juminhyo", 320)  # another administrator, meanwhile
    stale = client.post(API, json={"value": 400, "reason": "改正"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    assert "他の職員が変更しました" in stale.get_json()["message"]
    stale_body = client.post(
        API, json={"value": 400, "reason": "改正", "version": int(etag.strip('"'))}, headers=headers
    )
    assert stale_body.status_code == 409 and client.get(API).get_json()["value"] == 320
    fresh = client.get(API).headers["ETag"]
    ok = client.post(API, json={"value": 400, "reason": "改正"}, headers={**headers, "If-Match": fresh})
    assert ok.status_code == 201
    unchecked = client.post(API, json={"value": 410, "reason": "改正"}, headers=headers)
    assert unchecked.status_code == 201 and client.get(API).get_json()["value"] == 410


def test_the_token_is_the_citys_own(app, staff_client, demo_params):
    """Another city's changes do not make 富士市's form stale, and its id is not 富士市's token."""
    client = staff_client("fuji", "admin")
    seen = form_fields(client, PATH)
    theirs = set_param(app, "fujinomiya", "certificates.fee.juminhyo", 360)
    assert seen["version"] != str(theirs)
    ok = client.post(PATH, data={**seen, "scope": "city", "reason": "改正", "value": "400"})
    assert ok.status_code == 302


def test_a_second_cancellation_is_told_it_is_already_cancelled(app, staff_client, demo_params):
    future = resolution.today() + dt.timedelta(days=10)
    pending = set_param(app, "fuji", "certificates.fee.juminhyo", 400, effective_from=future)
    first, second = staff_client("fuji", "admin"), staff_client("fuji", "admin")
    path = f"/fuji/api/params/versions/{pending}/cancel"
    done = first.post(
        path, json={"reason": "撤回"}, headers={"X-CSRFToken": csrf_token(first, "/fuji/admin/params/")}
    )
    again = second.post(
        path, json={"reason": "撤回"}, headers={"X-CSRFToken": csrf_token(second, "/fuji/admin/params/")}
    )
    assert done.status_code == 200
    assert again.status_code == 422 and "既に取り消されています" in str(again.get_json())
