"""A finance officer opens the cost page in Chromium, sees the chart and downloads the PDF statement."""

from __future__ import annotations

import io

from modules.costs.demo import load_demo
from tenant_core.extensions import get_db, get_settings
from tests.browser_fixtures import sign_in_page as _sign_in


def test_a_finance_officer_sees_the_chart_and_downloads_the_statement(live_server, page, artifacts, backend):
    app = live_server.app
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    base = live_server.url
    _sign_in(page, base, "fujinomiya", "finance")
    page.locator('li.module[data-module="costs"]').get_by_role("link", name="開く").click()
    page.wait_for_url(f"{base}/fujinomiya/costs/")
    assert page.locator("h1").inner_text() == "負担金算定"
    chart = page.locator("svg.chart.stacked")
    assert chart.is_visible() and chart.locator("rect.bar").count() >= 4
    page.screenshot(path=str(artifacts / f"costs-index-{backend}.png"), full_page=True)

    page.locator('tr[data-year="2011"]').get_by_role("link", name="内訳と説明").click()
    page.wait_for_url(f"{base}/fujinomiya/costs/2011/")
    assert "2,912,000,000" in page.locator("#shares").inner_text()
    assert page.locator("svg.chart.shares").is_visible()
    page.screenshot(path=str(artifacts / f"costs-year-{backend}.png"), full_page=True)

    with page.expect_download() as info:
        page.locator("#statement-pdf").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    from pypdf import PdfReader

    with open(download.path(), "rb") as handle:
        text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert "富士宮市" in text and "平成23年度 負担金算定書" in text and "2,912,000,000" in text
