"""The register's services: events and history, households, bad input, numbers, search."""

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents import services
from modules.residents.errors import ResidentError
from modules.residents.models import EventKind, Person, ResidentEvent
from tenant_core.japanese import japan_today
from tests.residents.conftest import mynumber

D = dt.date


def _count(residents, slug, model):
    with residents.session(slug) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_state_on_past_dates_after_a_sequence_of_events(residents):
    head = residents.add("fuji", effective_on=D(2001, 4, 1))
    hh = residents.household_no("fuji", head)
    child = residents.add(
        "fuji",
        hh,
        kind=EventKind.birth,
        family_name="高橋",
        given_name="花子",
        family_kana="タカハシ",
        given_kana="ハナコ",
        birth_date=D(2005, 6, 1),
        effective_on=D(2005, 6, 1),
        sex="female",
        town="",
        banchi="",
    )
    with residents.session("fuji") as s:
        p = services.get_person(s, head)
        services.relocate(s, p, D(2010, 3, 15), {"town": "今泉", "banchi": "5-6"}, by="t")
        services.correct(s, residents.vault("fuji"), p, D(2012, 1, 10), {"given_kana": "イチロー"}, by="t")
        services.move_out(s, p, D(2020, 8, 31), by="t", destination="静岡市", whole_household=True)
    with residents.session("fuji") as s:
        pid = services.get_person(s, head).id
        cid = services.get_person(s, child).id
        assert services.person_on(s, pid, D(2000, 1, 1)) is None  # not yet a resident
        before = services.person_on(s, pid, D(2010, 3, 14))
        assert (before.town, before.banchi, before.given_kana) == ("吉原", "１丁目２番３号", "イチロウ")
        after = services.person_on(s, pid, D(2010, 3, 15))
        assert (after.town, after.banchi) == ("今泉", "５－６")
        assert services.person_on(s, pid, D(2012, 1, 10)).given_kana == "イチロー"
        assert services.person_on(s, pid, D(2020, 8, 30)).is_resident
        gone = services.person_on(s, pid, D(2021, 1, 1))
        assert gone.status == "moved_out" and gone.left_on == D(2020, 8, 31)
        # The child was born into the head's household at the head's address, and moved with it.
        assert services.person_on(s, cid, D(2005, 5, 31)) is None
        born = services.person_on(s, cid, D(2005, 6, 1))
        assert born.town == "吉原" and born.relationship == "子"
        assert services.person_on(s, cid, D(2015, 1, 1)).town == "今泉"
        household_id = born.household_id
        then = services.household_members(s, household_id, on=D(2006, 1, 1))
        assert [m.given_name for m in then] == ["一郎", "花子"]  # head first
        assert services.household_members(s, household_id, on=D(2004, 1, 1))[0].given_name == "一郎"
        assert services.household_members(s, household_id) == []  # everyone left
        kinds = [e.kind for e in services.events_of(s, services.get_person(s, head))]
        assert kinds == ["move_in", "relocation", "correction", "move_out"]


def test_head_change_death_and_household_split(residents):
    head = residents.add("fuji", effective_on=D(2001, 4, 1))
    hh = residents.household_no("fuji", head)
    wife = residents.add(
        "fuji",
        hh,
        given_name="幸子",
        given_kana="サチコ",
        sex="female",
        relationship="妻",
        birth_date=D(1972, 1, 1),
        effective_on=D(2001, 4, 1),
    )
    son = residents.add(
        "fuji", hh, given_name="健", given_kana="ケン", birth_date=D(1999, 2, 2), effective_on=D(2001, 4, 1)
    )
    with residents.session("fuji") as s:
        p = services.get_person(s, head)
        with pytest.raises(ResidentError, match="新しい世帯主"):
            services.record_death(s, p, D(2015, 5, 5), by="t")
        services.record_death(s, p, D(2015, 5, 5), by="t", new_head=services.get_person(s, wife))
        w = services.get_person(s, wife)
        assert w.relationship == "世帯主"
        assert s.get(services.Household, w.household_id).head_person_id == w.id
        services.change_household(
            s,
            services.get_person(s, son),
            D(2020, 4, 1),
            by="t",
            household_no=None,
            relationship="世帯主",
            address={"town": "富士見台", "banchi": "3-1"},
        )
    with residents.session("fuji") as s:
        k = services.get_person(s, son)
        assert k.relationship == "世帯主" and k.household_id != services.get_person(s, wife).household_id
        assert services.person_on(s, k.id, D(2019, 1, 1)).relationship == "子"
        assert [m.given_name for m in services.household_members(s, k.household_id)] == ["健"]


def test_bad_input_is_refused_in_japanese_and_changes_nothing(residents):
    head = residents.add("fuji")
    persons, events = _count(residents, "fuji", Person), _count(residents, "fuji", ResidentEvent)
    future = japan_today() + dt.timedelta(days=3)
    cases = [
        ({"birth_date": future, "effective_on": future}, "birth_date", "未来の日付"),
        ({"family_kana": "高橋"}, "family_kana", "カタカナで入力"),
        ({"relationship": "子"}, "relationship", "世帯主"),
        ({"given_name": ""}, "given_name", "名を入力"),
        ({"mynumber": "123456789010"}, "mynumber", "検査用数字"),
        ({"effective_on": D(1960, 1, 1)}, "effective_on", "生年月日より前"),
    ]
    for overrides, field, message in cases:
        with pytest.raises(ResidentError) as info:
            residents.add("fuji", **overrides)
        assert message in info.value.errors[field], (overrides, info.value.errors)
    with residents.session("fuji") as s:
        p = services.get_person(s, head)
        with pytest.raises(ResidentError, match="住民となった日"):
            services.move_out(s, p, D(2000, 1, 1), by="t")  # a move-out before the move-in
        with pytest.raises(ResidentError, match="未来の日付"):
            services.move_out(s, p, future, by="t")
        with pytest.raises(ResidentError, match="修正する項目がありません"):
            services.correct(s, residents.vault("fuji"), p, D(2020, 1, 1), {}, by="t")
        with pytest.raises(ResidentError, match="カタカナ"):
            services.correct(s, residents.vault("fuji"), p, D(2020, 1, 1), {"family_kana": "たか橋"}, by="t")
    assert (_count(residents, "fuji", Person), _count(residents, "fuji", ResidentEvent)) == (persons, events)


def test_a_household_needs_its_head(residents):
    head = residents.add("fuji")
    hh = residents.household_no("fuji", head)
    member = residents.add("fuji", hh, given_name="次郎", given_kana="ジロウ", birth_date=D(2000, 1, 1))
    with pytest.raises(ResidentError, match="既に世帯主"):
        residents.add("fuji", hh, relationship="世帯主")
    with residents.session("fuji") as s:
        with pytest.raises(ResidentError, match="新しい世帯主"):
            services.move_out(s, services.get_person(s, head), D(2020, 1, 1), by="t")
        with pytest.raises(ResidentError, match="世帯主"):
            services.change_household(
                s,
                services.get_person(s, head),
                D(2020, 1, 1),
                by="t",
                household_no=None,
                relationship="世帯主",
            )
        services.change_head(
            s, services.get_person(s, member), D(2020, 1, 1), by="t", former_head_relationship="父"
        )
        assert services.get_person(s, head).relationship == "父"
        services.move_out(s, services.get_person(s, head), D(2020, 2, 1), by="t")  # no longer the head


def test_names_keep_variation_selectors_through_the_database(residents):
    atena = residents.add("fuji", family_name="葛\U000e0100城", family_kana="カツラギ")
    with residents.session("fuji") as s:
        assert services.get_person(s, atena).family_name == "葛\U000e0100城"
        found = services.search(s, services.SearchQuery(name="葛城"))
        assert [p.atena_no for p in found.rows] == [atena]


def test_mynumber_is_encrypted_with_the_citys_key_and_unique(residents):
    number = mynumber(12345)
    atena = residents.add("fuji", mynumber=number)
    with residents.session("fuji") as s:
        token = services.get_person(s, atena).mynumber_token
    assert number not in token
    assert residents.vault("fuji").decrypt(token) == number
    assert residents.vault("fujinomiya").decrypt(token) is None
    with pytest.raises(ResidentError, match="既に別の方"):
        residents.add("fuji", mynumber=number, given_name="二郎")
    residents.add("fujinomiya", mynumber=number)  # another city's register is another register


def test_atena_numbers_are_a_sequence_per_city(residents):
    first = residents.add("fuji")
    second = residents.add("fuji", given_name="二郎")
    other = residents.add("fujinomiya")
    assert second == first + 1
    assert other == 1 or other <= first  # 富士宮市 counts on its own
    with residents.session("fujinomiya") as s:
        assert services.get_person(s, second) is None or services.get_person(s, second).atena_no == second


def test_search_by_kana_name_birth_date_address_with_paging(residents):
    a = residents.add(
        "fuji",
        family_kana="サトウ",
        given_kana="キョウコ",
        family_name="佐藤",
        given_name="恭子",
        town="中央町",
        banchi="2-1",
        birth_date=D(1980, 2, 29),
    )
    residents.add("fuji", family_kana="サトウ", given_kana="ケン", family_name="佐藤", given_name="健")
    residents.add("fuji", family_kana="スズキ", given_kana="イチロウ", family_name="鈴木")
    with residents.session("fuji") as s:

        def found(**terms):
            return [p.atena_no for p in services.search(s, services.SearchQuery(**terms)).rows]

        assert found(kana="ｻﾄｰｷｮｰｺ") == [a]
        assert found(kana="さとうきよこ") == [a]
        assert len(found(kana="サト")) == 2
        assert found(name="佐藤恭") == [a]
        assert found(birth_date=D(1980, 2, 29)) == [a]
        assert found(address="中央町２－１") == [a]
        assert found(kana="サトウ", address="今泉") == []
        page = services.search(s, services.SearchQuery(kana="サト"), page=2, per_page=1)
        assert (page.total, page.page, len(page.rows), page.capped) == (2, 2, 1, False)
        with pytest.raises(ResidentError, match="検索条件"):
            services.search(s, services.SearchQuery())
        with pytest.raises(ResidentError, match="カタカナまたはひらがな"):
            services.search(s, services.SearchQuery(kana="佐藤"))
        # 除票 are found only when asked for.
        services.move_out(s, services.get_person(s, a), D(2022, 1, 1), by="t")
        assert found(kana="サトウキ") == []
        assert found(kana="サトウキ", include_removed=True) == [a]


def test_a_city_never_sees_another_citys_people(residents):
    atena = residents.add("fujinomiya", family_kana="ミヤモト", family_name="宮本")
    with residents.session("fuji") as s:
        assert services.search(s, services.SearchQuery(kana="ミヤモト")).total == 0
        p = services.get_person(s, atena)
        assert p is None or p.family_name != "宮本"
