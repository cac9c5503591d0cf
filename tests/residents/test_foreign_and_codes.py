"""住民票コード (check digit, assignment, change request), 外国人住民 items, 通称 and 旧氏 with their history."""

import datetime as dt

import pytest

from modules.residents import foreign, juminhyo_code, kyuuji, services
from modules.residents.errors import ResidentError
from modules.residents.models import Citizenship, EventKind

D = dt.date
FOREIGN = {
    "family_name": "グエン",
    "given_name": "バン　アン",
    "family_kana": "グエン",
    "given_kana": "バンアン",
    "birth_date": D(1995, 3, 4),
    "sex": "male",
    "citizenship": "foreign",
    "nationality": "ベトナム",
    "foreign_category": "mid_long_term",
    "residence_status": "技術・人文知識・国際業務",
    "residence_period": "1年",
    "residence_from": "2024-04-01",
    "residence_until": "2025-03-31",
    "card_number": "ab12345678cd",
    "alpha_name": "nguyen van an",
    "effective_on": D(2024, 4, 10),
}


def _get(residents, slug, atena):
    with residents.session(slug) as s:
        p = services.get_person(s, atena)
        s.expunge(p)
        return p


# Built by hand from the rule of 住基法施行規則第1条 (weights 2..7, 2..5 from the right, modulus 11):
# 1234567890: 0*2+9*3+8*4+7*5+6*6+5*7+4*2+3*3+2*4+1*5 = 195; 195 % 11 = 8; 11 - 8 = 3.
# 0000000001: 1*2 = 2; 11 - 2 = 9.  0000000006: 6*2 = 12; 12 % 11 = 1 → 0.  0000000000 → 0.
@pytest.mark.parametrize(
    ("body", "digit"), [("1234567890", 3), ("0000000001", 9), ("0000000006", 0), ("0000000000", 0)]
)
def test_the_check_digit_follows_the_rule(body, digit):
    assert juminhyo_code.check_digit(body) == digit
    assert juminhyo_code.is_valid(body + str(digit))
    assert not juminhyo_code.is_valid(body + str((digit + 1) % 10))
    assert not juminhyo_code.is_valid(body)


def test_codes_are_assigned_in_the_citys_range_and_a_typed_one_is_checked(residents):
    first = _get(residents, "fuji", residents.add("fuji"))
    second = _get(residents, "fuji", residents.add("fuji", given_name="二郎", given_kana="ジロウ"))
    assert juminhyo_code.is_valid(first.juminhyo_code) and juminhyo_code.is_valid(second.juminhyo_code)
    assert first.juminhyo_code.startswith("222101") and first.juminhyo_code != second.juminhyo_code
    kept = _get(residents, "fuji", residents.add("fuji", juminhyo_code="12345678903", given_name="三郎"))
    assert kept.juminhyo_code == "12345678903"  # 転入: the code of the 転出証明書 is kept
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", juminhyo_code="12345678904")
    assert "住民票コードの検査数字が正しくありません" in caught.value.errors["juminhyo_code"]
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", juminhyo_code="12345678903")
    assert "既に" in caught.value.errors["juminhyo_code"]


def test_a_change_request_gives_a_new_code_and_keeps_the_old_in_the_history(residents):
    atena = residents.add("fuji")
    old = _get(residents, "fuji", atena).juminhyo_code
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        juminhyo_code.change_code(s, person, D(2024, 5, 1), slug="fuji", by="test")
    new = _get(residents, "fuji", atena).juminhyo_code
    assert new != old and juminhyo_code.is_valid(new)
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        change = [e for e in services.events_of(s, person) if e.kind == EventKind.code_change]
        assert change[0].before == {"juminhyo_code": old} and change[0].after == {"juminhyo_code": new}
        assert services.person_on(s, person.id, D(2024, 4, 30)).juminhyo_code == old
        assert juminhyo_code.in_use(s, old)  # never given again
        assert juminhyo_code.assign(s, "222101") not in (old, new)


def test_a_foreign_residents_lifecycle(residents):
    atena = residents.add("fuji", **FOREIGN)
    p = _get(residents, "fuji", atena)
    assert p.citizenship == Citizenship.foreign and p.card_number == "AB12345678CD"
    assert p.alpha_name == "NGUYEN VAN AN" and p.honseki is None
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        foreign.set_tsusho(
            s, person, D(2024, 6, 1), {"tsusho": "山田　安", "tsusho_kana": "ヤマダヤス"}, by="t"
        )
        foreign.update_residence(
            s,
            person,
            D(2025, 3, 20),
            {"residence_period": "3年", "residence_from": "2025-03-20", "residence_until": "2028-03-31"},
            by="t",
        )
    with residents.session("fuji") as s:
        rows = services.search(s, services.SearchQuery(tsusho="山田")).rows
        assert [r.atena_no for r in rows] == [atena]
        assert [r.atena_no for r in services.search(s, services.SearchQuery(alpha="nguyen v")).rows] == [
            atena
        ]
        person = services.get_person(s, atena)
        assert person.residence_until == D(2028, 3, 31) and person.tsusho == "山田　安"
        assert services.person_on(s, person.id, D(2025, 1, 1)).residence_until == D(2025, 3, 31)
        foreign.set_tsusho(s, person, D(2025, 4, 1), {}, by="t", delete=True)
        services.move_out(s, person, D(2025, 5, 1), by="t", destination="大阪市")
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        kinds = [e.kind for e in services.events_of(s, person)]
        assert person.tsusho is None and person.status == "moved_out"
        assert services.person_on(s, person.id, D(2024, 12, 1)).tsusho == "山田　安"
        assert {"move_in", "tsusho", "residence", "move_out"} <= set(kinds)


def test_a_mixed_household(residents):
    head = residents.add("fuji")
    household = residents.household_no("fuji", head)
    spouse = residents.add("fuji", household_no=household, relationship="妻", **{**FOREIGN, "sex": "female"})
    with residents.session("fuji") as s:
        members = services.household_members(s, services.get_person(s, head).household_id)
        assert {m.atena_no for m in members} == {head, spouse}
        assert {m.citizenship for m in members} == {"japanese", "foreign"}


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"residence_until": "2024-01-01"}, "residence_until", "始期"),
        ({"card_number": "A123456789CD"}, "card_number", "英字2文字・数字8桁・英字2文字"),
        ({"honseki": "静岡県富士市"}, "honseki", "外国人住民には本籍"),
        ({"residence_status": ""}, "residence_status", "在留資格を入力"),
        ({"citizenship": "japanese"}, "nationality", "日本人住民には"),
    ],
)
def test_bad_foreign_input_is_refused_by_field(residents, changes, field, text):
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", **{**FOREIGN, **changes})
    assert text in caught.value.errors[field]


def test_the_expiry_list(residents):
    soon = residents.add("fuji", **{**FOREIGN, "residence_until": "2025-04-15"})
    residents.add("fuji", **{**FOREIGN, "card_number": "AB12345679CD", "residence_until": "2026-04-15"})
    residents.add("fuji")
    with residents.session("fuji") as s:
        assert [p.atena_no for p in foreign.expiring(s, D(2025, 4, 1))] == [soon]


def test_kyuuji_recorded_and_deleted_with_history_for_a_japanese_resident_only(residents):
    atena = residents.add("fuji")
    stranger = residents.add("fuji", **FOREIGN)
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        kyuuji.set_kyuuji(s, person, D(2024, 1, 10), {"kyuuji": "佐藤", "kyuuji_kana": "サトウ"}, by="t")
        kyuuji.set_kyuuji(s, person, D(2024, 2, 10), {}, by="t", delete=True)
        assert person.kyuuji is None
        assert services.person_on(s, person.id, D(2024, 1, 31)).kyuuji == "佐藤"
        with pytest.raises(ResidentError):
            kyuuji.set_kyuuji(s, services.get_person(s, stranger), D(2024, 5, 1), {"kyuuji": "X"}, by="t")
        with pytest.raises(ResidentError) as caught:
            kyuuji.set_kyuuji(s, person, D(2024, 3, 1), {"kyuuji": "佐藤", "kyuuji_kana": "sato"}, by="t")
        assert "カタカナ" in caught.value.errors["kyuuji_kana"]


def test_pages_arrival_person_search_expiry_and_another_citys_person(staff_client, residents):
    from tests.conftest import csrf_token

    client = staff_client("fuji", "clerk")
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in FOREIGN.items()}
    data |= {
        "kind": "move_in",
        "relationship": "世帯主",
        "town": "吉原",
        "banchi": "1-1",
        "tsusho": "山田　安",
    }
    bad = client.post(
        "/fuji/residents/new",
        data={**data, "card_number": "12AB", "csrf_token": csrf_token(client, "/fuji/residents/new")},
    )
    assert bad.status_code == 422 and "英字2文字・数字8桁" in bad.get_data(as_text=True)
    ok = client.post(
        "/fuji/residents/new", data={**data, "csrf_token": csrf_token(client, "/fuji/residents/new")}
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)
    atena = int(ok.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = client.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "NGUYEN VAN AN" in page and "AB12345678CD" in page and "山田　安" in page
    assert _get(residents, "fuji", atena).juminhyo_code in page
    found = client.get("/fuji/residents/?alpha=nguyen").get_data(as_text=True)
    assert f"/fuji/residents/{atena}" in found
    assert f"/fuji/residents/{atena}" in client.get("/fuji/residents/?tsusho=山田").get_data(as_text=True)
    assert client.get("/fuji/residents/expiring").status_code == 200
    other = residents.add("fujinomiya", **FOREIGN)
    while other == atena:  # a number that exists only in the other city
        other = residents.add("fujinomiya", **{**FOREIGN, "card_number": "ZZ00000000ZZ"})
    assert client.get(f"/fuji/residents/{other}").status_code == 404
    assert "ZZ00000000ZZ" not in client.get("/fuji/residents/expiring").get_data(as_text=True)
