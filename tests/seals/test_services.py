"""The seal services: the rules (residence, age, one seal), loss, abolition, images checked by content."""

import datetime as dt

import pytest

from modules.seals import services
from modules.seals.errors import SealError
from modules.seals.images import check_image
from modules.seals.models import SealStatus
from modules.seals.services import SealRules
from tenant_core.japanese import japan_today
from tests.seals.conftest import jpeg, png

D = dt.date


def test_register_gives_numbers_and_keeps_the_image(seals):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena, number_prefix="F")
    reg = seals.get("fuji", no)
    assert no.startswith("F") and reg.card_no.startswith("FC") and reg.status == SealStatus.registered
    assert reg.image_mime == "image/png" and reg.image == png() and len(reg.image_sha256) == 64
    with seals.session("fuji") as s:
        active = services.active_registration(s, atena)
        assert active.registration_no == no and active.registered_on == japan_today()
        assert [r.registration_no for r in services.registrations_of(s, atena)] == [no]
    second = seals.register("fuji", seals.add("fuji", given_name="二郎"), number_prefix="F")
    assert int(second[1:]) == int(no[1:]) + 1


def test_one_registered_seal_per_person_and_minimum_age(seals):
    atena = seals.add("fuji")
    seals.register("fuji", atena)
    with pytest.raises(SealError) as exc:
        seals.register("fuji", atena)
    assert "1人1個" in exc.value.errors["atena_no"]

    today = japan_today()
    born = D(today.year - 14, 1, 1)
    child = seals.add("fuji", given_name="三郎", birth_date=born, effective_on=born)
    with pytest.raises(SealError) as exc:
        seals.register("fuji", child, min_age=15)
    assert "15歳未満" in exc.value.errors["atena_no"]
    assert seals.register("fuji", child, min_age=14)  # a city that sets 14 allows it


def test_a_moved_out_resident_cannot_register(seals):
    atena = seals.add("fuji")
    with seals.session("fuji") as s:
        from modules.residents import services as residents

        residents.move_out(s, residents.get_person(s, atena), D(2020, 1, 1), by="t", destination="東京都")
    with pytest.raises(SealError) as exc:
        seals.register("fuji", atena)
    assert "住民でない方" in exc.value.errors["atena_no"]


def test_another_citys_atena_is_refused_and_nothing_is_saved(seals):
    theirs = seals.add("fujinomiya")
    with pytest.raises(SealError) as exc:
        seals.register("fuji", theirs)
    assert exc.value.refused and "この団体の住民記録にいません" in exc.value.errors["atena_no"]
    with seals.session("fuji") as s:
        assert services.registrations_of(s, theirs) == []


def test_lost_then_reregistration_follows_the_city_rule(seals):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena)
    with seals.session("fuji") as s:
        reg = services.get_registration(s, no)
        with pytest.raises(SealError) as exc:
            services.mark_lost(s, reg, reason="", confirmed=False, by="t")
        assert set(exc.value.errors) == {"reason", "confirm"}
        assert reg.status == SealStatus.registered
        services.mark_lost(s, reg, reason="財布ごと紛失", confirmed=True, by="t")
        assert services.active_registration(s, atena) is None
    with pytest.raises(SealError) as exc:
        seals.register("fuji", atena, allow_reregistration_after_lost=False)
    assert "亡失届" in exc.value.errors["atena_no"]
    assert seals.register("fuji", atena, allow_reregistration_after_lost=True)


def test_abolish_needs_reason_and_tick_and_is_final(seals):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena)
    with seals.session("fuji") as s:
        reg = services.get_registration(s, no)
        with pytest.raises(SealError):
            services.abolish(s, reg, reason="本人の申出", confirmed=False, by="t")
        services.abolish(s, reg, reason="本人の申出", confirmed=True, by="t")
        assert reg.status == SealStatus.abolished and reg.abolished_reason == "本人の申出"
        with pytest.raises(SealError):
            services.abolish(s, reg, reason="再度", confirmed=True, by="t")
        assert [e.kind for e in services.events_of(s, reg)] == ["registered", "abolished"]
    assert seals.register("fuji", atena)  # a new seal after abolition


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "ファイルを選択"),
        (b"not an image at all, named seal.png", "画像ではない"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "読み取れません"),
        (b"GIF89a" + b"\x00" * 40, "PNG または JPEG"),
        (png(8, 8), "16〜4000"),
    ],
)
def test_bad_images_are_refused_in_japanese(data, message):
    with pytest.raises(SealError) as exc:
        check_image(data, 512)
    assert message in exc.value.errors["image"]


def test_image_size_limit_is_the_parameter():
    big = png(1200, 1200)
    with pytest.raises(SealError) as exc:
        check_image(big, 1)
    assert "上限 1KB" in exc.value.errors["image"]
    assert check_image(jpeg(), 512).mime == "image/jpeg"


def test_bad_image_saves_nothing(seals):
    atena = seals.add("fuji")
    with pytest.raises(SealError):
        seals.register("fuji", atena, image=b"%PDF-1.4 pretending")
    with seals.session("fuji") as s:
        assert services.registrations_of(s, atena) == []


def test_rules_read_from_the_citys_parameters(app, demo_params, db_connection):
    for slug, prefix, max_kb, allow in (("fuji", "F", 512, False), ("fujinomiya", "M", 300, True)):
        with app.test_request_context(f"/{slug}/seals/"):
            from flask import g

            from tenant_core.tenancy import find_tenant

            g.tenant = find_tenant(slug)
            rules = SealRules.current()
        assert (rules.number_prefix, rules.image_max_kb, rules.allow_reregistration_after_lost) == (
            prefix,
            max_kb,
            allow,
        )
        assert rules.min_age == 15
