"""Each certificate kind as a document a city can hand out: its layout items, the 公印 and 地紋,
embedded fonts, PDF/A-2b, the city's signature (valid, and broken by one changed byte), the upload
check of the verification page, 交付取消 and 再交付, the 印鑑登録証 and 代理人 checks."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pikepdf
import pytest

from modules.certificates import signing
from modules.certificates.models import Issuance
from modules.residents import foreign, kyuuji
from modules.residents import services as resident_services
from tenant_core.config import ConfigError, load_settings, replaced
from tenant_core.extensions import get_settings
from tenant_core.params.declare import Image, ValueProblem
from tenant_core.pdf import embedded_fonts, pdfa_problems
from tests.certificates.conftest import issue, pdf_text
from tests.conftest import csrf_token

D = dt.date
CITIES = {"fuji": ("富士市長", "300円"), "fujinomiya": ("富士宮市長", "350円")}


def _issued(client, people, slug: str, atena: int, **fields: Any) -> tuple[Issuance, bytes]:
    response = issue(client, slug, atena, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    row = people.issuances(slug)[-1]
    pdf = client.get(f"/{slug}/certificates/{row.number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    return row, pdf.data


def _images(data: bytes) -> list[tuple[int, int]]:
    """The (width, height) of every image XObject the pages draw."""
    pdf = pikepdf.open(io.BytesIO(data))
    found = []
    for page in pdf.pages:
        for _name, obj in page.get_images().items():
            found.append((int(obj.Width), int(obj.Height)))
    return found


def _signature_ok(app, slug: str, data: bytes) -> signing.SignatureCheck:
    with app.app_context():
        return signing.check_signature(data, signing.city_certificate(get_settings(app), slug))


def _check_document(app, slug: str, data: bytes, *expected: str) -> str:
    """What every certificate must be: its text, 以下余白, fonts embedded, PDF/A, signed, the 公印."""
    text = pdf_text(data).replace("\u3000", " ")
    mayor, _fee = CITIES[slug]
    for item in (
        *expected,
        "以下余白",
        mayor,
        "交付番号",
        f"http://localhost:5000/{slug}/certificates/verify",
    ):
        assert item in text, item
    fonts = embedded_fonts(data)
    assert fonts and all(kind == "FontFile2" for kind in fonts.values()), fonts  # TrueType, embedded
    assert any("IPAmjMincho" in name for name in fonts)
    assert pdfa_problems(data) == []
    assert (240, 240) in _images(data)  # the city's 公印 (the demo's image is 240×240)
    assert (420, 594) in _images(data)  # the 地紋 over the page
    check = _signature_ok(app, slug, data)
    assert check.signed and check.intact and check.trusted, check
    assert CITIES[slug][0][:-1] in check.signer  # the city's own certificate
    return text


@pytest.mark.parametrize("slug", list(CITIES))
def test_a_household_copy_in_the_renki_form(app, staff_client, people, demo_params, slug):
    head = people.add(slug)
    hh = people.household_no(slug, head)
    people.add(slug, household_no=hh, given_name="花子", given_kana="ハナコ", sex="female")
    row, data = _issued(staff_client(slug, "clerk"), people, slug, head, scope="household", form="renki")
    text = _check_document(
        app,
        slug,
        data,
        "住民票の写し（世帯全員）",
        "（1）",
        "（2）",
        "住所を定めた年月日",
        "届出日",
        "住民となった年月日",
        "以上2名",
        "この写しは、住民票の原本と相違ないことを証明する。",
    )
    assert "住民票コード" not in text and "個人番号" not in text and "旧氏" not in text  # not asked for
    assert len(pikepdf.open(io.BytesIO(data)).pages) == 1  # 世帯連記式: both on one sheet
    assert row.content["layout"]["form"] == "renki" and row.signer


@pytest.mark.parametrize("slug", list(CITIES))
def test_a_household_copy_in_the_kojin_form_has_a_sheet_per_person(
    app, staff_client, people, demo_params, slug
):
    head = people.add(slug)
    hh = people.household_no(slug, head)
    people.add(slug, household_no=hh, given_name="花子", given_kana="ハナコ", sex="female")
    _row, data = _issued(staff_client(slug, "clerk"), people, slug, head, scope="household", form="kojin")
    _check_document(app, slug, data, "住民票の写し（世帯全員）", "1／2枚", "2／2枚")
    assert len(pikepdf.open(io.BytesIO(data)).pages) >= 2


def test_requested_items_and_a_foreign_residents_items(app, staff_client, people, demo_params):
    """住民票コード and 旧氏 only when asked for; a 外国人住民's items of 住基法30条の45 and the 通称 always."""
    atena = people.add("fuji", honseki="静岡県富士市永田町一丁目100番地", hitto_sha="高橋　一郎")
    with people.session("fuji") as s:
        person = resident_services.get_person(s, atena)
        kyuuji.set_kyuuji(s, person, D(2024, 1, 10), {"kyuuji": "佐藤", "kyuuji_kana": "サトウ"}, by="t")
        code = person.juminhyo_code
    client = staff_client("fuji", "clerk")
    third = issue(
        client, "fuji", atena, juminhyo_code="y", requester_name="弁護士 甲", requester_relation="第三者"
    )
    assert third.status_code == 422 and "第12条第5項" in third.get_data(as_text=True)  # not for a third party
    _row, data = _issued(client, people, "fuji", atena, juminhyo_code="y", kyuuji="y", honseki="y")
    text = _check_document(app, "fuji", data, "住民票コード", "旧氏", "佐藤（サトウ）", "本籍・筆頭者")
    assert code and code in text

    guest = people.add(
        "fuji",
        family_name="グエン",
        given_name="バン　アン",
        family_kana="グエン",
        given_kana="バンアン",
        citizenship="foreign",
        nationality="ベトナム",
        foreign_category="mid_long_term",
        residence_status="技術・人文知識・国際業務",
        residence_period="3年",
        residence_from="2024-04-01",
        residence_until="2027-03-31",
        card_number="ab12345678cd",
        alpha_name="nguyen van an",
        relationship="世帯主",
    )
    with people.session("fuji") as s:
        person = resident_services.get_person(s, guest)
        foreign.set_tsusho(
            s, person, D(2024, 5, 1), {"tsusho": "山本　安", "tsusho_kana": "ヤマモト　ヤス"}, by="t"
        )
    _row, data = _issued(client, people, "fuji", guest, honseki="y")
    _check_document(
        app,
        "fuji",
        data,
        "国籍・地域",
        "ベトナム",
        "中長期在留者",
        "在留資格",
        "技術・人文知識・国際業務",
        "在留期間の満了の日",
        "令和9年3月31日",
        "AB12345678CD",
        "通称",
        "山本 安",
    )


def test_the_address_items_follow_the_register(app, staff_client, people, demo_params):
    """住所を定めた年月日 moves with a 転居; the 届出日 and 従前の住所 are those of the move into the city."""
    atena = people.add(
        "fuji",
        previous_address="静岡県沼津市御幸町16番1号",
        notified_on=D(2001, 4, 3),
        effective_on=D(2001, 4, 1),
    )
    with people.session("fuji") as s:
        person = resident_services.get_person(s, atena)
        resident_services.relocate(s, person, D(2025, 6, 1), {"town": "今泉", "banchi": "5番地"}, by="t")
    _row, data = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    text = _check_document(app, "fuji", data, "従前の住所\n静岡県沼津市御幸町１６番１号", "富士市今泉５番地")
    assert "住所を定めた年月日\n令和7年6月1日" in text
    assert "届出日\n平成13年4月3日" in text


@pytest.mark.parametrize("slug", list(CITIES))
def test_joshu_and_tenshutsu_of_a_person_who_moved_out(app, staff_client, people, demo_params, slug):
    head = people.add(slug)
    hh = people.household_no(slug, head)
    child = people.add(slug, household_no=hh, given_name="次郎", given_kana="ジロウ")
    with people.session(slug) as s:
        person = resident_services.get_person(s, head)
        resident_services.move_out(
            s, person, D(2026, 3, 20), by="t", destination="東京都千代田区霞が関2-1-2", whole_household=True
        )
    client = staff_client(slug, "clerk")
    # A 住民票の写し is refused for a 除票; the form then offers the 除票の写し.
    refused = issue(client, slug, head)
    assert refused.status_code == 422 and "除票の写し" in refused.get_data(as_text=True)
    form = client.get(f"/{slug}/certificates/new?atena={head}").get_data(as_text=True)
    assert re.search(r'<option (selected value="joshu"|value="joshu" selected)', form)

    row, data = _issued(client, people, slug, head, kind="joshu")
    _check_document(
        app, slug, data, "除票の写し（個人）", "転出の年月日", "令和8年3月20日", "除票の原本と相違ない"
    )
    assert row.kind == "joshu" and row.fee == int(CITIES[slug][1][:-1])

    row, data = _issued(client, people, slug, child, kind="tenshutsu", purpose="")
    text = _check_document(
        app, slug, data, "転出証明書", "東京都千代田区霞が関2-1-2", "転出の年月日", "住民票コード", "以上2名"
    )
    assert "次郎" in text and "一郎" in text  # the household moved together
    assert sorted(row.persons) == sorted([head, child])


def test_the_seal_certificate_asks_for_the_card(app, staff_client, people, demo_params):
    atena = people.add("fujinomiya")
    registration_no = people.register("fujinomiya", atena)
    client = staff_client("fujinomiya", "clerk")
    wrong = issue(client, "fujinomiya", atena, kind="inkan", purpose="", card_no="M-9999999")
    assert wrong.status_code == 422 and "印鑑登録証の番号が登録と一致しません" in wrong.get_data(as_text=True)
    missing = issue(client, "fujinomiya", atena, kind="inkan", purpose="")
    assert missing.status_code == 422 and "印鑑登録証の番号を入力" in missing.get_data(as_text=True)
    assert people.issuances("fujinomiya") == []
    card = people.card("fujinomiya", registration_no)
    _row, data = _issued(
        client, people, "fujinomiya", atena, kind="inkan", purpose="", card_no=f" {card.lower()} "
    )
    _check_document(
        app, "fujinomiya", data, "印鑑登録証明書", registration_no, "登録されている印影と相違ない"
    )
    assert len(_images(data)) == 3  # the 印影, the 公印 and the 地紋


def test_an_agent_who_is_the_person_is_refused(staff_client, people, demo_params):
    atena = people.add("fuji")
    response = issue(
        staff_client("fuji", "clerk"), "fuji", atena, requester_name="高橋 一郎", requester_relation="代理人"
    )
    assert response.status_code == 422
    assert "代理人としての請求はできません" in response.get_data(as_text=True)
    assert people.issuances("fuji") == []


def test_one_changed_byte_breaks_the_signature(app, staff_client, people, demo_params):
    atena = people.add("fuji")
    _row, data = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    assert _signature_ok(app, "fuji", data).intact
    # A byte inside the signed range (the document's first content), not in the signature itself.
    at = data.index(b"/Title") + 8
    changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    check = _signature_ok(app, "fuji", changed)
    assert check.signed and not check.intact
    # Anything appended after the signature is a change too.
    assert not _signature_ok(app, "fuji", data + b"\n% appended\n").intact


def _upload(client, slug: str, data: bytes) -> str:
    token = csrf_token(client, f"/{slug}/certificates/verify")
    response = client.post(
        f"/{slug}/certificates/verify",
        data={"csrf_token": token, "check": "pdf", "pdf": (io.BytesIO(data), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_verification_page_checks_an_uploaded_pdf(app, staff_client, people, demo_params):
    atena = people.add("fuji")
    clerk = staff_client("fuji", "clerk")
    row, data = _issued(clerk, people, "fuji", atena)
    public = app.test_client()
    page = _upload(public, "fuji", data)
    assert 'data-result="valid"' in page and "富士市 証明書交付 電子署名" in page and "住民票の写し" in page
    assert "高橋" not in page  # nothing about the person
    at = data.index(b"/Title") + 8
    assert 'data-result="altered"' in _upload(public, "fuji", data[:at] + b"X" + data[at + 1 :])
    assert 'data-result="unreadable"' in _upload(public, "fuji", b"not a pdf")
    # 富士市's certificate shown to 富士宮市: not theirs (another city's key, another register).
    assert 'data-result="foreign"' in _upload(public, "fujinomiya", data)
    # An unsigned PDF (drawn again without the signature) is not a certificate.
    with app.app_context():
        from modules.certificates.pdf import render_pdf

        assert 'data-result="unsigned"' in _upload(public, "fuji", render_pdf(row))

    # 交付取消: the PDF is intact but no longer valid, and the numbers' check says so too.
    token = csrf_token(clerk, f"/fuji/certificates/{row.number}")
    response = clerk.post(
        f"/fuji/certificates/{row.number}/cancel",
        data={"csrf_token": token, "version": "1", "reason": "氏名の誤記"},
    )
    assert response.status_code == 302
    assert 'data-result="cancelled"' in _upload(public, "fuji", data)
    token = csrf_token(public, "/fuji/certificates/verify")
    numbers = public.post(
        "/fuji/certificates/verify",
        data={"csrf_token": token, "number": row.number, "code": row.verification_code},
    ).get_data(as_text=True)
    assert 'data-valid="cancelled"' in numbers


def test_cancel_and_reissue_are_recorded_in_the_register(app, staff_client, people, demo_params):
    atena = people.add("fuji")
    clerk = staff_client("fuji", "clerk")
    row, _data = _issued(clerk, people, "fuji", atena)
    page = f"/fuji/certificates/{row.number}"
    token = csrf_token(clerk, page)
    # 再交付 before 交付取消 is refused: two valid certificates never exist at once.
    clerk.post(f"{page}/reissue", data={"csrf_token": token, "version": "1"})
    assert len(people.issuances("fuji")) == 1
    clerk.post(f"{page}/cancel", data={"csrf_token": token, "version": "1", "reason": ""})
    assert people.issuances("fuji")[0].cancelled_at is None  # a reason is required
    clerk.post(f"{page}/cancel", data={"csrf_token": token, "version": "1", "reason": "住所の誤記"})
    cancelled = people.issuances("fuji")[0]
    assert cancelled.cancelled_at and cancelled.cancel_reason == "住所の誤記" and cancelled.cancelled_by
    assert "交付取消されています" in clerk.get(page).get_data(as_text=True)
    assert "交付取消</span>" in clerk.get("/fuji/certificates/").get_data(
        as_text=True
    )  # the register shows it
    token = csrf_token(clerk, page)
    response = clerk.post(f"{page}/reissue", data={"csrf_token": token, "version": str(cancelled.version)})
    assert response.status_code == 302
    original, again = people.issuances("fuji")
    assert again.reissue_of == original.number and again.fee == 0 and again.persons == original.persons
    assert again.number != original.number and again.verification_code != original.verification_code
    data = clerk.get(f"/fuji/certificates/{again.number}/certificate.pdf").data
    _check_document(app, "fuji", data, f"再交付（交付番号 {original.number} に代わるもの）")
    details = [
        e.detail for e in people.log("fuji") if e.screen in ("certificates.cancel", "certificates.reissue")
    ]
    assert details == ["交付取消: 住所の誤記", f"再交付 of {original.number}"]
    # Another city's clerk cannot cancel 富士市's certificate.
    other = staff_client("fujinomiya", "clerk")
    token = csrf_token(other, "/fujinomiya/certificates/")
    refused = other.post(
        f"/fuji/certificates/{again.number}/cancel", data={"csrf_token": token, "reason": "x"}
    )
    assert refused.status_code in (302, 403, 404)
    assert people.issuances("fuji")[1].cancelled_at is None


def test_pdfs_open_inline_with_a_download_beside(staff_client, people, demo_params):
    atena = people.add("fuji")
    clerk = staff_client("fuji", "clerk")
    row, _data = _issued(clerk, people, "fuji", atena)
    inline = clerk.get(f"/fuji/certificates/{row.number}/certificate.pdf")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    saved = clerk.get(f"/fuji/certificates/{row.number}/certificate.pdf?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment;") and saved.data == inline.data
    page = clerk.get(f"/fuji/certificates/{row.number}").get_data(as_text=True)
    assert "証明書を開く（印刷プレビュー）" in page and "PDFをダウンロード" in page
    assert 'media="print"' in page and "print.css" in page


def test_the_verification_address_is_the_configured_one_never_the_request_host(
    app, monkeypatch, people, staff_client, demo_params
):
    configured = replaced(get_settings(app), public_url="https://kyodo.example.jp")
    monkeypatch.setitem(app.extensions, "kyodo.settings", configured)
    atena = people.add("fuji")
    _row, data = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)  # served as http://localhost
    row = people.issuances("fuji")[-1]
    assert row.content["layout"]["verify_url"] == "https://kyodo.example.jp/fuji/certificates/verify"
    text = pdf_text(data)
    assert "https://kyodo.example.jp/fuji/certificates/verify" in text and "localhost" not in text


def test_the_public_url_setting_is_checked():
    assert load_settings(public_url="https://kyodo.example.jp/").public_url == "https://kyodo.example.jp"
    with pytest.raises(ConfigError, match="KYODO_PUBLIC_URL"):
        load_settings(public_url="kyodo.example.jp")
    with pytest.raises(ConfigError, match="KYODO_PUBLIC_URL"):
        load_settings(env="production", secret_key="x" * 40).resolved_public_url()


def test_the_signing_key_is_a_passphrase_protected_file_never_in_the_database(app, tmp_path):
    settings = load_settings(
        env="test", var_dir=tmp_path, secret_key="s" * 40, signing_passphrase="pass-phrase"
    )
    path = signing.make_signing_key(settings, "fuji", "富士市")
    assert path == tmp_path / "tenants" / "fuji" / "signing.p12" and oct(path.stat().st_mode)[-3:] == "600"
    from cryptography.hazmat.primitives.serialization import pkcs12

    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(path.read_bytes(), b"wrong")
    key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), b"pass-phrase")
    assert key is not None and cert is not None and "富士市" in cert.subject.rfc4514_string()
    assert signing.make_signing_key(settings, "fuji", "富士市") == path  # kept unless replaced
    production = load_settings(
        env="production", var_dir=tmp_path, secret_key="s" * 40, signing_passphrase="p"
    )
    with pytest.raises(signing.SigningKeyMissing):
        signing.sign_pdf(b"%PDF-1.7", production, "fujinomiya", "富士宮市", reason="r", location="l")


def test_the_make_signing_key_command(app, tmp_path):
    from tenant_core.cli import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["certificates", "make-signing-key", "fuji"])
    assert result.exit_code == 0, result.output
    assert "signing.p12" in result.output
    assert runner.invoke(main, ["certificates", "make-signing-key", "nowhere"]).exit_code != 0


def test_an_image_parameter_takes_png_or_jpeg_only():
    from tests.seals.conftest import jpeg, png

    kind = Image(max_bytes=64 * 1024)
    assert kind.parse("") == "" and kind.parse(png())
    assert kind.parse(jpeg()) and kind.parse("data:image/png;base64," + kind.parse(png())) == kind.parse(
        png()
    )
    for bad in (
        b"GIF89a....",
        "not base64!!",
        b"\x89PNG\r\n\x1a\n broken",
        b"\x89PNG\r\n\x1a\n" + b"0" * 70_000,
    ):
        with pytest.raises(ValueProblem):
            kind.parse(bad)


def test_ivs_names_print_their_variant_glyph_and_read_back_exactly(app, staff_client, people, demo_params):
    """IPAmj明朝's variation sequences: drawn with their own glyph; the PDF's text is the registered one."""
    from tenant_core.pdf import MJ_MINCHO, PUA_START, variation_char

    drawn = variation_char(MJ_MINCHO, "葛", "\U000e0103")
    assert drawn is not None and ord(drawn) >= PUA_START  # a glyph of its own
    assert variation_char(MJ_MINCHO, "葛", "\U000e0100") is None  # not in the font: the base is printed
    atena = people.add("fuji", family_name="葛\U000e0103城", given_name="\U00020bb7子")
    _row, data = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    text = pdf_text(data)
    assert "葛\U000e0103城" in text and "\U00020bb7子" in text  # searchable and copyable as registered
    assert "異体字" not in text and "〓" not in text  # nothing had to be replaced
    assert pdfa_problems(data) == []


def test_a_city_uploads_its_seal_image_on_the_parameter_page(app, staff_client, people, demo_params):
    from tests.conftest import form_fields
    from tests.seals.conftest import png

    admin = staff_client("fuji", "admin")
    path = "/fuji/admin/params/certificates.seal_image/edit"
    page = admin.get(path).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="value_file"' in page
    fields = form_fields(admin, path, action=path)

    def send(upload: bytes, name: str = "seal.png"):
        data = {
            "csrf_token": fields["csrf_token"],
            "version": fields.get("version", ""),
            "value": fields.get("value", ""),
            "scope": "city",
            "reason": "公印の更新",
            "value_file": (io.BytesIO(upload), name),
        }
        return admin.post(path, data=data, content_type="multipart/form-data")

    refused = send(b"GIF89a not an image", "seal.gif")
    assert refused.status_code == 422 and "PNGまたはJPEG" in refused.get_data(as_text=True)
    new_seal = png(120, 120)
    assert send(new_seal).status_code == 302
    atena = people.add("fuji")
    _row, data = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    assert (120, 120) in _images(data) and (240, 240) not in _images(data)  # the new 公印 is printed


def test_a_removed_person_under_support_measures_stays_hidden(app, staff_client, people, demo_params):
    """支援措置: the 除票 and the 転出証明書 of a protected person follow the same rule as the 住民票."""
    from modules.residents import protection

    atena = people.add("fuji")
    with people.session("fuji") as s:
        protection.register_support(
            s,
            atena,
            {
                "requested_on": D(2026, 1, 5),
                "start_on": D(2026, 1, 5),
                "offender_name": "加害 太郎",
                "offender_kana": "カガイ タロウ",
            },
            by="test:protector",
        )
        person = resident_services.get_person(s, atena)
        resident_services.move_out(s, person, D(2026, 3, 20), by="t", destination="東京都千代田区")
    clerk = staff_client("fuji", "clerk")  # without the permission to see protected persons
    for kind in ("joshu", "tenshutsu"):
        assert issue(clerk, "fuji", atena, kind=kind).status_code == 404
    assert people.issuances("fuji") == []
