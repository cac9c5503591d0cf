"""A household's one address, 続柄 against ages, the 出生届 and 記載事項修正 forms, the dates a move records,
and the forms of the items changed on request (住民票コード, 通称, 旧氏, 在留) with a 外国人住民's lifecycle."""

import datetime as dt

import pytest

from modules.residents import services
from modules.residents.errors import ResidentError
from modules.residents.models import EventKind, Status
from tenant_core.japanese import japan_today
from tests.conftest import csrf_token, form_fields, post
from tests.residents.test_foreign_and_codes import FOREIGN

D = dt.date


def _person(residents, slug, atena):
    with residents.session(slug) as s:
        p = services.get_person(s, atena)
        s.expunge(p)
        return p


def test_a_member_lives_at_the_households_address(residents):
    head = residents.add("fuji")
    household = residents.household_no("fuji", head)
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", household, given_name="次郎", town="今泉", banchi="9")
    assert "世帯の住所" in caught.value.errors["town"]
    other = residents.add("fuji", given_name="別", town="今泉", banchi="9")
    with residents.session("fuji") as s, pytest.raises(ResidentError) as caught:
        services.change_household(
            s,
            services.get_person(s, other),
            D(2024, 1, 1),
            by="t",
            household_no=household,
            relationship="同居人",
            address={"town": "今泉", "banchi": "9"},
        )
    assert "世帯の住所" in caught.value.errors["town"]
    # Joining without typing an address takes the household's; the day and the former address are kept.
    with residents.session("fuji") as s:
        person = services.get_person(s, other)
        services.change_household(
            s,
            person,
            D(2024, 1, 1),
            by="t",
            household_no=household,
            relationship="同居人",
            notified_on="2024-01-05",
        )
        assert (person.town, person.address_since) == ("吉原", D(2024, 1, 1))
        # 住基法7条8号: the 従前の住所 is the one before the move into the city, kept through moves within it.
        assert person.previous_address is None
        assert services.events_of(s, person)[-1].notified_on == D(2024, 1, 5)


def test_a_relationship_contradicting_ages_needs_a_confirmation(residents):
    head = residents.add("fuji")  # born 1970
    household = residents.household_no("fuji", head)
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", household, given_name="次郎", birth_date=D(1950, 1, 1), age_confirmed=False)
    assert "年上" in caught.value.errors["age_confirmed"]
    with pytest.raises(ResidentError) as caught:
        residents.add(
            "fuji",
            household,
            given_name="父",
            relationship="父",
            birth_date=D(1990, 1, 1),
            age_confirmed=False,
        )
    assert "年下" in caught.value.errors["age_confirmed"]
    wife = residents.add(
        "fuji", household, given_name="花子", relationship="妻", birth_date=D(1975, 1, 1), age_confirmed=False
    )
    with pytest.raises(ResidentError) as caught:  # older than the head's spouse, not than the head
        residents.add("fuji", household, given_name="次郎", birth_date=D(1972, 1, 1), age_confirmed=False)
    assert "妻" in caught.value.errors["age_confirmed"]
    assert wife
    child = residents.add("fuji", household, given_name="次郎", birth_date=D(1972, 1, 1), age_confirmed=True)
    assert _person(residents, "fuji", child).relationship == "子"
    ok = residents.add("fuji", household, given_name="三郎", birth_date=D(2000, 1, 1), age_confirmed=False)
    assert ok


def test_the_birth_form_inherits_the_household_and_asks_only_what_a_birth_adds(app, staff_client, residents):
    head = residents.add(
        "fuji", honseki="静岡県富士市永田町1丁目100番地", hitto_sha="高橋　一郎", katagaki="101号"
    )
    household = residents.household_no("fuji", head)
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/households/{household}/birth"
    page = client.get(path).get_data(as_text=True)
    assert (
        "静岡県富士市永田町1丁目100番地" in page
        and 'name="family_name"' not in page
        and 'name="town"' not in page
    )
    assert path in client.get(f"/fuji/residents/{head}").get_data(as_text=True)
    born = (japan_today() - dt.timedelta(days=3)).isoformat()
    bad = post(
        client, path, path, {"given_name": "", "given_kana": "ハルト", "birth_date": born, "sex": "male"}
    )
    assert bad.status_code == 422 and "名を入力してください" in bad.get_data(as_text=True)
    data = {
        "given_name": "陽翔",
        "given_kana": "ハルト",
        "birth_date": born,
        "sex": "male",
        "relationship": "子",
    }
    ok = post(client, path, path, data)
    assert ok.status_code == 302, ok.get_data(as_text=True)
    atena = int(ok.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    child = _person(residents, "fuji", atena)
    assert (child.family_name, child.family_kana, child.katagaki) == ("高橋", "タカハシ", "１０１号")
    assert (child.honseki, child.hitto_sha, child.address_since) == (
        "静岡県富士市永田町1丁目100番地",
        "高橋　一郎",
        D.fromisoformat(born),
    )
    with residents.session("fuji") as s:
        assert services.events_of(s, services.get_person(s, atena))[0].kind == EventKind.birth


def test_the_correction_form_shows_the_recorded_values(staff_client, residents):
    atena = residents.add("fuji", honseki="静岡県富士市", hitto_sha="高橋　一郎")
    client = staff_client("fuji", "clerk")
    page = client.get(f"/fuji/residents/{atena}/events/correction").get_data(as_text=True)
    for value in (
        'value="高橋"',
        'value="一郎"',
        'value="タカハシ"',
        'value="1970-05-03"',
        'value="静岡県富士市"',
    ):
        assert value in page
    assert 'value="male" selected' in page or 'selected value="male"' in page
    path = f"/fuji/residents/{atena}/events/correction"
    fields = {
        "effective_on": "2024-01-01",
        "family_name": "高橋",
        "given_name": "一朗",
        "family_kana": "タカハシ",
        "given_kana": "イチロウ",
        "birth_date": "1970-05-03",
        "sex": "male",
        "honseki": "静岡県富士市",
        "hitto_sha": "高橋　一郎",
    }
    assert post(client, path, path, fields).status_code == 302
    with residents.session("fuji") as s:
        event = services.events_of(s, services.get_person(s, atena))[-1]
        assert event.after == {"given_name": "一朗"}  # only what changed


def test_the_person_page_shows_the_dates_of_the_address(staff_client, residents):
    atena = residents.add("fuji", previous_address="東京都新宿区西新宿2-8-1", notified_on=D(2001, 4, 5))
    page = staff_client("fuji", "clerk").get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "住所を定めた年月日" in page and "東京都新宿区西新宿" in page and "平成13年4月5日" in page


def test_the_code_change_page_keeps_the_history_and_bad_input_changes_nothing(staff_client, residents):
    atena = residents.add("fuji")
    old = _person(residents, "fuji", atena).juminhyo_code
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{atena}/items/code"
    unconfirmed = post(client, path, path, {"effective_on": japan_today().isoformat()})
    assert unconfirmed.status_code == 422 and _person(residents, "fuji", atena).juminhyo_code == old
    assert (
        post(client, path, path, {"effective_on": japan_today().isoformat(), "confirm": "y"}).status_code
        == 302
    )
    new = _person(residents, "fuji", atena).juminhyo_code
    assert new != old
    page = client.get(path).get_data(as_text=True)
    assert old in page and new in page
    stale = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "version": "1",
            "effective_on": "2024-01-01",
            "confirm": "y",
        },
    )
    assert stale.status_code == 409 and _person(residents, "fuji", atena).juminhyo_code == new


def test_kyuuji_pages_record_and_delete(staff_client, residents):
    atena = residents.add("fuji")
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{atena}/items/kyuuji"
    bad = post(client, path, path, {"effective_on": "2024-01-01", "kyuuji": "佐藤", "kyuuji_kana": "sato"})
    assert bad.status_code == 422 and "カタカナ" in bad.get_data(as_text=True)
    assert _person(residents, "fuji", atena).kyuuji is None
    ok = post(client, path, path, {"effective_on": "2024-01-01", "kyuuji": "佐藤", "kyuuji_kana": "サトウ"})
    assert ok.status_code == 302 and _person(residents, "fuji", atena).kyuuji == "佐藤"
    delete = f"/fuji/residents/{atena}/items/kyuuji_delete"
    assert post(client, delete, delete, {"effective_on": "2024-02-01", "confirm": "y"}).status_code == 302
    assert _person(residents, "fuji", atena).kyuuji is None


def test_a_foreign_residents_lifecycle_through_the_pages(app, staff_client, residents):
    client = staff_client("fuji", "clerk")
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in FOREIGN.items()}
    data |= {"kind": "move_in", "relationship": "世帯主", "town": "吉原", "banchi": "1-1"}
    data |= {"previous_address": "ベトナム", "notified_on": "2024-04-12"}
    arrived = post(client, "/fuji/residents/new", "/fuji/residents/new", data)
    assert arrived.status_code == 302, arrived.get_data(as_text=True)
    atena = int(arrived.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    # 通称 added
    tsusho = f"/fuji/residents/{atena}/items/tsusho"
    assert (
        post(
            client,
            tsusho,
            tsusho,
            {"effective_on": "2024-05-01", "tsusho": "山田　安", "tsusho_kana": "ヤマダ　ヤス"},
        ).status_code
        == 302
    )
    assert _person(residents, "fuji", atena).tsusho == "山田　安"
    # 在留期間 updated: an end before the start and a card number of the wrong shape are refused by field
    residence = f"/fuji/residents/{atena}/items/residence"
    page = client.get(residence).get_data(as_text=True)
    assert 'value="2025-03-31"' in page and 'value="AB12345678CD"' in page  # the recorded values
    update = {
        "effective_on": "2025-03-01",
        "foreign_category": "mid_long_term",
        "residence_status": "技術・人文知識・国際業務",
        "residence_period": "3年",
        "residence_from": "2025-04-01",
        "residence_until": "2025-01-31",
        "card_number": "AB12345678CD",
    }
    bad = post(client, residence, residence, update)
    assert bad.status_code == 422 and "満了日" in bad.get_data(as_text=True)
    bad = post(
        client, residence, residence, update | {"residence_until": "2028-03-31", "card_number": "1234"}
    )
    assert bad.status_code == 422 and "在留カード等番号" in bad.get_data(as_text=True)
    assert _person(residents, "fuji", atena).residence_until == D(2025, 3, 31)
    ok = post(
        client,
        residence,
        residence,
        update | {"residence_until": "2028-03-31", "card_number": "CD87654321EF"},
    )
    assert ok.status_code == 302
    p = _person(residents, "fuji", atena)
    assert (p.residence_until, p.card_number, p.residence_period) == (D(2028, 3, 31), "CD87654321EF", "3年")
    # the API shows the 外国人住民's items, 通称 included, and never the 住民票コード
    body = client.get(f"/fuji/residents/api/persons/{atena}").get_json()["person"]
    assert body["tsusho"] == "山田　安" and body["alpha_name"] == "NGUYEN VAN AN"
    assert body["residence_until"] == "2028-03-31" and body["card_number"] == "CD87654321EF"
    assert body["previous_address"] == "ベトナム" and "juminhyo_code" not in body
    for term in ("tsusho=山田", "alpha=nguyen"):  # the API searches by 通称 and アルファベット氏名 too
        found = client.get(f"/fuji/residents/api/search?{term}").get_json()
        assert [r["atena_no"] for r in found["results"]] == [atena]
    # 転出 (a past date records it at once)
    move_out = f"/fuji/residents/{atena}/move-out"
    fields = form_fields(client, move_out)
    left = client.post(
        move_out,
        data=fields
        | {
            "planned_on": "2025-06-01",
            "destination": "大阪府大阪市北区",
            "destination_city": "大阪市",
            "confirm": "y",
        },
    )
    assert left.status_code == 302, left.get_data(as_text=True)
    p = _person(residents, "fuji", atena)
    assert (p.status, p.left_on) == (Status.moved_out, D(2025, 6, 1))
    with residents.session("fuji") as s:
        kinds = [e.kind for e in services.events_of(s, services.get_person(s, atena))]
    assert kinds == [EventKind.move_in, EventKind.tsusho, EventKind.residence, EventKind.move_out]
    # the 通称 can be deleted only while a resident
    delete = f"/fuji/residents/{atena}/items/tsusho_delete"
    gone = post(client, delete, delete, {"effective_on": "2025-07-01", "confirm": "y"})
    assert gone.status_code == 422 and _person(residents, "fuji", atena).tsusho == "山田　安"


def test_bad_input_on_the_pages_names_the_field_and_changes_nothing(staff_client, residents):
    client = staff_client("fuji", "clerk")
    head = residents.add("fuji")
    household = residents.household_no("fuji", head)
    base = {
        "kind": "move_in",
        "family_name": "新井",
        "given_name": "一",
        "family_kana": "アライ",
        "given_kana": "ハジメ",
        "birth_date": "1980-01-01",
        "sex": "male",
        "relationship": "世帯主",
        "town": "本町",
        "banchi": "1",
        "effective_on": "2024-04-01",
    }
    with residents.session("fuji") as s:
        before = services.search(s, services.SearchQuery(kana="アライ")).total
    wrong = post(
        client, "/fuji/residents/new", "/fuji/residents/new", base | {"juminhyo_code": "12345678901"}
    )
    assert wrong.status_code == 422 and "住民票コードの検査数字が正しくありません" in wrong.get_data(
        as_text=True
    )
    # A 子 older than the head: the form asks for the tick, and takes the member once it is given.
    child = base | {"relationship": "子", "town": "", "banchi": "", "household_no": str(household)}
    asked = post(client, "/fuji/residents/new", "/fuji/residents/new", child | {"birth_date": "1960-01-01"})
    assert asked.status_code == 422 and "続柄と年齢を確認しました" in asked.get_data(as_text=True)
    elsewhere = post(
        client, "/fuji/residents/new", "/fuji/residents/new", child | {"town": "本町", "banchi": "1"}
    )
    assert elsewhere.status_code == 422 and "世帯の住所" in elsewhere.get_data(as_text=True)
    with residents.session("fuji") as s:
        assert services.search(s, services.SearchQuery(kana="アライ")).total == before
    ok = post(
        client,
        "/fuji/residents/new",
        "/fuji/residents/new",
        child | {"birth_date": "1960-01-01", "age_confirmed": "y"},
    )
    assert ok.status_code == 302
