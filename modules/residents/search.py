"""Searching the register by カナ or 漢字 name (prefix, folded), birth date and address, paged.

Each term is a prefix on a folded key column with an index of its own. PostgreSQL serves
``LIKE 'key%'`` from a ``varchar_pattern_ops`` index whatever the database collation; SQLite
serves the equivalent range ``key <= col < next(key)`` from its plain (binary) index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import kana
from modules.residents.errors import Collector
from modules.residents.history import alpha_search_key
from modules.residents.models import Person, Status
from modules.residents.protection import covered_clause, hidden_atenas, sees_protected

COUNT_CAP = 1000  # beyond this a search says "1,000件以上": narrow it down
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchQuery:
    kana: str = ""
    name: str = ""
    birth_date: dt.date | None = None
    address: str = ""
    include_removed: bool = False  # also 除票 (moved out, deceased)
    tsusho: str = ""  # 通称 of a 外国人住民 (prefix, folded like the 漢字 name)
    alpha: str = ""  # アルファベット氏名 (prefix, letters only, any case)

    def terms(self) -> dict[str, Any]:
        """The terms used, for the access log's search shape (values never leave this object)."""
        return {
            "kana": self.kana,
            "name": self.name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else "",
            "address": self.address,
            "include_removed": "1" if self.include_removed else "",
            "tsusho": self.tsusho,
            "alpha": self.alpha,
        }


@dataclass
class SearchResult:
    rows: list[Person] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # total is at least COUNT_CAP
    page: int = 1
    per_page: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _next_prefix(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def prefix_match(
    session: Session, column: sa.SQLColumnExpression[str], prefix: str
) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``, written so that the dialect's index serves it."""
    if session.get_bind().dialect.name == "postgresql":
        return column.like(_escape_like(prefix) + "%", escape="/")
    return sa.and_(column >= prefix, column < _next_prefix(prefix))


def conditions(session: Session, query: SearchQuery) -> list[sa.ColumnElement[bool]]:
    """The WHERE terms of a search; ResidentError when no term is given or one is malformed."""
    c = Collector()
    where: list[sa.ColumnElement[bool]] = []
    if query.kana.strip():
        normalised = kana.normalize_kana(query.kana)
        key = kana.kana_search_key(query.kana)
        if not kana.is_katakana(normalised) or not key:
            c.add("kana", _("カナ氏名はカタカナまたはひらがなで入力してください。"))
        else:
            where.append(prefix_match(session, Person.kana_key, key))
    if query.name.strip():
        key = kana.name_search_key(query.name)
        if key:
            where.append(prefix_match(session, Person.name_key, key))
    if query.birth_date is not None:
        where.append(Person.birth_date == query.birth_date)
    if query.address.strip():
        key = kana.address_search_key(query.address)
        if key:
            where.append(prefix_match(session, Person.address_key, key))
    if query.tsusho.strip():
        key = kana.name_search_key(query.tsusho)
        if key:
            where.append(prefix_match(session, cast("sa.SQLColumnExpression[str]", Person.tsusho_key), key))
    if query.alpha.strip():
        alpha_key = alpha_search_key(query.alpha)
        if alpha_key:
            where.append(
                prefix_match(session, cast("sa.SQLColumnExpression[str]", Person.alpha_key), alpha_key)
            )
    if not where and not c.errors:
        c.add("", _("検索条件を1つ以上入力してください（カナ氏名、漢字氏名、生年月日、住所）。"))
    c.raise_if_any()
    if not query.include_removed:
        where.append(Person.status == Status.resident)
    if not sees_protected():  # persons under 支援措置 or 抑止 are not found (protection.py)
        where.append(sa.not_(covered_clause(Person.atena_no)))
    return where


def search(session: Session, query: SearchQuery, page: int = 1, per_page: int = 20) -> SearchResult:
    """One page of the people matching every given term, in カナ order; the total capped at 1,000."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    where = conditions(session, query)
    counted = sa.select(Person.id).where(*where).limit(COUNT_CAP).subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
    last_page = max(1, -(-total // per_page))
    page = max(1, min(page, last_page))
    rows = session.scalars(
        sa.select(Person)
        .where(*where)
        .order_by(Person.kana_key, Person.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    hidden_atenas(session, [p.atena_no for p in rows])  # flags the protected persons shown
    return SearchResult(list(rows), total, total >= COUNT_CAP, page, per_page)
