"""A city administrator changes parameters in a real browser: the generated form, the grid, the errors."""

from tests.browser_fixtures import sign_in_page as sign_in


def test_admin_edits_a_fee_and_the_office_grid(live_server, page, artifacts, backend):
    base = live_server.url
    sign_in(page, base, "fuji", "admin")

    # A wrong value is refused with a Japanese message naming the parameter; nothing changes.
    page.goto(f"{base}/fuji/admin/params/certificates.fee.juminhyo/edit")
    page.locator("#value").fill("三百円")
    page.locator("#reason").fill("手数料条例の改正")
    page.get_by_role("button", name="変更を登録する").click()
    alert = page.get_by_role("alert").inner_text()
    assert "何も変更していません" in alert and "住民票" in alert

    page.locator("#value").fill("400")
    page.locator("#reason").fill("手数料条例の改正")
    page.get_by_role("button", name="変更を登録する").click()
    page.wait_for_url(f"{base}/fuji/admin/params/certificates.fee.juminhyo")
    assert "400" in page.locator("main").inner_text()

    # The table parameter is an editable grid; the add-row button comes from the module's static script.
    page.goto(f"{base}/fuji/admin/params/certificates.offices/edit")
    rows_before = page.locator("table[data-grid] tbody tr").count()
    page.get_by_role("button", name="行を追加").click()
    assert page.locator("table[data-grid] tbody tr").count() == rows_before + 1
    new_row = page.locator("table[data-grid] tbody tr").last
    cells = new_row.locator("input[type=text]")
    cells.nth(0).fill("吉原支所")
    cells.nth(1).fill("富士市吉原二丁目")
    cells.nth(2).fill("0545-00-0000")
    page.locator("#reason").fill("支所での交付開始")
    page.get_by_role("button", name="変更を登録する").click()
    page.wait_for_url(f"{base}/fuji/admin/params/certificates.offices")
    assert "吉原支所" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts / f"params-offices-{backend}.png"), full_page=True)

    # The other city is untouched, and a 富士市 session cannot open its parameter pages.
    response = page.goto(f"{base}/fujinomiya/admin/params/")
    assert response.status == 403
