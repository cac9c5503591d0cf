"""移行テスト (rehearsals) and the cut-over: a city's completion criteria, shown as met or not, and the
real cut-over refused until the last rehearsal met them (or an operator overrides, with a reason, logged).

The criteria, as the joint projects ran them before their real cut-overs: no error in the file; the
counts equal the old system's control totals given by the operator (persons, households, seals); a
sample of persons compared item by item with the register found equal and signed off by a person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.migration.checks import PersonChecker
from modules.migration.importing import MigrationRefused, gaiji_table
from modules.migration.models import MigrationRun
from modules.migration.reading import detect, rows, sha256_of
from modules.residents.public import ITEM_FIELDS, get_persons
from tenant_core import exports
from tenant_core.models import utcnow

SAMPLE_DEFAULT = 100
CONTROL_KEYS = {"persons": "rows_valid", "households": "households", "seals": "seals_valid"}


@dataclass(frozen=True)
class Criterion:
    label: str
    met: bool
    detail: str


def criteria(run: MigrationRun) -> list[Criterion]:
    """The criteria for one rehearsal, each met or not, with what was found."""
    out = [
        Criterion(
            "エラー0件",
            run.error_count == 0 and run.state == "done",
            f"エラー {run.error_count}件・状態 {run.state}",
        )
    ]
    if not run.control:
        out.append(Criterion("件数が旧システムの管理件数と一致", False, "管理件数が入力されていません"))
    for key, value in sorted(run.control.items()):
        found = int(run.summary.get(CONTROL_KEYS.get(key, key), -1))
        out.append(
            Criterion(
                f"件数が旧システムの管理件数と一致（{key}）",
                found == int(value),
                f"管理件数 {value}・移行 {found}",
            )
        )
    sampled = run.sample_size > 0 and run.sample_mismatches == 0
    out.append(
        Criterion(
            "抽出した住民の項目別照合",
            sampled,
            f"{run.sample_size}人照合・不一致 {run.sample_mismatches if run.sample_mismatches is not None else '未照合'}",
        )
    )
    out.append(
        Criterion("照合結果の承認", bool(run.signed_off_by) and sampled, run.signed_off_by or "未承認")
    )
    return out


def all_met(run: MigrationRun) -> bool:
    return all(c.met for c in criteria(run))


def last_rehearsal(session: Session) -> MigrationRun | None:
    return session.scalars(
        sa.select(MigrationRun).where(MigrationRun.mode == "rehearsal").order_by(MigrationRun.id.desc())
    ).first()


def allow_cutover(session: Session, slug: str, by: str, override_reason: str) -> None:
    """Refuse the real cut-over unless the last rehearsal met every criterion; an override is logged."""
    run = last_rehearsal(session)
    if run is not None and all_met(run):
        return
    if not override_reason.strip():
        missing = "" if run is None else "、".join(c.label for c in criteria(run) if not c.met)
        raise MigrationRefused(
            f"本番移行はできません: 直近の移行テストが完了基準を満たしていません（{missing or '移行テストがありません'}）。"
        )
    from tenant_core.audit import services as audit
    from tenant_core.tenancy import find_tenant

    audit.record(
        "change",
        screen="migrate",
        target=f"migration:cutover:{run.id if run else '-'}",
        outcome="override",
        detail=f"cutover override: {override_reason.strip()[:300]}",
        tenant=find_tenant(slug),
        operator=by,
    )
    session.info["kyodo.migration_override"] = override_reason.strip()[:500]


def compare_sample(session: Session, run: MigrationRun, path: Path, size: int, out: Path) -> int:
    """Compare ``size`` persons of the run's file, drawn at random, item by item with the register.

    Writes the comparison (one row per item: 宛名番号, item, file, register, 一致) to ``out``; returns the
    number of items that differ (a person missing from the register differs in every item).
    """
    if sha256_of(path) != run.sha256:
        raise MigrationRefused("ファイルが移行テストのときと違います（チェックサム不一致）。")
    encoding, _bad = detect(path, run.encoding or None)
    assert encoding is not None
    checker = PersonChecker(path.name, gaiji_table(session))
    rng = random.Random(run.sha256)
    sample: list = []
    seen = 0
    for line, cells in rows(path, encoding):
        if checker.header is None:
            checker.take_header(cells)
            continue
        parsed = checker.parse(line, cells)
        if parsed is None:
            continue
        seen += 1
        if len(sample) < size:  # reservoir sampling: every valid row equally likely, memory of ``size`` rows
            sample.append(parsed)
        elif (j := rng.randrange(seen)) < size:
            sample[j] = parsed
    checker.close()
    persons = get_persons(session, [p.incoming.atena_no for p in sample])
    mismatches = 0
    table: list[list[object]] = []
    for parsed in sample:
        person = persons.get(parsed.incoming.atena_no)
        for item in ITEM_FIELDS:
            want = parsed.incoming.items[item]
            have = getattr(person, item) if person is not None else "（住民記録にありません）"
            same = want == have
            mismatches += 0 if same else 1
            table.append([parsed.incoming.atena_no, item, want, have, "一致" if same else "不一致"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        exports.csv_text(("宛名番号", "項目", "ファイル", "住民記録", "結果"), table), encoding="utf-8"
    )
    run.sample_size = len(sample)
    run.sample_mismatches = mismatches
    run.signed_off_by, run.signed_off_at = "", None
    session.flush()
    return mismatches


def sign_off(session: Session, run: MigrationRun, by: str) -> None:
    """A person signs the sample's comparison off; only a comparison without differences can be."""
    if run.sample_size == 0 or run.sample_mismatches != 0:
        raise MigrationRefused("照合が済んでいないか、不一致があるため承認できません。")
    run.signed_off_by = by[:120]
    run.signed_off_at = utcnow()
    session.flush()


def runs(session: Session, limit: int = 20) -> list[MigrationRun]:
    return list(session.scalars(sa.select(MigrationRun).order_by(MigrationRun.id.desc()).limit(limit)))
