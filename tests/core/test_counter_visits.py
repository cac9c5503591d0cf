"""The counter (窓口): one visit of one person across modules, through the module contract.

A clerk opens a person's page: every module's actions for that person are there, the person stays the
subject of the visit on every page until the clerk closes it, other modules offer that person first,
and the day's persons are listed; never in another city, never a protected person to a clerk who may
not see them."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from modules.residents import protection
from tenant_core.japanese import japan_today
from tenant_core.modules import iter_modules
from tests.conftest import post
from tests.params.conftest import demo_params  # noqa: F401  (a fixture)
from tests.residents.conftest import Residents


def _text(response) -> str:
    # Names are stored with the full-width space between family and given name.
    return html.unescape(response.get_data(as_text=True)).replace("\u3000", " ")


def _bar(page: str) -> str:
    found = re.search(r'<div class="visit-bar".*?</div>', page, re.DOTALL)
    return found.group(0) if found else ""


def _recent(page: str) -> str:
    found = re.search(r"data-recent-persons>.*?</div>", page, re.DOTALL)
    return found.group(0) if found else ""


def test_the_core_names_no_module_and_modules_declare_their_counter_parts():
    import inspect

    from tenant_core import visits

    source = inspect.getsource(visits)
    for info in iter_modules():
        assert f'"{info.name}' not in source and f"'{info.name}" not in source
    declared = {m.name for m in iter_modules() if m.person_actions}
    assert {"residents", "seals", "certificates", "inquiry"} <= declared
    assert [m.name for m in iter_modules() if m.person_directory] == ["residents"]


@pytest.mark.usefixtures("demo_params")
def test_one_visit_reaches_every_modules_actions_without_a_second_search(app, staff_client):
    people = Residents(app)
    atena = people.add(
        "fuji", family_name="窓口", given_name="花子", family_kana="マドグチ", given_kana="ハナコ"
    )
    clerk = staff_client("fuji", "clerk")
    person = _text(clerk.get(f"/fuji/residents/{atena}"))
    # Every module's actions for this person, on their page.
    actions = dict(re.findall(r'<a href="([^"]+)" data-action="(\w+)">', person))
    assert f"/fuji/certificates/new?atena={atena}&kind=juminhyo" in actions
    assert f"/fuji/certificates/new?atena={atena}&kind=inkan" in actions
    assert f"/fuji/seals/register?atena_no={atena}" in actions
    assert f"/fuji/inquiry/?atena_no={atena}" in actions
    assert f"/fuji/seals/persons/{atena}" in actions
    assert "異動の届出" in person  # the register's own 異動 forms
    # The person is the subject of the visit on every page, of every module.
    for page in ("/fuji/", "/fuji/certificates/", "/fuji/seals/", "/fuji/residents/"):
        bar = _bar(_text(clerk.get(page)))
        assert "窓口 花子" in bar and f'data-visit="{atena}"' in bar, page
    # Another module's search page offers this person's actions first: no second search.
    certificates = _text(clerk.get("/fuji/certificates/"))
    shortcut = certificates.split("data-visit-shortcut")[1].split("</div>")[0]
    assert "住民票の写し" in shortcut and f"atena={atena}" in shortcut
    assert f"/fuji/certificates/new?atena={atena}&amp;kind=juminhyo" in clerk.get(
        "/fuji/certificates/"
    ).get_data(as_text=True)
    # The seal registration form and the inquiry form start with the visit's person.
    register = _text(clerk.get("/fuji/seals/register"))
    assert re.search(rf'name="atena_no"[^>]*value="{atena}"', register)
    # The inquiry form too.
    inquiry = _text(clerk.get("/fuji/inquiry/"))
    assert re.search(rf'name="atena_no"[^>]*value="{atena}"', inquiry)
    # The day's persons, on every search page.
    assert "窓口 花子" in _recent(_text(clerk.get("/fuji/residents/")))
    # Closing the visit: the bar goes on every page, the day's list keeps the person.
    response = post(clerk, "/fuji/visit/close", "/fuji/residents/", {"next": "/fuji/residents/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/fuji/residents/")
    after = _text(clerk.get("/fuji/residents/"))
    assert _bar(after) == "" and "窓口 花子" in _recent(after)


def test_a_second_person_replaces_the_first_and_the_close_goes_only_to_this_site(app, staff_client):
    people = Residents(app)
    first = people.add("fuji", family_name="一番", given_name="目")
    second = people.add("fuji", family_name="二番", given_name="目")
    clerk = staff_client("fuji", "clerk")
    clerk.get(f"/fuji/residents/{first}")
    clerk.get(f"/fuji/residents/{second}")
    page = _text(clerk.get("/fuji/residents/"))
    assert "二番 目" in _bar(page) and "一番 目" not in _bar(page)
    recent = _recent(page)
    assert recent.index("二番 目") < recent.index("一番 目")  # the latest first
    # A page of an earlier day (?on=) does not change the visit.
    clerk.get(f"/fuji/residents/{first}?on={(japan_today() - dt.timedelta(days=1)).isoformat()}")
    assert "二番 目" in _bar(_text(clerk.get("/fuji/")))
    response = post(clerk, "/fuji/visit/close", "/fuji/residents/", {"next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/fuji/")


def test_a_visit_and_the_days_persons_of_one_city_never_show_in_another(app, staff_client):
    people = Residents(app)
    fuji_person = people.add("fuji", family_name="富士", given_name="市民")
    nomiya_person = people.add("fujinomiya", family_name="宮", given_name="市民")
    fuji = staff_client("fuji", "clerk")
    fuji.get(f"/fuji/residents/{fuji_person}")
    nomiya = staff_client("fujinomiya", "clerk")
    page = _text(nomiya.get("/fujinomiya/residents/"))
    assert _bar(page) == "" and "富士 市民" not in page
    # The same 宛名番号 in the other city is another person: still no visit there.
    assert nomiya.get(f"/fujinomiya/residents/{nomiya_person}").status_code == 200
    nomiya.post("/fujinomiya/visit/close")  # (refused without its token; nothing to close here anyway)
    for path in ("/fujinomiya/", "/fujinomiya/certificates/", "/fujinomiya/seals/"):
        other = _text(nomiya.get(path))
        assert "富士 市民" not in other and "宮 市民" in _bar(other), path
    # The fuji clerk's session on the other city's pages is not a user there at all.
    assert fuji.get("/fujinomiya/residents/").status_code in (302, 401, 403)
    # The fuji clerk cannot close anything through the other city's address either.
    token = re.search(r'name="csrf_token" value="([^"]+)"', fuji.get("/fuji/").get_data(as_text=True)).group(
        1
    )
    refused = fuji.post("/fujinomiya/visit/close", data={"csrf_token": token})
    assert refused.status_code in (302, 401, 403) and "/fujinomiya/login" in refused.headers.get(
        "Location", "/fujinomiya/login"
    )
    assert "富士 市民" in _bar(_text(fuji.get("/fuji/")))
    # Closing in the other city closes nothing here.
    post(nomiya, "/fujinomiya/visit/close", "/fujinomiya/residents/", {})
    assert "富士 市民" in _bar(_text(fuji.get("/fuji/")))


def test_a_protected_person_is_never_listed_to_a_clerk_without_permission(app, staff_client):
    people = Residents(app)
    atena = people.add("fuji", family_name="保護", given_name="対象")
    clerk = staff_client("fuji", "clerk")
    clerk.get(f"/fuji/residents/{atena}")
    assert "保護 対象" in _bar(_text(clerk.get("/fuji/")))
    with people.session("fuji") as s:
        protection.register_support(
            s,
            atena,
            {
                "requested_on": japan_today(),
                "start_on": japan_today(),
                "offender_name": "加害 太郎",
                "offender_kana": "カガイ タロウ",
            },
            by="test:protector",
        )
    page = _text(clerk.get("/fuji/residents/"))
    assert "保護 対象" not in page and _bar(page) == ""


def test_the_top_navigation_shows_what_the_roles_open(app, staff_client):
    clerk = _text(staff_client("fuji", "clerk").get("/fuji/"))
    menu = clerk.split('class="modulenav"')[1].split("</nav>")[0]
    for name in ("residents", "certificates", "seals", "inquiry"):
        assert f'data-module="{name}"' in menu
    finance = _text(staff_client("fuji", "finance").get("/fuji/"))
    finance_menu = finance.split('class="modulenav"')[1].split("</nav>")[0] if "modulenav" in finance else ""
    assert 'data-module="residents"' not in finance_menu
