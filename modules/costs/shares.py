"""The shapes in which pages and exports see the shares: one row per member and item, a year, the years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from modules.costs.models import CATEGORY_LABELS


@dataclass(frozen=True)
class ShareRow:
    item_name: str
    category: str
    item_amount: int
    shared: bool
    rule_name: str
    member_code: str
    member_name: str
    amount: int
    ratio: str
    explanation_ja: str
    explanation_en: str

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS.get(self.category, self.category))


@dataclass
class YearResult:
    """The shares of one fiscal year: from its current approved revision, or a preview of the draft."""

    year: int
    status: str
    members: list[tuple[str, str]]  # (code, name) in code order
    rows: list[ShareRow]
    errors: list[str] = field(default_factory=list)
    revision: int | None = None
    approved_at: dt.datetime | None = None
    approved_by: str = ""
    reason: str = ""

    @property
    def approved(self) -> bool:
        return self.revision is not None

    def visible(self, member_code: str | None) -> YearResult:
        """Only the shared items and ``member_code``'s own items (None: everything, for the secretariat)."""
        if member_code is None:
            return self
        return self.with_rows([r for r in self.rows if r.shared or r.member_code == member_code])

    def with_rows(self, rows: list[ShareRow]) -> YearResult:
        return YearResult(**{**self.__dict__, "rows": rows})

    def shared_by_item(self) -> list[tuple[ShareRow, dict[str, ShareRow]]]:
        """The shared items in order, each with its members' shares by code (one pass, for the pivot tables)."""
        groups: list[tuple[ShareRow, dict[str, ShareRow]]] = []
        for r in self.rows:
            if not r.shared:
                continue
            # An item's shares are consecutive; a repeated member code starts the next item of the same name.
            if groups and groups[-1][0].item_name == r.item_name and r.member_code not in groups[-1][1]:
                groups[-1][1][r.member_code] = r
            else:
                groups.append((r, {r.member_code: r}))
        return groups

    def for_member(self, code: str) -> list[ShareRow]:
        return [r for r in self.rows if r.member_code == code]

    def totals(self, *, shared_only: bool = False) -> dict[str, int]:
        totals = {code: 0 for code, _ in self.members}
        for r in self.rows:
            if r.shared or not shared_only:
                totals[r.member_code] = totals.get(r.member_code, 0) + r.amount
        return totals

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)


@dataclass
class Overview:
    """Per fiscal year, each member's total of shared items, and one member's own items; for trend and charts."""

    years: list[int]
    status: dict[int, str]
    revision: dict[int, int | None]
    members: list[tuple[str, str]]
    shared: dict[int, dict[str, int]]  # year -> member code -> total of shared items
    own: dict[int, int]  # year -> the viewing member's own items

    def total_for(self, year: int, code: str | None) -> int:
        return self.shared[year].get(code or "", 0) + self.own.get(year, 0)
