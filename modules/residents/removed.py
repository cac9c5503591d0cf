"""除票: a person who moved out or died stays in the register as a removed record (除票), kept for the period the law sets.

- The record: ``Person.status`` is ``moved_out`` or ``deceased`` and ``left_on`` the date (除票日); the
  event that removed them (転出 with its 転出先, 死亡) is in the history. Nothing is ever deleted by the app.
- Retention: 住民基本台帳法施行令第34条第1項 keeps a 除票 for **150 years** from the day it was removed,
  since the amendment in force on 2019-06-20 (令和元年6月20日; before it, 5 years). The amendment covers the
  除票 whose 5 years had not yet run out on that day; a 除票 whose 5 years ended before it had no longer to be
  kept and may have been discarded. The law fixes the period, so it is no parameter.
- Access: searching the 除票 needs ``residents.view_removed`` (the register's editors hold it; a viewer
  does not), on the search page and in the API. (The personal status inquiry, which records a reason, and
  the register's own checks search them as before.)
"""

from __future__ import annotations

import datetime as dt

from modules.residents.models import Person, Status

REMOVED_PERMISSION = "residents.view_removed"

AMENDED_ON = dt.date(2019, 6, 20)  # 住民基本台帳法施行令 第34条 amended: 5 → 150 years
YEARS_BEFORE = 5
YEARS_NOW = 150


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the period ends on 28 February
        return day.replace(year=day.year + years, day=28)


def retention_until(left_on: dt.date) -> dt.date:
    """The last day a 除票 removed on ``left_on`` must be kept (施行令第34条第1項)."""
    old_end = _add_years(left_on, YEARS_BEFORE)
    if old_end < AMENDED_ON:  # its 5 years had run out before the amendment
        return old_end
    return _add_years(left_on, YEARS_NOW)


def is_removed(person: Person) -> bool:
    return person.status in (Status.moved_out, Status.deceased)


def retention_of(person: Person) -> dt.date | None:
    """The retention end of a person's 除票; None while they are a resident."""
    if not is_removed(person) or person.left_on is None:
        return None
    return retention_until(person.left_on)
