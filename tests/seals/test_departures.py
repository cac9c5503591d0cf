"""A seal registration follows the resident register: a 転出 or 死亡 erases it (職権抹消) in the
same transaction; an event that fails leaves the seal registered. Pages show the end."""

import datetime as dt

import pytest

from modules.residents import departures
from modules.residents import services as residents
from modules.residents.errors import ResidentError
from modules.seals import services
from modules.seals.errors import SealError
from modules.seals.models import SealEventKind, SealStatus
from tenant_core.japanese import japan_today, wareki_date
from tenant_core.modules import installed
from tests.conftest import csrf_token

D = dt.date
TODAY = japan_today()  # a seal is registered today: the register's events come on or after it


def _status(seals, slug, no):
    reg = seals.get(slug, no)
    return reg.status, reg.abolished_on, reg.abolished_reason


def test_the_manifest_registers_the_listener_at_start_up(app):
    assert installed()["seals"].startup == "modules.seals.departures:register_listener"
    from modules.seals.departures import erase_on_person_left

    assert departures.listeners().count(erase_on_person_left) == 1  # however many apps were built


def test_a_death_erases_the_seal_with_the_date_and_reason(seals):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena)
    with seals.session("fuji") as s:
        residents.record_death(s, residents.get_person(s, atena), TODAY, by="test:clerk")
    assert _status(seals, "fuji", no) == (SealStatus.erased, TODAY, "死亡による職権抹消")
    with seals.session("fuji") as s:
        assert services.active_registration(s, atena) is None
        reg = services.get_registration(s, no)
        kinds = [(e.kind, e.effective_on, e.recorded_by) for e in services.events_of(s, reg)]
    assert kinds[-1] == (SealEventKind.erased, TODAY, "test:clerk")
    # An erased registration cannot be abolished afterwards.
    with seals.session("fuji") as s, pytest.raises(SealError) as exc:
        services.abolish(s, services.get_registration(s, no), reason="x", confirmed=True, by="t")
    assert "職権で抹消" in str(exc.value.errors)


def test_a_move_out_erases_the_seal_of_every_mover_and_a_lost_card_too(seals):
    head = seals.add("fuji")
    household = seals.household_no("fuji", head)
    spouse = seals.add("fuji", household, given_name="花子", relationship="妻", sex="female")
    other_city = seals.add("fujinomiya")
    head_no = seals.register("fuji", head)
    spouse_no = seals.register("fuji", spouse)
    theirs = seals.register("fujinomiya", other_city)
    with seals.session("fuji") as s:
        services.mark_lost(s, services.get_registration(s, spouse_no), reason="紛失", confirmed=True, by="t")
    with seals.session("fuji") as s:
        residents.move_out(
            s, residents.get_person(s, head), TODAY, by="t", destination="東京都", whole_household=True
        )
    assert _status(seals, "fuji", head_no) == (SealStatus.erased, TODAY, "転出による職権抹消")
    assert _status(seals, "fuji", spouse_no)[0] == SealStatus.erased
    # The other city's register is untouched (its own 宛名番号 may even be the same number).
    assert seals.get("fujinomiya", theirs).status == SealStatus.registered


def test_a_failing_event_leaves_the_seal_registered(seals):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena)
    # Refused by the register (a date before the person's last event): nothing changes.
    with pytest.raises(ResidentError), seals.session("fuji") as s:
        residents.record_death(s, residents.get_person(s, atena), D(1990, 1, 1), by="t")
    assert _status(seals, "fuji", no) == (SealStatus.registered, None, "")

    # The seal was erased inside the transaction, then something after it failed: all rolled back.
    def fail(session, left):
        raise RuntimeError("a later listener fails")

    departures.on_person_left(fail)
    try:
        with pytest.raises(RuntimeError), seals.session("fuji") as s:
            residents.move_out(s, residents.get_person(s, atena), TODAY, by="t")
    finally:
        departures._listeners.remove(fail)
    assert _status(seals, "fuji", no) == (SealStatus.registered, None, "")
    with seals.session("fuji") as s:
        assert residents.is_resident(residents.get_person(s, atena))


def test_seal_page_and_inquiry_show_the_erasure(app, staff_client, seals):
    atena = seals.add("fuji", family_name="抹消", family_kana="マッショウ")
    no = seals.register("fuji", atena)
    with seals.session("fuji") as s:
        residents.record_death(s, residents.get_person(s, atena), TODAY, by="t")
    client = staff_client("fuji", "clerk")
    page = client.get(f"/fuji/seals/r/{no}").get_data(as_text=True)
    assert "職権抹消" in page and wareki_date(TODAY) in page and "死亡による職権抹消" in page
    assert f"/fuji/seals/r/{no}/abolish" not in page  # nothing left to do on it
    path = "/fuji/inquiry/"
    body = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "atena_no": str(atena), "purpose": "counter"},
    ).get_data(as_text=True)
    assert no in body and "職権抹消" in body and "死亡による職権抹消" in body
    # Another city's clerk does not reach it.
    assert staff_client("fujinomiya", "clerk").get(f"/fuji/seals/r/{no}").status_code == 403
