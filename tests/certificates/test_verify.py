"""The public verification page: valid or not, kind and date; nothing personal; one city only."""

from modules.certificates.codes import display_code
from tenant_core.japanese import wareki_date
from tests.certificates.conftest import issue
from tests.conftest import csrf_token


def _check(client, slug, number, code):
    token = csrf_token(client, f"/{slug}/certificates/verify")
    response = client.post(
        f"/{slug}/certificates/verify", data={"number": number, "code": code, "csrf_token": token}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anyone_checks_a_certificate_without_seeing_personal_data(app, staff_client, people):
    atena = people.add("fuji", family_name="秘密", given_name="花子")
    assert issue(staff_client("fuji", "clerk"), "fuji", atena).status_code == 302
    row = people.issuances("fuji")[0]
    public = app.test_client()  # nobody signed in
    page = _check(public, "fuji", row.number, display_code(row.verification_code).lower())
    assert 'data-valid="yes"' in page and "住民票の写し" in page and wareki_date(row.issued_on) in page
    assert "秘密" not in page and "花子" not in page and f"{atena:010d}" not in page
    wrong = row.verification_code[:-1] + ("0" if row.verification_code[-1] != "0" else "1")
    assert 'data-valid="no"' in _check(public, "fuji", row.number, wrong)
    assert 'data-valid="no"' in _check(public, "fuji", "not-a-number", row.verification_code)
    entries = [e for e in people.log("fuji") if e.screen == "certificates.verify"]
    assert [e.outcome for e in entries] == ["ok", "failed", "failed"]


def test_a_certificate_of_one_city_is_not_valid_on_the_other_citys_page(app, staff_client, people):
    fuji_person = people.add("fuji")
    miya_person = people.add("fujinomiya")
    assert issue(staff_client("fuji", "clerk"), "fuji", fuji_person).status_code == 302
    assert issue(staff_client("fujinomiya", "clerk"), "fujinomiya", miya_person).status_code == 302
    fuji_row = people.issuances("fuji")[0]
    assert people.issuances("fujinomiya")[0].number == fuji_row.number  # the same number in both cities
    public = app.test_client()
    assert 'data-valid="yes"' in _check(public, "fuji", fuji_row.number, fuji_row.verification_code)
    assert 'data-valid="no"' in _check(public, "fujinomiya", fuji_row.number, fuji_row.verification_code)


def test_guessing_verification_codes_is_throttled_per_address(fresh_app):
    app = fresh_app(login_rate_limit="3 per minute")
    client = app.test_client()
    codes = []
    for _ in range(4):
        token = csrf_token(client, "/fuji/certificates/verify")
        response = client.post(
            "/fuji/certificates/verify",
            data={"number": "2026-000001", "code": "AAAA-BBBB-CCCC", "csrf_token": token},
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]
