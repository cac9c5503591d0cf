"""Two secretariat staff on one fiscal year: approvals, reopenings and item changes take turns.

The secretariat of 富士市 and that of 富士宮市 edit the same consortium's year. Page tests run on SQLite
and PostgreSQL; the PostgreSQL test at the end interleaves two real connections on the year's row lock.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from modules.costs import editing, lookups
from modules.costs.demo import load_demo
from modules.costs.errors import CostError
from modules.costs.models import CostItem, Revision, YearStatus
from tenant_core.concurrency import ConflictError
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Tenant
from tenant_core.provisioning import TenantSpec, create_tenant
from tests import factories
from tests.conftest import form_fields, sign_in
from tests.interleave import interleave, require_postgres

PAGE = "/{slug}/costs/manage/2026/"
APPROVE = "/{slug}/costs/manage/2026/approve"
REOPEN = "/{slug}/costs/manage/2026/reopen"


@pytest.fixture
def session(app, db_connection):
    with get_db(app).session() as s:
        yield s


def _fields(client, slug: str, action: str) -> dict[str, str]:
    return form_fields(client, PAGE.format(slug=slug), action=action.format(slug=slug))


def _revisions(app) -> list[Revision]:
    with get_db(app).session() as s:
        cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
        fy = lookups.fiscal_year(s, cid, 2026)
        return list(
            s.scalars(sa.select(Revision).where(Revision.fiscal_year_id == fy.id).order_by(Revision.number))
        )


def _year(app):
    with get_db(app).session() as s:
        cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
        return lookups.fiscal_year(s, cid, 2026)


def test_two_approvals_of_one_year_at_once(app, staff_client, costs_demo):
    fuji, miya = staff_client("fuji", "admin"), staff_client("fujinomiya", "admin")
    first, second = _fields(fuji, "fuji", APPROVE), _fields(miya, "fujinomiya", APPROVE)
    assert first["version"] == second["version"]
    won = fuji.post(APPROVE.format(slug="fuji"), data={**first, "confirm": "y"})
    late = miya.post(APPROVE.format(slug="fujinomiya"), data={**second, "confirm": "y"})
    assert won.status_code == 302
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and "他の職員が承認しました（第1版）" in page
    assert 'href="/fujinomiya/costs/manage/2026/"' in page and "承認済 第1版" in page
    assert [r.number for r in _revisions(app)] == [1]


def test_two_approvals_of_a_reopened_year_store_one_revision(app, staff_client, costs_demo):
    fuji, miya = staff_client("fuji", "admin"), staff_client("fujinomiya", "admin")
    assert (
        fuji.post(
            APPROVE.format(slug="fuji"), data={**_fields(fuji, "fuji", APPROVE), "confirm": "y"}
        ).status_code
        == 302
    )
    # Both open the page of the approved year; the first reopening wins, the second is a conflict.
    first, second = _fields(fuji, "fuji", REOPEN), _fields(miya, "fujinomiya", REOPEN)
    assert (
        fuji.post(REOPEN.format(slug="fuji"), data={**first, "reason": "回線契約の見直し"}).status_code == 302
    )
    late = miya.post(REOPEN.format(slug="fujinomiya"), data={**second, "reason": "別の理由"})
    assert late.status_code == 409 and "改定中" in late.get_data(as_text=True)
    assert _year(app).reopen_reason == "回線契約の見直し"
    # Both open the reopened year; two approvals: one revision 2, the other told it is approved.
    first, second = _fields(fuji, "fuji", APPROVE), _fields(miya, "fujinomiya", APPROVE)
    assert fuji.post(APPROVE.format(slug="fuji"), data={**first, "confirm": "y"}).status_code == 302
    late = miya.post(APPROVE.format(slug="fujinomiya"), data={**second, "confirm": "y"})
    assert late.status_code == 409 and "第2版" in late.get_data(as_text=True)
    revisions = _revisions(app)
    assert [(r.number, r.reason, r.current) for r in revisions] == [
        (1, "当初承認", False),
        (2, "回線契約の見直し", True),
    ]


def test_a_second_approval_without_a_page_is_told_the_year_is_approved(
    app, session, costs_demo, consortium_id
):
    fy = lookups.fiscal_year(session, consortium_id, 2026)
    editing.approve(session, fy, "first")
    with pytest.raises(CostError, match="承認済み"):
        editing.approve(session, fy, "second")
    stale = fy.version - 1
    with pytest.raises(ConflictError, match="他の職員が承認しました"):
        editing.approve(session, fy, "third", version=stale)


def test_an_approval_form_without_its_version_is_refused(app, staff_client, costs_demo):
    fuji = staff_client("fuji", "admin")
    fields = {k: v for k, v in _fields(fuji, "fuji", APPROVE).items() if k != "version"}
    assert fuji.post(APPROVE.format(slug="fuji"), data={**fields, "confirm": "y"}).status_code == 409
    assert _year(app).status == YearStatus.draft and _revisions(app) == []


def test_an_item_changed_meanwhile_makes_the_approval_page_stale(app, staff_client, costs_demo):
    fuji, miya = staff_client("fuji", "admin"), staff_client("fujinomiya", "admin")
    approve_fields = _fields(miya, "fujinomiya", APPROVE)  # the preview 富士宮市 is looking at
    with get_db(app).session() as s:
        item = s.scalar(
            sa.select(CostItem).where(CostItem.fiscal_year_id == _year(app).id).order_by(CostItem.id)
        )
        item_id, amount = item.id, item.amount
    edit_path = f"/fuji/costs/manage/2026/items/{item_id}"
    stale_item = form_fields(miya, edit_path.replace("/fuji/", "/fujinomiya/"))
    values = {"name": "改めた費目", "category": item.category, "amount": str(amount + 1000), "kind": "shared"}
    if item.rule_id:
        values["rule_id"] = str(item.rule_id)
    changed = fuji.post(edit_path, data={**form_fields(fuji, edit_path), **values})
    assert changed.status_code == 302
    # The item form shown before the change is stale, and so is the approval of the old preview.
    late_edit = miya.post(
        edit_path.replace("/fuji/", "/fujinomiya/"), data={**stale_item, **values, "amount": "1"}
    )
    assert late_edit.status_code == 409 and f"{amount + 1000:,}" in late_edit.get_data(as_text=True)
    late_approval = miya.post(APPROVE.format(slug="fujinomiya"), data={**approve_fields, "confirm": "y"})
    assert late_approval.status_code == 409
    with get_db(app).session() as s:
        assert s.get(CostItem, item_id).amount == amount + 1000
    assert _year(app).status == YearStatus.draft


def test_bases_saved_meanwhile_are_not_overwritten_by_a_stale_form(app, staff_client, costs_demo):
    fuji, miya = staff_client("fuji", "admin"), staff_client("fujinomiya", "admin")
    bases = "/{slug}/costs/manage/2026/bases"
    stale = _fields(miya, "fujinomiya", bases)  # 富士宮市's secretariat opened the page first
    with get_db(app).session() as s:
        members = lookups.active_members(s, _year(app))
    figures = {f"m{m.id}_population": str(100_000 + i) for i, m in enumerate(members)}
    saved = fuji.post(bases.format(slug="fuji"), data={**_fields(fuji, "fuji", bases), **figures})
    assert saved.status_code == 302
    late = miya.post(bases.format(slug="fujinomiya"), data={**stale, **dict.fromkeys(figures, "1")})
    assert late.status_code == 409
    with get_db(app).session() as s:
        kept = {b.member_id: b.population for b in lookups.load_year(s, _year(app).id).bases}
    assert sorted(kept.values()) == sorted(100_000 + i for i in range(len(members)))


@pytest.fixture
def other_secretariat(fresh_app):
    """An app with the demo seeds committed and a secretariat of another consortium."""
    app = fresh_app()
    db = get_db(app)
    create_tenant(
        db,
        TenantSpec(
            slug="numazu",
            name="沼津市",
            code=factories.valid_code("22203"),
            consortium_slug="izu_area",
            consortium_name="伊豆地区協議会",
            modules=("costs",),
        ),
    )
    factories.user(db, "numazu", "secretary", ["secretariat"])
    list(load_demo(db, get_settings(app), ["fuji", "fujinomiya"]))
    return app


def test_another_consortiums_year_with_any_version_is_not_found(other_secretariat):
    app = other_secretariat
    c = app.test_client()
    assert sign_in(c, "numazu", "secretary").status_code == 302
    fields = form_fields(c, "/numazu/costs/manage/")
    for version in ("1", "2", "99"):
        for path in (APPROVE, REOPEN):
            response = c.post(
                path.format(slug="numazu"), data={**fields, "version": version, "confirm": "y", "reason": "x"}
            )
            assert response.status_code == 404
    assert _year(app).status == YearStatus.draft and _revisions(app) == []


# --- PostgreSQL: two real connections on the year's row lock -------------------------------------------


def test_postgres_parallel_approvals_take_turns(backend, fresh_app):
    require_postgres(backend)
    app = fresh_app()
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))
    version = _year(app).version

    def approve(who: str):
        def run(s):
            cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
            return editing.approve(s, lookups.fiscal_year(s, cid, 2026), who, version=version)

        return run

    _first, second = interleave(app, approve("first"), approve("second"), schema=None)
    assert isinstance(second, ConflictError) and "第1版" in str(second)
    assert [(r.number, r.approved_by) for r in _revisions(app)] == [(1, "first")]


def test_postgres_two_creations_of_one_year_at_once(backend, fresh_app):
    require_postgres(backend)
    app = fresh_app()
    list(load_demo(get_db(app), get_settings(app), ["fuji", "fujinomiya"]))

    def create(s):
        cid = s.scalar(sa.select(Tenant.consortium_id).where(Tenant.slug == "fuji"))
        return editing.create_year(s, cid, 2030, copy_from=2026)

    first, second = interleave(app, create, create, schema=None)
    assert first.year == 2030
    assert isinstance(second, CostError) and "既に登録されています" in str(second)
