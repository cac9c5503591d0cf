"""A clerk registers a seal in the browser: picks the resident, uploads the image, sees the register."""

from tests.browser_fixtures import sign_in_page
from tests.seals.conftest import Seals, png


def test_clerk_registers_a_seal_with_an_image_upload(live_server, page, artifacts, backend, tmp_path):
    base, app = live_server.url, live_server.app
    people = Seals(app)
    atena = people.add(
        "fuji", family_name="印藤", given_name="和子", family_kana="インドウ", given_kana="カズコ"
    )
    seal = tmp_path / "inei.png"
    seal.write_bytes(png(120, 120))
    fake = tmp_path / "not-a-seal.png"
    fake.write_bytes(b"plain text pretending to be a PNG")

    sign_in_page(page, base, "fuji", "clerk", landing="/fuji/seals/")

    page.get_by_label("カナ氏名（前方一致）").fill("いんどう")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="印藤\u3000和子").click()
    page.wait_for_url(f"{base}/fuji/seals/persons/{atena}")
    page.get_by_role("link", name="この方の印鑑を登録する").click()

    # A text file named .png is refused with a message naming the field.
    page.get_by_label("印影画像（PNG または JPEG）").set_input_files(str(fake))
    page.get_by_role("button", name="登録する").click()
    assert "印影画像（PNG または JPEG）: PNG または JPEG の画像ファイル" in page.locator("main").inner_text()

    page.get_by_label("印影画像（PNG または JPEG）").set_input_files(str(seal))
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(f"{base}/fuji/seals/r/*")
    assert page.locator("td.seal-status").inner_text() == "登録中"
    assert page.locator("img.seal-image").evaluate("img => img.naturalWidth") == 120
    page.screenshot(path=str(artifacts / f"seals-registration-{backend}.png"), full_page=True)
