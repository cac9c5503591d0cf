"""The keys of every row of a persons file, in a private temporary SQLite database on disk, for the rules
that need the whole file (a 宛名番号 given twice, a household's heads and address) and for the summary.

Kept out of memory so that checking 富士市's 254,203 persons takes no more memory than checking 100.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator

Row = tuple[int, int | None, int | None, bool, bool, str, bool, str, str]


class KeyStore:
    def __init__(self, batch: int = 10_000) -> None:
        # "" opens a temporary database on disk, private to this connection and deleted on close.
        self.db = sqlite3.connect("")
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE k (line INTEGER PRIMARY KEY, atena INTEGER, household INTEGER, living INTEGER,"
            " head INTEGER, address TEXT, valid INTEGER, status TEXT, citizenship TEXT)"
        )
        self.pending: list[Row] = []
        self.batch = batch
        self.indexed = False

    def add(self, row: Row) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.db.executemany("INSERT INTO k VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.pending)
            self.pending = []

    def _ready(self) -> None:
        self._flush()
        if not self.indexed:
            self.db.execute("CREATE INDEX k_atena ON k (atena)")
            self.db.execute("CREATE INDEX k_household ON k (household, living, line)")
            self.indexed = True

    def has_atena(self, atena: int) -> bool:
        self._ready()
        return self.db.execute("SELECT 1 FROM k WHERE atena = ? LIMIT 1", (atena,)).fetchone() is not None

    def duplicates(self) -> Iterator[tuple[int, int, int]]:
        """(line, 宛名番号, the line that gave it first) of each later row with a number already given."""
        self._ready()
        yield from self.db.execute(
            "SELECT k.line, k.atena, f.first FROM k JOIN"
            " (SELECT atena, min(line) AS first FROM k WHERE atena IS NOT NULL GROUP BY atena HAVING count(*) > 1) f"
            " ON k.atena = f.atena WHERE k.line > f.first ORDER BY k.line"
        )

    def elsewhere(self) -> Iterator[tuple[int, int, str]]:
        """(line, 世帯番号, address) of each living member at another address than the household's first."""
        self._ready()
        yield from self.db.execute(
            "SELECT k.line, k.household, k.address FROM k JOIN"
            " (SELECT household, min(line) AS first FROM k WHERE living AND household IS NOT NULL GROUP BY household) f"
            " ON k.household = f.household JOIN k r ON r.line = f.first"
            " WHERE k.living AND k.address != r.address ORDER BY k.line"
        )

    def heads(self) -> Iterator[tuple[int, int, int, list[int]]]:
        """(世帯番号, first line, heads, their lines) of each household whose living members have no or two heads."""
        self._ready()
        for household, first, heads, lines in self.db.execute(
            "SELECT household, min(line), sum(head), group_concat(CASE WHEN head THEN line END)"
            " FROM k WHERE living AND household IS NOT NULL GROUP BY household HAVING sum(head) != 1"
        ):
            yield household, first, heads, sorted(int(x) for x in (lines or "").split(",") if x)

    def with_rejected_member(self, rejected: set[int]) -> Iterator[tuple[int, int]]:
        """(世帯番号, first line) of each household one of whose living members is rejected."""
        self._ready()
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS rejected (line INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM rejected")
        self.db.executemany("INSERT OR IGNORE INTO rejected VALUES (?)", ((n,) for n in rejected))
        yield from self.db.execute(
            "SELECT household, min(line) FROM k WHERE household IS NOT NULL AND household IN"
            " (SELECT household FROM k WHERE living AND (NOT valid OR line IN (SELECT line FROM rejected)))"
            " GROUP BY household"
        )

    def tally(self, rejected: set[int], bad: set[int]) -> tuple[int, Counter[str], Counter[str], int]:
        self._ready()
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS rejected (line INTEGER PRIMARY KEY)")
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS bad (household INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM rejected")
        self.db.execute("DELETE FROM bad")
        self.db.executemany("INSERT OR IGNORE INTO rejected VALUES (?)", ((n,) for n in rejected))
        self.db.executemany("INSERT OR IGNORE INTO bad VALUES (?)", ((n,) for n in bad))
        kept = (
            "FROM k WHERE valid AND line NOT IN (SELECT line FROM rejected)"
            " AND household NOT IN (SELECT household FROM bad)"
        )
        by_status: Counter[str] = Counter()
        by_citizenship: Counter[str] = Counter()
        total = 0
        for status, citizenship, n in self.db.execute(
            f"SELECT status, citizenship, count(*) {kept} GROUP BY 1, 2"
        ):
            by_status[status] += n
            by_citizenship[citizenship] += n
            total += n
        households = self.db.execute(f"SELECT count(DISTINCT household) {kept}").fetchone()[0]
        return total, by_status, by_citizenship, int(households)

    def close(self) -> None:
        self.db.close()
