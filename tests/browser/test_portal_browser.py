"""A person opens the city chooser, a portal, runs a batch job and sees it finish."""

from tenant_core.extensions import get_db
from tests import factories
from tests.browser_fixtures import sign_in_page as sign_in


def test_sign_in_portal_cross_city_refusal_and_sign_out(live_server, page, artifacts, backend):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_role("link", name="富士市").click()
    page.wait_for_url(base + "/fuji/login?next=/fuji/")
    sign_in(page, base, "fuji", "clerk")
    assert page.locator("h1").inner_text() == "業務ポータル"
    modules = page.locator("li.module strong").all_inner_texts()
    assert "住民記録" in modules and "個人状況照会" in modules and "負担金算定" not in modules
    page.screenshot(path=str(artifacts / f"portal-{backend}.png"), full_page=True)

    # The same browser session on 富士宮市's page: refused, and the refusal is in 富士宮市's log.
    response = page.goto(base + "/fujinomiya/")
    assert response.status == 403
    assert "権限がありません" in page.content()
    assert "SENTINEL" not in page.content()

    page.goto(base + "/fuji/")
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(base + "/fuji/login")
    assert "ログアウトしました" in page.content()
    page.goto(base + "/fuji/")
    assert page.url.startswith(base + "/fuji/login")

    page.goto(base + "/numazu/")
    assert "お探しのページは見つかりませんでした" in page.content()


def test_a_batch_job_runs_and_its_result_is_shown(live_server, page, artifacts, backend):
    factories.notice(get_db(live_server.app), "fuji", "本日公開のお知らせ", published=False)
    sign_in(page, live_server.url, "fuji", "admin")
    assert "本日公開のお知らせ" not in page.locator("ul.notices").inner_text()
    page.get_by_role("button", name="公開日を迎えたお知らせを公開する").click()
    page.wait_for_url(live_server.url + "/fuji/jobs/")
    row = page.locator("tbody tr").first
    assert "完了" in row.inner_text()
    assert '"published": 1' in row.inner_text()
    page.screenshot(path=str(artifacts / f"jobs-{backend}.png"), full_page=True)
    page.goto(live_server.url + "/fuji/")
    assert "本日公開のお知らせ" in page.locator("ul.notices").inner_text()
