"""Business operations of 軽自動車税（種別割）; they flush, the request boundary (or the job) commits.

- the vehicle register: ``register_vehicle``, ``change_vehicle``, ``scrap_vehicle`` (each with an event);
- 賦課: ``assess_batch`` (used by the job, per batch of vehicles) and ``assess_vehicle``;
- 減免: ``apply_reduction``, ``decide_reduction`` (approval makes a 更正);
- 収納: ``import_payments`` (消込, with the report of every row), ``unpaid`` (未納 after the 納期限).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.atena import public as atena
from modules.keitax import rates
from modules.keitax.classes import BY_CODE
from modules.keitax.models import (
    Assessment,
    AssessmentKind,
    KeitaxCounter,
    Payment,
    PaymentImport,
    PaymentResult,
    Reduction,
    ReductionState,
    Vehicle,
    VehicleEvent,
    VehicleEventKind,
)
from tenant_core import sequences
from tenant_core.concurrency import check_version, lock_rows
from tenant_core.errors import Collector, InputError
from tenant_core.inputs import has_control_characters
from tenant_core.japanese import wareki_date
from tenant_core.models import utcnow

NOFU = "nofu"
PLATE_MAX = 30
REASON_MAX = 300
_TRACKED = (
    "plate_no",
    "vehicle_class",
    "first_inspection",
    "green",
    "owner_atena_no",
    "user_atena_no",
    "retained_title",
    "acquired_on",
    "scrapped_on",
)


@dataclass(frozen=True)
class Rules:
    """The city's parameters for one fiscal year, read on its 賦課期日."""

    table: dict[str, dict[str, Any]]
    due_on: dt.date
    unit: int
    city_code: str  # 全国地方公共団体コード: the 納付番号 of two cities never meet

    @classmethod
    def for_year(cls, fiscal_year: int) -> Rules:
        from flask import g

        from tenant_core.params.services import param

        on = rates.levy_date(fiscal_year)
        return cls(
            city_code=g.tenant.code,
            table=rates.rate_table(param("keitax.rates", on)),
            due_on=rates.due_date(fiscal_year, param("keitax.due_month", on), param("keitax.due_day", on)),
            unit=int(param("keitax.rounding", on)),
        )


# --- the vehicle register ----------------------------------------------------------------------


def _state(v: Vehicle) -> dict[str, Any]:
    return {
        k: (getattr(v, k).isoformat() if isinstance(getattr(v, k), dt.date) else getattr(v, k))
        for k in _TRACKED
    }


def _check_vehicle(
    session: Session,
    problems: Collector,
    *,
    plate_no: str,
    vehicle_class: str,
    owner_atena_no: int | None,
    user_atena_no: int | None,
    acquired_on: dt.date | None,
    first_inspection: dt.date | None,
    retained_title: bool = False,
) -> None:
    if not (plate_no or "").strip():
        problems.add("plate_no", _("標識番号を入力してください。"))
    elif len(plate_no) > PLATE_MAX or has_control_characters(plate_no):
        problems.add("plate_no", _("標識番号は%(max)s文字以内で入力してください。", max=PLATE_MAX))
    if vehicle_class not in BY_CODE:
        problems.add(
            "vehicle_class",
            _("車種区分「%(code)s」はありません。一覧から選んでください。", code=str(vehicle_class)[:30]),
        )
    if acquired_on is None:
        problems.add("acquired_on", _("取得日を入力してください。"))
    if (
        first_inspection is not None
        and acquired_on is not None
        and first_inspection > acquired_on.replace(day=28) + dt.timedelta(days=4)
    ):
        problems.add("first_inspection", _("初度検査年月が取得日より後になっています。"))
    # An owner of another city (or no one) is refused as unknown: another city's numbers do not exist here.
    found = atena.get_entries(session, [n for n in (owner_atena_no, user_atena_no) if n])
    if owner_atena_no is None or owner_atena_no not in found:
        problems.add("owner_atena_no", _("所有者の宛名番号がこの団体の宛名にありません。"))
    if user_atena_no is not None and user_atena_no not in found:
        problems.add("user_atena_no", _("使用者の宛名番号がこの団体の宛名にありません。"))
    if retained_title and user_atena_no is None:
        # 所有権留保: the buyer is the one taxed (地方税法第444条第1項), so the buyer must be named.
        problems.add("user_atena_no", _("所有権留保の車両は、使用者（買主）の宛名番号を入力してください。"))
    elif retained_title and user_atena_no == owner_atena_no:
        problems.add("user_atena_no", _("所有権留保の車両は、使用者（買主）と所有者（売主）が別の人です。"))


def _record(
    session: Session,
    vehicle: Vehicle,
    kind: VehicleEventKind,
    on: dt.date | None,
    before: dict[str, Any] | None,
    by: str,
) -> None:
    """One entry of the vehicle's history, with its state before and after, like the resident register's."""
    session.add(
        VehicleEvent(
            vehicle_id=vehicle.id,
            kind=kind,
            effective_on=on,
            before=before,
            after=_state(vehicle),
            recorded_by=by,
        )
    )
    session.flush()


def register_vehicle(
    session: Session,
    *,
    plate_no: str,
    vehicle_class: str,
    owner_atena_no: int | None,
    acquired_on: dt.date | None,
    by: str,
    first_inspection: dt.date | None = None,
    user_atena_no: int | None = None,
    green: bool = False,
    retained_title: bool = False,
) -> Vehicle:
    """取得: a vehicle enters the register (``InputError`` naming every bad field, nothing changed)."""
    problems = Collector()
    _check_vehicle(
        session,
        problems,
        plate_no=plate_no,
        vehicle_class=vehicle_class,
        owner_atena_no=owner_atena_no,
        user_atena_no=user_atena_no,
        acquired_on=acquired_on,
        first_inspection=first_inspection,
        retained_title=retained_title,
    )
    problems.raise_if_any()
    assert acquired_on is not None and owner_atena_no is not None
    vehicle = Vehicle(
        plate_no=unicodedata.normalize("NFKC", plate_no).strip(),
        vehicle_class=vehicle_class,
        first_inspection=first_inspection.replace(day=1) if first_inspection else None,
        green=green,
        owner_atena_no=owner_atena_no,
        user_atena_no=user_atena_no,
        retained_title=retained_title,
        acquired_on=acquired_on,
    )
    session.add(vehicle)
    session.flush()
    _record(session, vehicle, VehicleEventKind.acquired, acquired_on, None, by)
    return vehicle


def change_vehicle(
    session: Session,
    vehicle: Vehicle,
    *,
    version: int | None,
    effective_on: dt.date | None,
    by: str,
    **changes: Any,
) -> Vehicle:
    """異動: owner, user, class or plate changed from ``effective_on``; the event keeps before and after."""
    check_version(vehicle, version)
    merged = {
        k: changes.get(k, getattr(vehicle, k))
        for k in (
            "plate_no",
            "vehicle_class",
            "owner_atena_no",
            "user_atena_no",
            "acquired_on",
            "first_inspection",
            "retained_title",
        )
    }
    problems = Collector()
    _check_vehicle(session, problems, **merged)
    if effective_on is None:
        problems.add("effective_on", _("異動日を入力してください。"))
    if vehicle.scrapped_on is not None:
        problems.add("", _("廃車済みの車両は変更できません。"))
    problems.raise_if_any()
    before = _state(vehicle)
    for key, value in changes.items():
        setattr(vehicle, key, value)
    vehicle.updated_at = utcnow()
    session.flush()
    _record(session, vehicle, VehicleEventKind.changed, effective_on, before, by)
    return vehicle


def change_holders(
    session: Session,
    vehicle: Vehicle,
    *,
    owner_atena_no: int | None,
    user_atena_no: int | None,
    retained_title: bool,
    effective_on: dt.date | None,
    confirmed: bool,
    version: int | None,
    by: str,
) -> Vehicle:
    """所有者・使用者の変更 (the page's form): the row is locked, then the version and every value are
    checked again; an owner or user of another city is not found here and is refused by name."""
    lock_rows(session, Vehicle, [vehicle.id])
    check_version(vehicle, version, target=f"vehicle:{vehicle.id}")
    changes = {
        "owner_atena_no": owner_atena_no,
        "user_atena_no": user_atena_no,
        "retained_title": retained_title,
    }
    if all(getattr(vehicle, k) == v for k, v in changes.items()):
        raise InputError(_("所有者・使用者・所有権留保のいずれも変わっていません。"), "owner_atena_no")
    if not confirmed:
        raise InputError(_("内容を確認のうえ、確認欄にチェックを入れてください。"), "confirm")
    if effective_on is not None and effective_on < vehicle.acquired_on:
        raise InputError(
            _("異動日が取得日（%(day)s）より前です。", day=vehicle.acquired_on.isoformat()), "effective_on"
        )
    return change_vehicle(session, vehicle, version=version, effective_on=effective_on, by=by, **changes)


def scrap_vehicle(
    session: Session, vehicle: Vehicle, *, scrapped_on: dt.date | None, version: int | None, by: str
) -> Vehicle:
    """廃車: never before the vehicle was acquired."""
    check_version(vehicle, version)
    problems = Collector()
    if scrapped_on is None:
        problems.add("scrapped_on", _("廃車日を入力してください。"))
    elif scrapped_on < vehicle.acquired_on:
        problems.add(
            "scrapped_on", _("廃車日が取得日（%(day)s）より前です。", day=wareki_date(vehicle.acquired_on))
        )
    if vehicle.scrapped_on is not None:
        problems.add("", _("この車両は既に廃車されています。"))
    problems.raise_if_any()
    before = _state(vehicle)
    vehicle.scrapped_on, vehicle.updated_at = scrapped_on, utcnow()
    session.flush()
    _record(session, vehicle, VehicleEventKind.scrapped, scrapped_on, before, by)
    return vehicle


def get_vehicle(session: Session, vehicle_id: int) -> Vehicle | None:
    return session.get(Vehicle, vehicle_id)


def vehicles_of(session: Session, atena_no: int) -> list[Vehicle]:
    query = sa.select(Vehicle).where(
        sa.or_(Vehicle.owner_atena_no == atena_no, Vehicle.user_atena_no == atena_no)
    )
    return list(session.scalars(query.order_by(Vehicle.id)))


def events_of(session: Session, vehicle: Vehicle) -> list[VehicleEvent]:
    query = sa.select(VehicleEvent).where(VehicleEvent.vehicle_id == vehicle.id)
    return list(session.scalars(query.order_by(VehicleEvent.id)))


def taxpayer_of(vehicle: Vehicle) -> int:
    """納税義務者: the 所有者 (地方税法第442条の2 (not verified)), or the buyer (使用者) of a vehicle whose seller
    kept the title, who is deemed its owner (所有権留保, 地方税法第444条第1項)."""
    if vehicle.retained_title and vehicle.user_atena_no is not None:
        return vehicle.user_atena_no
    return vehicle.owner_atena_no


def owned_on(vehicle: Vehicle, day: dt.date) -> bool:
    """Held on the 賦課期日: acquired by that day and not scrapped by it (廃車 on 4月1日 is not taxed)."""
    return vehicle.acquired_on <= day and (vehicle.scrapped_on is None or vehicle.scrapped_on > day)


# --- 賦課 -------------------------------------------------------------------------------------


def nofu_number(city_code: str, fiscal_year: int, serial: int) -> str:
    """納付番号 (20 digits): the 団体コード, the year, a serial and a check digit (weights 3 and 1,
    modulus 10), so that a payment for another city's notice can never match one of this city."""
    body = f"{city_code:0>6}{fiscal_year:04d}{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def nofu_valid(text: str) -> bool:
    return (
        bool(re.fullmatch(r"\d{20}", text))
        and nofu_number(text[:6], int(text[6:10]), int(text[10:19])) == text
    )


@dataclass
class Outcome:
    """What one batch (or a whole run) of 賦課 did."""

    assessed: int = 0  # 当初
    corrected: int = 0  # 更正
    unchanged: int = 0
    skipped: int = 0  # not owned and never assessed

    def add(self, other: Outcome) -> None:
        self.assessed += other.assessed
        self.corrected += other.corrected
        self.unchanged += other.unchanged
        self.skipped += other.skipped

    def as_dict(self) -> dict[str, int]:
        return {
            "assessed": self.assessed,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _approved_reductions(session: Session, fiscal_year: int, vehicle_ids: Sequence[int]) -> dict[int, int]:
    query = sa.select(Reduction.vehicle_id, Reduction.percent).where(
        Reduction.fiscal_year == fiscal_year,
        Reduction.vehicle_id.in_(vehicle_ids),
        Reduction.state == ReductionState.approved,
    )
    return {vid: pct for vid, pct in session.execute(query)}


def assess_batch(
    session: Session, vehicles: Sequence[Vehicle], fiscal_year: int, rules: Rules, by: str, reason: str = ""
) -> Outcome:
    """Assess these vehicles for the year: a new row where none is, a 更正 where the tax changed.

    Reads the current rows and the approved 減免 of the whole batch in two queries, and writes the
    new rows in one insert, so 100,000 vehicles take a few hundred statements, not a few per vehicle.
    """
    outcome = Outcome()
    if not vehicles:
        return outcome
    ids = [v.id for v in vehicles]
    current = {
        a.vehicle_id: a
        for a in session.scalars(
            sa.select(Assessment).where(
                Assessment.fiscal_year == fiscal_year,
                Assessment.vehicle_id.in_(ids),
                Assessment.current.is_(True),
            )
        )
    }
    reductions = _approved_reductions(session, fiscal_year, ids)
    day = rates.levy_date(fiscal_year)
    new_rows: list[dict[str, Any]] = []
    superseded: list[int] = []
    for v in vehicles:
        before = current.get(v.id)
        if owned_on(v, day):
            rated = rates.rate_for(
                rules.table, v.vehicle_class, v.first_inspection, v.acquired_on, v.green, fiscal_year
            )
            reduction, amount = rates.after_reduction(rated.rate, reductions.get(v.id, 0), rules.unit)
            values = (taxpayer_of(v), v.vehicle_class, rated.rule, rated.rate, reduction, amount)
        elif before is not None and before.rule != rates.Rule.none:
            values = (before.taxpayer_atena_no, v.vehicle_class, rates.Rule.none, 0, 0, 0)
        else:
            outcome.skipped += 1
            continue
        if (
            before is not None
            and (
                before.taxpayer_atena_no,
                before.vehicle_class,
                before.rule,
                before.rate,
                before.reduction,
                before.amount,
            )
            == values
        ):
            outcome.unchanged += 1
            continue
        taxpayer, vclass, rule, rate, reduction, amount = values
        new_rows.append(
            {
                "fiscal_year": fiscal_year,
                "vehicle_id": v.id,
                "taxpayer_atena_no": taxpayer,
                "vehicle_class": vclass,
                "rule": rule,
                "rate": rate,
                "reduction": reduction,
                "amount": amount,
                "kind": AssessmentKind.correction if before else AssessmentKind.initial,
                "current": True,
                "supersedes_id": before.id if before else None,
                "reason": reason[:REASON_MAX],
                "due_on": rules.due_on,
                "assessed_by": by,
                "assessed_at": utcnow(),
            }
        )
        if before is not None:
            superseded.append(before.id)
            outcome.corrected += 1
        else:
            outcome.assessed += 1
    if superseded:
        session.execute(
            sa.update(Assessment)
            .where(Assessment.id.in_(superseded))
            .values(current=False)
            .execution_options(synchronize_session=False)
        )
    if new_rows:
        first = sequences.reserve(session, KeitaxCounter, NOFU, len(new_rows))
        for i, row in enumerate(new_rows):
            row["nofu_no"] = nofu_number(rules.city_code, fiscal_year, first + i)
        session.execute(sa.insert(Assessment), new_rows)
    session.flush()
    return outcome


def assess_vehicle(
    session: Session, vehicle: Vehicle, fiscal_year: int, by: str, reason: str = ""
) -> Outcome:
    return assess_batch(session, [vehicle], fiscal_year, Rules.for_year(fiscal_year), by, reason)


def vehicle_batches(session: Session, after_id: int, size: int) -> list[Vehicle]:
    query = sa.select(Vehicle).where(Vehicle.id > after_id).order_by(Vehicle.id).limit(size)
    return list(session.scalars(query))


def count_vehicles(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Vehicle)) or 0)


@dataclass
class LedgerPage:
    rows: list[Assessment]
    total: int


def ledger(
    session: Session, fiscal_year: int, page: int | None, per_page: int, *, current_only: bool = True
) -> LedgerPage:
    """課税台帳 of a year (paged; ``page=None``: every row, for the export)."""
    where = [Assessment.fiscal_year == fiscal_year]
    if current_only:
        where.append(Assessment.current.is_(True))
    total = int(session.scalar(sa.select(sa.func.count()).select_from(Assessment).where(*where)) or 0)
    query = sa.select(Assessment).where(*where).order_by(Assessment.id)
    if page is not None:
        query = query.offset((page - 1) * per_page).limit(per_page)
    return LedgerPage(list(session.scalars(query)), total)


def notices_due(session: Session, fiscal_year: int) -> int:
    """How many 納税通知書 the year has: current rows with tax to pay."""
    query = sa.select(sa.func.count()).where(
        Assessment.fiscal_year == fiscal_year, Assessment.current.is_(True), Assessment.amount > 0
    )
    return int(session.scalar(query) or 0)


def assessments_of(session: Session, atena_no: int) -> list[Assessment]:
    query = sa.select(Assessment).where(Assessment.taxpayer_atena_no == atena_no)
    return list(session.scalars(query.order_by(Assessment.fiscal_year.desc(), Assessment.id)))


def corrections_of(session: Session, fiscal_year: int) -> list[Assessment]:
    query = sa.select(Assessment).where(
        Assessment.fiscal_year == fiscal_year, Assessment.kind == AssessmentKind.correction
    )
    return list(session.scalars(query.order_by(Assessment.id)))


# --- 減免 -------------------------------------------------------------------------------------


def apply_reduction(
    session: Session,
    vehicle: Vehicle,
    fiscal_year: int | None,
    percent: int | None,
    reason: str,
    on: dt.date,
    by: str,
) -> Reduction:
    problems = Collector()
    if fiscal_year is None or not 2000 <= fiscal_year <= 2100:
        problems.add("fiscal_year", _("年度を西暦4桁で入力してください。"))
    if percent is None or not 1 <= percent <= 100:
        problems.add("percent", _("減免の割合は1から100までの数字で入力してください。"))
    reason = (reason or "").strip()
    if not reason:
        problems.add("reason", _("減免の理由を入力してください。"))
    elif len(reason) > REASON_MAX or has_control_characters(reason):
        problems.add("reason", _("減免の理由は%(max)s文字以内で入力してください。", max=REASON_MAX))
    problems.raise_if_any()
    row = Reduction(
        fiscal_year=fiscal_year,
        vehicle_id=vehicle.id,
        reason=reason,
        percent=percent,
        applied_on=on,
        applied_by=by,
    )
    session.add(row)
    session.flush()
    return row


def decide_reduction(
    session: Session, reduction: Reduction, *, approve: bool, version: int | None, by: str
) -> Outcome:
    """承認 or 却下; an approval makes a 更正 of the year's assessment of the vehicle (if assessed)."""
    check_version(reduction, version)
    if reduction.state != ReductionState.applied:
        raise InputError(_("この申請は既に決定済みです。"))
    if approve and reduction.applied_by == by:
        # The one who entered the application does not approve it (separation of duties).
        raise InputError(_("申請を入力した職員は承認できません。別の職員が承認してください。"))
    reduction.state = ReductionState.approved if approve else ReductionState.rejected
    reduction.decided_by, reduction.decided_at = by, utcnow()
    session.flush()
    if not approve:
        return Outcome()
    vehicle = session.get(Vehicle, reduction.vehicle_id)
    assert vehicle is not None
    return assess_vehicle(session, vehicle, reduction.fiscal_year, by, reason=_("減免の承認"))


def reductions_of(session: Session, vehicle_ids: Iterable[int]) -> list[Reduction]:
    query = sa.select(Reduction).where(Reduction.vehicle_id.in_(list(vehicle_ids)))
    return list(session.scalars(query.order_by(Reduction.id)))


def get_reduction(session: Session, reduction_id: int) -> Reduction | None:
    return session.get(Reduction, reduction_id)


def pending_reductions(session: Session) -> list[Reduction]:
    query = sa.select(Reduction).where(Reduction.state == ReductionState.applied)
    return list(session.scalars(query.order_by(Reduction.id)))


# --- 収納 -------------------------------------------------------------------------------------

PAYMENT_COLUMNS = ("納付番号", "金額", "納付日", "経路")
ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class ImportReport:
    import_id: int
    rows: int
    counts: dict[str, int]
    problems: list[Payment]  # every row not fully matched, in file order


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(ENCODINGS[encoding])
    except (KeyError, UnicodeDecodeError):
        label = {"utf-8": "UTF-8", "cp932": "Shift_JIS"}.get(encoding, encoding)
        raise InputError(
            _(
                "ファイルを%(encoding)sとして読めません。文字コードを確かめて選び直してください。",
                encoding=label,
            ),
            "file",
        ) from None


def _parse_row(cells: list[str]) -> tuple[str, int | None, dt.date | None, str, str]:
    cells = [unicodedata.normalize("NFKC", c).strip() for c in cells] + [""] * 4
    number, amount_text, day_text, channel = cells[:4]
    note = []
    amount = (
        int(amount_text.replace(",", "")) if re.fullmatch(r"\d{1,9}", amount_text.replace(",", "")) else None
    )
    if amount is None:
        note.append(_("金額が数字ではありません"))
    try:
        day = dt.date.fromisoformat(day_text.replace("/", "-")) if day_text else None
    except ValueError:
        day = None
    if day is None:
        note.append(_("納付日が日付ではありません"))
    if has_control_characters(number + channel):
        note.append(_("使えない文字が含まれています"))
        number, channel = "", ""
    return number[:40], amount, day, channel[:40], "、".join(note)


def import_payments(session: Session, filename: str, data: bytes, encoding: str, by: str) -> ImportReport:
    """Read a payment file and reconcile each row (消込); every row is kept, matched or not.

    The file is read whole first: a file that cannot be decoded or has no rows changes nothing.
    A row is matched to the 納付番号's notice; the year's current assessment of that vehicle is what
    it pays (a 更正 keeps earlier payments). Totals per notice decide: 完納, 一部納付, 過誤納.
    """
    if not data:
        raise InputError(_("ファイルを選んでください。"), "file")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(_("ファイルが大きすぎます（20MBまで）。"), "file")
    text = _decode(data, encoding)
    rows = list(csv.reader(io.StringIO(text)))
    if rows and rows[0] and rows[0][0].strip().lstrip("\ufeff") == PAYMENT_COLUMNS[0]:
        rows = rows[1:]  # the header line
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError(_("ファイルに納付のデータがありません。"), "file")
    record = PaymentImport(filename=filename[:200], rows=len(rows), counts={}, imported_by=by)
    session.add(record)
    session.flush()
    parsed = [(n, *_parse_row(cells)) for n, cells in enumerate(rows, start=1)]
    numbers = {p[1] for p in parsed if p[1]}
    notices = (
        {a.nofu_no: a for a in session.scalars(sa.select(Assessment).where(Assessment.nofu_no.in_(numbers)))}
        if numbers
        else {}
    )
    # The current assessment of each (year, vehicle) the file pays.
    keys = {(a.fiscal_year, a.vehicle_id) for a in notices.values()}
    current: dict[tuple[int, int], Assessment] = {}
    for year, vehicle_id in keys:
        row = session.scalar(
            sa.select(Assessment).where(
                Assessment.fiscal_year == year,
                Assessment.vehicle_id == vehicle_id,
                Assessment.current.is_(True),
            )
        )
        if row is not None:
            current[(year, vehicle_id)] = row
    paid_before = _paid_totals(session, list(keys))
    payments: list[Payment] = []
    for line_no, number, amount, day, channel, note in parsed:
        notice = notices.get(number)
        payment = Payment(
            import_id=record.id,
            line_no=line_no,
            nofu_no=number,
            amount=amount,
            paid_on=day,
            channel=channel,
            result=PaymentResult.unmatched,
            note=note,
        )
        if note:
            payment.result = PaymentResult.invalid
        elif notice is None:
            payment.note = _("納付番号が見つかりません")
        else:
            target = current.get((notice.fiscal_year, notice.vehicle_id), notice)
            payment.assessment_id = target.id
            key = (notice.fiscal_year, notice.vehicle_id)
            paid_before[key] = paid_before.get(key, 0) + (amount or 0)
        payments.append(payment)
    session.add_all(payments)
    session.flush()
    # Decide each matched row by the total paid for its notice after the whole file.
    by_id = {a.id: a for a in current.values()} | {a.id: a for a in notices.values()}
    for payment in payments:
        if payment.assessment_id is None:
            continue
        target = by_id[payment.assessment_id]
        total = paid_before.get((target.fiscal_year, target.vehicle_id), 0)
        if total == target.amount:
            payment.result = PaymentResult.matched
        elif total < target.amount:
            payment.result = PaymentResult.partial
            payment.note = _("残額 %(rest)s円", rest=f"{target.amount - total:,}")
        else:
            payment.result = PaymentResult.over
            payment.note = _("過納 %(over)s円", over=f"{total - target.amount:,}")
    record.counts = dict(Counter(str(p.result) for p in payments))
    session.flush()
    return ImportReport(
        record.id, len(payments), record.counts, [p for p in payments if p.result != PaymentResult.matched]
    )


def _paid_totals(session: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """What was paid before, per (year, vehicle), whichever of its notices the payments named."""
    if not keys:
        return {}
    vehicle_ids = {v for _y, v in keys}
    query = (
        sa.select(Assessment.fiscal_year, Assessment.vehicle_id, sa.func.sum(Payment.amount))
        .join(Payment, Payment.assessment_id == Assessment.id)
        .where(Assessment.vehicle_id.in_(vehicle_ids), Payment.result != PaymentResult.invalid)
        .group_by(Assessment.fiscal_year, Assessment.vehicle_id)
    )
    return {(y, v): int(total or 0) for y, v, total in session.execute(query) if (y, v) in set(keys)}


def paid_by_assessment(session: Session, assessments: Sequence[Assessment]) -> dict[int, int]:
    """Paid so far for each listed assessment (counting payments made on its earlier notices)."""
    keys = [(a.fiscal_year, a.vehicle_id) for a in assessments]
    totals = _paid_totals(session, keys)
    return {a.id: totals.get((a.fiscal_year, a.vehicle_id), 0) for a in assessments}


@dataclass
class UnpaidRow:
    assessment: Assessment
    paid: int

    @property
    def rest(self) -> int:
        return self.assessment.amount - self.paid


def unpaid(session: Session, fiscal_year: int, today: dt.date) -> list[UnpaidRow]:
    """未納: current assessments past their 納期限 not paid in full (the start of 滞納)."""
    query = (
        sa.select(Assessment)
        .where(
            Assessment.fiscal_year == fiscal_year,
            Assessment.current.is_(True),
            Assessment.amount > 0,
            Assessment.due_on < today,
        )
        .order_by(Assessment.id)
    )
    rows = list(session.scalars(query))
    paid = paid_by_assessment(session, rows)
    return [UnpaidRow(a, paid[a.id]) for a in rows if paid[a.id] < a.amount]


def payments_page(
    session: Session, page: int, per_page: int, result: str | None = None
) -> tuple[list[Payment], int]:
    where = [Payment.result == result] if result else []
    total = int(session.scalar(sa.select(sa.func.count()).select_from(Payment).where(*where)) or 0)
    query = (
        sa.select(Payment)
        .where(*where)
        .order_by(Payment.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(session.scalars(query)), total


def all_payments(session: Session, result: str | None = None) -> Iterable[Payment]:
    where = [Payment.result == result] if result else []
    return session.scalars(sa.select(Payment).where(*where).order_by(Payment.id.desc()))


def get_import(session: Session, import_id: int) -> PaymentImport | None:
    return session.get(PaymentImport, import_id)


def import_problems(session: Session, import_id: int) -> list[Payment]:
    query = sa.select(Payment).where(Payment.import_id == import_id, Payment.result != PaymentResult.matched)
    return list(session.scalars(query.order_by(Payment.line_no)))
