"""除票: moved-out and deceased persons stay with their date and reason, kept for the period of
施行令第34条 (150 years since 2019-06-20), searched only by staff with residents.view_removed."""

import datetime as dt

import pytest

from modules.residents import services
from modules.residents.removed import REMOVED_PERMISSION, retention_until
from tenant_core.auth.roles import permissions_for
from tenant_core.extensions import get_db
from tests import factories

D = dt.date


@pytest.mark.parametrize(
    ("left_on", "kept_until"),
    [
        (D(2020, 4, 1), D(2170, 4, 1)),  # removed after the amendment: 150 years
        (D(2014, 6, 20), D(2164, 6, 20)),  # its 5 years ran until the amendment's first day: 150 years
        (D(2014, 6, 19), D(2019, 6, 19)),  # its 5 years ended the day before: the old period
        (D(2024, 2, 29), D(2174, 2, 28)),  # a 29 February ends on the 28th
    ],
)
def test_retention_follows_the_amended_order(left_on, kept_until):
    assert retention_until(left_on) == kept_until


def test_editors_may_search_removed_records_and_viewers_may_not(app):
    assert REMOVED_PERMISSION in permissions_for(["residents.editor"])
    assert REMOVED_PERMISSION not in permissions_for(["residents.viewer"])


def test_removed_records_are_searched_with_the_permission_only(app, staff_client, residents):
    atena = residents.add("fuji", family_name="除票", family_kana="ジョヒョウ")
    with residents.session("fuji") as s:
        services.record_death(s, services.get_person(s, atena), D(2025, 3, 1), by="t")
    factories.user(get_db(app), "fuji", "viewer", ["residents.viewer"])
    viewer, clerk = staff_client("fuji", "viewer"), staff_client("fuji", "clerk")
    # Without the flag nobody finds a 除票; with it, only the editor does.
    assert "1件" not in viewer.get("/fuji/residents/?kana=ジョヒョウ").get_data(as_text=True)
    refused = viewer.get("/fuji/residents/?kana=ジョヒョウ&include_removed=y")
    assert refused.status_code == 422 and "除票を閲覧する権限が必要です" in refused.get_data(as_text=True)
    api = viewer.get("/fuji/residents/api/search?kana=ジョヒョウ&include_removed=true")
    assert api.status_code == 403 and "除票を閲覧する権限" in api.get_json()["message"]
    found = clerk.get("/fuji/residents/api/search?kana=ジョヒョウ&include_removed=true").get_json()
    assert [r["atena_no"] for r in found["results"]] == [atena] and found["results"][0][
        "status"
    ] == "deceased"
    page = clerk.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "除票です" in page and "令和7年3月1日" in page and "保存期間は" in page and "第34条" in page
    # Another city's editor finds nothing of 富士市's 除票.
    other = staff_client("fujinomiya", "clerk").get(
        "/fujinomiya/residents/api/search?kana=ジョヒョウ&include_removed=true"
    )
    assert other.status_code == 200 and other.get_json()["results"] == []
