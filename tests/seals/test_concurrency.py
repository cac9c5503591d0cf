"""Two clerks on one seal registration: the second form, shown before the first was sent, is a 409."""

from __future__ import annotations

from modules.seals import services
from modules.seals.errors import SealError
from modules.seals.services import SealRules
from tenant_core.extensions import get_db
from tests.conftest import form_fields
from tests.interleave import interleave, require_postgres
from tests.residents.test_concurrency import _arrive
from tests.seals.conftest import png


def test_lost_and_abolish_of_one_registration_at_once(staff_client, seals):
    no = seals.register("fuji", seals.add("fuji"))
    clerk, other = staff_client("fuji", "clerk"), staff_client("fuji", "clerk")
    lost_path, abolish_path = f"/fuji/seals/r/{no}/lost", f"/fuji/seals/r/{no}/abolish"
    lost_form, abolish_form = form_fields(clerk, lost_path), form_fields(other, abolish_path)
    won = clerk.post(lost_path, data={**lost_form, "reason": "紛失", "confirm": "y"})
    late = other.post(abolish_path, data={**abolish_form, "reason": "本人の申出", "confirm": "y"})
    assert won.status_code == 302
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and "他の職員が変更しました" in page and "亡失" in page
    reg = seals.get("fuji", no)
    assert reg.status == "lost" and reg.abolished_on is None
    with seals.session("fuji") as s:
        assert [e.kind for e in services.events_of(s, services.get_registration(s, no))] == [
            "registered",
            "lost",
        ]
    # Shown again, the form carries the current version and the 廃止届 goes through.
    again = other.post(
        abolish_path, data={**form_fields(other, abolish_path), "reason": "本人の申出", "confirm": "y"}
    )
    assert again.status_code == 302 and seals.get("fuji", no).status == "abolished"


def test_a_form_without_its_version_changes_nothing(staff_client, seals):
    no = seals.register("fuji", seals.add("fuji"))
    clerk = staff_client("fuji", "clerk")
    path = f"/fuji/seals/r/{no}/lost"
    fields = {k: v for k, v in form_fields(clerk, path).items() if k != "version"}
    assert clerk.post(path, data={**fields, "reason": "紛失", "confirm": "y"}).status_code == 409
    assert seals.get("fuji", no).status == "registered"


def test_another_citys_registration_with_any_version_is_not_found(staff_client, seals):
    seals.add("fujinomiya")
    theirs = seals.register("fujinomiya", seals.add("fujinomiya"), number_prefix="M")
    clerk = staff_client("fuji", "clerk")
    fields = form_fields(clerk, "/fuji/seals/register")
    for version in ("1", "2"):
        response = clerk.post(
            f"/fuji/seals/r/{theirs}/lost",
            data={**fields, "version": version, "reason": "紛失", "confirm": "y"},
        )
        assert response.status_code == 404
    assert seals.get("fujinomiya", theirs).status == "registered"


def test_postgres_two_registrations_of_one_person_at_once(backend, fresh_app):
    require_postgres(backend)
    app = fresh_app(demo=True)
    atena = _arrive(app)
    first, second = interleave(
        app,
        lambda s: services.register(s, atena, png(), by="a", rules=SealRules()),
        lambda s: services.register(s, atena, png(colour="blue"), by="b", rules=SealRules()),
    )
    assert isinstance(second, SealError) and "すでに印鑑を登録" in str(second)
    with app.app_context(), get_db(app).session("t_fuji") as s:
        assert [r.registration_no for r in services.registrations_of(s, atena)] == [first.registration_no]


def test_postgres_a_certificate_and_a_lost_card_at_once(backend, fresh_app):
    """The 亡失届 waits for the certificate being issued; a certificate after it finds no registered seal."""
    require_postgres(backend)
    app = fresh_app(demo=True)
    atena = _arrive(app)
    with app.app_context(), get_db(app).session("t_fuji") as s:
        number = services.register(s, atena, png(), by="a", rules=SealRules()).registration_no
        s.commit()

    def lose(s):
        reg = services.get_registration(s, number)
        return services.mark_lost(s, reg, reason="紛失", confirmed=True, by="b")

    _first, second = interleave(app, lose, lambda s: services.active_registration(s, atena, lock=True))
    assert second is None  # read after the 亡失届 committed: no certificate can be issued
