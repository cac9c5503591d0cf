"""支援措置 on the ways in the first tests leave out: the seal register (list, 登録番号 look-up, a
registration, its image) and the access-log export; the measures page through an 異動 form."""

from __future__ import annotations

from tests.residents.test_protection import (  # noqa: F401 (fixtures)
    _flagged,
    clients,
    family,
    people,
)


def test_the_seal_register_of_a_protected_person(app, people, family, clients):  # noqa: F811
    registration = people.register("fuji", family["head"])
    other = people.register("fuji", family["other"])
    plain, guard = clients["plain"], clients["guard"]
    for path in (f"/fuji/seals/r/{registration}", f"/fuji/seals/r/{registration}/image"):
        assert plain.get(path).status_code == 404, path
    lookup = plain.get(f"/fuji/seals/?no={registration}")
    assert lookup.status_code == 404 and "花子" not in lookup.get_data(as_text=True)
    listing = plain.get("/fuji/seals/").get_data(as_text=True)
    assert registration not in listing and other in listing and "花子" not in listing
    found = plain.get("/fuji/seals/?kana=ホゴ").get_data(as_text=True)
    assert "次郎" in found and "花子" not in found

    assert guard.get(f"/fuji/seals/r/{registration}/image").status_code == 200
    seen = guard.get(f"/fuji/seals/r/{registration}").get_data(as_text=True)
    assert "花子" in seen and "支援措置の対象です" in seen
    assert registration in guard.get("/fuji/seals/").get_data(as_text=True)
    screens = {e.screen for e in _flagged(app, "fuji", family["head"])}
    assert {"seals.registration", "seals.image"} <= screens


def test_the_access_log_export_shows_the_flag_and_nothing_of_the_person(app, family, clients, staff_client):  # noqa: F811
    plain, guard = clients["plain"], clients["guard"]
    assert plain.get(f"/fuji/residents/{family['head']}").status_code == 404
    assert guard.get(f"/fuji/residents/{family['head']}").status_code == 200
    # The export is the auditor's: never a clerk's, with or without the permission.
    assert plain.get("/fuji/admin/audit/export.csv").status_code == 403
    admin = staff_client("fuji", "admin")
    body = admin.get(f"/fuji/admin/audit/export.csv?target=atena:{family['head']}").get_data(as_text=True)
    lines = [line for line in body.splitlines() if f"atena:{family['head']}" in line]
    # Both accesses are there (the refused one too), the allowed one flagged; the log names the person by
    # 宛名番号 only: no name, no address in it.
    assert any("protected:support" in line and "residents.person" in line for line in lines)
    assert any("404" in line or "failed" in line for line in lines)
    assert "花子" not in body and "吉原" not in body


def test_an_event_form_of_a_protected_person(app, family, clients):  # noqa: F811
    plain, guard = clients["plain"], clients["guard"]
    for path in (
        f"/fuji/residents/{family['head']}/events/relocation",
        f"/fuji/residents/{family['head']}/items/code",
        f"/fuji/residents/{family['head']}/history/1/cancel",
        f"/fuji/residents/households/{family['hh']}/birth",
    ):
        response = plain.get(path)
        assert response.status_code in (200, 404), path
        assert "花子" not in response.get_data(as_text=True), path
    page = guard.get(f"/fuji/residents/{family['head']}/items/code").get_data(as_text=True)
    assert "花子" in page and "支援措置の対象です" in page
