"""The consortium's cost data in the database: the seeds through the demo loader, the lifecycle, periods."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from modules.costs import computing, demo, editing, errors, lookups, results, stored_scenarios
from modules.costs import scenarios as scenario_engine
from modules.costs.models import FiscalYear, Revision, RevisionShare, YearStatus
from tenant_core.extensions import get_db
from tenant_core.models import Consortium

MILLION = 1_000_000


@pytest.fixture
def session(app, db_connection):
    with get_db(app).session() as s:
        yield s


def _year(session, consortium_id, year):
    return lookups.load_year(session, lookups.fiscal_year(session, consortium_id, year).id)


def test_the_seed_split_is_stored_as_an_approved_revision(session, costs_demo, consortium_id):
    assert "costs: 平成23年度 joint build split 6,788 百万円, approved" in costs_demo
    fy = _year(session, consortium_id, 2011)
    assert fy.status == YearStatus.approved
    result = results.year_result(session, fy)
    assert result.revision == 1
    shared = result.totals(shared_only=True)
    assert shared == {"222071": 2_912 * MILLION, "222101": 3_876 * MILLION}
    ratios = {r.member_code: r.ratio for r in result.rows if r.shared}
    assert ratios == {"222101": "0.571", "222071": "0.429"}
    own = {r.member_code: r.amount for r in result.rows if not r.shared}
    assert own == {"222101": 2_631 * MILLION, "222071": 1_848 * MILLION}
    row = next(r for r in result.rows if r.shared and r.member_code == "222101")
    assert "4,824,000,000 ÷ 合計 8,444,000,000" in row.explanation_ja
    assert "按分率 0.571（小数第3位で確定）" in row.explanation_ja
    assert "1,000,000未満切り捨て" in row.explanation_ja
    savings = {s["code"]: s for s in results.savings(result, session, fy)}
    alone = sum(s["alone"] for s in savings.values())
    joint = sum(s["joint"] for s in savings.values())
    assert (alone, joint) == (8_444 * MILLION, 6_788 * MILLION)
    assert round((alone - joint) * 1000 / alone) == 196  # 19.6%


def test_the_scenarios_reproduce_the_seed_totals(session, costs_demo, consortium_id):
    rows = {s.key: s for s in stored_scenarios.scenarios(session, consortium_id)}
    fuji = stored_scenarios.compare_scenario(rows["fuji_10years"])
    assert [int(r.total) for r in fuji.results] == [14_559, 12_989, 11_267]
    assert str(scenario_engine.percent(fuji["alone"].change_rate)) == "-10.78"
    assert str(scenario_engine.percent(fuji["joint"].change_rate)) == "-22.61"
    asahikawa = stored_scenarios.compare_scenario(rows["asahikawa"])
    assert int(asahikawa["continue"].total) == 8_240
    assert int(asahikawa["optimise"].total) == 9_441
    assert asahikawa["optimise"].by_label == {"現行システム経費": 4_278, "最適対応経費": 5_163}
    assert asahikawa["optimise"].break_even is None  # the optimisation does not pay back within H28–H40
    assert rows["asahikawa"].definition["members"] == {"012041": "旭川市"}


def test_the_demo_loader_is_idempotent(app, session, costs_demo, consortium_id):
    again = list(demo.load_demo(get_db(app), app.extensions["kyodo.settings"], ["fuji", "fujinomiya"]))
    assert all("member" not in line and "approved" not in line for line in again)
    assert session.scalar(sa.select(sa.func.count()).select_from(FiscalYear)) == 4
    assert len(lookups.members(session, consortium_id)) == 2
    assert len(stored_scenarios.scenarios(session, consortium_id)) == 2


def test_an_approved_year_is_locked_and_a_revision_keeps_the_old_one(session, costs_demo, consortium_id):
    fy = _year(session, consortium_id, 2025)
    item = fy.items[0]
    with pytest.raises(errors.CostError, match="承認済み"):
        editing.save_item(session, fy, name=item.name, category=item.category, amount=1, shared=True)
    with pytest.raises(errors.CostError, match="理由"):
        editing.reopen(session, fy, "   ")
    before = results.year_result(session, fy)

    editing.reopen(session, fy, "運用保守委託料の契約変更")
    # While the revision is prepared, the approved version stays in force for the finance pages.
    assert results.year_result(session, fy).revision == 1
    editing.save_item(
        session,
        fy,
        name=item.name,
        category=item.category,
        amount=item.amount + 10_000_000,
        shared=True,
        item=item,
    )
    rev2 = editing.approve(session, fy, "secretariat-test")
    assert rev2.number == 2 and rev2.reason == "運用保守委託料の契約変更"
    now = results.year_result(session, fy)
    assert now.revision == 2 and now.total == before.total + 10_000_000
    old = results.revision_result(session, fy, lookups.revision_of(session, fy, 1))
    assert old.status == "superseded" and old.rows == before.rows
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Revision)
            .where(Revision.current, Revision.fiscal_year_id == fy.id)
        )
        == 1
    )


def test_stored_shares_do_not_follow_a_later_engine_change(session, costs_demo, consortium_id, monkeypatch):
    fy = _year(session, consortium_id, 2011)
    stored = results.year_result(session, fy)

    def broken(item, members):
        raise AssertionError("an approved statement must not be recomputed")

    monkeypatch.setattr(computing, "allocate_item", broken)
    assert results.year_result(session, fy).rows == stored.rows
    assert session.scalar(sa.select(sa.func.count()).select_from(RevisionShare)) > 0


def test_a_member_joining_later_shares_only_from_its_first_year(session, costs_demo, consortium_id):
    editing.add_member(session, consortium_id, code="222038", name="沼津市", joined_year=2026)
    early = computing.compute(session, _year(session, consortium_id, 2025))
    assert "222038" not in dict(early.members)
    fy = _year(session, consortium_id, 2026)
    preview = computing.compute(session, fy)
    assert any("沼津市" in e or "222038" in e for e in preview.errors)  # no bases yet: named in the error
    with pytest.raises(errors.CostError, match="承認できません"):
        editing.approve(session, fy, "x")
    member = next(m for m in lookups.members(session, consortium_id) if m.code == "222038")
    editing.save_basis(
        session, fy, member, population=189_000, households=88_000, as_of=None, usage=20_000, standalone=None
    )
    preview = computing.compute(session, fy)
    assert preview.errors == [] and preview.totals()["222038"] > 0
    with pytest.raises(errors.CostError, match="加入年度"):
        editing.add_member(session, consortium_id, code="222046", name="x", joined_year=2026, left_year=2020)


def test_bad_rules_are_refused_with_the_field_named(session, costs_demo, consortium_id):
    fy = _year(session, consortium_id, 2026)
    with pytest.raises(errors.CostError, match="method"):
        editing.add_rule(session, fy, name="x", spec={"method": "lottery"})
    with pytest.raises(errors.CostError, match="既定ルール"):
        editing.add_rule(session, fy, name="x", spec={"method": "equal"}, category="operation")


def test_another_consortiums_data_is_not_found(session, costs_demo, consortium_id):
    other = Consortium(slug="other_area", name="他協議会")
    session.add(other)
    session.flush()
    assert lookups.fiscal_year(session, other.id, 2011) is None
    assert stored_scenarios.scenarios(session, other.id) == []
    fuji_scenario = stored_scenarios.scenarios(session, consortium_id)[0]
    assert stored_scenarios.scenario(session, other.id, fuji_scenario.id) is None
    assert results.overview(session, other.id, None).years == []
