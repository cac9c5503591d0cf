"""What a clerk can rely on in a household: one address, and 続柄 that agree with the ages.

The address: a 住民票 is made per person but kept per household (住民基本台帳法第6条), and a
household lives at one address. This register keeps that by construction:
- a 転居 always moves every resident member of the household (``services.relocate``);
- a person who joins an existing household (転入, 出生, 世帯変更) takes its address; typing another
  address is refused (a person living elsewhere forms a household of their own: 世帯分離 may
  take a new address);
- a 記載事項修正 does not change 町名・番地.

The ages: a 続柄 that contradicts the birth dates (a 子 older than the 世帯主 or their 配偶者, a
父・母 younger than the 世帯主) is usually a typing error, but may be true (adoption: 養子 are
recorded as 子), so it is not refused: the form warns and asks for an explicit confirmation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents.display import field_label, relationship_label
from modules.residents.errors import Collector
from modules.residents.models import HEAD, Person, Status

SPOUSES = ("妻", "夫")
# Younger than the head (and the head's spouse), as the 続柄 says.
_YOUNGER = ("子", "孫", "子の妻", "子の夫")
# Older than the head.
_OLDER = ("父", "母", "祖父", "祖母", "妻の父", "妻の母", "夫の父", "夫の母")
CONFIRM_FIELD = "age_confirmed"


def _members(session: Session, household_id: int, excluding: int | None) -> list[Person]:
    rows = session.scalars(
        sa.select(Person).where(Person.household_id == household_id, Person.status == Status.resident)
    )
    return [p for p in rows if p.id != excluding]


def age_conflicts(
    session: Session,
    household_id: int | None,
    relationship: str,
    birth_date: dt.date | None,
    *,
    person_id: int | None = None,
) -> list[str]:
    """Why ``relationship`` and ``birth_date`` disagree with the household's head and their spouse."""
    if household_id is None or birth_date is None or not relationship:
        return []
    members = _members(session, household_id, person_id)
    head = next((m for m in members if m.relationship == HEAD), None)
    spouses = [m for m in members if m.relationship in SPOUSES]
    found: list[str] = []
    label = relationship_label(relationship)
    if relationship in _YOUNGER:
        for other in [m for m in (head, *spouses) if m is not None]:
            if birth_date <= other.birth_date:
                found.append(
                    _(
                        "続柄が「%(rel)s」ですが、%(whom)s（%(name)s、%(born)s生）より年上か同い年です。",
                        rel=label,
                        whom=relationship_label(other.relationship),
                        name=other.full_name,
                        born=other.birth_date.isoformat(),
                    )
                )
    elif relationship in _OLDER and head is not None and birth_date >= head.birth_date:
        found.append(
            _(
                "続柄が「%(rel)s」ですが、世帯主（%(name)s、%(born)s生）より年下か同い年です。",
                rel=label,
                name=head.full_name,
                born=head.birth_date.isoformat(),
            )
        )
    elif relationship in (*SPOUSES, HEAD) and head is not None:
        # A new head or spouse: the members recorded as 子 must stay younger than them.
        for child in (m for m in members if m.relationship in _YOUNGER):
            if child.birth_date <= birth_date:
                found.append(
                    _(
                        "続柄が「%(rel)s」ですが、子（%(name)s、%(born)s生）より年下か同い年です。",
                        rel=label,
                        name=child.full_name,
                        born=child.birth_date.isoformat(),
                    )
                )
    return found


def check_ages(
    c: Collector,
    session: Session,
    household_id: int | None,
    relationship: str,
    birth_date: dt.date | None,
    confirmed: Any,
    *,
    person_id: int | None = None,
) -> None:
    """Add the age conflicts to ``c`` under ``age_confirmed`` unless the clerk confirmed them."""
    if confirmed in (True, "1", "y", "on", "true"):
        return
    found = age_conflicts(session, household_id, relationship, birth_date, person_id=person_id)
    if found:
        c.add(
            CONFIRM_FIELD,
            _(
                "%(text)s 誤りでなければ「%(label)s」にチェックを入れてください。",
                text=" ".join(found),
                label=field_label(CONFIRM_FIELD),
            ),
        )


def check_household_address(c: Collector, head: Person | None, typed: Mapping[str, Any]) -> None:
    """A person joining a household lives at its address: another typed address is refused."""
    if head is None:
        return
    if (typed.get("town"), typed.get("banchi")) != (head.town, head.banchi):
        c.add(
            "town",
            _(
                "世帯に入る方の住所は世帯の住所（%(address)s）と同じです。"
                "別の住所に住む方は、新しい世帯（世帯主）として届け出てください。",
                address=head.address,
            ),
        )
