"""賦課: every 車種区分, 旧税率, 重課 and グリーン化特例, per demo city where the rates differ; 更正 on rerun."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from modules.atena import public as atena
from modules.keitax import rates, services, tasks
from modules.keitax.classes import CODES
from modules.keitax.models import Assessment, AssessmentKind, VehicleEvent
from modules.keitax.parameters import STANDARD_RATES, RateRow, RateTable
from tenant_core.errors import InputError
from tenant_core.models import JobState
from tenant_core.params.declare import Column, ValueProblem
from tests.keitax.conftest import NEXT_YEAR

TABLE = rates.rate_table(STANDARD_RATES)
FY = 2026

# (class, 初度検査, 取得, green) -> (rate, rule) for FY2026, 地方税法第463条の15 and 附則第30条.
CASES = [
    ("moped_50", None, dt.date(2010, 1, 1), False, 2000, "standard"),
    ("moped_90", None, dt.date(2010, 1, 1), False, 2000, "standard"),
    ("moped_125", None, dt.date(2010, 1, 1), False, 2400, "standard"),
    ("minicar", None, dt.date(2010, 1, 1), False, 3700, "standard"),
    ("light_2", None, dt.date(2010, 1, 1), False, 3600, "standard"),
    ("small_2", None, dt.date(2010, 1, 1), False, 6000, "standard"),
    ("special_farm", None, dt.date(2010, 1, 1), False, 2400, "standard"),
    ("special_other", None, dt.date(2010, 1, 1), False, 5900, "standard"),
    ("light_3", dt.date(2016, 1, 1), dt.date(2016, 1, 1), False, 3900, "standard"),
    ("light_3", dt.date(2014, 6, 1), dt.date(2014, 6, 1), False, 3100, "old"),
    ("light_3", dt.date(2012, 1, 1), dt.date(2012, 1, 1), False, 4600, "heavy"),
    ("light_4_pass_private", dt.date(2018, 7, 1), dt.date(2018, 7, 1), False, 10800, "standard"),
    ("light_4_pass_private", dt.date(2015, 3, 1), dt.date(2015, 3, 1), False, 7200, "old"),
    (
        "light_4_pass_private",
        dt.date(2013, 3, 1),
        dt.date(2013, 3, 1),
        False,
        12900,
        "heavy",
    ),  # 13y in 2026-03
    (
        "light_4_pass_private",
        dt.date(2013, 4, 1),
        dt.date(2013, 4, 1),
        False,
        7200,
        "old",
    ),  # 13y in 2026-04 (FY2026): 重課 only from FY2027
    (
        "light_4_pass_private",
        dt.date(2014, 4, 1),
        dt.date(2014, 4, 1),
        False,
        7200,
        "old",
    ),  # 13y in 2027-04: 重課 only from FY2028
    ("light_4_pass_private", dt.date(2025, 6, 1), dt.date(2025, 6, 1), True, 2700, "green"),
    ("light_4_pass_private", dt.date(2024, 6, 1), dt.date(2024, 6, 1), True, 10800, "standard"),  # 2 years on
    ("light_4_pass_private", dt.date(2005, 6, 1), dt.date(2005, 6, 1), True, 7200, "old"),  # EV: no 重課
    ("light_4_pass_business", dt.date(2020, 1, 1), dt.date(2020, 1, 1), False, 6900, "standard"),
    ("light_4_pass_business", dt.date(2014, 6, 1), dt.date(2014, 6, 1), False, 5500, "old"),
    ("light_4_pass_business", dt.date(2010, 1, 1), dt.date(2010, 1, 1), False, 8200, "heavy"),
    ("light_4_pass_business", dt.date(2025, 4, 1), dt.date(2025, 4, 1), True, 1800, "green"),
    ("light_4_cargo_private", dt.date(2020, 1, 1), dt.date(2020, 1, 1), False, 5000, "standard"),
    ("light_4_cargo_private", dt.date(2014, 6, 1), dt.date(2014, 6, 1), False, 4000, "old"),
    ("light_4_cargo_private", dt.date(2010, 1, 1), dt.date(2010, 1, 1), False, 6000, "heavy"),
    ("light_4_cargo_private", dt.date(2026, 3, 1), dt.date(2026, 3, 1), True, 1300, "green"),
    ("light_4_cargo_business", dt.date(2020, 1, 1), dt.date(2020, 1, 1), False, 3800, "standard"),
    ("light_4_cargo_business", dt.date(2014, 6, 1), dt.date(2014, 6, 1), False, 3000, "old"),
    ("light_4_cargo_business", dt.date(2010, 1, 1), dt.date(2010, 1, 1), False, 4500, "heavy"),
    ("light_4_cargo_business", dt.date(2025, 5, 1), dt.date(2025, 5, 1), True, 1000, "green"),
    ("light_3", dt.date(2025, 5, 1), dt.date(2025, 5, 1), True, 1000, "green"),
    # A used EV bought last year (first inspected earlier) is not new: no 軽課.
    ("light_4_pass_private", dt.date(2019, 5, 1), dt.date(2025, 5, 1), True, 10800, "standard"),
]


@pytest.mark.parametrize(("cls", "first", "acquired", "green", "rate", "rule"), CASES)
def test_rate_of_each_class_and_rule(cls, first, acquired, green, rate, rule):
    assert rates.rate_for(TABLE, cls, first, acquired, green, FY) == rates.Rated(rate, rule)


def test_every_class_has_a_case():
    assert {c[0] for c in CASES} == set(CODES)


def test_heavy_starts_the_year_after_the_thirteenth_anniversary_month():
    """As the cities publish it: 初度検査 平成24年4月-平成25年3月 -> 令和8年度から, 平成25年4月- -> 令和9年度から."""
    assert rates.heavy_from(dt.date(2012, 4, 1)) == 2026
    assert rates.heavy_from(dt.date(2013, 3, 1)) == 2026  # 2026-03 belongs to FY2025: the next year
    assert rates.heavy_from(dt.date(2013, 4, 1)) == 2027
    assert rates.heavy_from(dt.date(2004, 4, 1)) == 2018  # 平成16年4月 -> 平成30年度から


def test_reduction_and_rounding():
    assert rates.after_reduction(10800, 50, 100) == (5400, 5400)
    assert rates.after_reduction(10800, 33, 100) == (3600, 7200)  # 7236 cut to 7200
    assert rates.after_reduction(10800, 33, 1) == (3564, 7236)
    assert rates.after_reduction(10800, 100, 100) == (10800, 0)


def test_due_date_moves_past_a_weekend():
    assert rates.due_date(2026, 5, 31) == dt.date(2026, 6, 1)  # 2026-05-31 is a Sunday
    assert rates.due_date(2027, 5, 31) == dt.date(2027, 5, 31)
    assert rates.due_date(2026, 2 + 4, 31) == dt.date(2026, 6, 30)


def test_a_rate_table_missing_a_class_or_naming_one_twice_is_refused(app):
    table = RateTable(schema=RateRow, columns=(Column("vehicle_class", "車種区分"),), min_rows=1, max_rows=20)
    with app.test_request_context("/"):
        with pytest.raises(ValueProblem, match="moped_50"):
            table.parse(STANDARD_RATES[1:])
        with pytest.raises(ValueProblem, match="2行"):
            table.parse([*STANDARD_RATES, STANDARD_RATES[0]])
        with pytest.raises(ValueProblem):
            table.parse([{**STANDARD_RATES[0], "vehicle_class": "tank"}, *STANDARD_RATES[1:]])
        assert len(table.parse(STANDARD_RATES)) == len(CODES)


def _assessed(tax, slug, year):
    with tax.city(slug) as s:
        rows = s.scalars(sa.select(Assessment).where(Assessment.fiscal_year == year)).all()
        return {(a.vehicle_id, a.current): (a.rate, a.rule, a.amount, a.kind) for a in rows}


def test_assessment_job_per_demo_city_where_the_rates_differ(tax, demo_params):
    """富士宮市's ordinance rates (params.toml) differ from 富士市's standard ones."""
    year = NEXT_YEAR
    levy = rates.levy_date(year)
    ids = {}
    for slug in ("fuji", "fujinomiya"):
        owner = tax.add(slug)
        ids[slug] = {
            "moped": tax.vehicle(slug, owner, "moped_50", first_inspection=None),
            "car": tax.vehicle(slug, owner, "light_4_pass_private", first_inspection=dt.date(2020, 5, 1)),
            # An electric vehicle first inspected before 2015-04 is outside the 重課 whatever its age:
            # it keeps the 旧税率.
            "old": tax.vehicle(
                slug,
                owner,
                "light_4_pass_private",
                first_inspection=dt.date(2014, 5, 1),
                acquired_on=dt.date(2014, 5, 1),
                green=True,
            ),
            "heavy": tax.vehicle(
                slug,
                owner,
                "light_4_cargo_private",
                first_inspection=dt.date(levy.year - 14, 1, 1),
                acquired_on=dt.date(levy.year - 14, 1, 1),
            ),
            "green": tax.vehicle(
                slug,
                owner,
                "light_4_pass_private",
                green=True,
                first_inspection=dt.date(levy.year - 1, 6, 1),
                acquired_on=dt.date(levy.year - 1, 6, 1),
            ),
            "after": tax.vehicle(
                slug, owner, "light_2", first_inspection=None, acquired_on=levy + dt.timedelta(days=1)
            ),
        }
        record = tax.run_job(slug, tasks.assess_year, year, "test:tax")
        assert record.state == JobState.finished, record.error
        assert record.result == {"assessed": 5, "corrected": 0, "unchanged": 0, "skipped": 1}
    fuji, miya = _assessed(tax, "fuji", year), _assessed(tax, "fujinomiya", year)
    assert fuji[(ids["fuji"]["moped"], True)][:2] == (2000, "standard")
    assert miya[(ids["fujinomiya"]["moped"], True)][:2] == (2500, "standard")  # 富士宮市税条例
    assert fuji[(ids["fuji"]["car"], True)][:2] == (10800, "standard")
    assert miya[(ids["fujinomiya"]["car"], True)][:2] == (11500, "standard")
    for slug, rows in (("fuji", fuji), ("fujinomiya", miya)):
        assert rows[(ids[slug]["old"], True)][:2] == (7200, "old")
        assert rows[(ids[slug]["heavy"], True)][:2] == (6000, "heavy")
        assert rows[(ids[slug]["green"], True)][:2] == (2700, "green")
        assert (ids[slug]["after"], True) not in rows  # acquired after the 賦課期日


def test_a_rerun_after_a_correction_makes_koushin_records_never_overwrites(tax, tax_clients):
    year = NEXT_YEAR
    owner = tax.add("fuji")
    keep = tax.vehicle("fuji", owner, "moped_125", first_inspection=None)
    scrap = tax.vehicle("fuji", owner, "light_4_cargo_private")
    assert tax.run_job("fuji", tasks.assess_year, year).state == JobState.finished
    with tax.city("fuji") as s:  # 廃車 backdated before the 賦課期日, then rerun
        v = services.get_vehicle(s, scrap)
        services.scrap_vehicle(s, v, scrapped_on=rates.levy_date(year), version=v.version, by="test:tax")
    record = tax.run_job("fuji", tasks.assess_year, year)
    assert record.result == {"assessed": 0, "corrected": 1, "unchanged": 1, "skipped": 0}
    rows = _assessed(tax, "fuji", year)
    assert rows[(scrap, False)] == (5000, "standard", 5000, AssessmentKind.initial)
    assert rows[(scrap, True)] == (0, "none", 0, AssessmentKind.correction)
    assert rows[(keep, True)][3] == AssessmentKind.initial
    # A third run changes nothing.
    assert tax.run_job("fuji", tasks.assess_year, year).result["corrected"] == 0
    with tax.city("fuji") as s:
        events = s.scalars(sa.select(VehicleEvent.kind).where(VehicleEvent.vehicle_id == scrap)).all()
    assert events == ["acquired", "scrapped"]


def test_reduction_is_approved_by_another_clerk_and_makes_a_correction(tax):
    year = NEXT_YEAR
    owner = tax.add("fuji")
    vid = tax.vehicle("fuji", owner, "light_4_pass_private")
    tax.run_job("fuji", tasks.assess_year, year)
    with tax.city("fuji") as s:
        red = services.apply_reduction(
            s, services.get_vehicle(s, vid), year, 50, "身体障害者手帳", dt.date.today(), "test:a"
        )
        rid, version = red.id, red.version
    with tax.city("fuji") as s, pytest.raises(InputError, match="別の職員"):
        services.decide_reduction(
            s, services.get_reduction(s, rid), approve=True, version=version, by="test:a"
        )
    with tax.city("fuji") as s:
        outcome = services.decide_reduction(
            s, services.get_reduction(s, rid), approve=True, version=version, by="test:b"
        )
    assert outcome.corrected == 1
    assert _assessed(tax, "fuji", year)[(vid, True)] == (10800, "standard", 5400, AssessmentKind.correction)
    # The rerun keeps the approved 減免.
    assert tax.run_job("fuji", tasks.assess_year, year).result["unchanged"] == 1


def test_bad_vehicle_input_is_refused_and_nothing_changes(tax):
    mine, theirs = tax.add("fuji"), tax.add("fujinomiya", family_name="他市")
    with tax.city("fuji") as s, pytest.raises(InputError) as refused:
        services.register_vehicle(
            s, plate_no="", vehicle_class="tank", owner_atena_no=theirs + 777777, acquired_on=None, by="t"
        )
    assert set(refused.value.errors) == {"plate_no", "vehicle_class", "owner_atena_no", "acquired_on"}
    vid = tax.vehicle("fuji", mine)
    with tax.city("fuji") as s:
        v = services.get_vehicle(s, vid)
        with pytest.raises(InputError, match="取得日"):
            services.scrap_vehicle(s, v, scrapped_on=dt.date(2019, 1, 1), version=v.version, by="t")
        assert v.scrapped_on is None


def test_an_owner_of_another_city_is_unknown_here(tax):
    tax.add("fujinomiya")
    theirs = tax.add("fujinomiya", family_name="他市")  # a number 富士市 (one resident) does not hold
    tax.add("fuji")
    with tax.city("fuji") as s:
        assert atena.get_entry(s, theirs) is None
        with pytest.raises(InputError, match="所有者"):
            services.register_vehicle(
                s,
                plate_no="x",
                vehicle_class="moped_50",
                owner_atena_no=theirs,
                acquired_on=dt.date(2020, 1, 1),
                by="t",
            )


def test_corporations_and_non_residents_are_addressees_with_a_checked_corporate_number(tax):
    with tax.city("fuji") as s:
        with pytest.raises(InputError) as bad:
            atena.register(
                s,
                kind="corporation",
                name="株式会社テスト",
                address="東京都千代田区霞が関1-3-2",
                postcode="100-0013",
                corporate_number="5011001098993",
                by="t",
            )
        assert "corporate_number" in bad.value.errors
        corp = atena.register(
            s,
            kind="corporation",
            name="株式会社テスト",
            address="東京都千代田区霞が関1-3-2",
            postcode="1000013",
            corporate_number="4011001098993",
            by="t",
            address_after_town="1-3-2",
        )
        person = atena.register(
            s,
            kind="nonresident",
            name="住登外 太郎",
            address="静岡県静岡市葵区追手町9-6",
            postcode="420-8601",
            by="t",
        )
        assert corp.atena_no >= atena.FIRST_NUMBER and person.atena_no == corp.atena_no + 1
        corp_no = corp.atena_no
    vid = tax.vehicle("fuji", corp_no, "light_4_cargo_business")
    with tax.city("fuji") as s:
        assert services.get_vehicle(s, vid).owner_atena_no == corp_no
        assert atena.get_entry(s, corp_no).postcode == "100-0013"
    with tax.city("fujinomiya") as s:  # the other city does not see it
        assert atena.get_entry(s, corp_no) is None


def test_a_change_of_owner_is_kept_in_the_history_and_taxes_the_owner_on_the_levy_date(tax):
    year = NEXT_YEAR
    first, second = tax.add("fuji"), tax.add("fuji", family_name="佐藤")
    vid = tax.vehicle("fuji", first, "light_2", first_inspection=None)
    tax.run_job("fuji", tasks.assess_year, year)
    with tax.city("fuji") as s:
        v = services.get_vehicle(s, vid)
        services.change_vehicle(
            s, v, version=v.version, effective_on=rates.levy_date(year), by="test:tax", owner_atena_no=second
        )
        events = services.events_of(s, v)
    assert [e.kind for e in events] == ["acquired", "changed"]
    assert (events[1].before["owner_atena_no"], events[1].after["owner_atena_no"]) == (first, second)
    assert tax.run_job("fuji", tasks.assess_year, year).result["corrected"] == 1
    with tax.city("fuji") as s:
        rows = s.scalars(
            sa.select(Assessment).where(Assessment.vehicle_id == vid).order_by(Assessment.id)
        ).all()
    assert [(a.taxpayer_atena_no, a.current) for a in rows] == [(first, False), (second, True)]
