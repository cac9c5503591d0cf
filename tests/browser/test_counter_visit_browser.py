"""One visit at the counter in a browser: search once, then every certificate through the visit's links.

search → the person's page → 転出届 (a 転出予定日 to come) → its 転出証明書 from the person's page → 住民票の
写し → back through the visit bar → 印鑑登録証明書, with no second search."""

import datetime as dt
import re

from tenant_core.japanese import japan_today
from tests.browser_fixtures import sign_in_page
from tests.certificates.conftest import People


def _request(page, purpose: str = "") -> None:
    page.get_by_label("請求者の氏名").fill("窓辺　澄子")
    page.get_by_label("請求者と対象者の関係").select_option("本人")
    page.get_by_label("請求事由（使用目的・提出先）").fill(purpose)


def test_one_visit_issues_every_certificate_without_a_second_search(live_server, page, artifacts, backend):
    base, app = live_server.url, live_server.app
    people = People(app)
    atena = people.add(
        "fuji", family_name="窓辺", given_name="澄子", family_kana="マドベ", given_kana="スミコ", sex="female"
    )
    seal_no = people.register("fuji", atena)

    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/residents/")
    page.get_by_label("カナ氏名（前方一致）").fill("まどべ")
    page.get_by_role("button", name="検索").click()
    page.locator("table.results tbody tr").first.get_by_role("link", name="窓辺\u3000澄子").click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}")

    # The visit bar names the person; the page offers every module's actions for them.
    assert "窓辺\u3000澄子" in page.locator(".visit-bar").inner_text()
    actions = page.locator("section.counter-actions")
    assert actions.get_by_role("link", name="印鑑登録証明書").count() == 1
    page.screenshot(path=str(artifacts / f"counter-person-{backend}.png"), full_page=True)

    # The 転出届 with a 転出予定日 two weeks ahead: she stays a resident until then.
    planned = japan_today() + dt.timedelta(days=14)
    page.locator("ul.actions").get_by_role("link", name="転出", exact=True).click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}/move-out")
    page.get_by_label("転出予定日（未来の日付も可）").fill(f"{planned:%Y/%m/%d}".replace("/0", "/"))
    page.get_by_label("転出先の住所").fill("西新宿二丁目8番1号")
    page.get_by_label("転出先市区町村（分かる場合）").fill("東京都新宿区")
    page.get_by_label("内容を確認しました").check()
    page.get_by_role("button", name="受け付ける").click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}")
    assert "転出届を受け付けました" in page.locator(".flash").inner_text()

    # Right after it, the person's page offers the 転出証明書 with the person and the kind preset.
    page.locator("section.counter-actions").get_by_role("link", name="転出証明書を交付").click()
    page.wait_for_url(f"{base}/fuji/certificates/new?atena={atena}&kind=tenshutsu")
    _request(page)
    page.get_by_role("button", name="交付する").click()
    page.wait_for_url(f"{base}/fuji/certificates/*-*")
    assert "転出証明書を交付しました" in page.locator(".flash").inner_text()
    assert "転出予定" in page.locator("tr.move-out-notice").inner_text()

    page.locator(".visit-bar").get_by_role("link", name="窓辺\u3000澄子").click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}")
    page.locator("section.counter-actions").get_by_role("link", name="住民票の写し").click()
    page.wait_for_url(f"{base}/fuji/certificates/new?atena={atena}&kind=juminhyo")
    _request(page, "勤務先への提出")
    page.get_by_role("button", name="交付する").click()
    page.wait_for_url(f"{base}/fuji/certificates/*-*")
    assert "住民票の写しを交付しました" in page.locator(".flash").inner_text()

    # Back to the person through the bar that stays on every page: no second search.
    assert "窓辺\u3000澄子" in page.locator(".visit-bar").inner_text()
    page.locator(".visit-bar").get_by_role("link", name="窓辺\u3000澄子").click()
    page.wait_for_url(f"{base}/fuji/residents/{atena}")
    page.locator("section.counter-actions").get_by_role("link", name="印鑑登録証明書").click()
    page.wait_for_url(f"{base}/fuji/certificates/new?atena={atena}&kind=inkan")
    _request(page, "不動産登記")
    page.get_by_label("提示された印鑑登録証の番号（印鑑登録証明書）").fill(people.card("fuji", seal_no))
    page.get_by_role("button", name="交付する").click()
    page.wait_for_url(f"{base}/fuji/certificates/*-*")
    assert "印鑑登録証明書を交付しました" in page.locator(".flash").inner_text()
    page.screenshot(path=str(artifacts / f"counter-issued-{backend}.png"), full_page=True)

    kinds = [i.kind for i in people.issuances("fuji")]
    assert kinds[-3:] == ["tenshutsu", "juminhyo", "inkan"]
    searches = [e for e in people.log("fuji") if e.function == "search"]
    assert len(searches) == 1  # one search for the whole visit
    assert seal_no

    # The visit ends when the clerk closes it.
    page.locator(".visit-bar").get_by_role("button", name="対応を終了する").click()
    assert page.locator(".visit-bar").count() == 0


def test_a_refused_form_moves_the_focus_to_its_summary(live_server, page, backend):
    base = live_server.url
    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/residents/new")
    page.get_by_label("生年月日", exact=True).fill("平成32年1月1日")
    page.get_by_label("異動日（住民となった日）").fill("R8.4.1")
    page.get_by_role("button", name="登録する").click()
    page.wait_for_load_state()
    focused = page.evaluate("document.activeElement.className")
    assert focused == "error-summary"
    summary = page.locator(".error-summary")
    assert "平成32年はありません" in summary.inner_text()
    # Its link takes the clerk to the field.
    summary.get_by_role("link", name=re.compile("生年月日")).click()
    assert page.evaluate("document.activeElement.id") == "birth_date" or page.url.endswith("#birth_date")
    assert "令和8年4月1日（2026年4月1日） と読みました" in page.locator("main").inner_text()


def test_a_date_field_says_how_it_reads_the_date_while_typing(live_server, page):
    base = live_server.url
    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/residents/new")
    box = page.get_by_label("生年月日", exact=True)
    box.fill("H2.4.1")
    read = page.locator("#birth_date-read")
    read.filter(has_text="平成2年4月1日（1990年4月1日） と読みました").wait_for()
    box.fill("平成32年4月1日")
    read.filter(has_text="平成32年はありません").wait_for()
    assert "date-unread" in (read.get_attribute("class") or "")
