"""本籍・筆頭者: entered on the arrival form, corrected with history, shown, given by the API."""

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.residents import services
from modules.residents.bulk import Generator
from modules.residents.errors import ResidentError
from modules.residents.models import HEAD, Person, ResidentEvent
from tenant_core.extensions import get_db
from tests import factories
from tests.conftest import csrf_token, form_fields

D = dt.date
HONSEKI = "静岡県富士市永田町一丁目100番地"
IVS_HONSEKI = "静岡県葛\U000e0100城郡一丁目5番地"  # 葛 with its variation selector (IVS)
IVS_HITTO = "葛\U000e0100城\u3000一"

ARRIVAL = {
    "kind": "move_in",
    "family_name": "葛\U000e0100城",
    "given_name": "一",
    "family_kana": "カツラギ",
    "given_kana": "ハジメ",
    "birth_date": "1990-01-02",
    "sex": "male",
    "relationship": "世帯主",
    "town": "吉原",
    "banchi": "2-3",
    "effective_on": "2024-04-01",
}


def _person(residents, slug, atena):
    with residents.session(slug) as s:
        row = services.get_person(s, atena)
        s.expunge(row)
        return row


def test_the_arrival_form_stores_them_exactly_and_the_page_shows_them(staff_client, residents):
    client = staff_client("fuji", "clerk")
    token = csrf_token(client, "/fuji/residents/new")
    assert "本籍" in client.get("/fuji/residents/new").get_data(as_text=True)
    ok = client.post(
        "/fuji/residents/new",
        data={**ARRIVAL, "honseki": f" {IVS_HONSEKI} ", "hitto_sha": IVS_HITTO, "csrf_token": token},
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)
    atena = int(ok.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    row = _person(residents, "fuji", atena)
    assert row.honseki == IVS_HONSEKI and row.hitto_sha == IVS_HITTO  # the IVS survived, spaces trimmed
    with residents.session("fuji") as s:
        first = s.scalar(sa.select(ResidentEvent).where(ResidentEvent.person_id == row.id))
        assert first.after["honseki"] == IVS_HONSEKI and first.after["hitto_sha"] == IVS_HITTO
    page = client.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert IVS_HONSEKI in page and IVS_HITTO in page


def test_a_foreign_resident_has_none_and_a_hitto_sha_needs_a_honseki(staff_client, residents):
    atena = residents.add("fuji", family_name="スミス", family_kana="スミス", given_name="ジョン")
    row = _person(residents, "fuji", atena)
    assert row.honseki is None and row.hitto_sha is None
    assert "記載なし" in staff_client("fuji", "clerk").get(f"/fuji/residents/{atena}").get_data(as_text=True)

    client = staff_client("fuji", "clerk")
    bad = client.post(
        "/fuji/residents/new",
        data={
            **ARRIVAL,
            "hitto_sha": "高橋\u3000一郎",
            "csrf_token": csrf_token(client, "/fuji/residents/new"),
        },
    )
    assert bad.status_code == 422 and "筆頭者を記載する場合は、本籍も入力" in bad.get_data(as_text=True)
    with pytest.raises(ResidentError) as caught:
        residents.add("fuji", honseki="県" * 101)
    assert "本籍は100文字以内" in caught.value.errors["honseki"]
    with residents.session("fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 1  # nothing else was added


def test_a_correction_keeps_the_old_honseki_on_past_dates(staff_client, residents):
    atena = residents.add(
        "fuji", effective_on=D(2001, 4, 1), honseki="静岡県沼津市御幸町1番地", hitto_sha="高橋\u3000太郎"
    )
    client = staff_client("fuji", "clerk")
    path = f"/fuji/residents/{atena}/events/correction"
    form = client.get(path).get_data(as_text=True)
    assert "静岡県沼津市御幸町1番地" in form  # the form starts from what is recorded
    done = client.post(
        path,
        data={
            "effective_on": "2015-06-01",
            "honseki": HONSEKI,
            "hitto_sha": "高橋\u3000一郎",
            "note": "転籍",
            **form_fields(client, path),
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    row = _person(residents, "fuji", atena)
    assert (row.honseki, row.hitto_sha) == (HONSEKI, "高橋\u3000一郎")
    with residents.session("fuji") as s:
        then = services.person_on(s, row.id, D(2015, 5, 31))
        assert (then.honseki, then.hitto_sha) == ("静岡県沼津市御幸町1番地", "高橋\u3000太郎")
        assert services.person_on(s, row.id, D(2015, 6, 1)).honseki == HONSEKI
        event = services.events_of(s, services.get_person(s, atena))[-1]
        assert event.kind == "correction" and event.before["honseki"] == "静岡県沼津市御幸町1番地"
    past = client.get(f"/fuji/residents/{atena}?on=2010-01-01").get_data(as_text=True)
    assert "静岡県沼津市御幸町1番地" in past and HONSEKI not in past.split("異動履歴")[0]
    history = client.get(f"/fuji/residents/{atena}").get_data(as_text=True)
    assert "本籍: 静岡県沼津市御幸町1番地 → " + HONSEKI in history

    # Clearing the 本籍 while a 筆頭者 stays is refused; clearing both is a correction like any other.
    both_kept = client.post(
        path,
        data={"effective_on": "2016-01-01", "honseki": "", **form_fields(client, path)},
    )
    assert both_kept.status_code == 422 and "本籍も入力" in both_kept.get_data(as_text=True)
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        services.correct(
            s, residents.vault("fuji"), person, D(2016, 1, 1), {"honseki": "", "hitto_sha": ""}, by="t"
        )
        assert person.honseki is None and person.hitto_sha is None
        assert services.person_on(s, person.id, D(2015, 12, 31)).honseki == HONSEKI


def test_a_correction_of_other_fields_leaves_the_honseki_alone(residents):
    atena = residents.add("fuji", honseki=HONSEKI, hitto_sha="高橋\u3000一郎")
    with residents.session("fuji") as s:
        person = services.get_person(s, atena)
        event = services.correct(
            s, residents.vault("fuji"), person, D(2020, 1, 1), {"given_kana": "イチロー"}, by="t"
        )
        assert set(event.after) == {"given_kana"} and person.honseki == HONSEKI


def test_the_api_gives_them_to_resident_roles_only(app, staff_client, residents):
    atena = residents.add("fuji", honseki=HONSEKI, hitto_sha="高橋\u3000一郎", effective_on=D(2001, 4, 1))
    factories.user(get_db(app), "fuji", "viewer", ["residents.viewer"])
    for login in ("clerk", "viewer"):
        body = staff_client("fuji", login).get(f"/fuji/residents/api/persons/{atena}").get_json()
        assert body["person"]["honseki"] == HONSEKI and body["person"]["hitto_sha"] == "高橋\u3000一郎"
    factories.user(get_db(app), "fuji", "kofu", ["certificates.viewer"])
    refused = staff_client("fuji", "kofu").get(f"/fuji/residents/api/persons/{atena}")
    assert refused.status_code == 403 and HONSEKI not in refused.get_data(as_text=True)
    assert staff_client("fuji", "finance").get(f"/fuji/residents/api/persons/{atena}").status_code == 403
    search = staff_client("fuji", "viewer").get("/fuji/residents/api/search?kana=タカハシ").get_json()
    assert "honseki" not in search["results"][0]  # the list stays as short as it was


def test_another_citys_honseki_is_out_of_reach(app, staff_client, residents):
    atena = residents.add(
        "fujinomiya", family_name="宮本", family_kana="ミヤモト", honseki="静岡県富士宮市宮町1番地"
    )
    fuji = staff_client("fuji", "clerk")
    path = f"/fujinomiya/residents/{atena}/events/correction"
    assert fuji.get(path).status_code == 403
    post = fuji.post(
        path,
        data={
            "effective_on": "2025-01-01",
            "honseki": "X",
            "csrf_token": csrf_token(fuji, "/fuji/residents/new"),
        },
    )
    assert post.status_code == 403
    assert _person(residents, "fujinomiya", atena).honseki == "静岡県富士宮市宮町1番地"
    # The same 宛名番号 through 富士市's URLs: 富士市 has nobody in this test, so nothing is found.
    assert fuji.get(f"/fuji/residents/{atena}/events/correction").status_code == 404
    assert fuji.get(f"/fuji/residents/api/persons/{atena}").status_code == 404


def test_demo_people_mostly_have_a_honseki_and_a_hitto_sha():
    gen = Generator("fuji", 7)
    drafts = [d for _ in range(400) for d in gen.household()]
    with_honseki = [d for d in drafts if d.values["honseki"]]
    assert len(with_honseki) > 0.9 * len(drafts)
    assert any(d.values["honseki"].startswith("静岡県富士市") for d in drafts if d.values["honseki"])
    assert any(not d.values["honseki"].startswith("静岡県") for d in with_honseki)  # elsewhere in Japan
    for household in (gen.household() for _ in range(200)):
        head = household[0].values
        assert head["relationship"] == HEAD
        for d in household:
            v = d.values
            if v["honseki"] is None:
                assert v["hitto_sha"] is None
            elif v["relationship"] in ("父", "母"):
                assert v["hitto_sha"] == f"{v['family_name']}\u3000{v['given_name']}"
            else:
                assert v["hitto_sha"] == f"{head['family_name']}\u3000{head['given_name']}"
