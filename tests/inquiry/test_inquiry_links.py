"""The inquiry result links through to the records it shows, for a user who may open them."""

from __future__ import annotations

import re

from tenant_core.extensions import get_db
from tests import factories
from tests.conftest import csrf_token

PATH = "/fuji/inquiry/"


def _ask(client, **data):
    return client.post(PATH, data={"csrf_token": csrf_token(client, PATH), **data})


def test_the_result_links_to_the_person_household_members_and_seal(app, staff_client, people):
    head = people.add("fuji", family_name="照会", given_name="一郎", family_kana="ショウカイ")
    child = people.add("fuji", people.household_no("fuji", head), family_name="照会", given_name="花子")
    no = people.register("fuji", head)
    client = staff_client("fuji", "clerk")
    body = _ask(client, atena_no=str(head), purpose="counter").get_data(as_text=True)
    links = set(re.findall(r'<a href="([^"]+)"', body))
    assert f"/fuji/residents/{head}" in links and f"/fuji/residents/{child}" in links
    assert f"/fuji/seals/r/{no}" in links
    assert any(link.startswith("/fuji/residents/households/") for link in links)
    # The inquiry form of a visit starts with its person, from the link of a person's page.
    assert re.search(
        rf'name="atena_no"[^>]*value="{head}"', client.get(f"{PATH}?atena_no={head}").get_data(as_text=True)
    )


def test_no_link_to_a_module_the_user_may_not_open(app, staff_client, people):
    head = people.add("fuji", family_name="照会", given_name="次郎")
    no = people.register("fuji", head)
    factories.user(get_db(app), "fuji", "asker", ["inquiry.viewer", "residents.viewer"])
    body = _ask(staff_client("fuji", "asker"), atena_no=str(head), purpose="counter").get_data(as_text=True)
    assert no in body and f"/fuji/seals/r/{no}" not in body
    assert f'href="/fuji/residents/{head}"' in body
