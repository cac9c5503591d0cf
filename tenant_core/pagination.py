"""Page numbers for long lists, read from ``?page=`` and bounded."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int = 20
    total: int = 0

    @classmethod
    def from_request(cls, request: Request, per_page: int = 20) -> Page:
        number = request.args.get("page", 1, type=int) or 1
        return cls(number=max(1, min(number, 100_000)), per_page=per_page)

    def with_total(self, total: int) -> Page:
        return Page(self.number, self.per_page, total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages
