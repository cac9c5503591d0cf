"""本籍・筆頭者 on the 住民票の写し: printed from the register when asked for, stored with the issuance."""

import datetime as dt
import hashlib

from modules.certificates import services
from modules.certificates.models import Issuance
from modules.residents import services as residents_services
from tests.certificates.conftest import issue, pdf_text

HONSEKI = "静岡県富士市永田町一丁目100番地"
HITTO = "高橋\u3000一郎"
NONE_TEXT = "住民記録に本籍の記録がありません"


def _issued(client, people, slug, atena, **fields) -> tuple[Issuance, str]:
    response = issue(client, slug, atena, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    row = people.issuances(slug)[-1]
    pdf = client.get(f"/{slug}/certificates/{row.number}/certificate.pdf")
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.data).hexdigest() == row.pdf_sha256
    # The PDF's text comes out with ordinary spaces where the certificate has full-width ones.
    return row, pdf_text(pdf.data).replace("\u3000", " ")


def test_a_copy_with_honseki_prints_the_honseki_and_hitto_sha(staff_client, people):
    atena = people.add("fuji", honseki=HONSEKI, hitto_sha=HITTO)
    client = staff_client("fuji", "clerk")
    assert HONSEKI in client.get(f"/fuji/certificates/new?atena={atena}").get_data(as_text=True)
    row, text = _issued(client, people, "fuji", atena, honseki="y")
    assert f"本籍・筆頭者\n{HONSEKI} 筆頭者 高橋 一郎" in text and NONE_TEXT not in text
    entry = row.content["persons"][0]
    assert (entry["honseki"], entry["hitto_sha"]) == (HONSEKI, HITTO) and row.items["honseki"] is True

    # Without the option neither the 本籍 nor the 筆頭者 is printed or stored.
    row, text = _issued(client, people, "fuji", atena)
    assert HONSEKI not in text and "筆頭者" not in text and NONE_TEXT not in text
    assert "honseki" not in row.content["persons"][0] and row.items["honseki"] is False


def test_the_placeholder_only_when_the_record_has_none(staff_client, people):
    atena = people.add("fuji", family_name="スミス", family_kana="スミス", given_name="ジョン")
    row, text = _issued(staff_client("fuji", "clerk"), people, "fuji", atena, honseki="y")
    assert NONE_TEXT in text and row.content["persons"][0]["honseki"] == ""


def test_a_household_copy_prints_each_family_register(staff_client, people):
    head = people.add("fuji", honseki=HONSEKI, hitto_sha=HITTO)
    hh = people.household_no("fuji", head)
    people.add(
        "fuji",
        hh,
        given_name="花子",
        given_kana="ハナコ",
        sex="female",
        relationship="妻",
        honseki=HONSEKI,
        hitto_sha=HITTO,
    )
    mother = "静岡県沼津市御幸町3番地"
    people.add(
        "fuji",
        hh,
        given_name="京子",
        given_kana="キョウコ",
        sex="female",
        relationship="母",
        birth_date=dt.date(1940, 1, 1),
        honseki=mother,
        hitto_sha="高橋\u3000京子",
    )
    row, text = _issued(staff_client("fuji", "clerk"), people, "fuji", head, scope="household", honseki="y")
    assert HONSEKI in text and mother in text and "筆頭者 高橋 京子" in text
    assert [p["honseki"] for p in row.content["persons"]].count(HONSEKI) == 2


def test_the_copy_reads_the_register_on_the_day_of_issue(app, staff_client, people):
    atena = people.add("fuji", honseki="静岡県沼津市御幸町1番地", hitto_sha=HITTO)
    client = staff_client("fuji", "clerk")
    first, text = _issued(client, people, "fuji", atena, honseki="y")
    assert "静岡県沼津市御幸町1番地" in text
    with people.session("fuji") as s:
        person = residents_services.get_person(s, atena)
        residents_services.correct(
            s, people.vault("fuji"), person, services.japan_today(), {"honseki": HONSEKI}, by="t"
        )
    _row, text = _issued(client, people, "fuji", atena, honseki="y")
    assert HONSEKI in text and "沼津" not in text
    # The first copy, printed again, still shows what the register said when it was issued.
    again = client.get(f"/fuji/certificates/{first.number}/certificate.pdf").data
    assert hashlib.sha256(again).hexdigest() == first.pdf_sha256 and "沼津" in pdf_text(again)


def test_the_city_parameter_ticks_honseki_by_default(app, staff_client, people):
    atena = people.add("fujinomiya", honseki="静岡県富士宮市宮町1番地", hitto_sha=HITTO)
    client = staff_client("fujinomiya", "clerk")
    form = client.get(f"/fujinomiya/certificates/new?atena={atena}").get_data(as_text=True)
    assert 'id="honseki" name="honseki" type="checkbox" value="y">' in form  # not ticked ("omit")
    _set(app, "fujinomiya", "print")
    form = client.get(f"/fujinomiya/certificates/new?atena={atena}").get_data(as_text=True)
    assert 'checked id="honseki"' in form


def _set(app, slug, value):
    from tests.params.conftest import set_param

    set_param(app, slug, "certificates.honseki_default", value)


def test_another_citys_honseki_is_never_printed(staff_client, people):
    theirs = people.add(
        "fujinomiya", family_name="宮本", family_kana="ミヤモト", honseki="静岡県富士宮市宮町1番地"
    )
    fuji = staff_client("fuji", "clerk")
    assert fuji.get(f"/fujinomiya/certificates/new?atena={theirs}").status_code == 403
    # Through 富士市's form the number is looked up in 富士市 only: none there, nothing issued.
    response = issue(fuji, "fuji", theirs, honseki="y")
    assert response.status_code == 404 and "宮町" not in response.get_data(as_text=True)
    assert people.issuances("fuji") == [] and people.issuances("fujinomiya") == []
