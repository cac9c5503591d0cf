"""所有者・使用者の変更 through its page, and 所有権留保 in the 賦課: version, confirmation, history, log."""

from __future__ import annotations

import sqlalchemy as sa

from modules.keitax import services, tasks
from modules.keitax.models import Assessment
from tenant_core.audit.models import AccessLog
from tests.conftest import form_fields, post
from tests.keitax.conftest import NEXT_YEAR


def _holders_log(tax, slug):
    with tax.city(slug) as s:
        return list(
            s.scalars(
                sa.select(AccessLog)
                .where(AccessLog.screen == "keitax.change_holders")
                .order_by(AccessLog.seq)
            )
        )


def test_a_clerk_changes_the_owner_through_the_page(tax, tax_clients):
    first, second = tax.add("fuji"), tax.add("fuji", family_name="佐藤")
    vid = tax.vehicle("fuji", first, "light_2", first_inspection=None)
    c = tax_clients["fuji:tax1"]
    page = f"/fuji/keitax/vehicles/{vid}/holders"
    assert f'href="{page}"' in c.get(f"/fuji/keitax/vehicles/{vid}").get_data(as_text=True)
    shown = c.get(page).get_data(as_text=True)
    assert f'value="{first}"' in shown and 'name="version"' in shown
    # Without the tick: nothing changed, the field named.
    bad = post(c, page, page, {"owner_atena_no": str(second), "effective_on": "2026-04-01"})
    assert bad.status_code == 422 and "確認欄にチェック" in bad.get_data(as_text=True)
    # A day that is not one is named too.
    bad = post(
        c, page, page, {"owner_atena_no": str(second), "effective_on": "令和8年2月30日", "confirm": "y"}
    )
    assert bad.status_code == 422 and "異動日" in bad.get_data(as_text=True)
    with tax.city("fuji") as s:
        assert services.get_vehicle(s, vid).owner_atena_no == first
    ok = post(c, page, page, {"owner_atena_no": str(second), "effective_on": "R8.4.1", "confirm": "y"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/fuji/keitax/vehicles/{vid}")
    with tax.city("fuji") as s:
        v = services.get_vehicle(s, vid)
        events = services.events_of(s, v)
        assert v.owner_atena_no == second and v.version == 2
    assert [e.kind for e in events] == ["acquired", "changed"]
    assert (events[1].before["owner_atena_no"], events[1].after["owner_atena_no"]) == (first, second)
    assert events[1].recorded_by.endswith("tax1")
    history = c.get(f"/fuji/keitax/vehicles/{vid}").get_data(as_text=True)
    assert f"{first:010d} → {second:010d}" in history
    entries = _holders_log(tax, "fuji")
    assert [(e.outcome, e.target) for e in entries][-1] == ("ok", f"vehicle:{vid}")
    assert f"owner:{first}" in entries[-1].detail and f"owner:{second}" in entries[-1].detail


def test_a_stale_version_is_refused_with_409_and_nothing_changes(tax, tax_clients):
    first, second, third = tax.add("fuji"), tax.add("fuji"), tax.add("fuji")
    vid = tax.vehicle("fuji", first, "light_2", first_inspection=None)
    c, other = tax_clients["fuji:tax1"], tax_clients["fuji:tax2"]
    page = f"/fuji/keitax/vehicles/{vid}/holders"
    stale = form_fields(c, page, action=page)  # the first clerk opens the form...
    assert (
        post(
            other, page, page, {"owner_atena_no": str(second), "effective_on": "2026-04-01", "confirm": "y"}
        ).status_code
        == 302
    )
    # ...and sends it after the second clerk's change: 409, the second clerk's owner stays.
    response = c.post(
        page,
        data={**stale, "owner_atena_no": str(third), "effective_on": "2026-04-01", "confirm": "y"},
    )
    assert response.status_code == 409
    with tax.city("fuji") as s:
        v = services.get_vehicle(s, vid)
        assert (v.owner_atena_no, len(services.events_of(s, v))) == (second, 2)
    assert _holders_log(tax, "fuji")[-1].outcome == "failed"
    # A form without its version is a conflict too, never a silent overwrite.
    fields = form_fields(c, page, action=page)
    response = c.post(
        page,
        data={"csrf_token": fields["csrf_token"], "owner_atena_no": str(third), "confirm": "y"},
    )
    assert response.status_code == 409


def test_an_owner_of_another_city_is_refused_by_name_and_the_page_is_city_bound(tax, tax_clients):
    for _ in range(3):  # 富士宮市's numbers beyond 富士市's
        tax.add("fujinomiya")
    theirs = tax.add("fujinomiya")
    for n in range(3):  # and its vehicle ids too
        tax.vehicle("fujinomiya", theirs, "moped_50", first_inspection=None, plate_no=f"富士宮 {n}")
    their_vid = tax.vehicle("fujinomiya", theirs, "light_2", first_inspection=None)
    ours = tax.add("fuji")
    vid = tax.vehicle("fuji", ours, "light_2", first_inspection=None)
    fuji = tax_clients["fuji:tax1"]
    page = f"/fuji/keitax/vehicles/{vid}/holders"
    for data, message in (
        ({"owner_atena_no": str(theirs)}, "所有者の宛名番号がこの団体の宛名にありません"),
        (
            {"owner_atena_no": str(ours), "user_atena_no": str(theirs)},
            "使用者の宛名番号がこの団体の宛名にありません",
        ),
    ):
        response = post(fuji, page, page, {**data, "effective_on": "2026-04-01", "confirm": "y"})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with tax.city("fuji") as s:
        v = services.get_vehicle(s, vid)
        assert (v.owner_atena_no, v.user_atena_no, v.version) == (ours, None, 1)
    # 富士宮市's page from a 富士市 session, and 富士宮市's vehicle through 富士市's address.
    assert fuji.get(f"/fujinomiya/keitax/vehicles/{their_vid}/holders").status_code == 403
    assert fuji.post(f"/fujinomiya/keitax/vehicles/{their_vid}/holders", data={}).status_code in (400, 403)
    assert fuji.get(f"/fuji/keitax/vehicles/{their_vid}/holders").status_code == 404
    response = post(
        fuji,
        f"/fuji/keitax/vehicles/{their_vid}/holders",
        page,
        {"owner_atena_no": str(ours), "confirm": "y", "version": "1"},
    )
    assert response.status_code == 404
    with tax.city("fujinomiya") as s:
        assert services.get_vehicle(s, their_vid).owner_atena_no == theirs


def test_retained_title_makes_the_user_the_taxpayer(tax, tax_clients):
    """所有権留保 (地方税法第444条第1項): the buyer who uses the vehicle is taxed, not the seller."""
    seller, buyer = tax.add("fuji", family_name="販売"), tax.add("fuji", family_name="買主")
    vid = tax.vehicle(
        "fuji", seller, "light_2", first_inspection=None, user_atena_no=buyer, retained_title=True
    )
    plain = tax.vehicle(
        "fuji", seller, "light_2", first_inspection=None, user_atena_no=buyer, plate_no="富士 9"
    )
    tax.run_job("fuji", tasks.assess_year, NEXT_YEAR)
    with tax.city("fuji") as s:
        taxed = dict(s.execute(sa.select(Assessment.vehicle_id, Assessment.taxpayer_atena_no)).all())
    assert taxed == {vid: buyer, plain: seller}
    # Paid off: the title passes, the flag is cleared through the page; the rerun is a 更正 to the owner.
    c = tax_clients["fuji:tax1"]
    page = f"/fuji/keitax/vehicles/{vid}/holders"
    ok = post(
        c,
        page,
        page,
        {
            "owner_atena_no": str(buyer),
            "user_atena_no": str(buyer),
            "effective_on": "2026-04-01",
            "confirm": "y",
        },
    )
    assert ok.status_code == 302
    assert tax.run_job("fuji", tasks.assess_year, NEXT_YEAR).result["corrected"] == 0  # same taxpayer
    # A retained title without a buyer is refused, naming the field.
    bad = post(
        c,
        page,
        page,
        {"owner_atena_no": str(seller), "retained_title": "y", "effective_on": "2026-04-01", "confirm": "y"},
    )
    assert bad.status_code == 422 and "使用者（買主）の宛名番号" in bad.get_data(as_text=True)
