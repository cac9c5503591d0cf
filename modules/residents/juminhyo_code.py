"""The 住民票コード: its check digit, its assignment from the city's range, and its change on request.

住民基本台帳法施行規則第1条: a 住民票コード is ten digits followed by one check digit (検査数字) computed
by the formula the 総務大臣 sets (第1条第2号; the formula is 平成14年総務省告示第436号). The texts at
hand give the 規則 and the 告示's number but not the 告示's formula itself; the one used here (a
modulus 11 with weights 2..7 then 2..5, counted from the lowest digit) is the 個人番号's formula
(番号法施行令第8条 and 総務省令第85号第5条: 11 - (Σ Pn×Qn mod 11), 0 when the remainder is 0 or
1; Qn = n+1 for n ≤ 6, n-5 above), applied to the ten digits of the code:

    check = 11 - (Σ_{n=1..10} P_n × Q_n mod 11), and 0 when that remainder is 0 or 1;
    P_n the n-th digit from the right, Q_n = n + 1 for 1 ≤ n ≤ 6, n - 5 for 7 ≤ n ≤ 10.

The codes a city may record are a range designated by the 地方公共団体情報システム機構 (住基法30条の2);
this register takes them in order from the first of that range, which is the city's six-digit
団体コード followed by zeros until the city records the range it was given (``range_start``). A
code once given is never given again: the sequence only advances, and a changed code stays in
the person's history.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents.display import field_label
from modules.residents.errors import Collector
from modules.residents.models import EventKind, Person, ResidentCounter, ResidentEvent
from tenant_core import sequences

FIELD = "juminhyo_code"
SEQUENCE = "juminhyo_code"
_CODE = re.compile(r"^\d{11}$")
# The weights of the digits from the right: 2..7, then 2..5 (and on, for a value of any length).
_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(1, 65))


def check_digit(first_ten: str) -> int:
    """The 検査数字 of the ten digits of a 住民票コード (住基法施行規則第1条; see the module's text)."""
    if len(first_ten) != 10 or not first_ten.isdigit():
        raise ValueError("a 住民票コード has ten digits before its check digit")
    # One pass in C over the digits from the right (a migration checks one code per row).
    total = sum(map(operator.mul, map(int, reversed(first_ten)), _WEIGHTS))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def with_check_digit(first_ten: str) -> str:
    return first_ten + str(check_digit(first_ten))


def is_valid(code: str) -> bool:
    return bool(_CODE.match(code)) and check_digit(code[:10]) == int(code[10])


def normalize(value: str) -> str:
    """Full-width digits to ASCII; spaces and hyphens typed between groups removed."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value))


def clean(c: Collector, value: Any) -> str | None:
    """A typed 住民票コード (from a 転出証明書), checked; blank → None."""
    text = normalize(str(value or ""))
    if not text:
        return None
    label = field_label(FIELD)
    if not text.isdigit() or len(text) != 11:
        c.add(FIELD, _("%(label)sは11桁の数字で入力してください。", label=label))
    elif not is_valid(text):
        c.add(FIELD, _("%(label)sの検査数字が正しくありません。番号を確認してください。", label=label))
    return text


def range_start(city_code: str) -> int:
    """The first ten-digit body of the city's range: its 団体コード (6 digits) then four zeros."""
    digits = "".join(ch for ch in city_code if ch.isdigit())[:6].ljust(6, "0")
    return int(digits) * 10_000


def in_use(session: Session, code: str) -> bool:
    """Whether the code is recorded now, or was once (a changed code stays in the history)."""
    if session.scalar(sa.select(Person.id).where(Person.juminhyo_code == code)) is not None:
        return True
    changed = sa.select(ResidentEvent.before).where(ResidentEvent.kind == EventKind.code_change.value)
    return any((before or {}).get(FIELD) == code for before in session.scalars(changed))


def assign(session: Session, city_code: str) -> str:
    """A new 住民票コード of the city's range, never given before (one per call, in order)."""
    start = range_start(city_code)
    while True:
        body = start + sequences.reserve(session, ResidentCounter, SEQUENCE) - 1
        code = with_check_digit(f"{body % 10**10:010d}")
        if not in_use(session, code):  # a code typed at an arrival may already lie in the range
            return code


def city_code(session: Session, slug: str) -> str:
    """The 団体コード of the city ``slug``, read from the shared register of cities."""
    from tenant_core.models import Tenant

    return session.scalar(sa.select(Tenant.code).where(Tenant.slug == slug)) or "000000"


def change_code(
    session: Session,
    person: Person,
    on: Any,
    *,
    slug: str,
    by: str,
    note: str = "",
    today: dt.date | None = None,
    version: int | None = None,
) -> ResidentEvent:
    """住民票コードの変更請求 (住基法30条の4): a new code from the city's range; the old one stays in the history."""
    from modules.residents.recording import begin_change, checked_day, record_event

    c, day = begin_change(session, person, on, version=version, today=today)
    c.raise_if_any()
    code = assign(session, city_code(session, slug))
    return record_event(
        session,
        person,
        EventKind.code_change,
        checked_day(day),
        {FIELD: code},
        by,
        note or "住民票コードの変更請求",
    )
