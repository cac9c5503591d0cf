"""証明書交付 through its pages: the PDF per city, the items, bad input, the register, the log."""

import datetime as dt
import hashlib

import pytest

from modules.certificates import services
from modules.certificates.models import Issuance
from tenant_core.extensions import get_db
from tenant_core.japanese import wareki_date
from tests import factories
from tests.certificates.conftest import issue, pdf_text
from tests.conftest import csrf_token
from tests.residents.conftest import mynumber

TODAY = services.japan_today()


def _issued(client, people, slug, atena, **fields) -> tuple[Issuance, bytes]:
    response = issue(client, slug, atena, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    row = people.issuances(slug)[-1]
    assert response.location.endswith(f"/{slug}/certificates/{row.number}")
    pdf = client.get(f"/{slug}/certificates/{row.number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    return row, pdf.data


@pytest.mark.parametrize(
    ("slug", "mayor", "fee"),
    [("fuji", "富士市長", 300), ("fujinomiya", "富士宮市長", 350)],
)
def test_the_pdf_carries_the_citys_own_wording_mayor_and_fee(
    staff_client, people, demo_params, slug, mayor, fee
):
    atena = people.add(slug)
    client = staff_client(slug, "clerk")
    row, pdf = _issued(client, people, slug, atena)
    text = pdf_text(pdf)
    for expected in (
        "住民票の写し（個人）",
        "この写しは、住民票の原本と相違ないことを証明する。",
        mayor,
        f"手数料 {fee}円",
        wareki_date(TODAY),  # 令和8年…
        "昭和45年5月3日",  # the birth date in the era
        "高橋",
        row.number,
    ):
        assert expected in text, expected
    assert row.fee == fee and row.content["layout"]["mayor_title"] == mayor
    assert row.number == f"{services.fiscal_year_of(TODAY)}-000001"
    assert hashlib.sha256(pdf).hexdigest() == row.pdf_sha256  # a reprint is the certificate as issued
    other = "富士宮市長" if slug == "fuji" else "富士市長\u3000"
    assert other not in text


def test_a_household_copy_with_the_mynumber_records_the_legal_condition(app, staff_client, people):
    head = people.add("fuji", mynumber=mynumber(101))
    hh = people.household_no("fuji", head)
    people.add(
        "fuji",
        hh,
        given_name="花子",
        given_kana="ハナコ",
        sex="female",
        relationship="妻",
        mynumber=mynumber(102),
    )
    client = staff_client("fuji", "clerk")
    condition = "本人確認: 個人番号カード（住民基本台帳法第12条第5項）"
    row, pdf = _issued(
        client, people, "fuji", head, scope="household", mynumber="y", mynumber_condition=condition
    )
    text = pdf_text(pdf)
    assert "住民票の写し（世帯全員）" in text and "花子" in text and "妻" in text and "世帯主" in text
    assert "以上2名" in text and mynumber(101)[8:] in text.replace(" ", "")
    assert row.mynumber_condition == condition and row.items["mynumber"] is True
    assert len(row.persons) == 2 and row.requester_name == "高橋　一郎" and row.purpose == "勤務先に提出"
    assert mynumber(101) not in str(row.content)  # the register keeps the number encrypted
    prints = [e for e in people.log("fuji") if e.function == "print"]
    assert prints[-1].mynumber_shown is True and prints[-1].target == f"certificate:{row.number}"
    changes = [e for e in people.log("fuji") if e.function == "change"]
    assert changes[-1].target == f"certificate:{row.number}"

    # Without the 個人番号 the copy leaves it out, and 続柄 too when not asked for.
    row, pdf = _issued(client, people, "fuji", head, relationship=None)
    text = pdf_text(pdf)
    assert mynumber(101)[8:] not in text and "続柄" not in text and row.mynumber_condition is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mynumber": "y"}, "法令上の条件"),
        (
            {"mynumber": "y", "mynumber_condition": "委任状", "requester_relation": "代理人"},
            "本人または同一世帯",
        ),
        ({"purpose": ""}, "請求事由を入力してください"),
        ({"requester_name": ""}, "請求者の氏名"),
        ({"requester_relation": ""}, "関係を選択してください"),
        ({"kind": "inkan"}, "登録されている印鑑がありません"),
    ],
)
def test_bad_input_is_refused_in_japanese_and_records_nothing(staff_client, people, fields, message):
    atena = people.add("fuji", mynumber=mynumber(55))
    client = staff_client("fuji", "clerk")
    response = issue(client, "fuji", atena, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert people.issuances("fuji") == []


def test_the_mynumber_needs_the_permission_to_view_it(app, staff_client, people):
    atena = people.add("fuji", mynumber=mynumber(56))
    factories.user(get_db(app), "fuji", "madoguchi", ["certificates.editor"])
    client = staff_client("fuji", "madoguchi")
    assert "個人番号の閲覧権限が必要" in client.get(f"/fuji/certificates/new?atena={atena}").get_data(
        as_text=True
    )
    response = issue(client, "fuji", atena, mynumber="y", mynumber_condition="個人番号カード")
    assert response.status_code == 422 and "個人番号を記載する権限がありません" in response.get_data(
        as_text=True
    )
    assert people.issuances("fuji") == []
    _issued(client, people, "fuji", atena)  # without it, the copy is issued


@pytest.mark.parametrize("whose", ["unknown", "other city"])
def test_a_person_not_of_this_city_is_refused_and_logged(staff_client, people, whose):
    atena = (
        99_999 if whose == "unknown" else people.add("fujinomiya", family_name="葛西", family_kana="カサイ")
    )
    client = staff_client("fuji", "clerk")
    response = issue(client, "fuji", atena)
    assert response.status_code == 404 and "この市の住民記録にありません" in response.get_data(as_text=True)
    assert people.issuances("fuji") == [] and people.issuances("fujinomiya") == []
    last = people.log("fuji")[-1]
    assert (last.outcome, last.target, last.screen) == ("refused", f"atena:{atena}", "certificates.new")
    page = client.get(f"/fuji/certificates/new?atena={atena}")
    assert page.status_code == 404 and "この市の住民記録にありません" in page.get_data(as_text=True)


def test_a_moved_out_person_gets_no_copy(staff_client, people):
    from modules.residents import services as residents

    atena = people.add("fuji")
    with people.session("fuji") as s:
        residents.move_out(
            s, residents.get_person(s, atena), dt.date(2025, 4, 1), by="test", destination="東京都"
        )
    response = issue(staff_client("fuji", "clerk"), "fuji", atena)
    assert response.status_code == 422 and "除票" in response.get_data(as_text=True)
    assert people.issuances("fuji") == []


def test_cross_tenant_on_every_route(app, staff_client, people):
    mine = people.add("fujinomiya", family_name="葛西", family_kana="カサイ", given_kana="キョウヘイ")
    theirs_client = staff_client("fujinomiya", "clerk")
    row, _pdf = _issued(theirs_client, people, "fujinomiya", mine)
    fuji = staff_client("fuji", "clerk")
    # A 富士市 session on 富士宮市's pages: refused on every route (and logged there).
    for path in (
        "/fujinomiya/certificates/",
        f"/fujinomiya/certificates/new?atena={mine}",
        f"/fujinomiya/certificates/{row.number}",
        f"/fujinomiya/certificates/{row.number}/certificate.pdf",
    ):
        assert fuji.get(path).status_code == 403, path
    assert people.log("fujinomiya")[-1].outcome == "refused"
    # 富士宮市's records through 富士市's URLs: by id, by certificate number, by search.
    assert fuji.get(f"/fuji/certificates/new?atena={mine}").status_code == 404
    assert fuji.get(f"/fuji/certificates/{row.number}").status_code == 404
    assert fuji.get(f"/fuji/certificates/{row.number}/certificate.pdf").status_code == 404
    found = fuji.get("/fuji/certificates/?kana=カサイ").get_data(as_text=True)
    assert "該当する住民はいません" in found and "葛西" not in found
    assert row.number not in fuji.get("/fuji/certificates/").get_data(as_text=True)


def test_the_register_filters_pages_and_keeps_the_fee_of_the_day(app, staff_client, people, demo_params):
    from tests.params.conftest import set_param

    atena = people.add("fuji")
    client = staff_client("fuji", "clerk")
    for _ in range(22):
        assert issue(client, "fuji", atena).status_code == 302
    rows = people.issuances("fuji")
    fy = services.fiscal_year_of(TODAY)
    assert [r.number for r in rows] == [f"{fy}-{n:06d}" for n in range(1, 23)]
    assert len({r.verification_code for r in rows}) == 22 and all(
        len(r.verification_code) == 16 for r in rows
    )
    first = client.get("/fuji/certificates/").get_data(as_text=True)
    assert "1 / 2 ページ（全22件）" in first and f"{fy}-000022" in first and f"{fy}-000001" not in first
    assert f"{fy}-000001" in client.get("/fuji/certificates/?page=2").get_data(as_text=True)
    assert "交付の記録はありません" in client.get("/fuji/certificates/?kind=inkan").get_data(as_text=True)
    later = (TODAY + dt.timedelta(days=1)).isoformat()
    assert "交付の記録はありません" in client.get(f"/fuji/certificates/?date_from={later}").get_data(
        as_text=True
    )
    bad = client.get("/fuji/certificates/?date_from=2026-13-01")
    assert bad.status_code == 422 and "日付は" in bad.get_data(as_text=True)

    # The fee changes from today on: the register and a reprint keep what was collected.
    set_param(app, "fuji", "certificates.fee.juminhyo", 400)
    reprint = client.get(f"/fuji/certificates/{rows[0].number}/certificate.pdf").data
    assert hashlib.sha256(reprint).hexdigest() == rows[0].pdf_sha256 and "300円" in pdf_text(reprint)
    _issued(client, people, "fuji", atena)
    assert people.issuances("fuji")[-1].fee == 400 and people.issuances("fuji")[0].fee == 300


def test_viewers_see_the_register_but_do_not_issue_or_print(app, staff_client, people):
    atena = people.add("fuji")
    row, _pdf = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    factories.user(get_db(app), "fuji", "etsuran", ["certificates.viewer"])
    viewer = staff_client("fuji", "etsuran")
    page = viewer.get(f"/fuji/certificates/{row.number}").get_data(as_text=True)
    assert row.number in page and "ダウンロード" not in page
    assert viewer.get(f"/fuji/certificates/{row.number}/certificate.pdf").status_code == 403
    assert viewer.get(f"/fuji/certificates/new?atena={atena}").status_code == 403
    assert app.test_client().get("/fuji/certificates/").status_code == 302  # sign in first


def test_names_outside_jis_keep_their_exact_characters_in_the_register(staff_client, people):
    atena = people.add("fuji", family_name="\U00020bb7野", given_name="葛\U000e0100子")
    row, pdf = _issued(staff_client("fuji", "clerk"), people, "fuji", atena)
    assert row.content["persons"][0]["family_name"] == "\U00020bb7野"
    assert row.content["persons"][0]["given_name"] == "葛\U000e0100子"
    text = pdf_text(pdf)
    # IPAmj明朝 has 𠮷 (an MJ glyph): printed as registered; the IVS falls back to the base glyph.
    assert "\U00020bb7野" in text and "U+20BB7" not in text and "葛子" in text and "異体字" in text


def test_a_seal_certificate_shows_the_registration(staff_client, people, demo_params):
    atena = people.add("fujinomiya")
    registration_no = people.register("fujinomiya", atena)
    client = staff_client("fujinomiya", "clerk")
    card = people.card("fujinomiya", registration_no)
    row, pdf = _issued(client, people, "fujinomiya", atena, kind="inkan", purpose="", card_no=card)
    text = pdf_text(pdf)
    for expected in (
        "印鑑登録証明書",
        registration_no,
        "富士宮市長",
        "手数料 350円",
        "登録されている印影と相違ない",
    ):
        assert expected in text, expected
    assert row.seal_image and row.items == {"registration_no": registration_no} and row.fee == 350
    assert "印鑑登録証明書" in client.get("/fujinomiya/certificates/?kind=inkan").get_data(as_text=True)


def test_the_inquiry_screen_lists_the_certificates_issued(app, staff_client, people):
    """The 個人状況照会 reads the register through issuances_of: the real module, not a stand-in."""
    atena = people.add("fuji")
    clerk = staff_client("fuji", "clerk")
    response = issue(clerk, "fuji", atena)
    assert response.status_code == 302
    number = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    token = csrf_token(clerk, "/fuji/inquiry/")
    body = clerk.post(
        "/fuji/inquiry/", data={"atena_no": str(atena), "purpose": "counter", "csrf_token": token}
    ).get_data(as_text=True)
    assert number in body and "住民票の写し" in body
