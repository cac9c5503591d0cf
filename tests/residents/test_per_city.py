"""The same screens and rules in both demo cities, where their parameters or their data differ.

The resident register declares no parameter of its own (the standard leaves it none that these
screens read), so the differences met here come from the modules it feeds and from the city itself:
the certificate fee and the printing of the 本籍 (certificates.honseki_default, read by the
certificate issue below with each city's demo values), the 団体コード that starts the 住民票コード range
(222101 / 222071), and the modules a city runs (富士宮市 has no inquiry screen).
"""

from __future__ import annotations

import datetime as dt

import pytest

from modules.residents import services
from tenant_core.extensions import get_db
from tests import factories
from tests.certificates.conftest import issue
from tests.conftest import post
from tests.residents.test_protection import (  # noqa: F401 (fixtures)
    _flagged,
    _support,
    demo_params,
    people,
)

ROLES = ["residents.editor", "certificates.editor", "seals.editor"]
CITIES = [("fuji", "222101"), ("fujinomiya", "222071")]


@pytest.mark.parametrize(("slug", "code"), CITIES)
def test_protection_cancellation_and_birth_in_each_city(
    app,
    people,  # noqa: F811 (the fixture)
    demo_params,  # noqa: F811 (the fixture)
    staff_client,
    slug,
    code,
):
    db = get_db(app)
    roles = [*ROLES, "inquiry.viewer"] if slug == "fuji" else ROLES  # 富士宮市 runs no inquiry module
    factories.user(db, slug, "plain", roles)
    factories.user(db, slug, "guard", [*roles, "residents.protector"])
    plain, guard = staff_client(slug, "plain"), staff_client(slug, "guard")
    head = people.add(slug, family_name="保護", given_name="花子", family_kana="ホゴ", given_kana="ハナコ")
    other = people.add(slug, family_name="別居", family_kana="ベッキョ", town="本町", banchi="3")
    with people.session(slug) as s:
        # 住民票コード from the city's range: its 団体コード first (juminhyo_code.range_start).
        assert services.get_person(s, head).juminhyo_code.startswith(code[:6])
    registration = people.register(slug, head)
    _support(people, slug, head)

    # Without the permission: nothing of the person on any way in.
    for path in (
        f"/{slug}/residents/{head}",
        f"/{slug}/residents/api/persons/{head}",
        f"/{slug}/seals/r/{registration}",
        f"/{slug}/seals/persons/{head}",
        f"/{slug}/certificates/new?atena={head}",
    ):
        assert plain.get(path).status_code == 404, path
    assert "花子" not in plain.get(f"/{slug}/residents/?kana=ホゴ").get_data(as_text=True)
    assert issue(plain, slug, head, requester_name="保護　花子").status_code == 404
    # With it: shown with the banner, flagged; the named offender refused.
    assert "支援措置の対象です" in guard.get(f"/{slug}/seals/r/{registration}").get_data(as_text=True)
    refused = issue(guard, slug, head, requester_name="加害　太郎", requester_relation="第三者", purpose="x")
    assert refused.status_code == 422 and "加害者として申出のあった方" in refused.get_data(as_text=True)
    assert {"seals.registration"} <= {e.screen for e in _flagged(app, slug, head)}
    inquiry = plain.get(f"/{slug}/inquiry/")
    assert inquiry.status_code == (200 if slug == "fuji" else 404)
    if slug == "fuji":
        asked = plain.get(f"/{slug}/inquiry/?kana=ホゴ").get_data(as_text=True)
        assert "花子" not in asked

    # 転居 entered by mistake, cancelled through the page; a birth through its own form.
    with people.session(slug) as s:
        moved = services.relocate(
            s, services.get_person(s, other), dt.date(2024, 5, 1), {"town": "誤町", "banchi": "1"}, by="t"
        )[0].id
    path = f"/{slug}/residents/{other}/history/{moved}/cancel"
    assert post(plain, path, path, {"reason": "入力誤り", "confirm": "y"}).status_code == 302
    with people.session(slug) as s:
        assert services.get_person(s, other).town == "本町"
    household = people.household_no(slug, other)
    birth = f"/{slug}/residents/households/{household}/birth"
    born = {"given_name": "陽", "given_kana": "ヒナタ", "birth_date": "2025-01-02", "sex": "female"}
    assert post(plain, birth, birth, born).status_code == 302
    with people.session(slug) as s:
        members = services.household_members(s, services.get_person(s, other).household_id)
        assert [m.given_name for m in members] == [members[0].given_name, "陽"]
        assert members[1].town == "本町" and members[1].family_name == "別居"
