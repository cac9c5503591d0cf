"""The cost pages: finance officer and secretariat, exports, refusals across cities and consortia."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from modules.costs.demo import load_demo
from tenant_core.audit.models import AccessLog
from tenant_core.extensions import get_db, get_settings
from tenant_core.provisioning import TenantSpec, create_tenant
from tests import factories
from tests.conftest import post, sign_in


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _log(app, slug: str) -> list[AccessLog]:
    with get_db(app).session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.seq)))


def test_the_finance_page_shows_the_seed_figures_and_the_chart(app, staff_client, costs_demo):
    c = staff_client("fuji", "finance")
    html = _text(c.get("/fuji/costs/"))
    assert "平成23年度" in html and "令和7年度" in html and "令和8年度" in html
    assert "案（未承認）" in html  # 令和8年度 is still a draft
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart stacked"' in html
    assert "<script" not in html.split("</head>")[1]  # no inline script in the page body
    assert "富士市・富士宮市 共同化 コスト試算" in html and "旭川市" in html

    html = _text(c.get("/fuji/costs/2011/"))
    assert "3,876,000,000" in html and "57.1%" in html
    assert "各市個別（富士市）" in html and "2,631,000,000" in html
    assert "各市個別（富士宮市）" not in html  # the other city's own items are not shown
    assert "4,824,000,000 ÷ 合計 8,444,000,000" in html  # the explanation with the basis values
    assert 'id="overall-rate">19.6%' in html
    assert "承認済 第1版" in html

    html = _text(c.get("/fuji/costs/2011/?scope=all"))
    assert "3,876,000,000" in html and "2,912,000,000" in html  # all members' shares of the shared item
    assert "各市個別（富士宮市）" not in html
    assert any(e.function == "view" and e.target == "costs:2011:rev1" for e in _log(app, "fuji"))


def test_the_same_year_under_another_rule_side_by_side(staff_client, costs_demo):
    html = _text(staff_client("fuji", "finance").get("/fuji/costs/2025/?compare=population"))
    assert 'id="comparison"' in html and "人口割" in html
    assert "現行ルール" in html


def test_the_scenarios_pages_show_the_seed_totals(staff_client, costs_demo):
    c = staff_client("fujinomiya", "finance")
    html = _text(c.get("/fujinomiya/costs/"))
    ids = {
        name: href
        for href, name in __import__("re").findall(r'href="/fujinomiya/costs/scenarios/(\d+)">([^<]+)<', html)
    }
    fuji = _text(
        c.get(f"/fujinomiya/costs/scenarios/{ids['富士市・富士宮市 共同化 コスト試算（運用10年間）']}")
    )
    for figure in ("14,559", "12,989", "11,267", "-10.78%", "-22.61%"):
        assert figure in fuji
    asahikawa = _text(
        c.get(f"/fujinomiya/costs/scenarios/{ids['旭川市 業務システム最適化計画 経費比較（H28–H40）']}")
    )
    for figure in ("8,240", "9,441", "4,278", "5,163", "期間内に解消しない", "平成28年度", "令和10年度"):
        assert figure in asahikawa
    assert 'class="chart lines"' in asahikawa


def test_exports_carry_shares_ratios_and_explanations(app, staff_client, costs_demo):
    c = staff_client("fuji", "finance")
    response = c.get("/fuji/costs/2011/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    shared = next(r for r in rows if r["按分対象/個別"] == "按分対象")
    assert (shared["団体名"], shared["負担額（円）"], shared["按分率"]) == ("富士市", "3876000000", "0.571")
    assert "最大剰余法" in shared["説明"] and shared["年度（和暦）"] == "平成23年度"
    assert {r["団体名"] for r in rows} == {"富士市"}

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(c.get("/fuji/costs/2011/export.xlsx?scope=all").data))
    values = [row for row in book["負担額"].iter_rows(min_row=3, values_only=True)]
    assert {(v[10], v[11]) for v in values if v[6] == "按分対象"} == {
        ("富士市", 3876000000),
        ("富士宮市", 2912000000),
    }
    assert all(v[10] == "富士市" for v in values if v[6] == "個別")  # 富士宮市's own items stay with 富士宮市
    assert book["団体別合計"]["E2"].value is not None

    pdf = c.get("/fuji/costs/2011/statement.pdf")
    assert pdf.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in (
        "平成23年度 負担金算定書",
        "富士市",
        "按分対象（共同構築・運用10年間）",
        "3,876,000,000",
        "57.1%",
        "4,824,000,000",
        "各市個別（富士市）",
        "2,631,000,000",
        "負担金 合計",
        "6,507,000,000",
    ):
        assert expected in text, expected
    assert "富士宮市" not in text.replace("富士市", "")  # only the city's own statement
    functions = [(e.function, e.screen) for e in _log(app, "fuji")]
    assert ("export", "costs.csv") in functions and ("print", "costs.statement") in functions


def test_the_secretariat_enters_previews_approves_and_revises(app, staff_client, costs_demo):
    c = staff_client("fuji", "admin")
    page = "/fuji/costs/manage/2026/"
    html = _text(c.get(page))
    assert "案（編集可）" in html and 'id="preview"' in html

    # Bad input changes nothing and names the field.
    response = post(
        c,
        "/fuji/costs/manage/2026/items",
        page,
        {"name": "回線増強", "category": "network", "amount": "十万"},
    )
    assert response.status_code == 302
    html = _text(c.get(page))
    assert "「金額」: 数値を入力してください。" in html and "回線増強" not in html

    post(
        c,
        "/fuji/costs/manage/2026/items",
        page,
        {"name": "回線増強", "category": "network", "amount": "1,200,000"},
    )
    html = _text(c.get(page))
    assert "回線増強" in html and "1,200,000" in html

    response = post(c, "/fuji/costs/manage/2026/approve", page, {})
    assert "確認欄にチェック" in _text(c.get(page))
    response = post(c, "/fuji/costs/manage/2026/approve", page, {"confirm": "y"})
    assert response.status_code == 302 and response.location.endswith("/fuji/costs/2026/")
    html = _text(c.get(page))
    assert "承認済（ロック中）" in html

    # Locked: a change is refused until a revision is opened with a reason.
    post(c, "/fuji/costs/manage/2026/items", page, {"name": "追加", "category": "network", "amount": "1"})
    assert "承認済みのため変更できません" in _text(c.get(page))
    post(c, "/fuji/costs/manage/2026/reopen", page, {"reason": ""})
    assert "「改定理由」: 入力してください。" in _text(c.get(page))
    post(c, "/fuji/costs/manage/2026/reopen", page, {"reason": "回線契約の見直し"})
    post(c, "/fuji/costs/manage/2026/approve", page, {"confirm": "y"})
    finance = staff_client("fujinomiya", "finance")
    html = _text(finance.get("/fujinomiya/costs/2026/"))
    assert "承認済 第2版" in html and "回線契約の見直し" in html
    assert "第1版" in _text(finance.get("/fujinomiya/costs/2026/revisions/1"))
    changes = [e.detail for e in _log(app, "fuji") if e.function == "change"]
    assert any(d.startswith("item added") for d in changes) and any("reopened" in d for d in changes)
    assert sum(d.startswith("approved") for d in changes) == 2


def test_the_secretariat_sets_bases_rules_members_and_years(staff_client, costs_demo):
    c = staff_client("fujinomiya", "admin")
    post(
        c,
        "/fujinomiya/costs/manage/years",
        "/fujinomiya/costs/manage/",
        {"year": "2027", "copy_from": "2026"},
    )
    page = "/fujinomiya/costs/manage/2027/"
    html = _text(c.get(page))
    assert "令和9年度" in html and "運用保守委託料" in html
    members = dict(__import__("re").findall(r'aria-label="(\S+) 人口" name="(m\d+)_population"', html))
    form = {f"{m}_population": "x" for m in members.values()}
    post(c, "/fujinomiya/costs/manage/2027/bases", page, form)
    assert "「人口」: 数値を入力してください。" in _text(c.get(page))
    form = {
        f"{members['富士市']}_population": "250,000",
        f"{members['富士宮市']}_population": "130000",
        f"{members['富士市']}_usage": "1",
        f"{members['富士宮市']}_usage": "1",
    }
    post(c, "/fujinomiya/costs/manage/2027/bases", page, form)
    html = _text(c.get(page))
    assert 'value="250000"' in html
    post(c, "/fujinomiya/costs/manage/2027/rules", page, {"name": "固定比率", "spec": '{"method": "fixed"}'})
    assert "按分ルールが正しくありません" in _text(c.get(page))
    post(c, "/fujinomiya/costs/manage/2027/rules", page, {"name": "世帯割（新）", "preset": "households"})
    assert "世帯割（新）" in _text(c.get(page))
    post(
        c,
        "/fujinomiya/costs/manage/members",
        "/fujinomiya/costs/manage/",
        {"code": "222038", "name": "沼津市", "joined_year": "2027"},
    )
    html = _text(c.get("/fujinomiya/costs/manage/"))
    assert "沼津市" in html and "いいえ（算定のみ）" in html


def test_refusals_across_cities_and_roles(app, staff_client, costs_demo):
    finance = staff_client("fuji", "finance")
    for path in ("/fujinomiya/costs/", "/fujinomiya/costs/2011/", "/fujinomiya/costs/2011/statement.pdf"):
        assert finance.get(path).status_code == 403
    assert finance.get("/fuji/costs/manage/").status_code == 403
    assert (
        post(finance, "/fuji/costs/manage/2026/approve", "/fuji/costs/2026/", {"confirm": "y"}).status_code
        == 403
    )
    assert finance.get("/fuji/costs/1999/").status_code == 404
    assert finance.get("/fuji/costs/scenarios/999999").status_code == 404
    clerk = staff_client("fuji", "clerk")
    assert clerk.get("/fuji/costs/").status_code == 403
    assert any(e.outcome == "refused" for e in _log(app, "fujinomiya"))


@pytest.fixture
def other_consortium(fresh_app):
    """An app with the demo seeds committed and a city of another consortium with its own finance officer."""
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
    factories.user(db, "numazu", "finance", ["finance", "costs.viewer"])
    list(load_demo(db, get_settings(app), ["fuji", "fujinomiya"]))
    return app


def test_a_city_of_another_consortium_sees_none_of_it(other_consortium):
    app = other_consortium
    c = app.test_client()
    assert sign_in(c, "numazu", "finance").status_code == 302
    html = _text(c.get("/numazu/costs/"))
    assert "登録された年度はまだありません" in html and "3,876" not in html and "旭川市" not in html
    assert c.get("/numazu/costs/2011/").status_code == 404
    with get_db(app).session() as s:
        from modules.costs.models import Scenario

        ids = s.scalars(sa.select(Scenario.id)).all()
    assert ids and all(c.get(f"/numazu/costs/scenarios/{i}").status_code == 404 for i in ids)
    assert c.get("/numazu/costs/2011/export.csv").status_code == 404


def test_the_fairness_check_is_on_the_page_and_the_statement(app, staff_client, costs_demo):
    from modules.costs.models import CostMember, FiscalYear, MemberBasis

    c = staff_client("fujinomiya", "finance")
    html = _text(c.get("/fujinomiya/costs/2011/?scope=all"))
    assert 'id="fairness"' in html and "どの団体も単独または一部の団体だけで負担するより多くは" in html
    # Had 富士宮市 been able to build alone for 2,000 million, its 2,912 million would be more than its own way.
    with get_db(app).session() as session:
        basis = session.scalars(
            sa.select(MemberBasis)
            .join(FiscalYear, FiscalYear.id == MemberBasis.fiscal_year_id)
            .join(CostMember, CostMember.id == MemberBasis.member_id)
            .where(FiscalYear.year == 2011, CostMember.code == "222071")
        ).one()
        basis.standalone = 2_000_000_000
        session.commit()
    expected = (
        "共同費用の合計: 富士宮市(222071) の負担 2,912,000,000 &gt; 費用 2,000,000,000、超過 912,000,000"
    )
    html = _text(c.get("/fujinomiya/costs/2011/?scope=all"))
    section = html[html.index('id="fairness"') :][:800]
    assert expected in html and "単独費用を超過（個別合理性違反）" in html, section
    from pypdf import PdfReader

    pdf = c.get("/fujinomiya/costs/2011/statement.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "公平性の検証" in text and "912,000,000" in text
    # 富士市's statement does not carry 富士宮市's flag.
    pdf = staff_client("fuji", "finance").get("/fuji/costs/2011/statement.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "公平性の検証" not in text
