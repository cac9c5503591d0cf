"""収納: 納付番号 per notice, the payment file reconciled with every kind of mismatch, 未納 after the 納期限."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.keitax import services, tasks
from modules.keitax.models import Assessment, Payment, PaymentImport
from tenant_core.errors import InputError
from tests.keitax.conftest import NEXT_YEAR


def _notices(tax, slug, count):
    owner = tax.add(slug)
    ids = [tax.vehicle(slug, owner, "light_4_cargo_private", plate_no=f"富士 {i}") for i in range(count)]
    tax.run_job(slug, tasks.assess_year, NEXT_YEAR)
    with tax.city(slug) as s:
        rows = s.scalars(
            sa.select(Assessment).where(Assessment.vehicle_id.in_(ids)).order_by(Assessment.id)
        ).all()
        return [(a.nofu_no, a.amount, a.vehicle_id) for a in rows]


def _csv(*rows, header=True):
    lines = (["納付番号,金額,納付日,経路"] if header else []) + [",".join(map(str, r)) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_nofu_numbers_are_unique_and_carry_a_check_digit(tax):
    numbers = [n for n, _a, _v in _notices(tax, "fuji", 3)]
    assert len(set(numbers)) == 3 and all(services.nofu_valid(n) for n in numbers)
    assert not services.nofu_valid(numbers[0][:-1] + str((int(numbers[0][-1]) + 1) % 10))


def test_reconciliation_reports_every_kind_of_mismatch(tax):
    (a, amount, _), (b, _, _), (c, _, _), (d, _, vid_d) = _notices(tax, "fuji", 4)
    body = _csv(
        (a, amount, "2027-05-20", "コンビニ"),  # 完納
        (b, 1000, "2027-05-21", "銀行"),  # 一部
        (c, amount + 500, "2027-05-22", "銀行"),  # 過誤納
        ("99999999999999999999", 5000, "2027-05-22", "銀行"),  # 納付番号不明
        (d, "abc", "2027-13-40", "銀行"),  # 形式誤り
    )
    with tax.city("fuji") as s:
        report = services.import_payments(s, "収納.csv", body, "utf-8", "test:tax")
    assert report.rows == 5
    assert report.counts == {"matched": 1, "partial": 1, "over": 1, "unmatched": 1, "invalid": 1}
    assert [p.line_no for p in report.problems] == [2, 3, 4, 5]  # reported in file order, none dropped
    # A second file completes the partial payment.
    with tax.city("fuji") as s:
        second = services.import_payments(
            s, "2.csv", _csv((b, amount - 1000, "2027-05-30", "銀行")), "utf-8", "t"
        )
    assert second.counts == {"matched": 1}
    # 未納 after the 納期限: only d (its row was malformed, so nothing was paid).
    with tax.city("fuji") as s:
        due = s.scalar(sa.select(Assessment.due_on).where(Assessment.nofu_no == d))
        assert services.unpaid(s, NEXT_YEAR, due) == []  # not yet past the deadline
        late = services.unpaid(s, NEXT_YEAR, due + dt.timedelta(days=1))
    assert [r.assessment.nofu_no for r in late] == [d] and late[0].rest == amount
    assert vid_d


def test_a_payment_on_a_superseded_notice_counts_for_the_corrected_one(tax):
    ((a, amount, vid),) = _notices(tax, "fuji", 1)
    with tax.city("fuji") as s:
        services.import_payments(s, "1.csv", _csv((a, amount, "2027-05-01", "銀行")), "utf-8", "t")
        red = services.apply_reduction(
            s, services.get_vehicle(s, vid), NEXT_YEAR, 50, "減免", dt.date.today(), "t:a"
        )
        services.decide_reduction(s, red, approve=True, version=red.version, by="t:b")
        current = s.scalar(
            sa.select(Assessment).where(Assessment.vehicle_id == vid, Assessment.current.is_(True))
        )
        assert current.nofu_no != a and services.paid_by_assessment(s, [current])[current.id] == amount
        report = services.import_payments(s, "2.csv", _csv((a, 0, "2027-05-02", "銀行")), "utf-8", "t")
    assert report.counts == {"over": 1}  # paid in full before the 減免: now over-paid


def test_wrong_encoding_or_empty_file_changes_nothing(tax):
    ((a, amount, _),) = _notices(tax, "fuji", 1)
    sjis = f"納付番号,金額,納付日,経路\n{a},{amount},2027-05-01,窓口\n".encode("cp932")
    with tax.city("fuji") as s:
        with pytest.raises(InputError, match="UTF-8"):
            services.import_payments(s, "x.csv", sjis, "utf-8", "t")
        with pytest.raises(InputError, match="データがありません"):
            services.import_payments(s, "x.csv", _csv(), "utf-8", "t")
        assert s.scalar(sa.select(sa.func.count()).select_from(PaymentImport)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
        ok = services.import_payments(s, "x.csv", sjis, "cp932", "t")  # the right encoding is read
    assert ok.counts == {"matched": 1}


def test_a_payment_naming_another_citys_notice_is_unmatched(tax):
    ((theirs, amount, _),) = _notices(tax, "fujinomiya", 1)
    _notices(tax, "fuji", 1)
    with tax.city("fuji") as s:
        report = services.import_payments(
            s, "x.csv", _csv((theirs, amount, "2027-05-01", "銀行")), "utf-8", "t"
        )
    assert report.counts == {"unmatched": 1}  # the 納付番号 carries the city's 団体コード
