"""Era formatting (和暦) of dates and fiscal years, exact at the era boundaries."""

import datetime as dt

import pytest

from tenant_core.japanese import fiscal_year_of, wareki_date, wareki_year


def test_dates_at_the_era_boundaries():
    assert wareki_date(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki_date(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki_date(dt.date(2026, 4, 1)) == "令和8年4月1日"
    assert wareki_date(dt.date(1989, 1, 7)) == "昭和64年1月7日"
    assert wareki_date(dt.date(1989, 1, 8)) == "平成元年1月8日"
    assert wareki_date(dt.date(1926, 12, 24)) == "大正15年12月24日"
    assert wareki_date(dt.date(1926, 12, 25)) == "昭和元年12月25日"
    with pytest.raises(ValueError):
        wareki_date(dt.date(1800, 1, 1))


def test_fiscal_years():
    assert wareki_year(2026) == "令和8年度"
    assert wareki_year(2019) == "令和元年度"  # began on 平成31年4月1日; the government names it 令和元年度
    assert wareki_year(2018) == "平成30年度"
    assert wareki_year(2016) == "平成28年度"
    assert wareki_year(2011) == "平成23年度"
    assert wareki_year(1988) == "昭和63年度"
    assert wareki_year(1989) == "平成元年度"
    assert fiscal_year_of(dt.date(2026, 3, 31)) == 2025
    assert fiscal_year_of(dt.date(2026, 4, 1)) == 2026


def test_stored_utc_is_shown_in_japan_time():
    import datetime as dt

    from tenant_core.japanese import jst

    assert jst(dt.datetime(2026, 11, 23, 15, 30)) == "2026-11-24 00:30"
    assert jst(None) == "-"
