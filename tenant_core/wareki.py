"""The one reader of dates as Japanese staff write them, and the era table it checks them against.

Accepted (full-width digits and letters too, spaces anywhere, 元年 for the first year, kanji numerals):

- an era and its year: ``令和8年4月1日``, ``令和8.4.1``, ``R8.4.1``, ``R08/04/01``, ``r8-4-1``, ``H2.4.1``,
  ``平成2年4月1日``, ``平2.4.1``, ``S64.1.7``, ``令和元年5月1日``, ``令和八年四月一日``;
- the Western year: ``2026-04-01``, ``2026/4/1``, ``2026.4.1``, ``2026年4月1日``, ``20260401``.

Refused with the reason: a day the month does not have (``2026-02-30``), a year past the era's end
(``平成32年``: 平成 ended on 平成31年4月30日; ``S64.1.8``: 昭和 ended on 64年1月7日), a day before the era
began (``令和元年4月1日``: 令和 began on 令和元年5月1日), and dates before the solar calendar.

The era table follows JIS X 0301 (附属書1) and the 元号 decrees: each era begins on the day its name took
effect and ends the day before the next one. 明治 is reckoned from 明治元年1月1日 of the old calendar
(1868-01-25), as JIS X 0301 does, but months and days written with an era are Gregorian only from
明治6年1月1日 (1873-01-01), when the solar calendar replaced the old one (明治5年太政官布告第337号「改暦ノ
布告」): an earlier 和暦 day names a day of the lunisolar calendar, which this reader cannot convert, so it
is refused, and so is any earlier Western date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R (JIS X 0301's Latin initial)
    start: dt.date  # the first day of 元年
    end: dt.date | None  # the last day, None for the era in force

    @property
    def short(self) -> str:
        return self.name[0]


# Newest first: the table ``era_of`` walks. 大正 began the day 明治天皇 died (1912-07-30), 昭和 likewise
# (1926-12-25); 平成 the day after 昭和天皇 died (元号を改める政令, 1989-01-08); 令和 on 2019-05-01
# (元号を改める政令, 平成31年政令第143号).
ERAS: tuple[Era, ...] = (
    Era("令和", "R", dt.date(2019, 5, 1), None),
    Era("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("昭和", "S", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("大正", "T", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("明治", "M", dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
)
# The first day whose era month and day are Gregorian (改暦ノ布告): the reader's lower bound.
SOLAR_CALENDAR_FROM = dt.date(1873, 1, 1)
LATEST = dt.date(9999, 12, 31)

_BY_KEY: dict[str, Era] = {}
for _era in ERAS:
    _BY_KEY[_era.name] = _BY_KEY[_era.short] = _BY_KEY[_era.letter] = _era


class WarekiError(ValueError):
    """A text that is no date, or names a day that does not exist; ``message`` says which, in Japanese."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def era_of(day: dt.date) -> tuple[Era, int]:
    """The era in force on ``day`` and the year of that era (1 for 元年)."""
    for era in ERAS:
        if day >= era.start:
            return era, day.year - era.start.year + 1
    raise ValueError(f"{day} is before the eras this system knows (明治 from {ERAS[-1].start})")


def year_text(number: int) -> str:
    return "元" if number == 1 else str(number)


def format_wareki(day: dt.date) -> str:
    """'令和8年4月1日' for 2026-04-01, '令和元年5月1日' for 2019-05-01."""
    era, year = era_of(day)
    return f"{era.name}{year_text(year)}年{day.month}月{day.day}日"


def short_wareki(day: dt.date) -> str:
    """JIS X 0301's short form: 'R08.04.01'."""
    era, year = era_of(day)
    return f"{era.letter}{year:02d}.{day.month:02d}.{day.day:02d}"


# --- reading ------------------------------------------------------------------------------------------

_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十]+")


def _kanji_to_digits(match: re.Match[str]) -> str:
    """Kanji numerals as staff write them in a date: 八, 十二, 三十一, 二〇二六."""
    text = match.group()
    if "十" not in text:
        return "".join(str(_KANJI_DIGITS[c]) for c in text)
    tens, _sep, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return text  # not a number of a date; the reader refuses it
    return str((_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0))


_ERA_KEYS = "|".join(sorted((re.escape(k) for k in _BY_KEY), key=len, reverse=True))
# An era, its year, month and day, separated by 年月日 or by . / -; 日 may close it.
_ERA_DATE = re.compile(
    rf"^(?P<era>{_ERA_KEYS})\s*(?P<year>\d{{1,2}}|元)\s*(?:年|[./\-・])\s*(?P<month>\d{{1,2}})\s*(?:月|[./\-・])"
    rf"\s*(?P<day>\d{{1,2}})\s*日?$",
    re.IGNORECASE,
)
_WESTERN = re.compile(
    r"^(?P<year>\d{4})\s*(?:年|[./\-])\s*(?P<month>\d{1,2})\s*(?:月|[./\-])\s*(?P<day>\d{1,2})\s*日?$"
)
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")

EXAMPLES = "「令和8年4月1日」「R8.4.1」「2026-04-01」"


def normalise(text: str) -> str:
    """Full-width digits, letters and marks as ASCII (NFKC), kanji numerals as digits, no outer spaces."""
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = folded.replace("〜", "-").replace("ー", "-").replace("－", "-")
    return _KANJI_NUMBER.sub(_kanji_to_digits, folded)


def _real_day(year: int, month: int, day: int, shown: str) -> dt.date:
    if not 1 <= month <= 12:
        raise WarekiError(_("%(shown)sという日はありません（月は1〜12です）。", shown=shown))
    try:
        return dt.date(year, month, day)
    except ValueError:
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        raise WarekiError(
            _(
                "%(shown)sという日はありません（%(year)s年%(month)s月は%(last)s日までです）。",
                shown=shown,
                year=year,
                month=month,
                last=last,
            )
        ) from None


def _check_range(day: dt.date, shown: str) -> dt.date:
    if day < SOLAR_CALENDAR_FROM:
        raise WarekiError(
            _(
                "%(shown)sは扱えません。明治6年（1873年）1月1日より前の日付は太陽暦の採用前です。",
                shown=shown,
            )
        )
    return day


def _from_era(era: Era, year_raw: str, month: int, day: int) -> dt.date:
    year = 1 if year_raw == "元" else int(year_raw)
    shown = f"{era.name}{year_text(year) if year else year_raw}年{month}月{day}日"
    if year < 1:
        raise WarekiError(_("%(era)sの年は元年（1年）からです。", era=era.name))
    if era.end is not None and year > era.end.year - era.start.year + 1:
        last = f"{era.name}{year_text(era.end.year - era.start.year + 1)}年{era.end.month}月{era.end.day}日"
        raise WarekiError(
            _(
                "%(era)s%(year)s年はありません（%(era)sは%(last)sまでです）。",
                era=era.name,
                year=year,
                last=last,
            )
        )
    gregorian = _real_day(era.start.year + year - 1, month, day, shown)
    if gregorian < era.start:
        first = f"{era.name}元年{era.start.month}月{era.start.day}日"
        raise WarekiError(
            _("%(shown)sは%(era)sの始まり（%(first)s）より前です。", shown=shown, era=era.name, first=first)
        )
    if era.end is not None and gregorian > era.end:
        last = f"{era.name}{year_text(era.end.year - era.start.year + 1)}年{era.end.month}月{era.end.day}日"
        raise WarekiError(
            _("%(shown)sは%(era)sの終わり（%(last)s）より後です。", shown=shown, era=era.name, last=last)
        )
    if gregorian < SOLAR_CALENDAR_FROM:
        raise WarekiError(
            _(
                "%(shown)sは扱えません。明治6年1月1日より前の和暦の日付は旧暦（太陰太陽暦）の日付です。",
                shown=shown,
            )
        )
    return gregorian


def parse_date(text: str) -> dt.date:
    """The date ``text`` names, in any of the notations above; ``WarekiError`` says why it names none."""
    folded = normalise(text)
    if not folded:
        raise WarekiError(_("日付を入力してください。"))
    m = _ERA_DATE.match(folded)
    if m:
        key = m.group("era")
        era = _BY_KEY.get(key) or _BY_KEY[key.upper()]
        return _from_era(era, m.group("year"), int(m.group("month")), int(m.group("day")))
    m = _WESTERN.match(folded) or _COMPACT.match(folded)
    if m:
        year, month, day = int(m.group("year")), int(m.group("month")), int(m.group("day"))
        shown = f"{year}年{month}月{day}日"
        if year < 1:
            raise WarekiError(
                _("日付として読めません。%(examples)sなどの形で入力してください。", examples=EXAMPLES)
            )
        return _check_range(_real_day(year, month, day, shown), shown)
    raise WarekiError(_("日付として読めません。%(examples)sなどの形で入力してください。", examples=EXAMPLES))


def parse_optional(text: str | None) -> dt.date | None:
    """None for a blank, else ``parse_date``."""
    if text is None or not normalise(text):
        return None
    return parse_date(text)


def try_parse(value: object) -> dt.date | None:
    """A date, or what ``parse_date`` reads from text; None for a blank or anything unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return parse_optional(value)
    except WarekiError:
        return None


def understood(day: dt.date | None) -> str:
    """What the field echoes under a date it read: '令和8年4月1日（2026年4月1日）'."""
    if day is None:
        return ""
    try:
        return f"{format_wareki(day)}（{day.year}年{day.month}月{day.day}日）"
    except ValueError:
        return f"{day.year}年{day.month}月{day.day}日"
