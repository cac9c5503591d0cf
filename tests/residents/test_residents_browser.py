"""A clerk signs in, searches by カナ, opens a person and reveals the 個人番号 (logged)."""

import sqlalchemy as sa

from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db
from tests import factories
from tests.browser_fixtures import sign_in_page
from tests.residents.conftest import Residents, mynumber


def test_clerk_searches_opens_a_person_and_sees_the_mynumber_per_role(live_server, page, artifacts, backend):
    base, app = live_server.url, live_server.app
    people = Residents(app)
    number = mynumber(31415)
    atena = people.add(
        "fuji",
        family_name="葛\U000e0100城",
        given_name="恭子",
        family_kana="カツラギ",
        given_kana="キョウコ",
        sex="female",
        mynumber=number,
    )
    people.add("fuji", family_name="桂", given_name="健", family_kana="カツラ", given_kana="ケン")
    people.add(
        "fujinomiya", family_name="葛西", given_name="恭平", family_kana="カサイ", given_kana="キョウヘイ"
    )

    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/residents/")

    page.get_by_label("カナ氏名（前方一致）").fill("かつらぎきょー")  # hiragana and a long vowel mark
    page.get_by_role("button", name="検索").click()
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 1
    assert "葛\U000e0100城" in rows.first.inner_text()
    page.screenshot(path=str(artifacts / f"residents-search-{backend}.png"), full_page=True)

    rows.first.get_by_role("link", name="葛\U000e0100城\u3000恭子").click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}")
    assert page.locator("td.name").inner_text() == "葛\U000e0100城\u3000恭子"  # the IVS survived
    cell = page.locator("td.mynumber")
    assert number not in cell.inner_text() and number[-4:] in cell.inner_text()
    page.get_by_role("link", name="個人番号を表示（記録されます）").click()
    assert page.locator("td.mynumber [data-mynumber=shown]").inner_text() == number
    page.screenshot(path=str(artifacts / f"residents-person-{backend}.png"), full_page=True)

    with get_db(app).session("t_fuji") as s:
        last = s.scalars(sa.select(AccessLog).order_by(AccessLog.seq.desc()).limit(1)).one()
    assert (last.target, last.mynumber_shown) == (f"atena:{atena}", True)

    # A viewer (照会 only) sees the number masked and no way to reveal it.
    factories.user(get_db(app), "fuji", "viewer", ["residents.viewer"])
    page.get_by_role("button", name="ログアウト").click()
    sign_in_page(page, base, "fuji", "viewer", landing=f"/fuji/residents/{atena}")
    assert number not in page.locator("td.mynumber").inner_text()
    assert page.get_by_role("link", name="個人番号を表示（記録されます）").count() == 0
