"""The one date reader (tenant_core.wareki) against its era table: every notation staff write, round trips
by property, and impossible dates refused with their reason."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenant_core import japanese, wareki
from tenant_core.wareki import ERAS, SOLAR_CALENDAR_FROM, WarekiError, parse_date

FULL_WIDTH = str.maketrans("0123456789./-RHSTMrhstm", "０１２３４５６７８９．／－ＲＨＳＴＭｒｈｓｔｍ")
KANJI = dict(enumerate("〇一二三四五六七八九"))


def kanji_number(n: int) -> str:
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else KANJI[tens] + "十")) + (
        KANJI[ones] if ones or not tens else ""
    )


def notations(day: dt.date) -> list[str]:
    """The ways staff write ``day``: with its era (name, kanji initial, Latin letter) and the Western year."""
    era, year = wareki.era_of(day)
    y, m, d = wareki.year_text(year), day.month, day.day
    texts = [
        f"{era.name}{y}年{m}月{d}日",
        f"{era.name}{year}年{m}月{d}日",
        f"{era.short}{year}.{m}.{d}",
        f"{era.letter}{year}.{m}.{d}",
        f"{era.letter}{year:02d}.{m:02d}.{d:02d}",
        f"{era.letter.lower()}{year}/{m}/{d}",
        f"{era.letter}{year}-{m}-{d}",
        f"{era.name} {year} 年 {m} 月 {d} 日",
        f"{era.name}{'元' if year == 1 else kanji_number(year)}年{kanji_number(m)}月{kanji_number(d)}日",
        f"{day.year}-{m:02d}-{d:02d}",
        f"{day.year}/{m}/{d}",
        f"{day.year}.{m}.{d}",
        f"{day.year}年{m}月{d}日",
        f"{day.year}{m:02d}{d:02d}",
        wareki.short_wareki(day),
    ]
    return texts + [t.translate(FULL_WIDTH) for t in texts]


READABLE = st.dates(min_value=SOLAR_CALENDAR_FROM, max_value=dt.date(2099, 12, 31))


@given(READABLE)
def test_every_notation_of_any_date_reads_back_as_that_date(day):
    for text in notations(day):
        assert parse_date(text) == day, text


@given(READABLE)
def test_the_formatted_date_reads_back_and_the_core_formatter_agrees(day):
    shown = wareki.format_wareki(day)
    assert parse_date(shown) == day
    assert japanese.wareki_date(day) == shown


@given(st.sampled_from(ERAS[1:]), st.integers(min_value=1, max_value=400))
def test_a_day_after_an_era_ended_is_refused_in_that_era(era, days_after):
    after = era.end + dt.timedelta(days=days_after)
    year = after.year - era.start.year + 1
    with pytest.raises(WarekiError, match=f"{era.name}"):
        parse_date(f"{era.name}{year}年{after.month}月{after.day}日")


@given(
    st.sampled_from([e for e in ERAS if e.start > SOLAR_CALENDAR_FROM]),
    st.integers(min_value=1, max_value=300),
)
def test_a_day_before_an_era_began_is_refused_in_that_era(era, days_before):
    before = era.start - dt.timedelta(days=days_before)
    if before.year != era.start.year:
        return  # the year before 元年 has no number in the era: that is the "no year 0" case
    with pytest.raises(WarekiError, match="始まり"):
        parse_date(f"{era.name}元年{before.month}月{before.day}日")


def test_era_boundaries_are_the_decreed_days():
    assert [(e.name, e.start) for e in ERAS[:4]] == [
        ("令和", dt.date(2019, 5, 1)),
        ("平成", dt.date(1989, 1, 8)),
        ("昭和", dt.date(1926, 12, 25)),
        ("大正", dt.date(1912, 7, 30)),
    ]
    for newer, older in itertools.pairwise(ERAS):
        assert older.end == newer.start - dt.timedelta(days=1)
    assert parse_date("H31.4.30") == dt.date(2019, 4, 30)
    assert parse_date("R1.5.1") == dt.date(2019, 5, 1)
    assert parse_date("S64.1.7") == dt.date(1989, 1, 7)
    assert parse_date("H1.1.8") == dt.date(1989, 1, 8)
    assert parse_date("T15.12.24") == dt.date(1926, 12, 24)
    assert parse_date("S1.12.25") == dt.date(1926, 12, 25)
    assert parse_date("M45.7.29") == dt.date(1912, 7, 29)
    assert parse_date("T1.7.30") == dt.date(1912, 7, 30)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "2026年2月30日という日はありません（2026年2月は28日までです）"),
        ("R8.2.29", "2026年2月は28日まで"),
        ("2024-02-29", None),
        ("平成32年4月1日", "平成32年はありません（平成は平成31年4月30日までです）"),
        ("H32.1.1", "平成32年はありません"),
        ("令和元年4月1日", "令和元年4月1日は令和の始まり（令和元年5月1日）より前です"),
        ("S64.1.8", "昭和64年1月8日は昭和の終わり（昭和64年1月7日）より後です"),
        ("R0.4.1", "令和の年は元年（1年）から"),
        ("2026-13-01", "2026年13月1日という日はありません（月は1〜12です）"),
        ("M5.12.2", "旧暦"),
        ("1872-12-31", "太陽暦の採用前"),
        ("R8", "日付として読めません"),
        ("2026年4月", "日付として読めません"),
        ("X8.4.1", "日付として読めません"),
        ("令和8年4月1日午後", "日付として読めません"),
    ],
)
def test_impossible_dates_are_refused_naming_why(text, reason):
    if reason is None:
        assert parse_date(text) == dt.date(2024, 2, 29)
        return
    with pytest.raises(WarekiError) as refused:
        parse_date(text)
    assert reason in refused.value.message


def test_blank_and_the_lenient_helpers():
    assert wareki.parse_optional("  ") is None
    assert wareki.parse_optional("　") is None
    assert wareki.try_parse("R8.4.1") == dt.date(2026, 4, 1)
    assert wareki.try_parse("平成32年1月1日") is None
    assert wareki.try_parse(dt.datetime(2026, 4, 1, 9)) == dt.date(2026, 4, 1)
    with pytest.raises(WarekiError, match="入力してください"):
        parse_date("")
    assert wareki.understood(dt.date(2026, 4, 1)) == "令和8年4月1日（2026年4月1日）"
    assert wareki.understood(dt.date(2019, 5, 1)).startswith("令和元年5月1日")
