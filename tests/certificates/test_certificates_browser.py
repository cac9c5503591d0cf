"""A clerk searches, opens a person's issue form, issues a 住民票の写し and downloads the PDF."""

import hashlib
from pathlib import Path

from tests.browser_fixtures import sign_in_page
from tests.certificates.conftest import People, pdf_text


def test_clerk_issues_and_downloads_a_copy(live_server, page, artifacts, backend):
    base, app = live_server.url, live_server.app
    people = People(app)
    atena = people.add(
        "fuji",
        family_name="葛城",
        given_name="恭子",
        family_kana="カツラギ",
        given_kana="キョウコ",
        sex="female",
    )
    people.add(
        "fujinomiya", family_name="葛西", given_name="恭平", family_kana="カツラギ", given_kana="キョウヘイ"
    )

    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/certificates/")

    page.get_by_label("カナ氏名（前方一致）").fill("かつらぎ")
    page.get_by_role("button", name="検索").click()
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 1  # 富士宮市's カツラギ is not found from 富士市
    rows.first.get_by_role("link", name="葛城\u3000恭子").click()
    page.wait_for_url(f"{base}/fuji/certificates/new?atena={atena}")

    page.get_by_label("記載の範囲（住民票の写し）").select_option("household")
    page.get_by_label("請求者の氏名").fill("葛城　恭子")
    page.get_by_label("請求者と対象者の関係").select_option("本人")
    page.get_by_label("請求事由（使用目的・提出先）").fill("勤務先への提出")
    page.get_by_role("button", name="交付する").click()
    page.wait_for_url(f"{base}/fuji/certificates/*-*")
    assert "住民票の写しを交付しました" in page.locator(".flash").inner_text()
    page.screenshot(path=str(artifacts / f"certificates-issued-{backend}.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="PDFをダウンロード").click()
    data = Path(info.value.path()).read_bytes()
    row = people.issuances("fuji")[-1]
    assert hashlib.sha256(data).hexdigest() == row.pdf_sha256
    text = pdf_text(data)
    assert "住民票の写し（世帯全員）" in text and "葛城" in text and row.number in text
    assert [e.function for e in people.log("fuji")][-2:] == ["view", "print"]
