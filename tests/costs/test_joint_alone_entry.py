"""The secretariat's form for a joint-versus-alone scenario: entered, stored, shown, changed; bad input named."""

from __future__ import annotations

import sqlalchemy as sa

from modules.costs.models import CostMember, Scenario
from tenant_core.extensions import get_db
from tests.conftest import post

NEW = "/fuji/costs/manage/joint-alone/"
SIZE = {"first_year": "2026", "years": "3"}


def _members(app) -> list[tuple[str, str]]:
    with get_db(app).session() as s:
        return [(m.code, m.name) for m in s.scalars(sa.select(CostMember).order_by(CostMember.code))]


def _grid(app) -> dict[str, str]:
    """Cloud fees by population and network lines split equally, for every member, three years (千円)."""
    data = {**SIZE, "name": "クラウド移行の比較（入力）", "key": "cloud_entry", "unit": "千円"}
    data |= {"rule-fees": "population", "rule-network": "equal"}
    for n, (code, _name) in enumerate(_members(app)):
        data[f"pop-{code}"] = f"{100_000 + n * 50_000:,}"
        for y in (2026, 2027, 2028):
            data[f"alone-fees-{code}-{y}"] = "50,000"
            data[f"alone-network-{code}-{y}"] = "8000円"
    for y, amount in ((2026, "200000"), (2027, "60000"), (2028, "60000")):
        data[f"joint-fees-{y}"] = amount
        data[f"joint-network-{y}"] = "9000"
    return data


def _count(app) -> int:
    with get_db(app).session() as s:
        return s.scalar(sa.select(sa.func.count(Scenario.id))) or 0


def test_the_secretariat_enters_a_joint_alone_scenario_and_changes_it(app, staff_client, costs_demo):
    c = staff_client("fuji", "admin")
    page = c.get(NEW + "?first_year=2026&years=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="joint-fees-2028"' in html and 'name="joint-licences-2026"' in html
    assert "ガバメントクラウド" in html or "クラウド利用料" in html
    members = _members(app)
    assert members and f'name="alone-operations-{members[0][0]}-2027"' in html

    response = post(c, NEW, NEW + "?first_year=2026&years=3", _grid(app))
    assert response.status_code == 302, response.get_data(as_text=True)
    shown = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "クラウド移行の比較（入力）" in shown and "<polyline" in shown and "損益分岐" in shown
    with get_db(app).session() as s:
        row = s.scalars(sa.select(Scenario).where(Scenario.key == "cloud_entry")).one()
        assert row.definition["fiscal_years"] == [2026, 2027, 2028]
        assert {i["kind"] for i in row.definition["items"]} == {"fees", "network"}  # blank items left out
        assert row.definition["items"][1]["joint"] == [9000, 9000, 9000]
        scenario_id = row.id

    # Changed: the form comes back filled; a save from a page shown before another change is refused.
    edit = f"/fuji/costs/manage/joint-alone/{scenario_id}"
    assert 'value="9000"' in c.get(edit).get_data(as_text=True)
    data = _grid(app) | {"joint-network-2028": "12000"}
    data.pop("key")
    stale = c.post(edit, data=data | {"loaded": "0" * 32, "csrf_token": _token(c, edit)})
    assert stale.status_code == 409
    fields_page = c.get(edit).get_data(as_text=True)
    loaded = fields_page.split('name="loaded" value="')[1].split('"')[0]
    done = c.post(edit, data=data | {"loaded": loaded, "csrf_token": _token(c, edit)})
    assert done.status_code == 302
    with get_db(app).session() as s:
        row = s.get_one(Scenario, scenario_id)
        assert row.definition["items"][1]["joint"] == [9000, 9000, 12000] and row.key == "cloud_entry"


def _token(client, page: str) -> str:
    from tests.conftest import form_fields

    return form_fields(client, page, action=page)["csrf_token"]


def test_bad_input_names_the_item_member_and_year_and_stores_nothing(app, staff_client, costs_demo):
    c = staff_client("fuji", "admin")
    members = _members(app)
    code, name = members[0]
    before = _count(app)
    data = _grid(app)
    data[f"alone-fees-{code}-2027"] = ""
    data[f"alone-network-{code}-2028"] = "abc"
    data["joint-fees-2026"] = "-5"
    data[f"pop-{members[1][0]}"] = ""
    data["rule-licences"] = "population"
    data["joint-licences-2026"] = "100"  # a licence item begun but not finished
    data["key"] = "Bad Key!"
    response = post(c, NEW, NEW + "?first_year=2026&years=3", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"クラウド利用料 の {name} の単独費用（令和9年度）: 入力してください" in html
    assert f"回線費 の {name} の単独費用（令和10年度）: 0以上の整数で入力してください" in html
    assert "クラウド利用料 の共同利用の費用（令和8年度）: 0以上の整数" in html
    assert f"クラウド利用料 は人口で按分します: {members[1][1]} の人口を入力してください" in html
    assert "ライセンス の共同利用の費用（令和9年度）" in html
    assert "「識別名」" in html
    assert 'value="abc"' in html  # what was entered is shown again
    assert _count(app) == before

    bad_size = c.get(NEW + "?first_year=1800&years=99")
    assert bad_size.status_code == 400 and "「最初の年度」" in bad_size.get_data(as_text=True)
    empty = {k: v for k, v in _grid(app).items() if not k.startswith(("joint-", "alone-"))}
    response = post(c, NEW, NEW + "?first_year=2026&years=3", empty)
    assert response.status_code == 400 and "1つ以上入力してください" in response.get_data(as_text=True)
    # A key already used is not overwritten by a new entry.
    assert post(c, NEW, NEW + "?first_year=2026&years=3", _grid(app)).status_code == 302
    again = post(c, NEW, NEW + "?first_year=2026&years=3", _grid(app))
    assert again.status_code == 400 and "既に使われています" in again.get_data(as_text=True)


def test_only_the_secretariat_enters_and_only_its_forms_scenarios(app, staff_client, costs_demo):
    finance = staff_client("fujinomiya", "finance")
    assert finance.get("/fujinomiya/costs/manage/joint-alone/").status_code == 403
    assert finance.post("/fujinomiya/costs/manage/joint-alone/", data=_grid(app)).status_code in (400, 403)
    with get_db(app).session() as s:
        seeds = s.scalars(sa.select(Scenario.id)).all()
    admin = staff_client("fuji", "admin")
    # The seeds' comparisons are not this form's to change; an unknown id is not found.
    assert all(admin.get(f"/fuji/costs/manage/joint-alone/{i}").status_code == 404 for i in seeds)
    assert admin.get("/fuji/costs/manage/joint-alone/999999").status_code == 404
