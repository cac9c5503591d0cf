"""Fixtures of the migration tests: layout files written as an old system would, and a run helper."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from modules.migration import layout
from modules.migration.importing import Options, Outcome, run_import
from modules.migration.models import MigrationRun
from modules.residents.public import Vault
from tenant_core.extensions import get_db

BASE: dict[str, str] = {
    "宛名番号": "100001",
    "世帯番号": "500001",
    "続柄": "世帯主",
    "氏": "富士",
    "名": "太郎",
    "氏_フリガナ": "フジ",
    "名_フリガナ": "タロウ",
    "生年月日": "19700101",
    "性別": "1",
    "住民種別": "1",
    "住民となった年月日": "20000401",
    "町字": "伝法",
    "番地": "5丁目12番8号",
    "状態": "1",
}


def person(**values: str) -> dict[str, str]:
    return {**BASE, **values}


def family() -> list[dict[str, str]]:
    """A household of three (head, wife, child born here), a 外国人住民 alone, and a 除票 of each kind."""
    return [
        person(
            住民票コード="12345678903",
            個人番号="123456789018",
            郵便番号="417-0061",
            本籍="静岡県富士市伝法1番地",
            筆頭者="富士　太郎",
            住所を定めた年月日="20000401",
            届出年月日="20000410",
            前住所="静岡県富士宮市宮町1番1号",
        ),
        person(宛名番号="100002", 続柄="妻", 名="花子", 名_フリガナ="ハナコ", 性別="2", 生年月日="19720202"),
        person(
            宛名番号="100003",
            続柄="子",
            名="次郎",
            名_フリガナ="ジロウ",
            生年月日="20050505",
            住民となった年月日="20050505",
        ),
        person(
            宛名番号="100004",
            世帯番号="500002",
            氏="SMITH",
            名="",
            氏_フリガナ="スミス",
            名_フリガナ="",
            住民種別="2",
            **{"国籍・地域": "米国", "30条45規定区分": "1"},
            在留資格="技術・人文知識・国際業務",
            在留期間満了日="20290331",
            在留カード等番号="AB12345678CD",
            アルファベット氏名="SMITH JOHN",
            町字="今泉一丁目",
        ),
        person(
            宛名番号="100005",
            世帯番号="500003",
            状態="2",
            消除年月日="20200301",
            転出先住所="東京都千代田区1-1",
        ),
        person(宛名番号="100006", 世帯番号="500004", 状態="3", 消除年月日="20210401", 生年月日="19300101"),
        person(
            宛名番号="100007", 世帯番号="500005", 状態="4", 消除年月日="20220501", 最終異動事由="職権消除"
        ),
    ]


def csv_bytes(
    rows: list[dict[str, str]], encoding: str = "utf-8", header: tuple[str, ...] | None = None
) -> bytes:
    header = header or layout.PERSON_HEADER
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


class Migrator:
    def __init__(self, app: Flask, tmp: Path) -> None:
        self.app, self.tmp, self.db = app, tmp, get_db(app)
        self.n = 0

    def file(self, rows: list[dict[str, str]] | bytes, encoding: str = "utf-8", name: str = "") -> Path:
        self.n += 1
        path = self.tmp / (name or f"residents_{self.n}.csv")
        path.write_bytes(rows if isinstance(rows, bytes) else csv_bytes(rows, encoding))
        return path

    def run(self, slug: str, persons: Path, **kw: Any) -> Outcome:
        opts = Options(persons=persons, by="test:migrator", report_dir=self.tmp / "reports", **kw)
        vault = Vault.for_city(self.app.config["SECRET_KEY"], slug)
        with self.app.app_context():
            return run_import(self.db, slug, vault, opts)

    def run_with(self, slug: str, persons: Path, after_batch: Callable[[int], None], **kw: Any) -> Outcome:
        opts = Options(persons=persons, by="test:migrator", report_dir=self.tmp / "reports", **kw)
        vault = Vault.for_city(self.app.config["SECRET_KEY"], slug)
        with self.app.app_context():
            return run_import(self.db, slug, vault, opts, after_batch=after_batch)

    def stopped_after(self, slug: str, persons: Path, done: int, batch: int) -> MigrationRun:
        """Run an import that is stopped (an exception) once ``done`` persons are reported applied;
        returns the run's record as the stop left it."""

        class Stop(Exception):
            pass

        def stop(applied: int) -> None:
            if applied >= done:
                raise Stop

        with contextlib.suppress(Stop):
            self.run_with(slug, persons, stop, batch=batch)
        with self.session(slug) as s:
            run = s.scalars(sa.select(MigrationRun).order_by(MigrationRun.id.desc())).first()
            assert run is not None
            return run

    @contextmanager
    def session(self, slug: str) -> Iterator[Session]:
        with self.db.session(f"t_{slug}") as s:
            yield s


@pytest.fixture
def migrator(app: Flask, db_connection: Any, tmp_path: Path) -> Migrator:
    return Migrator(app, tmp_path)
