"""The 軽自動車税 and print run pages in a browser's place: forms, exports, downloads, cross-city."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from modules.keitax import services, tasks
from modules.keitax.models import Assessment, Reduction
from tenant_core.printing.models import PrintRun
from tests.conftest import post
from tests.keitax.conftest import NEXT_YEAR


def _setup_city(tax, slug):
    """A resident with two vehicles, assessed, and a print run of the notices (through the pages)."""
    owner = tax.add(slug)
    v1 = tax.vehicle(slug, owner, "light_4_pass_private")
    v2 = tax.vehicle(slug, owner, "moped_50", first_inspection=None, plate_no=f"{slug} 2")
    return owner, v1, v2


def test_a_tax_clerk_works_through_the_pages(app, tax, tax_clients):
    owner, v1, _v2 = _setup_city(tax, "fuji")
    c, other = tax_clients["fuji:tax1"], tax_clients["fuji:tax2"]
    # A vehicle through the form; bad input first: every field named, nothing saved.
    bad = post(
        c,
        "/fuji/keitax/vehicles/new",
        "/fuji/keitax/vehicles/new",
        {"plate_no": "", "vehicle_class": "tank", "owner_atena_no": "99999", "acquired_on": "2026-02-30"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "取得日" in text
    bad = post(
        c,
        "/fuji/keitax/vehicles/new",
        "/fuji/keitax/vehicles/new",
        {"plate_no": "", "vehicle_class": "tank", "owner_atena_no": "99999", "acquired_on": "2026-02-01"},
    )
    text = bad.get_data(as_text=True)
    assert (
        bad.status_code == 422
        and "標識番号を入力" in text
        and "車種区分「tank」" in text
        and "所有者の宛名番号" in text
    )
    ok = post(
        c,
        "/fuji/keitax/vehicles/new",
        "/fuji/keitax/vehicles/new",
        {
            "plate_no": "富士 あ 12-34",
            "vehicle_class": "light_4_cargo_business",
            "owner_atena_no": str(owner),
            "acquired_on": "R3.6.1",  # dates as staff write them (tenant_core.wareki)
            "first_inspection": "2021-06",
        },
    )
    assert ok.status_code == 302
    vid = int(ok.headers["Location"].rsplit("/", 1)[1])
    page = c.get(f"/fuji/keitax/vehicles/{vid}").get_data(as_text=True)
    assert "軽四輪 貨物 営業用" in page and "取得" in page
    # 廃車 before 取得 is refused with a message.
    bad = post(
        c, f"/fuji/keitax/vehicles/{vid}/scrap", f"/fuji/keitax/vehicles/{vid}", {"scrapped_on": "2020-01-01"}
    )
    assert bad.status_code == 422 and "廃車日が取得日" in bad.get_data(as_text=True)
    # A date that does not exist is named as such; the vehicle stays as it was.
    bad = post(
        c,
        f"/fuji/keitax/vehicles/{vid}/scrap",
        f"/fuji/keitax/vehicles/{vid}",
        {"scrapped_on": "平成32年1月1日"},
    )
    assert bad.status_code == 422 and "平成32年はありません" in bad.get_data(as_text=True)
    with tax.city("fuji") as s:
        assert services.get_vehicle(s, vid).scrapped_on is None
    # 賦課 (the job runs after the request commits), the ledger, its Excel export.
    assert post(c, "/fuji/keitax/assess", "/fuji/keitax/", {"fiscal_year": str(NEXT_YEAR)}).status_code == 302
    ledger = c.get(f"/fuji/keitax/?year={NEXT_YEAR}").get_data(as_text=True)
    assert "軽四輪 乗用 自家用" in ledger and "10,800" in ledger
    book = load_workbook(io.BytesIO(c.get(f"/fuji/keitax/ledger.xlsx?year={NEXT_YEAR}").data), read_only=True)
    assert len(list(book.active.iter_rows(min_row=2))) == 3
    # 減免: applied by one clerk, approved by another: a 更正.
    assert (
        post(
            c,
            f"/fuji/keitax/vehicles/{v1}/reduction",
            f"/fuji/keitax/vehicles/{v1}",
            {"fiscal_year": str(NEXT_YEAR), "percent": "100", "reason": "身体障害者"},
        ).status_code
        == 302
    )
    with tax.city("fuji") as s:
        red = s.scalar(sa.select(Reduction).where(Reduction.vehicle_id == v1))
        rid, version = red.id, red.version
    assert (
        post(
            other,
            f"/fuji/keitax/reductions/{rid}/decide",
            "/fuji/keitax/reductions",
            {"decision": "approve", "version": str(version)},
        ).status_code
        == 302
    )
    with tax.city("fuji") as s:
        current = s.scalar(
            sa.select(Assessment).where(Assessment.vehicle_id == v1, Assessment.current.is_(True))
        )
        assert (current.amount, current.kind) == (0, "correction")
        nofu = s.scalar(
            sa.select(Assessment.nofu_no).where(Assessment.vehicle_id == vid, Assessment.current.is_(True))
        )
    # The taxpayer's page.
    page = c.get(f"/fuji/keitax/taxpayers/{owner}").get_data(as_text=True)
    assert "更正" in page and nofu in page
    # 収納: an upload with an unknown number and a wrong encoding.
    sjis = "納付番号,金額,納付日,経路\n".encode("cp932")
    data = {
        "file": (io.BytesIO(sjis + "x,1,2027-01-01,窓口\n".encode("cp932")), "p.csv"),
        "encoding": "utf-8",
    }
    fields = {
        "csrf_token": __import__("tests.conftest", fromlist=["form_fields"]).form_fields(
            c, "/fuji/keitax/payments/import"
        )["csrf_token"]
    }
    bad = c.post("/fuji/keitax/payments/import", data={**data, **fields}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "文字コード" in bad.get_data(as_text=True)
    body = f"納付番号,金額,納付日,経路\n{nofu},3800,2027-05-01,コンビニ\n12345,100,2027-05-01,銀行\n".encode()
    ok = c.post(
        "/fuji/keitax/payments/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(body), "p.csv"), "encoding": "utf-8", **fields},
    )
    assert ok.status_code == 302
    report = c.get(ok.headers["Location"]).get_data(as_text=True)
    assert "納付番号不明" in report and "12345" in report
    listing = c.get("/fuji/keitax/payments?result=unmatched").get_data(as_text=True)
    assert "12345" in listing and nofu not in listing
    sheet = load_workbook(io.BytesIO(c.get("/fuji/keitax/payments.xlsx").data), read_only=True).active
    assert len(list(sheet.iter_rows(min_row=2))) == 2
    assert c.get(f"/fuji/keitax/unpaid?year={NEXT_YEAR}").status_code == 200
    # 納税通知書: a print run through the platform, its page, boxes, 発送簿, 引き抜き and a re-print.
    response = post(c, "/fuji/keitax/print", "/fuji/keitax/", {"fiscal_year": str(NEXT_YEAR)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/fuji/printing/")
    with tax.city("fuji") as s:  # the job made the run (inline after the request)
        run_id = s.scalar(sa.select(PrintRun.id))
    run_page = f"/fuji/printing/runs/{run_id}"
    assert run_page in c.get("/fuji/printing/").get_data(as_text=True)
    page = c.get(run_page).get_data(as_text=True)
    assert "完了しました" in page and "1/1" in page
    assert c.get(f"/fuji/printing/runs/{run_id}/boxes/1.pdf").data.startswith(b"%PDF")
    assert c.get(f"/fuji/printing/runs/{run_id}/hassobo.pdf").data.startswith(b"%PDF")
    assert c.get(f"/fuji/printing/runs/{run_id}/hassobo.xlsx").status_code == 200
    assert c.get(f"/fuji/printing/runs/{run_id}/progress").get_json()["run_state"] == "done"
    found = c.get(f"{run_page}?seq=1").get_data(as_text=True)
    assert "箱1/1の1枚目" in found
    bad = post(c, f"/fuji/printing/runs/{run_id}/pull", run_page, {"seq": "1", "reason": ""})
    assert bad.status_code == 422 and "引き抜きの理由" in bad.get_data(as_text=True)
    assert (
        post(c, f"/fuji/printing/runs/{run_id}/pull", run_page, {"seq": "1", "reason": "返戻"}).status_code
        == 302
    )
    page = c.get(run_page).get_data(as_text=True)
    assert '<dd id="pulled">1</dd>' in page and "返戻" in page
    assert c.get(f"/fuji/printing/runs/{run_id}/reprint/1.pdf").data.startswith(b"%PDF")
    assert "試験" not in c.get("/fuji/printing/").get_data(as_text=True)


def test_a_print_run_of_nothing_is_refused_with_a_message(tax, tax_clients):
    c = tax_clients["fuji:tax1"]
    response = post(c, "/fuji/keitax/print", "/fuji/keitax/", {"fiscal_year": "2031"})
    assert response.status_code == 302
    assert "対象がありません" in c.get(response.headers["Location"]).get_data(as_text=True)
    with tax.city("fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PrintRun)) == 0


def test_staff_without_the_tax_role_are_refused(tax, staff_client, tax_clients):
    clerk = staff_client("fuji", "clerk")
    for path in ("/fuji/keitax/", "/fuji/keitax/payments", "/fuji/printing/"):
        assert clerk.get(path).status_code == 403, path


def test_cross_city_every_route_and_job(app, tax, tax_clients):
    """富士宮市's vehicles, runs, imports and reductions are unreachable from 富士市, by URL or by id."""
    # 富士宮市 gets more rows than 富士市 so that its ids do not exist in 富士市.
    for _ in range(3):
        tax.add("fujinomiya")
    theirs_owner, theirs_v1, _ = _setup_city(tax, "fujinomiya")
    tax.run_job("fujinomiya", tasks.assess_year, NEXT_YEAR)
    miya = tax_clients["fujinomiya:tax1"]
    post(miya, "/fujinomiya/keitax/print", "/fujinomiya/keitax/", {"fiscal_year": str(NEXT_YEAR)})
    with tax.city("fujinomiya") as s:
        run_id = s.scalar(sa.select(PrintRun.id))
    post(
        miya,
        f"/fujinomiya/keitax/vehicles/{theirs_v1}/reduction",
        f"/fujinomiya/keitax/vehicles/{theirs_v1}",
        {"fiscal_year": str(NEXT_YEAR), "percent": "50", "reason": "x"},
    )
    body = b"\xe7\xb4\x8d,1,2027-01-01,x\n"
    ok = miya.post(
        "/fujinomiya/keitax/payments/import",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(body), "p.csv"),
            "encoding": "utf-8",
            "csrf_token": __import__("tests.conftest", fromlist=["form_fields"]).form_fields(
                miya, "/fujinomiya/keitax/payments/import"
            )["csrf_token"],
        },
    )
    import_id = int(ok.headers["Location"].rsplit("/", 1)[1])
    with tax.city("fujinomiya") as s:
        rid = s.scalar(sa.select(Reduction.id))
    fuji = tax_clients["fuji:tax1"]
    paths = [
        "/keitax/",
        "/keitax/ledger.xlsx",
        "/keitax/vehicles/new",
        f"/keitax/vehicles/{theirs_v1}",
        "/keitax/reductions",
        f"/keitax/taxpayers/{theirs_owner}",
        "/keitax/payments",
        "/keitax/payments.xlsx",
        "/keitax/payments/import",
        f"/keitax/payments/imports/{import_id}",
        "/keitax/unpaid",
        "/printing/",
        f"/printing/runs/{run_id}",
        f"/printing/runs/{run_id}/progress",
        f"/printing/runs/{run_id}/boxes/1.pdf",
        f"/printing/runs/{run_id}/hassobo.xlsx",
        f"/printing/runs/{run_id}/hassobo.pdf",
        f"/printing/runs/{run_id}/reprint/1.pdf",
    ]
    posts = [
        "/keitax/assess",
        "/keitax/print",
        f"/keitax/vehicles/{theirs_v1}/scrap",
        f"/keitax/vehicles/{theirs_v1}/reduction",
        f"/keitax/reductions/{rid}/decide",
        f"/printing/runs/{run_id}/pull",
    ]
    # A 富士市 session on 富士宮市's URLs: refused everywhere.
    for path in paths:
        assert fuji.get(f"/fujinomiya{path}").status_code == 403, path
    for path in posts:
        assert fuji.post(f"/fujinomiya{path}", data={}).status_code in (400, 403), path
    # 富士宮市's ids through 富士市's URLs: not found.
    for path in (
        f"/keitax/vehicles/{theirs_v1}",
        f"/keitax/payments/imports/{import_id}",
        f"/printing/runs/{run_id}",
        f"/printing/runs/{run_id}/boxes/1.pdf",
        f"/printing/runs/{run_id}/hassobo.xlsx",
        f"/printing/runs/{run_id}/reprint/1.pdf",
    ):
        assert fuji.get(f"/fuji{path}").status_code == 404, path
    for path in (
        f"/keitax/vehicles/{theirs_v1}/scrap",
        f"/keitax/reductions/{rid}/decide",
        f"/printing/runs/{run_id}/pull",
    ):
        assert post(fuji, f"/fuji{path}", "/fuji/keitax/", {"seq": "1", "reason": "x"}).status_code == 404, (
            path
        )
    # A vehicle for 富士宮市's owner in 富士市: an error naming the field.
    response = post(
        fuji,
        "/fuji/keitax/vehicles/new",
        "/fuji/keitax/vehicles/new",
        {
            "plate_no": "x",
            "vehicle_class": "moped_50",
            "owner_atena_no": str(theirs_owner),
            "acquired_on": "2021-06-01",
        },
    )
    assert response.status_code == 422 and "所有者の宛名番号" in response.get_data(as_text=True)
    # The 賦課 job of 富士市 touches only 富士市's tables.
    record = tax.run_job("fuji", tasks.assess_year, NEXT_YEAR)
    assert record.result == {"assessed": 0, "corrected": 0, "unchanged": 0, "skipped": 0}


def test_common_addressees_page_registers_a_corporation_and_stays_in_its_city(tax, tax_clients):
    c = tax_clients["fuji:tax1"]
    bad = post(
        c,
        "/fuji/atena/new",
        "/fuji/atena/new",
        {
            "kind": "corporation",
            "name": "株式会社例",
            "postcode": "1000013",
            "address": "東京都千代田区霞が関1-3-2",
            "corporate_number": "1234567890123",
        },
    )
    assert bad.status_code == 422 and "検査用数字" in bad.get_data(as_text=True)
    ok = post(
        c,
        "/fuji/atena/new",
        "/fuji/atena/new",
        {
            "kind": "corporation",
            "name": "株式会社例",
            "postcode": "1000013",
            "address": "東京都千代田区霞が関1-3-2",
            "corporate_number": "4011001098993",
        },
    )
    assert ok.status_code == 302
    assert "株式会社例" in c.get("/fuji/atena/").get_data(as_text=True)
    miya = tax_clients["fujinomiya:tax1"]
    assert "株式会社例" not in miya.get("/fujinomiya/atena/").get_data(as_text=True)
    for path in ("/fuji/atena/", "/fuji/atena/new"):
        assert miya.get(path).status_code == 403, path


def test_a_person_under_support_measures_still_gets_the_notice(tax, tax_clients):
    """The clerk may not see a 支援措置 person, but the notice job does: they are taxed all the same."""
    from modules.residents import protection
    from tenant_core.japanese import japan_today
    from tenant_core.printing.models import PrintItem

    hidden = tax.add("fuji", family_name="保護", given_name="花子")
    plain = tax.add("fuji", family_name="一般", given_name="次郎")
    tax.vehicle("fuji", hidden, "moped_50", first_inspection=None)
    tax.vehicle("fuji", plain, "moped_50", first_inspection=None, plate_no="富士 2")
    # The measure starts after the vehicle was registered.
    with tax.session("fuji") as s:
        protection.register_support(
            s,
            hidden,
            {
                "requested_on": japan_today(),
                "start_on": japan_today(),
                "offender_name": "加害 太郎",
                "offender_kana": "カガイ タロウ",
            },
            by="test:protector",
        )
    c = tax_clients["fuji:tax1"]
    assert post(c, "/fuji/keitax/assess", "/fuji/keitax/", {"fiscal_year": str(NEXT_YEAR)}).status_code == 302
    # The clerk's page does not show the protected person; the job (run by a worker, outside any
    # request, as in production) reads every taxpayer.
    assert "保護" not in c.get(f"/fuji/keitax/taxpayers/{hidden}").get_data(as_text=True)
    from tenant_core.jobs import enqueue
    from tenant_core.tenancy import find_tenant

    with tax.app.app_context(), tax.db.session() as s:
        enqueue(tasks.print_notices, NEXT_YEAR, "test", tenant=find_tenant("fuji"), session=s)
        s.commit()
    with tax.city("fuji") as s:
        names = set(s.scalars(sa.select(PrintItem.name)).all())
    assert names == {"保護\u3000花子", "一般\u3000次郎"}
