"""Benchmark: importing 富士市's register (254,203 persons) from a cp932 file of the exchange layout.

Run from the project root as ``.venv/bin/python tests/bench/bench_migration.py [--persons N]``.
It makes its own PostgreSQL database (see benchkit.py) and drops it at the end. Figures printed:
the dry run (checking the whole file), the real import, PostgreSQL's own COPY of the same rows in
the same run twice over: the file's columns into a plain table with only a key (the bare floor), and
the rows the import wrote, as the register stores them, into a fresh city's tables with all their
indexes (the floor of any importer that must keep those tables; both ratios are printed), the peak
resident memory of each phase on a tenth of the file and on the whole (flat: it should not grow with
the file), and the export of the register back to cp932. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modules.migration import gaiji, layout
from modules.migration.exporting import DatabaseSource, export
from modules.migration.importing import Options, run_import
from modules.residents.bulk import Generator
from modules.residents.juminhyo_code import with_check_digit as juminhyo
from modules.residents.mynumber import with_check_digit as mynumber
from modules.residents.public import Vault
from tenant_core.config import PROJECT_ROOT
from tenant_core.declarations import load_declarations
from tenant_core.extensions import get_db
from tenant_core.migrate import upgrade_shared
from tenant_core.provisioning import TenantSpec, create_tenant, sync_tenants
from tests.bench import benchkit

FUJI = 254_203
SLUG = "fuji"
SMALL_CITY = "fujinomiya"  # takes the tenth of the file, to compare the import's peak memory
GOAL_S = 120
# 外字 the generated file carries in private use, as an old system would: the IVS name of the demo data.
PUA = {"\u845b\U000e0100": "\ue000"}
NATIONS = (("中国", "チン", "CHEN"), ("ベトナム", "グエン", "NGUYEN"), ("フィリピン", "サントス", "SANTOS"))


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def write_file(path: Path, count: int, seed: int = 7) -> int:
    """A plausible register of ``count`` persons in cp932 (5% 除票, 2% 外国人住民); households made."""
    gen = Generator(SLUG, seed, today=dt.date(2026, 4, 1))
    rng = random.Random(seed)
    atena, household = 10_000_000, 5_000_000
    written = 0
    with path.open("w", encoding="cp932", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(layout.PERSON_HEADER)
        for drafts in gen.households(count):
            household += 1
            foreign = rng.random() < 0.02
            gone = rng.random() < 0.05
            nation = rng.choice(NATIONS)
            for d in drafts:
                atena += 1
                v = d.values
                row: dict[str, str] = {
                    "宛名番号": str(atena),
                    "世帯番号": str(household),
                    "続柄": v["relationship"],
                    "氏": v["family_name"],
                    "名": v["given_name"],
                    "氏_フリガナ": v["family_kana"],
                    "名_フリガナ": v["given_kana"],
                    "生年月日": _fmt(v["birth_date"]),
                    "性別": "1" if v["sex"] == "male" else "2",
                    "住民種別": "1",
                    "住民となった年月日": _fmt(v["resident_since"]),
                    "町字": v["town"],
                    "番地": v["banchi"],
                    "方書": v["katagaki"],
                    "郵便番号": "417-0001",
                    "本籍": v["honseki"] or "",
                    "筆頭者": v["hitto_sha"] or "",
                    "住民票コード": juminhyo(f"{atena:010d}"),
                    "個人番号": mynumber(f"{atena * 7919 % 10**11:011d}"),
                    "状態": "1",
                }
                if foreign:
                    row.update(
                        {
                            "氏": nation[1],
                            "名": "",
                            "氏_フリガナ": nation[1],
                            "名_フリガナ": "",
                            "住民種別": "2",
                            "本籍": "",
                            "筆頭者": "",
                            "国籍・地域": nation[0],
                            "30条45規定区分": "1",
                            "在留資格": "永住者",
                            "在留期間満了日": "20300331",
                            "アルファベット氏名": nation[2],
                        }
                    )
                if gone:
                    left = max(v["resident_since"], dt.date(2020, 1, 1)) + dt.timedelta(days=30)
                    row.update({"状態": "2", "消除年月日": _fmt(left), "転出先住所": "東京都千代田区"})
                for name, value in list(row.items()):
                    for seq, pua in PUA.items():
                        value = value.replace(seq, pua)
                    row[name] = value
                writer.writerow([row.get(h, "") for h in layout.PERSON_HEADER])
                written += 1
    return written


class PeakRss:
    """The process's peak resident memory during a block, sampled from /proc every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    def __enter__(self) -> PeakRss:
        self.peak = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.now())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, func: Callable[[], Any]) -> tuple[float, int, Any]:
    """Wall time, this process's CPU time (the machine is shared: wall time includes waiting for a core)
    and peak resident memory of one phase."""
    with PeakRss() as rss:
        t0, c0 = time.perf_counter(), _cpu()
        result = func()
        elapsed, cpu = time.perf_counter() - t0, _cpu() - c0
    print(
        f"  {label:<44} {elapsed:7.1f} s  (CPU {cpu:6.1f} s)   peak RSS {rss.peak / 2**20:7.0f} MiB",
        flush=True,
    )
    return elapsed, rss.peak, result


def copy_baseline(db: Any, cp932_path: Path) -> float:
    """PostgreSQL's COPY of the same rows into a plain table of the layout's columns (key included).

    PostgreSQL's SJIS has no mapping for cp932's user-defined area (the 外字), so the rows are first
    transcoded to UTF-8 (not timed) and COPY reads that.
    """
    path = cp932_path.with_suffix(".utf8.csv")
    with (
        cp932_path.open(encoding="cp932", newline="") as src,
        path.open("w", encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    columns = ", ".join(f'"{name}" text' for name in layout.PERSON_HEADER[2:])
    with db.engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_copy")
        conn.exec_driver_sql(
            f'CREATE TABLE bench_copy ("宛名番号" bigint PRIMARY KEY, "世帯番号" bigint, {columns})'
        )
        conn.commit()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        t0 = time.perf_counter()
        sql = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
        with raw.cursor() as cur, cur.copy(sql) as copy, path.open("rb") as f:  # type: ignore[attr-defined]
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        raw.commit()
        elapsed = time.perf_counter() - t0
        conn.exec_driver_sql("DROP TABLE bench_copy")
        conn.commit()
    return elapsed


# The tables the import writes, in an order their foreign keys accept (households have no key to persons).
REGISTER_TABLES = ("households", "persons", "resident_events", "migration_person_extras")


def register_copy_baseline(db: Any, slug: str, tmpdir: Path) -> tuple[float, dict[str, tuple[int, float]]]:
    """PostgreSQL's COPY of the rows the import wrote, exactly as the register stores them, into a fresh
    city's tables (made by provisioning, so with every index, unique key and foreign key the import met).

    The rows are read back from the imported city's schema with COPY TO (not timed) into files; only the
    COPY FROM statements into the fresh schema and their commit are timed, in one transaction as a whole
    import would be. Text format, as the import sends. Returns the total and (rows, seconds) per table.
    """
    fresh = benchkit.spec_for(1)
    create_tenant(db, fresh)
    source, target = f"t_{slug}", f"t_{fresh.slug}"
    files: dict[str, Path] = {}
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            for table in REGISTER_TABLES:
                files[table] = tmpdir / f"register_{table}.copy"
                with files[table].open("wb") as f, cur.copy(f'COPY "{source}"."{table}" TO STDOUT') as copy:
                    for chunk in copy:
                        f.write(chunk)
        raw.commit()
        per_table: dict[str, tuple[int, float]] = {}
        t0 = time.perf_counter()
        with raw.cursor() as cur:
            for table in REGISTER_TABLES:
                t1 = time.perf_counter()
                with (
                    cur.copy(f'COPY "{target}"."{table}" FROM STDIN') as copy,
                    files[table].open("rb") as f,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
                per_table[table] = (cur.rowcount, time.perf_counter() - t1)
        raw.commit()
        elapsed = time.perf_counter() - t0
    for path in files.values():
        path.unlink()
    return elapsed, per_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=FUJI)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    with benchkit.database("_migration") as url, benchkit.kyodo_app(url) as app, app.app_context():
        db = get_db(app)
        upgrade_shared(db)
        specs = [TenantSpec.from_declaration(d) for d in load_declarations(PROJECT_ROOT / "tenants")]
        sync_tenants(db, [s for s in specs if s.slug in (SLUG, SMALL_CITY)])
        for slug in (SLUG, SMALL_CITY):
            with db.session(f"t_{slug}") as s:
                gaiji.set_entry(s, 0xE000, "\u845b\U000e0100", "葛（IVS）", "bench")
                s.commit()
        with tempfile.TemporaryDirectory(prefix="kyodo-bench-migration-") as tmp:
            tmpdir = Path(tmp)
            small, full = tmpdir / "residents_small.csv", tmpdir / "residents_fuji.csv"
            t0 = time.perf_counter()
            n_small = write_file(small, max(1000, args.persons // 10), seed=8)
            n_full = write_file(full, args.persons)
            print(
                f"Generated {n_full:,} persons in cp932 ({full.stat().st_size / 2**20:.0f} MiB) and {n_small:,}"
                f" for the memory comparison in {time.perf_counter() - t0:.1f} s"
            )

            def run(path: Path, dry: bool, slug: str = SLUG) -> Any:
                opts = Options(
                    persons=path, by="bench", dry_run=dry, report_dir=tmpdir / "reports", batch=args.batch
                )
                outcome = run_import(db, slug, Vault.for_city(app.config["SECRET_KEY"], slug), opts)
                if outcome.problems:
                    print(f"    {len(outcome.problems)} problems, first: {outcome.problems[:3]}")
                return outcome

            _s_dry, mem_small_dry, _ = timed(f"dry run, {n_small:,} persons", lambda: run(small, True))
            t_dry, mem_full_dry, _ = timed(f"dry run, {n_full:,} persons", lambda: run(full, True))
            _s_import, mem_small_import, _ = timed(
                f"import, {n_small:,} persons (another city)", lambda: run(small, False, SMALL_CITY)
            )
            t_import, mem_import, outcome = timed(f"import, {n_full:,} persons", lambda: run(full, False))
            print(f"    added {outcome.added:,}, rejected {outcome.summary['rows_rejected']:,}")
            t_again, _m, again = timed("re-import of the same file (no change)", lambda: run(full, False))
            print(f"    unchanged {again.unchanged:,}, corrected {again.corrected:,}")
            t_copy = copy_baseline(db, full)
            print(f"  {'PostgreSQL COPY into a plain table':<44} {t_copy:7.1f} s", flush=True)
            t_register, per_table = register_copy_baseline(db, SLUG, tmpdir)
            label = "PostgreSQL COPY into the register's tables"
            print(f"  {label:<44} {t_register:7.1f} s", flush=True)
            for table, (count, seconds) in per_table.items():
                print(f"    {table:<28} {count:>9,} rows {seconds:6.2f} s")
            with open("/proc/loadavg") as f:
                print(f"  (load average now: {f.read().split()[0]} on {os.cpu_count()} cores)", flush=True)

            def do_export() -> Any:
                with db.session(f"t_{SLUG}") as s:
                    return export(
                        DatabaseSource(s, Vault.for_city(app.config["SECRET_KEY"], SLUG)),
                        tmpdir / "out",
                        slug=SLUG,
                        encoding="cp932",
                        gaiji_back=True,
                    )

            t_export, mem_export, exported = timed("export to cp932 (外字 mapped back)", do_export)
            print(f"    {exported.persons:,} persons, {exported.reductions:,} values mapped back or reduced")
        print()
        print(
            f"Import {t_import:.1f} s (goal < {GOAL_S} s: {'met' if t_import < GOAL_S else 'NOT met'});"
            f" COPY into a plain table {t_copy:.1f} s, into the register's tables {t_register:.1f} s."
        )
        for label, floor in (("a plain table", t_copy), ("the register's tables", t_register)):
            verdict = "met" if t_import <= 3 * floor else "NOT met"
            print(f"  import / COPY into {label}: {t_import / floor:.1f}× (goal ≤ 3×: {verdict})")
        print(
            f"Peak RSS dry run: {mem_small_dry / 2**20:.0f} MiB for {n_small:,} persons,"
            f" {mem_full_dry / 2**20:.0f} MiB for {n_full:,}; import {mem_small_import / 2**20:.0f} MiB for"
            f" {n_small:,}, {mem_import / 2**20:.0f} MiB for {n_full:,};"
            f" export {mem_export / 2**20:.0f} MiB. Dry run {t_dry:.1f} s, re-import {t_again:.1f} s, export {t_export:.1f} s."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
